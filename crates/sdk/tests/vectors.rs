//! Keygen's own artefacts (`../shared/keygen-vectors`, see its README) through the
//! SDK: every license and machine file verifies and decrypts at a time inside its
//! window (injected), F9 (tampered) fails, the signature-only files verify, and the
//! R1 response and W1 webhook verify, while any changed byte of body, digest or
//! signature makes the SDK refuse them.

#![allow(clippy::expect_used)] // fixture helpers: a bad fixture is a test failure

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use latchkey_sdk::client::verify_response;
use latchkey_sdk::config::Clock;
use latchkey_sdk::offline::verify_file;
use latchkey_sdk::{Config, Error, OfflineError, TrustError, VerifyingKey};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const DEMO: &str = "e8601e48b69383ba520245fd07971e983d06d22c4257cfd82304601479cee788";
const DOCS: &str = "799efc7752286e6c3815b13358d98fc0f0b566764458adcb48f1be2c10a55906";
const EE_SPEC: &str = "775e65407f3d86de55efbac47d1bbeab79768a21a406e39976606a704984e7d1";

fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/keygen-vectors")
}

fn read(name: &str) -> Option<String> {
    std::fs::read_to_string(vectors().join(name)).ok()
}

fn at(rfc3339: &str) -> SystemTime {
    OffsetDateTime::parse(rfc3339, &Rfc3339)
        .expect("test time")
        .into()
}

fn key(hex: &str) -> VerifyingKey {
    VerifyingKey::from_ed25519_hex(hex).expect("test key")
}

/// (file, public key, license key, fingerprint, a time inside the file's window, expected id)
type FileVector = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
);

const FILES: &[FileVector] = &[
    (
        "F1.lic",
        DEMO,
        "B10760-1B177D-656D1F-C03298-9AF89E-V3",
        None,
        "2025-08-28T00:00:00Z",
        "7bb84d91-919e-4bf6-8b58-bc204c3797a7",
    ),
    (
        "F2.lic",
        DEMO,
        "988214-879010-F1185E-B37E91-E53AF5-V3",
        None,
        "2022-08-09T00:00:00Z",
        "5224caee-595b-44cc-bac9-d01787642bac",
    ),
    (
        "F3.lic",
        DEMO,
        "DC00E8-CC6DA1-2E35BF-BBDC02-E80494-V3",
        None,
        "2024-04-11T00:00:00Z",
        "b336e03d-0cad-46e2-b4ed-0ea9c35c612a",
    ),
    (
        "F4.lic",
        DEMO,
        "8750AB-30B7BD-023BA9-31B601-4550A2-V3",
        None,
        "2026-11-30T00:00:00Z",
        "fbd3d7cf-d56f-4131-b2c0-ed028e3093f9",
    ),
    (
        "F5.lic",
        DEMO,
        "9E32DD-D8CC22-771926-C2D834-C506DC-V3",
        None,
        "2025-12-06T00:00:00Z",
        "dcea31a4-1664-4633-9f52-4a1b0b5ea2ef",
    ),
    (
        "F6.lic",
        DEMO,
        "9A96B8-FD08CD-8C433B-7657C8-8A8655-V3",
        None,
        "2025-12-06T00:00:00Z",
        "592d08c2-4045-462c-a981-dcd2bb78ce06",
    ),
    (
        "F7.lic",
        EE_SPEC,
        "TEST-116A58-3F79F9-9F1982-9D63B1-V3",
        None,
        "2022-12-20T00:00:00Z",
        "a0025fa0-87eb-4076-9190-04038d2f2826",
    ),
    (
        "F8.lic",
        EE_SPEC,
        "TEST-116A58-3F79F9-9F1982-9D63B1-V3",
        None,
        "2022-10-24T15:00:00Z",
        "a0025fa0-87eb-4076-9190-04038d2f2826",
    ),
    (
        "M1.lic",
        DEMO,
        "B10760-1B177D-656D1F-C03298-9AF89E-V3",
        Some("198e9fe586114844f6a4eaca5069b41a7ed43fb5a2df84892b69826d64573e39"),
        "2022-07-29T00:00:00Z",
        "7bd04666-20c5-48a0-8a76-91501ac91bd8",
    ),
    (
        "M2.lic",
        DEMO,
        "988214-879010-F1185E-B37E91-E53AF5-V3",
        Some("af249c134edd21c508e2114f0dd52628caf36e002edd9cada71eedb2d52f6841"),
        "2023-11-01T00:00:00Z",
        "14595d7a-84cd-4c7c-9a4e-a8620d20b484",
    ),
];

