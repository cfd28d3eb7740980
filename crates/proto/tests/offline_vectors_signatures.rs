//! Keygen's signed license keys (V1–V3) and HTTP signatures (R1–R3 responses, W1 webhook)
//! verify with the published keys and fail with any other key or any changed byte.

// Test helpers outside #[test] fns are not covered by clippy.toml's allow-*-in-tests.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use latchkey_proto::offline::{
    KeySource, OfflineError, Scheme, SignatureAlgorithm, SignatureHeader, SignedMessage,
    SigningInput, VerifyingKey, digest_header_value, verify_license_key, verify_signed_message,
};

const DEMO_KEY: &str = "e8601e48b69383ba520245fd07971e983d06d22c4257cfd82304601479cee788";
const DOCS_KEY: &str = "799efc7752286e6c3815b13358d98fc0f0b566764458adcb48f1be2c10a55906";
const THIRDAI_KEY: &str = "9adbfd881d363d31c156c348996892dd0183a7e4540dc001cb7c2eec5a7966ae";

fn key(hex: &str) -> VerifyingKey {
    VerifyingKey::from_ed25519_hex(hex).expect("valid hex key")
}

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("fixtures/keygen/", $name))
    };
}

#[test]
fn signed_keys_v1_to_v3() {
    let v1 = "key/emVrZUBrZXlnZW4uZXhhbXBsZQ==.D1pk7hqD_KNV9UNpl1IDQqpa4qaBjFBNrtP74yEM7v0xCmLRrDhZdSHGx47TN2RKARfGIigX9tE4yVOjhQvfAQ==";
    let v2 = "key/eyJhY2NvdW50Ijp7ImlkIjoiMWZkZGNlYzgtOGRkMy00ZDhkLTliMTYtMjE1Y2FjMGY5YjUyIn0sInByb2R1Y3QiOnsiaWQiOiIxZjA4NmVjOS1hOTQzLTQ2ZWEtOWRhNC1lNjJjMjE4MGMyZjQifSwicG9saWN5Ijp7ImlkIjoiMjlkOWQ4ZDMtYmYxZC00NGQxLWExYjktODIwNDQwZDQyMmZmIiwiZHVyYXRpb24iOm51bGx9LCJ1c2VyIjpudWxsLCJsaWNlbnNlIjp7ImlkIjoiZjNkNjU3ZGUtMmI1MC00YWRmLTg2N2ItZWYwM2RjODZhM2ZlIiwiY3JlYXRlZCI6IjIwMjEtMTAtMTRUMTU6MjA6MzIuNjcwWiIsImV4cGlyeSI6IjIwMjEtMTAtMTVUMDA6MDA6MDAuMDAwWiJ9fQ==.Z_fDBaVqmBxHWkzi_TCPWGOrE0rItN_xEFdc8TtR0ahB-Gx84S6r4pXPuTxeIREtLCVJt3lcFy_WuCNeCOFRAA==";
    let v3 = "key/eyJhY2NvdW50Ijp7ImlkIjoiYmY5YjUyM2YtZGQ2NS00OGEyLTk1MTItZmI2NmJhNmMzNzE0In0sInByb2R1Y3QiOnsiaWQiOiI5NTYxYzdkMC1mYzczLTRjOTQtYTZlZC0xY2M3MmEzZTAzNzYifSwicG9saWN5Ijp7ImlkIjoiNTQ2ZTc0OGUtZjhmYS00ODBjLWJjMDItNjYzMjdjOGZkMGZmIiwiZHVyYXRpb24iOm51bGx9LCJ1c2VyIjpudWxsLCJsaWNlbnNlIjp7ImlkIjoiNjNhYzkyNDEtMGJmZi00YTY0LTgzYmItZGY2YWVjNzgxYjBlIiwiY3JlYXRlZCI6IjIwMjEtMDYtMDFUMTU6MTM6NTMuMjUzWiIsImV4cGlyeSI6bnVsbH19.4ctbpwScfuuxkcynfPbmDrfwJojEHBc7ixgdSy9OKZtIRWEatzbWez3P1UwMhf7fMHXffIdUg5Nb41zqqjRqAA==";

    let s = Scheme::Ed25519Sign;
    let got = verify_license_key(s, v1, &key(DOCS_KEY)).expect("V1");
    assert_eq!(got.dataset_str(), Some("zeke@keygen.example"));
    assert_eq!(
        verify_license_key(s, v1, &key(DEMO_KEY)),
        Err(OfflineError::BadSignature)
    );

    let got = verify_license_key(s, v2, &key(DEMO_KEY)).expect("V2");
    assert_eq!(
        got.dataset_str(),
        Some(
            r#"{"account":{"id":"1fddcec8-8dd3-4d8d-9b16-215cac0f9b52"},"product":{"id":"1f086ec9-a943-46ea-9da4-e62c2180c2f4"},"policy":{"id":"29d9d8d3-bf1d-44d1-a1b9-820440d422ff","duration":null},"user":null,"license":{"id":"f3d657de-2b50-4adf-867b-ef03dc86a3fe","created":"2021-10-14T15:20:32.670Z","expiry":"2021-10-15T00:00:00.000Z"}}"#
        )
    );

    let got = verify_license_key(s, v3, &key(DOCS_KEY)).expect("V3");
    assert_eq!(
        got.dataset_json().expect("json")["license"]["id"],
        "63ac9241-0bff-4a64-83bb-df6aec781b0e"
    );
    assert_eq!(
        verify_license_key(s, v3, &key(DEMO_KEY)),
        Err(OfflineError::BadSignature)
    );

    // Unpadded signature still verifies; the dataset's padding is part of the signed text.
    let unpadded_sig = v1.trim_end_matches('=');
    assert!(verify_license_key(s, unpadded_sig, &key(DOCS_KEY)).is_ok());
    let unpadded_dataset = v1.replacen("==.", ".", 1);
    assert_eq!(
        verify_license_key(s, &unpadded_dataset, &key(DOCS_KEY)),
        Err(OfflineError::BadSignature)
    );

    // Any one-character change fails.
    for (i, c) in v1.char_indices() {
        let replacement = if c == 'A' { 'B' } else { 'A' };
        let mut mutated = v1.to_owned();
        mutated.replace_range(i..i + 1, &replacement.to_string());
        assert!(
            verify_license_key(s, &mutated, &key(DOCS_KEY)).is_err(),
            "index {i}"
        );
    }
    // Wrong scheme for the key layout.
    assert!(matches!(
        verify_license_key(Scheme::Rsa2048Pkcs1Sign, v1, &key(DOCS_KEY)),
        Err(OfflineError::MalformedLicenseKey(_) | OfflineError::WrongKeyType { .. })
    ));
    assert_eq!(
        verify_license_key(Scheme::LegacyEncrypt, v1, &key(DOCS_KEY)),
        Err(OfflineError::UnsupportedScheme("LEGACY_ENCRYPT"))
    );
}

