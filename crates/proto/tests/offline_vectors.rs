//! Real Keygen license and machine files (tests/fixtures/keygen, documented in
//! shared/keygen-vectors) must verify, decrypt and fail exactly as Keygen's own SDKs do.
//! Signed keys and HTTP signatures: offline_vectors_signatures.rs.

// Test helpers outside #[test] fns are not covered by clippy.toml's allow-*-in-tests.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use latchkey_proto::offline::{
    Algorithm, Certificate, CertificateKind, Envelope, FileSecret, OfflineError, PublicKeys,
    RsaPublicKey, SignatureAlgorithm, VerifyingKey, base64_encode,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::datetime;

const DEMO_KEY: &str = "e8601e48b69383ba520245fd07971e983d06d22c4257cfd82304601479cee788";
const DEMO_KEY_SPKI: &str = "MCowBQYDK2VwAyEA6GAeSLaTg7pSAkX9B5cemD0G0ixCV8/YIwRgFHnO54g=";
const DOCS_KEY: &str = "799efc7752286e6c3815b13358d98fc0f0b566764458adcb48f1be2c10a55906";
const EE_SPEC_KEY: &str = "775e65407f3d86de55efbac47d1bbeab79768a21a406e39976606a704984e7d1";

/// The clock of the vectors' README (date of check).
const NOW: OffsetDateTime = datetime!(2026-11-23 00:00 UTC);

fn key(hex: &str) -> VerifyingKey {
    VerifyingKey::from_ed25519_hex(hex).expect("valid hex key")
}

fn ts(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &Rfc3339).expect("valid timestamp")
}

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("fixtures/keygen/", $name))
    };
}

/// (data.id, issued, expiry, ttl, included count)
type Expected = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<u64>,
    usize,
);

struct Vector {
    id: &'static str,
    text: &'static str,
    kind: CertificateKind,
    public_key: &'static str,
    /// (license key, fingerprint) when the secret is public.
    secret: Option<(&'static str, Option<&'static str>)>,
    expect: Option<Expected>,
}

const LIC: CertificateKind = CertificateKind::License;
const MACH: CertificateKind = CertificateKind::Machine;

