//! License and machine file check-out over HTTP (Keygen §4.4): every algorithm, TTLs,
//! includes, encryption with the license key (and fingerprint), the download form, the
//! CHECKOUT_*_INVALID errors and who may check out. Files are opened as an application
//! opens them, with the SDK's `latchkey_sdk::offline::verify_file` (signature,
//! decryption, issued and expiry times) against the account's published keys; the
//! algorithm and secret checks use `proto`.

use base64::Engine;
use latchkey_core::clock::Clock;
use latchkey_proto::offline::CertificateKind::{self, License, Machine};
use latchkey_proto::offline::{Algorithm, Certificate, FileSecret, PublicKeys};
use latchkey_sdk::offline::verify_file;
use latchkey_testkit::TestServer;
use serde_json::{Value, json};

/// Opens a `kind` certificate as a client does, at the server's clock, with the license
/// key (and, for machine files, the fingerprint) as decryption secret; returns the
/// embedded document.
fn open(
    server: &TestServer,
    keys: &PublicKeys,
    certificate: &str,
    kind: CertificateKind,
    secret: (Option<&str>, Option<&str>),
) -> anyhow::Result<Value> {
    assert_eq!(Certificate::parse(certificate)?.kind(), kind);
    let (license_key, fingerprint) = secret;
    let now = server.clock.now().into();
    let file = verify_file(certificate, keys, license_key, fingerprint, now)?;
    Ok(file.contents.into_document())
}

async fn check_out(
    server: &TestServer,
    path: &str,
    meta: Option<Value>,
) -> anyhow::Result<latchkey_testkit::Reply> {
    let body = meta.map(|meta| json!({ "meta": meta }));
    server.admin("POST", path, body).await
}

#[tokio::test]
async fn license_file_defaults_every_algorithm_and_last_check_out() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let keys = server.public_keys().await?;
    let license = server.license_with_policy(json!({})).await?;
    let id = license["id"].as_str().unwrap();
    let key = license["attributes"]["key"].as_str().unwrap();
    let path = format!("/v1/licenses/{id}/actions/check-out");

    let reply = check_out(&server, &path, None).await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let data = &reply.body["data"];
    assert_eq!(data["type"], "license-files");
    assert_eq!(data["attributes"]["ttl"], 2_629_746);
    assert_eq!(data["attributes"]["issued"], "2026-01-01T12:00:00.000Z");
    assert_eq!(data["attributes"]["expiry"], "2026-01-31T22:29:06.000Z");
    assert_eq!(data["relationships"]["license"]["data"]["id"], id);
    let certificate = data["attributes"]["certificate"].as_str().unwrap();
    assert!(certificate.starts_with("-----BEGIN LICENSE FILE-----\n"));
    assert!(certificate.ends_with("-----END LICENSE FILE-----\n"));
    let parsed = Certificate::parse(certificate)?;
    assert_eq!(
        parsed.algorithm(),
        Algorithm::Base64Ed25519,
        "default without scheme"
    );
    let document = open(&server, &keys, certificate, License, (None, None))?;
    assert_eq!(document["data"]["id"], id);
    assert_eq!(document["data"]["attributes"]["key"], key);
    assert_eq!(document["meta"]["ttl"], 2_629_746);
    assert_eq!(document["meta"]["issued"], "2026-01-01T12:00:00.000Z");
    assert_eq!(document["included"], json!([]));

    let shown = server
        .admin("GET", &format!("/v1/licenses/{id}"), None)
        .await?;
    assert_eq!(
        shown.body["data"]["attributes"]["lastCheckOut"],
        "2026-01-01T12:00:00.000Z"
    );

    for algorithm in Algorithm::ALL {
        let reply = check_out(
            &server,
            &path,
            Some(json!({"algorithm": algorithm.as_str()})),
        )
        .await?;
        assert_eq!(reply.status, 200, "{algorithm}: {}", reply.body);
        let certificate = reply.body["data"]["attributes"]["certificate"]
            .as_str()
            .unwrap();
        assert_eq!(Certificate::parse(certificate)?.algorithm(), algorithm);
        let document = open(&server, &keys, certificate, License, (Some(key), None))?;
        assert_eq!(document["data"]["id"], id, "{algorithm}");
        if algorithm.is_encrypted() {
            let now = server.clock.now().into();
            let opened = verify_file(certificate, &keys, Some("WRONG-KEY"), None, now);
            assert!(
                opened.is_err(),
                "{algorithm} must not open with another key"
            );
        }
    }
    Ok(())
}