#[test]
fn keygen_license_and_machine_files_verify_and_decrypt_in_their_window() {
    let Some(_) = read("README.md") else {
        eprintln!("keygen-vectors not present; skipping");
        return;
    };
    for (name, public, license_key, fingerprint, now, id) in FILES {
        let text = read(name).expect(name);
        let file = verify_file(
            &text,
            &key(public),
            Some(license_key),
            *fingerprint,
            at(now),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(file.contents.document()["data"]["id"], *id, "{name}");
        if fingerprint.is_none() {
            assert_eq!(
                file.license().and_then(|l| l.key).as_deref(),
                Some(*license_key),
                "{name}"
            );
        }
        // With the other account's key the signature fails before anything is decrypted.
        let other = if *public == DEMO { DOCS } else { DEMO };
        let err =
            verify_file(&text, &key(other), Some(license_key), *fingerprint, at(now)).unwrap_err();
        assert!(
            matches!(err, Error::Offline(OfflineError::BadSignature)),
            "{name}: {err}"
        );
    }
}

#[test]
fn expiry_and_clock_tampering_are_enforced_with_an_injected_clock() {
    let Some(f8) = read("F8.lic") else { return };
    let license_key = "TEST-116A58-3F79F9-9F1982-9D63B1-V3";
    let err = verify_file(
        &f8,
        &key(EE_SPEC),
        Some(license_key),
        None,
        at("2022-10-24T16:00:00Z"),
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::Offline(OfflineError::Expired { .. })),
        "{err}"
    );
    let f7 = read("F7.lic").expect("F7");
    let err = verify_file(
        &f7,
        &key(EE_SPEC),
        Some(license_key),
        None,
        at("2022-12-01T00:00:00Z"),
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::ClockTampered { .. }),
        "a file issued after 'now': {err}"
    );
}

#[test]
fn the_tampered_file_f9_fails() {
    let Some(f9) = read("F9.lic") else { return };
    let err = verify_file(
        &f9,
        &key(EE_SPEC),
        Some("TEST-116A58-3F79F9-9F1982-9D63B1-V3"),
        None,
        at("2022-10-21T00:00:00Z"),
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::Offline(OfflineError::BadSignature)),
        "{err}"
    );
}

#[test]
fn signature_only_files_verify_then_ask_for_their_secret() {
    for name in ["F10.lic", "M3.lic", "F11.lic"] {
        let Some(text) = read(name) else { return };
        let err =
            verify_file(&text, &key(DEMO), None, None, at("2023-01-01T00:00:00Z")).unwrap_err();
        assert!(
            matches!(err, Error::Offline(OfflineError::SecretRequired)),
            "{name}: {err}"
        );
        let err =
            verify_file(&text, &key(DOCS), None, None, at("2023-01-01T00:00:00Z")).unwrap_err();
        assert!(
            matches!(err, Error::Offline(OfflineError::BadSignature)),
            "{name}: {err}"
        );
    }
}

#[derive(Debug)]
struct Fixed(SystemTime);

impl Clock for Fixed {
    fn now(&self) -> SystemTime {
        self.0
    }
}

struct Signed {
    method: Method,
    url: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    key: &'static str,
    date: &'static str,
}

fn r1() -> Option<Signed> {
    let body = std::fs::read(vectors().join("R1.body.json")).ok()?;
    Some(Signed {
        method: Method::GET,
        url: "https://api.keygen.sh/v1/accounts/keygen/licenses?limit=1",
        headers: vec![
            ("date", "Wed, 09 Jun 2021 16:08:15 GMT".into()),
            ("digest", "sha-256=827Op2un8OT9KJuN1siRs5h6mxjrUh4LJag66dQjnIM=".into()),
            ("keygen-signature", "keyid=\"bf9b523f-dd65-48a2-9512-fb66ba6c3714\", algorithm=\"ed25519\", signature=\"KhgcM+Ywv+DnQj4gE+DqWfNTM2TG5wfRuFQZ/zW48ValZuCHEu1h95Uyldqe7I85sS/QliCiRAF5QfW8ZN2vAw==\", headers=\"(request-target) host date digest\"".into()),
        ],
        body,
        key: DOCS,
        date: "Wed, 09 Jun 2021 16:08:15 GMT",
    })
}