fn vectors() -> Vec<Vector> {
    let v = |id, text, kind, public_key, secret, expect| Vector {
        id,
        text,
        kind,
        public_key,
        secret,
        expect,
    };
    vec![
        v(
            "F1",
            fixture!("F1.lic"),
            LIC,
            DEMO_KEY,
            Some(("B10760-1B177D-656D1F-C03298-9AF89E-V3", None)),
            Some((
                "7bb84d91-919e-4bf6-8b58-bc204c3797a7",
                "2025-08-27T21:10:47.535Z",
                Some("2025-09-26T21:10:47.535Z"),
                Some(2_592_000),
                2,
            )),
        ),
        v(
            "F2",
            fixture!("F2.lic"),
            LIC,
            DEMO_KEY,
            Some(("988214-879010-F1185E-B37E91-E53AF5-V3", None)),
            Some((
                "5224caee-595b-44cc-bac9-d01787642bac",
                "2022-08-08T17:31:34.431Z",
                Some("2023-08-08T17:31:34.431Z"),
                Some(31_556_952),
                6,
            )),
        ),
        v(
            "F3",
            fixture!("F3.lic"),
            LIC,
            DEMO_KEY,
            Some(("DC00E8-CC6DA1-2E35BF-BBDC02-E80494-V3", None)),
            Some((
                "b336e03d-0cad-46e2-b4ed-0ea9c35c612a",
                "2024-04-10T14:57:45.517Z",
                Some("2025-04-09T19:37:39.517Z"),
                Some(31_536_000),
                2,
            )),
        ),
        v(
            "F4",
            fixture!("F4.lic"),
            LIC,
            DEMO_KEY,
            Some(("8750AB-30B7BD-023BA9-31B601-4550A2-V3", None)),
            Some((
                "fbd3d7cf-d56f-4131-b2c0-ed028e3093f9",
                "2025-01-08T19:01:52.378Z",
                None,
                None,
                1,
            )),
        ),
        v(
            "F5",
            fixture!("F5.lic"),
            LIC,
            DEMO_KEY,
            Some(("9E32DD-D8CC22-771926-C2D834-C506DC-V3", None)),
            Some((
                "dcea31a4-1664-4633-9f52-4a1b0b5ea2ef",
                "2025-12-05T16:49:12.964Z",
                Some("2026-01-04T16:49:12.964Z"),
                Some(2_592_000),
                0,
            )),
        ),
        v(
            "F6",
            fixture!("F6.lic"),
            LIC,
            DEMO_KEY,
            Some(("9A96B8-FD08CD-8C433B-7657C8-8A8655-V3", None)),
            Some((
                "592d08c2-4045-462c-a981-dcd2bb78ce06",
                "2025-12-05T16:50:09.757Z",
                Some("2026-01-04T16:50:09.757Z"),
                Some(2_592_000),
                0,
            )),
        ),
        v(
            "F7",
            fixture!("F7.lic"),
            LIC,
            EE_SPEC_KEY,
            Some(("TEST-116A58-3F79F9-9F1982-9D63B1-V3", None)),
            Some((
                "a0025fa0-87eb-4076-9190-04038d2f2826",
                "2022-12-19T17:57:50.524Z",
                None,
                None,
                5,
            )),
        ),
        v(
            "F8",
            fixture!("F8.lic"),
            LIC,
            EE_SPEC_KEY,
            Some(("TEST-116A58-3F79F9-9F1982-9D63B1-V3", None)),
            Some((
                "a0025fa0-87eb-4076-9190-04038d2f2826",
                "2022-10-24T14:26:20.184Z",
                Some("2022-10-24T15:26:20.184Z"),
                Some(3600),
                0,
            )),
        ),
        v(
            "M1",
            fixture!("M1.lic"),
            MACH,
            DEMO_KEY,
            Some((
                "B10760-1B177D-656D1F-C03298-9AF89E-V3",
                Some("198e9fe586114844f6a4eaca5069b41a7ed43fb5a2df84892b69826d64573e39"),
            )),
            Some((
                "7bd04666-20c5-48a0-8a76-91501ac91bd8",
                "2022-07-28T14:22:23.435Z",
                Some("2022-08-28T14:22:23.435Z"),
                Some(2_629_746),
                1,
            )),
        ),
        v(
            "M2",
            fixture!("M2.lic"),
            MACH,
            DEMO_KEY,
            Some((
                "988214-879010-F1185E-B37E91-E53AF5-V3",
                Some("af249c134edd21c508e2114f0dd52628caf36e002edd9cada71eedb2d52f6841"),
            )),
            Some((
                "14595d7a-84cd-4c7c-9a4e-a8620d20b484",
                "2023-10-31T15:32:33.468Z",
                Some("2024-10-30T20:12:27.468Z"),
                Some(31_536_000),
                6,
            )),
        ),
        v("F10", fixture!("F10.lic"), LIC, DEMO_KEY, None, None),
        v("F11", fixture!("F11.lic"), LIC, DEMO_KEY, None, None),
        v("M3", fixture!("M3.lic"), MACH, DEMO_KEY, None, None),
    ]
}

fn secret_of(kind: CertificateKind, license_key: &str, fingerprint: Option<&str>) -> FileSecret {
    match (kind, fingerprint) {
        (CertificateKind::Machine, Some(fp)) => FileSecret::for_machine(license_key, fp),
        _ => FileSecret::for_license(license_key),
    }
}