#[tokio::test]
async fn encrypt_ttl_and_include_options() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let keys = server.public_keys().await?;
    let user = server
        .create(
            "/v1/users",
            json!({"data": {"type": "users", "attributes": {"email": "owner@example.com"}}}),
        )
        .await?;
    let first = server.license_with_policy(json!({})).await?;
    let license = server
        .create(
            "/v1/licenses",
            json!({"data": {"type": "licenses", "relationships": {
                "policy": {"data": {"type": "policies", "id": first["relationships"]["policy"]["data"]["id"]}},
                "owner": {"data": {"type": "users", "id": user["id"]}}}}}),
        )
        .await?;
    let id = license["id"].as_str().unwrap();
    let key = license["attributes"]["key"].as_str().unwrap();
    let path = format!("/v1/licenses/{id}/actions/check-out");

    // encrypt=true picks aes-256-gcm with the default signature.
    let reply = check_out(
        &server,
        &path,
        Some(json!({"encrypt": true, "ttl": null, "include": ["product", "policy", "user"]})),
    )
    .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["data"]["attributes"]["ttl"], Value::Null);
    assert_eq!(reply.body["data"]["attributes"]["expiry"], Value::Null);
    let certificate = reply.body["data"]["attributes"]["certificate"]
        .as_str()
        .unwrap();
    assert_eq!(
        Certificate::parse(certificate)?.algorithm(),
        Algorithm::Aes256GcmEd25519
    );
    let document = open(&server, &keys, certificate, License, (Some(key), None))?;
    assert_eq!(document["meta"]["expiry"], Value::Null);
    let types: Vec<&str> = document["included"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["products", "policies", "users"],
        "user is an alias of owner"
    );
    assert_eq!(document["included"][2]["id"], user["id"]);

    // Query-string options (GET and POST alike).
    let reply = server
        .admin(
            "POST",
            &format!("{path}?ttl=3600&include=entitlements,product"),
            None,
        )
        .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["data"]["attributes"]["ttl"], 3600);
    assert_eq!(
        reply.body["data"]["attributes"]["expiry"],
        "2026-01-01T13:00:00.000Z"
    );

    for (query, code) in [
        ("ttl=3599", "CHECKOUT_TTL_INVALID"),
        ("ttl=soon", "CHECKOUT_TTL_INVALID"),
        ("include=machines", "CHECKOUT_INCLUDE_INVALID"),
        ("algorithm=base64%2Bmd5", "CHECKOUT_ALGORITHM_INVALID"),
        (
            "encrypt=true&algorithm=base64%2Bed25519",
            "CHECKOUT_ALGORITHM_INVALID",
        ),
    ] {
        let reply = server
            .admin("POST", &format!("{path}?{query}"), None)
            .await?;
        assert_eq!(reply.status, 400, "{query}: {}", reply.body);
        assert_eq!(reply.error_code(), Some(code), "{query}");
        let parameter = reply.body["errors"][0]["source"]["parameter"]
            .as_str()
            .unwrap();
        assert!(query.contains(parameter), "{query} blames {parameter}");
    }
    let reply = check_out(&server, &path, Some(json!({"ttl": 60}))).await?;
    assert_eq!(reply.error_code(), Some("CHECKOUT_TTL_INVALID"));
    Ok(())
}

