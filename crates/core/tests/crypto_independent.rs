//! Cross-checks Latchkey's artefacts with an independent implementation (Python's
//! `cryptography` package, i.e. OpenSSL) in both directions:
//!
//! * what core signs (Ed25519, ECDSA, both RSA paddings, all file algorithms, every key
//!   scheme, a response signature) the script verifies, with PSS pinned to the maximal
//!   salt as Keygen's own examples do;
//! * what the script makes with fresh keys (Ed25519/ECDSA signed keys, an RSA private-key
//!   "encrypted" key, an RS256 JWT, an `aes-256-gcm+rsa-pss-sha256` license file wrapped
//!   at 76 columns, a PKCS#1 RSA PEM) proto verifies.
//!
//! Requires `python3` with `cryptography` (`pip install cryptography`); fails loudly if absent.

// Test helpers outside #[test] fns are not covered by clippy.toml's allow-*-in-tests.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::Write;
use std::process::{Command, Stdio};

use latchkey_core::crypto::AccountKeys;
use latchkey_core::crypto::license_file::{build_license_file, build_machine_file};
use latchkey_core::crypto::response_signature::{ResponseToSign, sign_response};
use latchkey_core::crypto::signed_key::generate_license_key;
use latchkey_proto::offline::{
    Algorithm, Certificate, FileSecret, PublicKeys, Scheme, SignatureAlgorithm, VerifyingKey,
    base64_encode, verify_license_key,
};
use serde_json::{Value, json};
use time::macros::datetime;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/verify_independent.py"
);

fn run_python(job: &Value) -> Value {
    let mut child = Command::new("python3")
        .arg(SCRIPT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "python3 is required for the independent cross-check and could not be started: {e}"
            )
        });
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(job.to_string().as_bytes())
        .expect("write job");
    let out = child.wait_with_output().expect("python3 runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("No module named 'cryptography'"),
        "the Python package `cryptography` is required: pip install cryptography\n{stderr}"
    );
    assert!(
        out.status.success(),
        "independent verification FAILED:\n{stderr}"
    );
    serde_json::from_slice(&out.stdout).expect("script prints JSON")
}

