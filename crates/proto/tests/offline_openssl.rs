//! RSA and ECDSA artefacts made by an independent implementation (pyca/cryptography, i.e.
//! OpenSSL; see tests/fixtures/openssl/generate.py) in Keygen's formats: every scheme and
//! signature algorithm the Keygen vectors (all Ed25519) do not cover.

// Test helpers outside #[test] fns are not covered by clippy.toml's allow-*-in-tests.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use latchkey_proto::offline::{
    Algorithm, Certificate, CertificateKind, FileSecret, OfflineError, PublicKeys, Scheme,
    SignatureAlgorithm, VerifyingKey, verify_license_key,
};
use serde_json::Value;

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("fixtures/openssl/", $name))
    };
}

fn vectors() -> Value {
    serde_json::from_str(fixture!("vectors.json")).expect("vectors.json")
}

fn keys() -> PublicKeys {
    let v = vectors();
    PublicKeys::from_published(None, v["ecdsa_pem"].as_str(), v["rsa_pem"].as_str())
        .expect("OpenSSL PEMs parse")
}

fn b64(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .expect("base64")
}

#[test]
fn pkcs1_and_spki_forms_are_the_same_key() {
    let v = vectors();
    let spki = VerifyingKey::parse(v["rsa_pem"].as_str().expect("pem")).expect("spki");
    let pkcs1 = VerifyingKey::from_pem(v["rsa_pkcs1_pem"].as_str().expect("pem")).expect("pkcs1");
    assert_eq!(spki, pkcs1);
    let VerifyingKey::Rsa(rsa) = &spki else {
        panic!("rsa")
    };
    assert_eq!(rsa.bits(), 2048);
    assert_eq!(rsa.exponent(), [1, 0, 1]);
    // The ECDSA key round-trips through our PEM writer byte for byte.
    let ec_pem = v["ecdsa_pem"].as_str().expect("pem");
    let VerifyingKey::EcdsaP256(ec) = VerifyingKey::parse(ec_pem).expect("ec") else {
        panic!("ec")
    };
    assert_eq!(ec.to_pem(), ec_pem);
}

#[test]
fn pem_is_read_at_any_line_width() {
    let v = vectors();
    for name in ["rsa_pem", "rsa_pkcs1_pem", "ecdsa_pem"] {
        let pem = v[name].as_str().expect("pem");
        let expected = VerifyingKey::parse(pem).expect("64-column PEM");
        let mut lines: Vec<&str> = pem.lines().collect();
        let end = lines.pop().expect("END line");
        let begin = lines.remove(0);
        let body: String = lines.concat();
        for width in [76, 40, body.len()] {
            let wrapped: Vec<String> = body
                .as_bytes()
                .chunks(width)
                .map(|c| String::from_utf8(c.to_vec()).expect("ascii"))
                .collect();
            for eol in ["\n", "\r\n"] {
                let text = format!("{begin}{eol}{}{eol}{end}{eol}", wrapped.join(eol));
                assert_eq!(
                    VerifyingKey::parse(&text).as_ref(),
                    Ok(&expected),
                    "{name}, width {width}"
                );
            }
        }
        // Still one PEM block: a corrupted body or mismatched labels fail.
        let tampered = pem.replacen(&body[..8], "!!!!!!!!", 1);
        assert!(VerifyingKey::parse(&tampered).is_err(), "{name}");
        let relabelled = pem.replacen("-----END ", "-----END X", 1);
        assert!(VerifyingKey::parse(&relabelled).is_err(), "{name}");
    }
}

#[test]
fn openssl_signatures_verify() {
    let v = vectors();
    let message = v["message"].as_str().expect("message").as_bytes();
    let keys = keys();
    for alg in [
        SignatureAlgorithm::EcdsaP256,
        SignatureAlgorithm::RsaPssSha256,
        SignatureAlgorithm::RsaSha256,
    ] {
        let sig = b64(v["signatures"][alg.as_str()].as_str().expect("sig"));
        use latchkey_proto::offline::KeySource;
        assert_eq!(keys.verify(alg, message, &sig), Ok(()), "{alg}");
        assert_eq!(
            keys.verify(alg, b"latchkeY", &sig),
            Err(OfflineError::BadSignature),
            "{alg}"
        );
    }
    // PSS and PKCS#1 v1.5 are not interchangeable.
    let pss = b64(v["signatures"]["rsa-pss-sha256"].as_str().expect("sig"));
    use latchkey_proto::offline::KeySource;
    assert_eq!(
        keys.verify(SignatureAlgorithm::RsaSha256, message, &pss),
        Err(OfflineError::BadSignature)
    );
}

#[test]
fn every_rsa_and_ecdsa_scheme_verifies() {
    let v = vectors();
    let dataset = v["dataset"].as_str().expect("dataset");
    let keys = keys();
    let mut seen = 0;
    for (name, key) in v["keys"].as_object().expect("keys") {
        let scheme: Scheme = name.parse().expect("scheme name");
        let key = key.as_str().expect("key");
        let verified =
            verify_license_key(scheme, key, &keys).unwrap_or_else(|e| panic!("{scheme}: {e}"));
        match scheme {
            Scheme::Rsa2048JwtRs256 => {
                assert_eq!(
                    verified.claims().map(|c| c["sub"].clone()),
                    Some("openssl-1".into())
                );
            }
            _ => assert_eq!(verified.dataset_str(), Some(dataset), "{scheme}"),
        }
        // Verifying under a scheme with another padding or layout fails.
        let other = if scheme == Scheme::Rsa2048Pkcs1SignV2 {
            Scheme::Rsa2048Pkcs1PssSignV2
        } else {
            Scheme::Rsa2048Pkcs1SignV2
        };
        assert!(
            verify_license_key(other, key, &keys).is_err(),
            "{scheme} as {other}"
        );
        seen += 1;
    }
    assert_eq!(seen, 7);
}

#[test]
fn openssl_license_and_machine_files_verify_and_open() {
    let keys = keys();
    let cases = [
        (
            fixture!("license-base64+ecdsa-p256.lic"),
            Algorithm::Base64EcdsaP256,
            "l-1",
        ),
        (
            fixture!("license-aes-256-gcm+rsa-sha256.lic"),
            Algorithm::Aes256GcmRsaSha256,
            "l-2",
        ),
        (
            fixture!("license-base64+rsa-pss-sha256.lic"),
            Algorithm::Base64RsaPssSha256,
            "l-3",
        ),
        (
            fixture!("machine-aes-256-gcm+ecdsa-p256.lic"),
            Algorithm::Aes256GcmEcdsaP256,
            "m-1",
        ),
        (
            fixture!("machine-aes-256-gcm+rsa-pss-sha256.lic"),
            Algorithm::Aes256GcmRsaPssSha256,
            "m-2",
        ),
    ];
    for (text, algorithm, id) in cases {
        let cert = Certificate::parse(text).expect("parses");
        let secret = match cert.kind() {
            CertificateKind::License => FileSecret::for_license("OPENSSL-KEY"),
            CertificateKind::Machine => FileSecret::for_machine("OPENSSL-KEY", "FP-1"),
        };
        let contents = cert
            .verify_expecting(algorithm, &keys)
            .unwrap_or_else(|e| panic!("{algorithm}: {e}"))
            .decrypt(&secret)
            .unwrap_or_else(|e| panic!("{algorithm}: {e}"));
        assert_eq!(contents.data().map(|d| d["id"].clone()), Some(id.into()));
        assert_eq!(contents.ttl(), Ok(Some(31_536_000)));
    }
}