#[tokio::test]
async fn download_is_the_raw_certificate_and_scheme_sets_the_default() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let keys = server.public_keys().await?;
    let license = server
        .license_with_policy(json!({"scheme": "RSA_2048_PKCS1_PSS_SIGN_V2"}))
        .await?;
    let id = license["id"].as_str().unwrap();
    let response = server
        .http
        .get(format!(
            "{}/v1/licenses/{id}/actions/check-out?encrypt=1",
            server.base
        ))
        .bearer_auth(&server.admin_token)
        .header("Accept", "application/octet-stream")
        .send()
        .await?;
    assert_eq!(response.status(), 200);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("content-type"), "application/octet-stream");
    assert_eq!(
        header("content-disposition"),
        format!("attachment; filename=\"{id}.lic\"")
    );
    assert!(
        !header("keygen-signature").is_empty(),
        "downloads are signed responses too"
    );
    let certificate = response.text().await?;
    let parsed = Certificate::parse(&certificate)?;
    assert_eq!(parsed.algorithm(), Algorithm::Aes256GcmRsaPssSha256);
    let secret = (license["attributes"]["key"].as_str(), None);
    let document = open(&server, &keys, &certificate, License, secret)?;
    assert_eq!(document["data"]["id"], id);

    let ecdsa = server
        .license_with_policy(json!({"scheme": "ECDSA_P256_SIGN"}))
        .await?;
    let reply = check_out(
        &server,
        &format!(
            "/v1/licenses/{}/actions/check-out",
            ecdsa["id"].as_str().unwrap()
        ),
        None,
    )
    .await?;
    let certificate = reply.body["data"]["attributes"]["certificate"]
        .as_str()
        .unwrap();
    assert_eq!(
        Certificate::parse(certificate)?.algorithm(),
        Algorithm::Base64EcdsaP256
    );
    Ok(())
}

#[tokio::test]
async fn machine_file_is_encrypted_with_key_and_fingerprint() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let keys = server.public_keys().await?;
    let license = server.license_with_policy(json!({})).await?;
    let id = license["id"].as_str().unwrap();
    let key = license["attributes"]["key"].as_str().unwrap();
    let machine = server.activate(id, "fp-offline").await?;
    assert_eq!(machine.status, 201);
    let machine_id = machine.body["data"]["id"].as_str().unwrap();
    let path = format!("/v1/machines/{machine_id}/actions/check-out");

    let reply = check_out(
        &server,
        &path,
        Some(json!({"encrypt": true, "include": ["license", "license.product"]})),
    )
    .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let data = &reply.body["data"];
    assert_eq!(data["type"], "machine-files");
    assert_eq!(data["relationships"]["machine"]["data"]["id"], machine_id);
    assert_eq!(data["relationships"]["license"]["data"]["id"], id);
    let certificate = data["attributes"]["certificate"].as_str().unwrap();
    assert!(certificate.starts_with("-----BEGIN MACHINE FILE-----\n"));
    let secret = (Some(key), Some("fp-offline"));
    let document = open(&server, &keys, certificate, Machine, secret)?;
    assert_eq!(document["data"]["type"], "machines");
    assert_eq!(document["data"]["attributes"]["fingerprint"], "fp-offline");
    let types: Vec<&str> = document["included"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["licenses", "products"]);
    let license_only = FileSecret::for_license(key);
    assert!(
        Certificate::parse(certificate)?
            .verify(&keys)?
            .open(Some(&license_only))
            .is_err()
    );
    assert!(Certificate::parse_as(certificate, License).is_err());
    // A client reads the machine and its license from the file, but only with the
    // fingerprint as part of the secret.
    let now = server.clock.now().into();
    let file = verify_file(certificate, &keys, Some(key), Some("fp-offline"), now)?;
    assert_eq!(
        file.machine().map(|m| m.fingerprint),
        Some("fp-offline".to_owned())
    );
    assert_eq!(file.license().map(|l| l.id), Some(id.to_owned()));
    assert!(verify_file(certificate, &keys, Some(key), None, now).is_err());

    let shown = server
        .admin("GET", &format!("/v1/machines/{machine_id}"), None)
        .await?;
    assert_eq!(
        shown.body["data"]["attributes"]["lastCheckOut"],
        "2026-01-01T12:00:00.000Z"
    );

    let reply = check_out(&server, &path, Some(json!({"include": ["components"]}))).await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let certificate = reply.body["data"]["attributes"]["certificate"]
        .as_str()
        .unwrap();
    let document = open(&server, &keys, certificate, Machine, (None, None))?;
    assert_eq!(
        document["included"],
        json!([]),
        "a machine without components includes none"
    );
    let reply = check_out(&server, &path, Some(json!({"include": ["components.x"]}))).await?;
    assert_eq!(reply.error_code(), Some("CHECKOUT_INCLUDE_INVALID"));
    Ok(())
}