#[test]
fn every_keygen_file_verifies_and_decrypts() {
    for v in vectors() {
        let cert =
            Certificate::parse_as(v.text, v.kind).unwrap_or_else(|e| panic!("{}: {e}", v.id));
        assert_eq!(cert.algorithm(), Algorithm::Aes256GcmEd25519, "{}", v.id);
        let verified = cert
            .verify_expecting(Algorithm::Aes256GcmEd25519, &key(v.public_key))
            .unwrap_or_else(|e| panic!("{}: {e}", v.id));
        let Some((license_key, fingerprint)) = v.secret else {
            assert_eq!(
                verified.decode(),
                Err(OfflineError::SecretRequired),
                "{}",
                v.id
            );
            continue;
        };
        let contents = verified
            .decrypt(&secret_of(v.kind, license_key, fingerprint))
            .unwrap_or_else(|e| panic!("{}: {e}", v.id));
        let (id, issued, expiry, ttl, included) = v.expect.expect("expectations given");
        let data = contents.data().expect("data");
        assert_eq!(data["id"], id, "{}", v.id);
        match v.kind {
            CertificateKind::License => {
                assert_eq!(data["type"], "licenses", "{}", v.id);
                assert_eq!(data["attributes"]["key"], license_key, "{}", v.id);
            }
            CertificateKind::Machine => {
                assert_eq!(data["type"], "machines", "{}", v.id);
                assert_eq!(
                    data["attributes"]["fingerprint"],
                    fingerprint.expect("fp"),
                    "{}",
                    v.id
                );
            }
        }
        assert_eq!(contents.issued(), Ok(ts(issued)), "{}", v.id);
        assert_eq!(contents.expiry(), Ok(expiry.map(ts)), "{}", v.id);
        assert_eq!(contents.ttl(), Ok(ttl), "{}", v.id);
        assert_eq!(contents.included().len(), included, "{}", v.id);
        assert_eq!(contents.check_issued(NOW), Ok(()), "{}", v.id);
    }
}

#[test]
fn keygen_files_are_reproduced_byte_for_byte_by_our_armor() {
    for v in vectors() {
        let cert = Certificate::parse(v.text).expect("parses");
        let envelope = Envelope {
            enc: cert.enc().to_owned(),
            sig: base64_encode(cert.signature()),
            alg: cert.algorithm().to_string(),
        };
        assert_eq!(envelope.to_certificate(v.kind), v.text, "{} differs", v.id);
    }
}

#[test]
fn tampered_f9_fails_verification() {
    let cert = Certificate::parse(fixture!("F9.lic")).expect("F9 is well-formed");
    assert_eq!(
        cert.verify(&key(EE_SPEC_KEY)),
        Err(OfflineError::BadSignature)
    );
}

#[test]
fn files_fail_with_another_accounts_key() {
    let cert = Certificate::parse(fixture!("F1.lic")).expect("parses");
    assert_eq!(cert.verify(&key(DOCS_KEY)), Err(OfflineError::BadSignature));
}

#[test]
fn f8_is_expired_in_2026_and_f4_never_expires() {
    let open = |text: &str, license_key: &str| {
        Certificate::parse(text)
            .and_then(|c| {
                c.verify(&key(if text == fixture!("F8.lic") {
                    EE_SPEC_KEY
                } else {
                    DEMO_KEY
                }))
            })
            .and_then(|c| c.decrypt(&FileSecret::for_license(license_key)))
            .expect("opens")
    };
    let f8 = open(fixture!("F8.lic"), "TEST-116A58-3F79F9-9F1982-9D63B1-V3");
    assert_eq!(
        f8.check_expiry(NOW),
        Err(OfflineError::Expired {
            expiry: ts("2022-10-24T15:26:20.184Z")
        })
    );
    // One millisecond before expiry it is still valid; at the instant itself too.
    assert_eq!(f8.check_expiry(ts("2022-10-24T15:26:20.183Z")), Ok(()));
    assert_eq!(f8.check_expiry(ts("2022-10-24T15:26:20.184Z")), Ok(()));
    // Issued after "now" = clock tampering.
    assert!(matches!(
        f8.check_issued(datetime!(2022-01-01 00:00 UTC)),
        Err(OfflineError::IssuedInFuture { .. })
    ));
    let f4 = open(fixture!("F4.lic"), "8750AB-30B7BD-023BA9-31B601-4550A2-V3");
    assert_eq!(f4.check_expiry(NOW), Ok(()));
    assert_eq!(f4.check_expiry(datetime!(9999-12-31 23:59 UTC)), Ok(()));
}

