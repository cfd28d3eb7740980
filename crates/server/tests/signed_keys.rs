//! Cryptographic license keys over HTTP (Keygen §8, seed 004): a license created under a
//! policy `scheme` gets a key signed (or encrypted) with the account's keys, embedding
//! Keygen's default dataset or the vendor's templated one; KEY_BYTE_SIZE_EXCEEDED and
//! KEY_JWT_CLAIMS_INVALID; and an independent implementation (Python `cryptography`)
//! verifies the keys, license/machine files and response signatures this server produced.

use base64::Engine;
use latchkey_proto::offline::{Scheme, verify_license_key};
use latchkey_testkit::{Fixtures, TestServer, license_body};
use serde_json::{Value, json};
use std::io::Write;
use std::process::{Command, Stdio};

const SCHEMES: [Scheme; 8] = [
    Scheme::Ed25519Sign,
    Scheme::EcdsaP256Sign,
    Scheme::Rsa2048Pkcs1PssSignV2,
    Scheme::Rsa2048Pkcs1SignV2,
    Scheme::Rsa2048Pkcs1Sign,
    Scheme::Rsa2048Pkcs1PssSign,
    Scheme::Rsa2048JwtRs256,
    Scheme::Rsa2048Pkcs1Encrypt,
];

#[tokio::test]
async fn every_scheme_issues_a_verifiable_key_with_the_default_dataset() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let keys = server.public_keys().await?;
    for scheme in SCHEMES {
        let policy_id = server
            .policy_with_product(json!({"scheme": scheme.as_str(), "duration": 86_400}))
            .await?;
        let reply = server
            .admin(
                "POST",
                "/v1/licenses",
                Some(license_body(&policy_id, json!({}), json!({}))),
            )
            .await?;
        assert_eq!(reply.status, 201, "{scheme}: {}", reply.body);
        let license = &reply.body["data"];
        let id = license["id"].as_str().unwrap();
        let key = license["attributes"]["key"].as_str().unwrap();
        assert_eq!(license["attributes"]["scheme"], scheme.as_str());
        let verified =
            verify_license_key(scheme, key, &keys).unwrap_or_else(|e| panic!("{scheme}: {e}"));
        let dataset: Value = serde_json::from_slice(verified.dataset())?;
        match scheme {
            Scheme::Rsa2048JwtRs256 => {
                assert_eq!(dataset["sub"], id);
                assert_eq!(dataset["aud"], server.account_id.as_str());
                assert_eq!(dataset["iss"], "https://keygen.sh");
                assert_eq!(dataset["iat"], 1_767_268_800);
                assert_eq!(dataset["nbf"], 1_767_268_800);
                assert_eq!(dataset["exp"], 1_767_268_800 + 86_400);
            }
            Scheme::Rsa2048Pkcs1Encrypt => {
                assert_eq!(
                    std::str::from_utf8(verified.dataset())?,
                    format!(
                        r#"{{"id":"{id}","created":"2026-01-01T12:00:00.000Z","expiry":"2026-01-02T12:00:00.000Z","duration":86400}}"#
                    )
                );
            }
            _ => {
                assert_eq!(
                    std::str::from_utf8(verified.dataset())?,
                    format!(
                        r#"{{"account":{{"id":"{}"}},"product":{{"id":"{}"}},"policy":{{"id":"{policy_id}","duration":86400}},"user":null,"license":{{"id":"{id}","created":"2026-01-01T12:00:00.000Z","expiry":"2026-01-02T12:00:00.000Z"}}}}"#,
                        server.account_id,
                        license["relationships"]["product"]["data"]["id"]
                            .as_str()
                            .unwrap(),
                    ),
                    "{scheme}"
                );
            }
        }
        // The key validates like any other.
        let validation = server.validate_key(key, json!({})).await?;
        assert_eq!(validation["meta"]["code"], "VALID", "{scheme}");
        assert_eq!(validation["data"]["id"], id);
    }
    Ok(())
}