#[tokio::test]
async fn who_may_check_out() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let license = server
        .license_with_policy(json!({"authenticationStrategy": "LICENSE"}))
        .await?;
    let id = license["id"].as_str().unwrap();
    let key = license["attributes"]["key"].as_str().unwrap();
    let other = server.license_with_policy(json!({})).await?;
    let path = |id: &str| format!("/v1/licenses/{id}/actions/check-out");

    // The license itself, by key.
    let reply = server
        .raw(
            "POST",
            &path(id),
            &[
                ("Authorization", &format!("License {key}")),
                ("Accept", "application/json"),
            ],
            Vec::new(),
        )
        .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    // …but not another license.
    let reply = server
        .raw(
            "POST",
            &path(other["id"].as_str().unwrap()),
            &[("Authorization", &format!("License {key}"))],
            Vec::new(),
        )
        .await?;
    assert!(matches!(reply.status, 403 | 404), "{}", reply.status);
    // No credentials.
    let reply = server.call("POST", &path(id), None, None).await?;
    assert_eq!(reply.status, 401);
    // A read-only staff member may read the license but not check it out.
    server
        .create("/v1/users", json!({"data": {"type": "users", "attributes": {"email": "ro@example.com", "password": "secret-password-1", "role": "read-only"}}}))
        .await?;
    let login = server
        .raw(
            "POST",
            "/v1/tokens",
            &[(
                "Authorization",
                &format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD
                        .encode("ro@example.com:secret-password-1")
                ),
            )],
            Vec::new(),
        )
        .await?;
    assert_eq!(login.status, 201, "{}", login.body);
    let token = login.body["data"]["attributes"]["token"].as_str().unwrap();
    let read = server
        .call("GET", &format!("/v1/licenses/{id}"), Some(token), None)
        .await?;
    assert_eq!(read.status, 200);
    let reply = server.call("POST", &path(id), Some(token), None).await?;
    assert_eq!(reply.status, 403, "{}", reply.body);
    Ok(())
}

/// `(type, id)` of every included resource, asserting none appears twice.
fn included_ids(document: &Value) -> Vec<(String, String)> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let ids: Vec<(String, String)> = document["included"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|r| (text(&r["type"]), text(&r["id"])))
        .collect();
    assert!(document["included"].is_array(), "{document}");
    for (i, id) in ids.iter().enumerate() {
        assert!(!ids[..i].contains(id), "{id:?} included twice: {ids:?}");
    }
    ids
}