#[test]
fn wrong_secret_and_wrong_kind_are_distinguished() {
    let m1 = fixture!("M1.lic");
    let license_key = "B10760-1B177D-656D1F-C03298-9AF89E-V3";
    let verified = Certificate::parse(m1)
        .and_then(|c| c.verify(&key(DEMO_KEY)))
        .expect("M1");
    // A machine file needs the fingerprint in its secret.
    assert_eq!(
        verified.decrypt(&FileSecret::for_license(license_key)),
        Err(OfflineError::DecryptionFailed)
    );
    assert_eq!(
        verified.decrypt(&FileSecret::for_machine(license_key, "another-fingerprint")),
        Err(OfflineError::DecryptionFailed)
    );
    assert_eq!(
        Certificate::parse_as(m1, CertificateKind::License),
        Err(OfflineError::WrongKind {
            expected: CertificateKind::License,
            found: CertificateKind::Machine
        })
    );
    // Relabelling a machine file as a license file changes the signed prefix.
    let relabelled = m1.replace("MACHINE FILE", "LICENSE FILE");
    let cert = Certificate::parse(&relabelled).expect("still well-formed");
    assert_eq!(cert.verify(&key(DEMO_KEY)), Err(OfflineError::BadSignature));
}

#[test]
fn algorithm_and_key_type_checks() {
    let cert = Certificate::parse(fixture!("F1.lic")).expect("F1");
    assert_eq!(
        cert.clone()
            .verify_expecting(Algorithm::Base64Ed25519, &key(DEMO_KEY)),
        Err(OfflineError::AlgorithmMismatch {
            expected: Algorithm::Base64Ed25519,
            found: Algorithm::Aes256GcmEd25519
        })
    );
    // An odd 2048-bit modulus is a structurally valid RSA key.
    let rsa =
        VerifyingKey::Rsa(RsaPublicKey::from_components(&[0xff; 256], &[1, 0, 1]).expect("rsa"));
    assert!(matches!(
        cert.clone().verify(&rsa),
        Err(OfflineError::WrongKeyType {
            algorithm: SignatureAlgorithm::Ed25519,
            key: Some(_)
        })
    ));
    assert!(matches!(
        cert.clone().verify(&PublicKeys::from(rsa.clone())),
        Err(OfflineError::WrongKeyType { key: None, .. })
    ));
    // A key ring holding all types picks the Ed25519 key.
    let ring = PublicKeys::from(rsa).with(key(DEMO_KEY));
    assert!(cert.verify(&ring).is_ok());
}

#[test]
fn published_key_forms_agree() {
    let from_hex = VerifyingKey::parse(DEMO_KEY).expect("hex");
    let from_spki = VerifyingKey::parse(DEMO_KEY_SPKI).expect("spki base64");
    assert_eq!(from_hex, from_spki);
    let VerifyingKey::Ed25519(k) = &from_hex else {
        panic!("ed25519 expected")
    };
    assert_eq!(k.to_spki_base64(), DEMO_KEY_SPKI);
    assert_eq!(k.to_hex(), DEMO_KEY);
    let pem =
        format!("-----BEGIN PUBLIC KEY-----\r\n{DEMO_KEY_SPKI}\r\n-----END PUBLIC KEY-----\r\n");
    assert_eq!(VerifyingKey::parse(&pem), Ok(from_hex.clone()));
    assert_eq!(VerifyingKey::parse(&DEMO_KEY.to_uppercase()), Ok(from_hex));
    assert!(VerifyingKey::parse("e8601e48").is_err());
}

#[test]
fn transport_damage_is_tolerated() {
    let original = fixture!("F2.lic");
    let body: String = original
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let rewrap = |width: usize, eol: &str, pad: &str| {
        let mut s = format!("\u{feff}  \n-----BEGIN LICENSE FILE-----{eol}");
        for chunk in body.as_bytes().chunks(width) {
            s.push_str(std::str::from_utf8(chunk).expect("ascii"));
            s.push_str(pad);
            s.push_str(eol);
        }
        s.push_str("-----END LICENSE FILE-----");
        s.push_str(eol);
        s.push_str(eol);
        s
    };
    for text in [
        rewrap(76, "\n", ""),
        rewrap(64, "\r\n", ""),
        rewrap(1, "\n", ""),
        rewrap(60, "\r\n", "  \t"),
        rewrap(100_000, "\n", ""),
    ] {
        let cert = Certificate::parse(&text).expect("tolerant parse");
        assert!(cert.verify(&key(DEMO_KEY)).is_ok());
    }
}