#[tokio::test]
async fn templates_and_key_errors() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let keys = server.public_keys().await?;
    let signed = server
        .policy_with_product(json!({"scheme": "ED25519_SIGN", "duration": 86_400}))
        .await?;
    let reply = server.admin("POST", "/v1/licenses", Some(license_body(&signed, json!({"key": r#"{"id":"{{id}}","issued":"{{created}}","expires":"{{expiry}}","email":"{{email}}"}"#}), json!({}))))
    .await?;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let id = reply.body["data"]["id"].as_str().unwrap();
    let key = reply.body["data"]["attributes"]["key"].as_str().unwrap();
    let verified = verify_license_key(Scheme::Ed25519Sign, key, &keys)?;
    assert_eq!(
        verified.dataset_str(),
        Some(format!(r#"{{"id":"{id}","issued":"2026-01-01T12:00:00.000Z","expires":"2026-01-02T12:00:00.000Z","email":""}}"#).as_str())
    );

    let encrypt = server
        .policy_with_product(json!({"scheme": "RSA_2048_PKCS1_ENCRYPT"}))
        .await?;
    let reply = server
        .admin(
            "POST",
            "/v1/licenses",
            Some(license_body(
                &encrypt,
                json!({"key": &"x".repeat(246)}),
                json!({}),
            )),
        )
        .await?;
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert_eq!(reply.error_code(), Some("KEY_BYTE_SIZE_EXCEEDED"));
    assert_eq!(
        reply.body["errors"][0]["source"]["pointer"],
        "/data/attributes/key"
    );
    let reply = server
        .admin(
            "POST",
            "/v1/licenses",
            Some(license_body(
                &encrypt,
                json!({"key": &"x".repeat(245)}),
                json!({}),
            )),
        )
        .await?;
    assert_eq!(reply.status, 201, "245 bytes fit: {}", reply.body);

    let jwt = server
        .policy_with_product(json!({"scheme": "RSA_2048_JWT_RS256"}))
        .await?;
    for claims in ["not json", "[1,2]", "\"text\""] {
        let reply = server
            .admin(
                "POST",
                "/v1/licenses",
                Some(license_body(&jwt, json!({"key": claims}), json!({}))),
            )
            .await?;
        assert_eq!(reply.status, 422, "{claims}: {}", reply.body);
        assert_eq!(
            reply.error_code(),
            Some("KEY_JWT_CLAIMS_INVALID"),
            "{claims}"
        );
    }
    let reply = server
        .admin(
            "POST",
            "/v1/licenses",
            Some(license_body(
                &jwt,
                json!({"key": r#"{"sub":"{{id}}","tier":"pro"}"#}),
                json!({}),
            )),
        )
        .await?;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let key = reply.body["data"]["attributes"]["key"].as_str().unwrap();
    let verified = verify_license_key(Scheme::Rsa2048JwtRs256, key, &keys)?;
    assert_eq!(verified.claims().unwrap()["tier"], "pro");
    assert_eq!(verified.claims().unwrap()["sub"], reply.body["data"]["id"]);

    // Tampering with any part of a signed key breaks it.
    let mut tampered = key.to_owned().into_bytes();
    let middle = tampered.len() / 2;
    tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered)?;
    assert!(verify_license_key(Scheme::Rsa2048JwtRs256, &tampered, &keys).is_err());
    Ok(())
}

fn run_python(job: &Value) -> anyhow::Result<Value> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../core/tests/fixtures/verify_independent.py"
    );
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    child
        .stdin
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdin"))?
        .write_all(job.to_string().as_bytes())?;
    let out = child.wait_with_output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    anyhow::ensure!(
        out.status.success(),
        "independent verification FAILED:\n{stderr}"
    );
    Ok(serde_json::from_slice(&out.stdout)?)
}

#[tokio::test]
async fn an_independent_implementation_verifies_what_the_server_issues() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let keys = server.public_keys().await?;
    let (ed25519_hex, ecdsa_pem, rsa_pem) = server.published_keys().await?;

    let mut signed_keys = Vec::new();
    let mut files = Vec::new();
    for scheme in SCHEMES {
        let policy_id = server
            .policy_with_product(json!({"scheme": scheme.as_str()}))
            .await?;
        let reply = server
            .admin(
                "POST",
                "/v1/licenses",
                Some(license_body(&policy_id, json!({}), json!({}))),
            )
            .await?;
        assert_eq!(reply.status, 201, "{}", reply.body);
        let id = reply.body["data"]["id"].as_str().unwrap().to_owned();
        let key = reply.body["data"]["attributes"]["key"]
            .as_str()
            .unwrap()
            .to_owned();
        let dataset = verify_license_key(scheme, &key, &keys)?.dataset().to_vec();
        signed_keys.push(
            json!({"scheme": scheme.as_str(), "key": key, "dataset": String::from_utf8(dataset)?}),
        );

        // One license file and one machine file per scheme, encrypted for half of them.
        let encrypt = signed_keys.len() % 2 == 0;
        let reply = server
            .admin(
                "POST",
                &format!("/v1/licenses/{id}/actions/check-out"),
                Some(json!({"meta": {"encrypt": encrypt}})),
            )
            .await?;
        assert_eq!(reply.status, 200, "{}", reply.body);
        files.push(json!({"certificate": reply.body["data"]["attributes"]["certificate"], "kind": "license",
            "license_key": key, "fingerprint": null, "id": id}));
        let machine = server.activate(&id, &format!("fp-{scheme}")).await?;
        let machine_id = machine.body["data"]["id"].as_str().unwrap().to_owned();
        let reply = server
            .admin(
                "POST",
                &format!("/v1/machines/{machine_id}/actions/check-out"),
                Some(json!({"meta": {"encrypt": !encrypt}})),
            )
            .await?;
        assert_eq!(reply.status, 200, "{}", reply.body);
        files.push(json!({"certificate": reply.body["data"]["attributes"]["certificate"], "kind": "machine",
            "license_key": key, "fingerprint": format!("fp-{scheme}"), "id": machine_id}));
    }

    // A signed response, exactly as received.
    let path = "/v1/licenses?limit=1";
    let response = server
        .http
        .get(format!("{}{path}", server.base))
        .bearer_auth(&server.admin_token)
        .header("Keygen-Accept-Signature", r#"algorithm="rsa-pss-sha256""#)
        .send()
        .await?;
    let host = server.base.trim_start_matches("http://").to_owned();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let signature = header("keygen-signature");
    let headers =
        json!({"date": header("date"), "digest": header("digest"), "signature": signature});
    let body = response.bytes().await?;

    let job = json!({
        "public": {"ed25519_hex": ed25519_hex, "ecdsa_pem": ecdsa_pem, "rsa_pem": rsa_pem},
        "message": "", "signatures": {},
        "files": files, "keys": signed_keys,
        "response": {"method": "GET", "target": path, "host": host,
            "body": base64::engine::general_purpose::STANDARD.encode(&body), "headers": headers},
    });
    let result = run_python(&job)?;
    assert_eq!(result["checked"], 8 + 16 + 1, "every artefact was checked");

    // A single flipped byte in a file is caught by the independent side too.
    let mut tampered = job.clone();
    let certificate = tampered["files"][0]["certificate"]
        .as_str()
        .unwrap()
        .to_owned();
    let line_start = certificate.find('\n').unwrap() + 10;
    let mut bytes = certificate.into_bytes();
    bytes[line_start] = if bytes[line_start] == b'A' {
        b'B'
    } else {
        b'A'
    };
    tampered["files"][0]["certificate"] = String::from_utf8(bytes)?.into();
    assert!(
        run_python(&tampered).is_err(),
        "a tampered certificate must fail"
    );
    Ok(())
}