/// Keygen includes every resource on an include path: `license.entitlements` brings the
/// license too (keygen-rs's default machine check-out decodes it), once, whatever
/// else is asked for; license files never repeat a resource either.
#[tokio::test]
async fn nested_includes_carry_every_resource_on_the_path() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let keys = server.public_keys().await?;
    let owner = server
        .create(
            "/v1/users",
            json!({"data": {"type": "users", "attributes": {"email": "own@example.test"}}}),
        )
        .await?;
    let member = server
        .create(
            "/v1/users",
            json!({"data": {"type": "users", "attributes": {"email": "mem@example.test"}}}),
        )
        .await?;
    let entitlement = server
        .create(
            "/v1/entitlements",
            json!({"data": {"type": "entitlements", "attributes": {"name": "Pro", "code": "PRO"}}}),
        )
        .await?;
    let license = server.license_with_policy(json!({})).await?;
    let id = license["id"].as_str().unwrap();
    let key = license["attributes"]["key"].as_str().unwrap();
    let policy_id = license["relationships"]["policy"]["data"]["id"]
        .as_str()
        .unwrap();
    let product_id = license["relationships"]["product"]["data"]["id"]
        .as_str()
        .unwrap();
    for (method, path, body) in [
        (
            "PUT",
            format!("/v1/licenses/{id}/owner"),
            json!({"data": {"type": "users", "id": owner["id"]}}),
        ),
        (
            "POST",
            format!("/v1/licenses/{id}/users"),
            json!({"data": [{"type": "users", "id": member["id"]}]}),
        ),
        (
            "POST",
            format!("/v1/licenses/{id}/entitlements"),
            json!({"data": [{"type": "entitlements", "id": entitlement["id"]}]}),
        ),
    ] {
        let reply = server.admin(method, &path, Some(body)).await?;
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
    }
    let machine = server.activate(id, "fp-nested").await?;
    let machine_id = machine.body["data"]["id"].as_str().unwrap();
    let path = format!("/v1/machines/{machine_id}/actions/check-out");
    let secret = (Some(key), Some("fp-nested"));
    let pair = |kind: &str, id: &Value| (kind.to_owned(), id.as_str().unwrap().to_owned());
    let license_pair = pair("licenses", &json!(id));
    let entitlement_pair = pair("entitlements", &entitlement["id"]);

    // keygen-rs's default: `include=license.entitlements` (encrypted), POST and GET.
    let reply = check_out(
        &server,
        &path,
        Some(json!({"encrypt": true, "include": ["license.entitlements"]})),
    )
    .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let certificate = reply.body["data"]["attributes"]["certificate"]
        .as_str()
        .unwrap();
    let document = open(&server, &keys, certificate, Machine, secret)?;
    assert_eq!(
        included_ids(&document),
        [license_pair.clone(), entitlement_pair.clone()]
    );
    assert_eq!(document["included"][0]["attributes"]["key"], key);

    let download = server
        .raw(
            "GET",
            &format!("{path}?include=license.entitlements"),
            &[("Authorization", &format!("Bearer {}", server.admin_token))],
            vec![],
        )
        .await?;
    assert_eq!(download.status, 200);

    // Every path at once, in any order: each resource once.
    let reply = check_out(
        &server,
        &path,
        Some(json!({"include": "license.policy,license.product,license.owner,license.users,license,license.entitlements,owner"})),
    )
    .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let certificate = reply.body["data"]["attributes"]["certificate"]
        .as_str()
        .unwrap();
    let document = open(&server, &keys, certificate, Machine, (None, None))?;
    let ids = included_ids(&document);
    for wanted in [
        license_pair.clone(),
        pair("policies", &json!(policy_id)),
        pair("products", &json!(product_id)),
        pair("users", &owner["id"]),
        pair("users", &member["id"]),
        entitlement_pair.clone(),
    ] {
        assert!(ids.contains(&wanted), "{wanted:?} missing from {ids:?}");
    }
    assert_eq!(ids.len(), 6, "{ids:?}");
    assert_eq!(
        ids[0], license_pair,
        "the license precedes its nested resources"
    );

    // License files: `owner` and `users` share the owner; it appears once.
    let reply = check_out(
        &server,
        &format!("/v1/licenses/{id}/actions/check-out"),
        Some(json!({"include": ["owner", "users", "user", "entitlements", "policy", "product"]})),
    )
    .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let certificate = reply.body["data"]["attributes"]["certificate"]
        .as_str()
        .unwrap();
    let document = open(&server, &keys, certificate, License, (None, None))?;
    let ids = included_ids(&document);
    assert_eq!(ids.len(), 5, "{ids:?}");
    assert!(ids.contains(&entitlement_pair) && ids.contains(&pair("users", &member["id"])));
    Ok(())
}