const R1_SIG: &str =
    "KhgcM+Ywv+DnQj4gE+DqWfNTM2TG5wfRuFQZ/zW48ValZuCHEu1h95Uyldqe7I85sS/QliCiRAF5QfW8ZN2vAw==";
const W1_SIG: &str =
    "oov4eX9ZC30U6l/OOOTH/IQF3NAlALlgBWQdh0LdG6WNtHbR95SoYJf2wOGMUGp2tYzNdSwlzPyepWozkKtXBg==";

fn r1_message<'a>(body: &'a [u8], digest: Option<&'a str>) -> SignedMessage<'a> {
    SignedMessage {
        method: "GET",
        target: "/v1/accounts/keygen/licenses?limit=1",
        host: "api.keygen.sh",
        date: "Wed, 09 Jun 2021 16:08:15 GMT",
        digest,
        body,
    }
}

fn w1_message<'a>(body: &'a [u8], digest: Option<&'a str>) -> SignedMessage<'a> {
    SignedMessage {
        method: "POST",
        target: "/webhooks",
        host: "5173-2600-1700-3e90-a450-533-a11e-339-f87b.ngrok.io",
        date: "Mon, 06 Jun 2022 16:13:37 GMT",
        digest,
        body,
    }
}

#[test]
fn response_signature_r1() {
    let body = fixture!("R1.body.json").as_bytes();
    let digest = "sha-256=827Op2un8OT9KJuN1siRs5h6mxjrUh4LJag66dQjnIM=";
    assert_eq!(digest_header_value(body), digest);
    let header = format!(
        r#"keyid="bf9b523f-dd65-48a2-9512-fb66ba6c3714", algorithm="ed25519", signature="{R1_SIG}", headers="(request-target) host date digest""#
    );
    let parsed = verify_signed_message(&r1_message(body, Some(digest)), &header, &key(DOCS_KEY))
        .expect("R1 verifies");
    assert_eq!(
        parsed.keyid.as_deref(),
        Some("bf9b523f-dd65-48a2-9512-fb66ba6c3714")
    );
    assert_eq!(
        parsed.to_string(),
        header,
        "Display reproduces Keygen's header"
    );
    assert!(verify_signed_message(&r1_message(body, None), &header, &key(DOCS_KEY)).is_ok());

    let mut tampered = body.to_vec();
    tampered[100] ^= 0x01;
    assert_eq!(
        verify_signed_message(
            &r1_message(&tampered, Some(digest)),
            &header,
            &key(DOCS_KEY)
        ),
        Err(OfflineError::DigestMismatch)
    );
    assert_eq!(
        verify_signed_message(&r1_message(&tampered, None), &header, &key(DOCS_KEY)),
        Err(OfflineError::BadSignature)
    );
    // Another account's key, and a header that leaves the digest out.
    assert_eq!(
        verify_signed_message(&r1_message(body, None), &header, &key(DEMO_KEY)),
        Err(OfflineError::BadSignature)
    );
    let no_digest = header.replace(" digest\"", "\"");
    assert!(matches!(
        verify_signed_message(&r1_message(body, None), &no_digest, &key(DOCS_KEY)),
        Err(OfflineError::MalformedSignatureHeader(_))
    ));
}