fn w1() -> Option<Signed> {
    let body = std::fs::read(vectors().join("W1.body.json")).ok()?;
    Some(Signed {
        method: Method::POST,
        url: "https://5173-2600-1700-3e90-a450-533-a11e-339-f87b.ngrok.io/webhooks",
        headers: vec![
            ("date", "Mon, 06 Jun 2022 16:13:37 GMT".into()),
            ("digest", "sha-256=9QceiZktviddaBO8zKZe18/L2kZSFwpGDcmvFkvIH3k=".into()),
            ("keygen-signature", "keyid=\"1fddcec8-8dd3-4d8d-9b16-215cac0f9b52\", algorithm=\"ed25519\", signature=\"oov4eX9ZC30U6l/OOOTH/IQF3NAlALlgBWQdh0LdG6WNtHbR95SoYJf2wOGMUGp2tYzNdSwlzPyepWozkKtXBg==\", headers=\"(request-target) host date digest\"".into()),
        ],
        body,
        key: DEMO,
        date: "Mon, 06 Jun 2022 16:13:37 GMT",
    })
}

impl Signed {
    fn config(&self) -> Config {
        let date = httpdate::parse_http_date(self.date).expect("date");
        Config::new("https://api.keygen.sh")
            .verifying_key(key(self.key))
            .clock(Arc::new(Fixed(date + Duration::from_secs(30))))
    }

    fn headers(&self) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in &self.headers {
            map.insert(
                HeaderName::from_static(name),
                HeaderValue::from_str(value).expect("header"),
            );
        }
        map
    }

    fn check(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), TrustError> {
        let url = Url::parse(self.url).expect("url");
        verify_response(&self.config(), &self.method, &url, headers, body)
    }
}

#[test]
fn keygen_response_and_webhook_signatures_verify_and_any_tampering_is_refused() {
    for signed in [r1(), w1()].into_iter().flatten() {
        let headers = signed.headers();
        signed
            .check(&headers, &signed.body)
            .expect("the genuine message verifies");

        for i in 0..signed.body.len() {
            let mut body = signed.body.clone();
            body[i] ^= 0x01;
            assert!(
                signed.check(&headers, &body).is_err(),
                "byte {i} changed but accepted"
            );
        }
        for name in ["digest", "keygen-signature", "date"] {
            let value = headers[name].to_str().expect("ascii").to_owned();
            // Only values are tampered: parameter and scheme names are case-insensitive,
            // and `keyid` is not signed (Keygen's scheme: it only names the key).
            let positions: Vec<usize> = match name {
                "keygen-signature" => ["algorithm=\"", "signature=\"", "headers=\""]
                    .iter()
                    .flat_map(|param| {
                        let start = value.find(param).expect("param") + param.len();
                        let end = start + value[start..].find('"').expect("closing quote");
                        start..end
                    })
                    .collect(),
                "digest" => ("sha-256=".len()..value.len()).collect(),
                _ => (0..value.len()).collect(),
            };
            for i in positions {
                let mut bytes = value.clone().into_bytes();
                bytes[i] = if bytes[i] == b'0' { b'1' } else { b'0' };
                if bytes == value.as_bytes() {
                    continue;
                }
                let Ok(changed) = HeaderValue::from_bytes(&bytes) else {
                    continue;
                };
                let mut tampered = headers.clone();
                tampered.insert(HeaderName::from_static(name), changed);
                assert!(
                    signed.check(&tampered, &signed.body).is_err(),
                    "{name} byte {i} changed but accepted"
                );
            }
        }
        let mut unsigned = headers.clone();
        unsigned.remove("keygen-signature");
        assert!(matches!(
            signed.check(&unsigned, &signed.body),
            Err(TrustError::Unsigned)
        ));

        // The same genuine message checked a day later is a replay.
        let url = Url::parse(signed.url).expect("url");
        let late = signed.config().clock(Arc::new(Fixed(
            httpdate::parse_http_date(signed.date).expect("date") + Duration::from_secs(86_400),
        )));
        let err = verify_response(&late, &signed.method, &url, &headers, &signed.body).unwrap_err();
        assert!(matches!(err, TrustError::Stale { .. }), "{err}");
    }
}