#[test]
fn independent_implementation_agrees_both_ways() {
    let keys = AccountKeys::generate().expect("keys");
    let signer = keys.signer().expect("signer");
    let forms = keys.public_key_forms();
    let message = b"latchkey cross-check \x00\xff";

    let signatures: serde_json::Map<String, Value> = SignatureAlgorithm::ALL
        .into_iter()
        .map(|alg| {
            let sig = signer.sign(alg, message).expect("signs");
            (alg.as_str().to_owned(), json!(base64_encode(&sig)))
        })
        .collect();

    let doc = |id: &str| json!({"data": {"id": id, "type": "licenses"}, "meta": {"issued": "2026-01-01T00:00:00.000Z", "expiry": null, "ttl": null}});
    let mut files = Vec::new();
    for algorithm in Algorithm::ALL {
        let id = format!("license-{algorithm}");
        let cert =
            build_license_file(&doc(&id), "KEY-1", algorithm, &signer).expect("license file");
        files.push(json!({"certificate": cert, "kind": "license", "license_key": "KEY-1", "fingerprint": null, "id": id}));
        let id = format!("machine-{algorithm}");
        let cert = build_machine_file(&doc(&id), "KEY-1", "FP-1", algorithm, &signer)
            .expect("machine file");
        files.push(json!({"certificate": cert, "kind": "machine", "license_key": "KEY-1", "fingerprint": "FP-1", "id": id}));
    }

    let dataset = r#"{"license":{"id":"abc","expiry":"2027-01-01T00:00:00.000Z"},"user":null}"#;
    let signed_keys: Vec<Value> = Scheme::ALL
        .into_iter()
        .filter(|s| *s != Scheme::LegacyEncrypt)
        .map(|scheme| {
            let key = generate_license_key(scheme, dataset, &signer).expect("key");
            json!({"scheme": scheme.as_str(), "key": key, "dataset": dataset})
        })
        .collect();

    let body = br#"{"meta":{"valid":true}}"#;
    let headers = sign_response(
        &signer,
        "acct-id",
        SignatureAlgorithm::RsaPssSha256,
        &ResponseToSign {
            method: "POST",
            target: "/v1/accounts/acct-id/licenses/actions/validate-key?x=1",
            host: "licensing.example",
            date: datetime!(2026-11-23 10:00 UTC),
            body,
        },
    )
    .expect("response signature");

    let job = json!({
        "public": {"ed25519_hex": forms.ed25519_hex, "ecdsa_pem": forms.ecdsa_p256_pem, "rsa_pem": forms.rsa_pem},
        "message": base64_encode(message),
        "signatures": signatures,
        "files": files,
        "keys": signed_keys,
        "response": {
            "method": "POST",
            "target": "/v1/accounts/acct-id/licenses/actions/validate-key?x=1",
            "host": "licensing.example",
            "body": base64_encode(body),
            "headers": {"date": headers.date, "digest": headers.digest, "signature": headers.signature},
        },
    });
    let result = run_python(&job);
    assert_eq!(
        result["checked"],
        json!(4 + 16 + 8 + 1),
        "script checked everything"
    );

    // The other direction: artefacts made by the independent implementation.
    let g = &result["generated"];
    let text = |k: &str| {
        g[k].as_str()
            .unwrap_or_else(|| panic!("generated.{k} missing"))
            .to_owned()
    };
    let ed = VerifyingKey::parse(&text("ed25519_hex")).expect("python ed25519 key");
    let ec = VerifyingKey::parse(&text("ecdsa_pem")).expect("python ECDSA PEM");
    let rsa = VerifyingKey::parse(&text("rsa_pem")).expect("python RSA SPKI PEM");
    let rsa_pkcs1 = VerifyingKey::parse(&text("rsa_pkcs1_pem")).expect("python RSA PKCS#1 PEM");
    assert_eq!(rsa, rsa_pkcs1, "SPKI and PKCS#1 forms agree");
    let dataset = text("dataset");
    let check = |scheme: Scheme, key: &str, vk: &VerifyingKey| {
        verify_license_key(scheme, &text(key), vk)
            .unwrap_or_else(|e| panic!("{scheme} from python: {e}"))
    };
    assert_eq!(
        check(Scheme::Ed25519Sign, "ed25519_key", &ed).dataset_str(),
        Some(dataset.as_str())
    );
    assert_eq!(
        check(Scheme::EcdsaP256Sign, "ecdsa_key", &ec).dataset_str(),
        Some(dataset.as_str())
    );
    assert_eq!(
        check(Scheme::Rsa2048Pkcs1Encrypt, "encrypt_key", &rsa).dataset_str(),
        Some(dataset.as_str())
    );
    let jwt = check(Scheme::Rsa2048JwtRs256, "jwt_key", &rsa);
    assert_eq!(jwt.claims().map(|c| c["sub"].clone()), Some(json!("py-1")));
    // And the signed keys fail with our (unrelated) keys.
    assert!(
        verify_license_key(
            Scheme::Ed25519Sign,
            &text("ed25519_key"),
            &forms.to_public_keys().expect("ours")
        )
        .is_err()
    );

    let cert = Certificate::parse(&text("license_file")).expect("76-column file parses");
    let contents = cert
        .verify_expecting(Algorithm::Aes256GcmRsaPssSha256, &PublicKeys::from(rsa))
        .expect("python RSA-PSS (max salt) file verifies")
        .decrypt(&FileSecret::for_license(&text("license_key")))
        .expect("python AES-GCM decrypts");
    assert_eq!(
        contents.data().map(|d| d["id"].clone()),
        Some(json!("py-license"))
    );
    assert_eq!(contents.ttl(), Ok(Some(2_678_400)));
    assert!(
        contents
            .check_expiry(datetime!(2026-01-15 00:00 UTC))
            .is_ok()
    );
    assert!(
        contents
            .check_expiry(datetime!(2026-03-01 00:00 UTC))
            .is_err()
    );
}