#[test]
fn webhook_signature_w1() {
    let body = fixture!("W1.body.json").as_bytes();
    let digest = "sha-256=9QceiZktviddaBO8zKZe18/L2kZSFwpGDcmvFkvIH3k=";
    let header = format!(
        r#"keyid="1fddcec8-8dd3-4d8d-9b16-215cac0f9b52", algorithm="ed25519", signature="{W1_SIG}", headers="(request-target) host date digest""#
    );
    assert!(
        verify_signed_message(&w1_message(body, Some(digest)), &header, &key(DEMO_KEY)).is_ok()
    );
    for i in [0, body.len() / 2, body.len() - 1] {
        let mut tampered = body.to_vec();
        tampered[i] ^= 0x20;
        assert!(
            verify_signed_message(&w1_message(&tampered, None), &header, &key(DEMO_KEY)).is_err()
        );
        assert_eq!(
            verify_signed_message(
                &w1_message(&tampered, Some(digest)),
                &header,
                &key(DEMO_KEY)
            ),
            Err(OfflineError::DigestMismatch)
        );
    }
}

#[test]
fn signing_strings_r2_r3_without_bodies() {
    for (date, digest, sig) in [
        (
            "Fri, 02 Dec 2022 18:18:52 GMT",
            "sha-256=1XDmdNDvjyEREwmY3sqMFjXpTi78VIP3mwlxKpzPGGM=",
            "mq6VVJpyCCHE1TXIWrFyvQAPdfGRPMUgu8H0Km2wA9gEzHQCcmSTtkrHK1TyuQpckxv5QJP0Z9IBPBnq6cirAw==",
        ),
        (
            "Fri, 02 Dec 2022 05:22:10 GMT",
            "sha-256=l3tiDOjJ4lBPfAoS/3KEo8e2MnLWS3Q9iyw3MijS3Pk=",
            "xSntFHMisR7YCk6vmPVm6Ddsocz4/eJ3d2oe7XhTg3imiVEQlc/fR6qkPM3M4VqTzeLYpBO+EG+rjVBOzj2zCQ==",
        ),
    ] {
        let input = SigningInput {
            method: "POST",
            target: "/v1/accounts/thirdai/licenses/actions/validate-key",
            host: "api.keygen.sh",
            date,
            digest,
        };
        let header = format!(
            r#"algorithm="ed25519", signature="{sig}", headers="(request-target) host date digest""#
        );
        let parsed: SignatureHeader = header.parse().expect("header");
        assert_eq!(parsed.keyid, None);
        key(THIRDAI_KEY)
            .verify(
                SignatureAlgorithm::Ed25519,
                input.signing_string().as_bytes(),
                &parsed.signature,
            )
            .expect("R2/R3 verify");
    }
}

#[test]
fn signing_string_layout() {
    let input = SigningInput {
        method: "GET",
        target: "",
        host: "api.keygen.sh",
        date: "Wed, 09 Jun 2021 16:08:15 GMT",
        digest: "sha-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
    };
    assert_eq!(
        input.signing_string(),
        "(request-target): get /\nhost: api.keygen.sh\ndate: Wed, 09 Jun 2021 16:08:15 GMT\ndigest: sha-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    );
    assert_eq!(digest_header_value(b""), input.digest);
    // KeySource is usable on a single key.
    assert!(
        key(DEMO_KEY)
            .key_for(SignatureAlgorithm::RsaSha256)
            .is_err()
    );
}
