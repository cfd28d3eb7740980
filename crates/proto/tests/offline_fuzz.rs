//! Hostile input never panics and never verifies: random bytes, truncations and bit flips
//! of real certificates, keys, signed license keys and signature headers.

// Test helpers outside #[test] fns are not covered by clippy.toml's allow-*-in-tests.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use latchkey_proto::offline::{
    Algorithm, Certificate, CertificateKind, Envelope, FileSecret, KeySource, PublicKeys,
    RsaPublicKey, Scheme, SignatureAlgorithm, SignatureHeader, SignedMessage, VerifyingKey,
    base64_encode, verify_license_key, verify_signed_message,
};
use proptest::prelude::*;
use ring::signature::Ed25519KeyPair;

const DEMO_KEY: &str = "e8601e48b69383ba520245fd07971e983d06d22c4257cfd82304601479cee788";
const DOCS_KEY: &str = "799efc7752286e6c3815b13358d98fc0f0b566764458adcb48f1be2c10a55906";
const DOCS_SEED: &str = "7e122ed891de6dcaf5316a2f0e09187fbf3fa5b5441cb835a67b53d8c87eafc5";
const F1: &str = include_str!("fixtures/keygen/F1.lic");
const M1: &str = include_str!("fixtures/keygen/M1.lic");
const R1_BODY: &str = include_str!("fixtures/keygen/R1.body.json");
const R1_HEADER: &str = r#"keyid="bf9b523f-dd65-48a2-9512-fb66ba6c3714", algorithm="ed25519", signature="KhgcM+Ywv+DnQj4gE+DqWfNTM2TG5wfRuFQZ/zW48ValZuCHEu1h95Uyldqe7I85sS/QliCiRAF5QfW8ZN2vAw==", headers="(request-target) host date digest""#;
const V1: &str = "key/emVrZUBrZXlnZW4uZXhhbXBsZQ==.D1pk7hqD_KNV9UNpl1IDQqpa4qaBjFBNrtP74yEM7v0xCmLRrDhZdSHGx47TN2RKARfGIigX9tE4yVOjhQvfAQ==";
const OPENSSL: &str = include_str!("fixtures/openssl/vectors.json");

fn openssl(field: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(OPENSSL).expect("json");
    v[field].as_str().expect("field").to_owned()
}

/// A key ring with all three key types (Ed25519 from Keygen's demo account).
fn all_keys() -> PublicKeys {
    PublicKeys::from_published(
        Some(DEMO_KEY),
        Some(&openssl("ecdsa_pem")),
        Some(&openssl("rsa_pem")),
    )
    .expect("keys")
}

fn docs_key() -> VerifyingKey {
    VerifyingKey::from_ed25519_hex(DOCS_KEY).expect("docs key")
}

fn r1(body: &[u8]) -> SignedMessage<'_> {
    SignedMessage {
        method: "GET",
        target: "/v1/accounts/keygen/licenses?limit=1",
        host: "api.keygen.sh",
        date: "Wed, 09 Jun 2021 16:08:15 GMT",
        digest: None,
        body,
    }
}

fn flip(text: &str, index: usize, bit: u8) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let i = index % bytes.len();
    bytes[i] ^= 1 << (bit % 8);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Parses and verifies; on success the signed data must be the original's.
fn assert_rejected_or_same(text: &str, original: &str, keys: &impl KeySource) {
    let original = Certificate::parse(original).expect("original parses");
    if let Ok(verified) = Certificate::parse(text).and_then(|c| c.verify(keys)) {
        let c = verified.certificate();
        assert_eq!(
            (c.kind(), c.enc()),
            (original.kind(), original.enc()),
            "mutation verified:\n{text}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        // PROPTEST_CASES=20000 for a deeper run.
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(512),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_bytes_are_rejected_everywhere(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let text = String::from_utf8_lossy(&bytes);
        let keys = all_keys();
        prop_assert!(Certificate::parse(&text).is_err());
        let _ = VerifyingKey::parse(&text);
        let _ = VerifyingKey::from_pem(&text);
        prop_assert!(VerifyingKey::from_spki_der(&bytes).is_err());
        let _ = VerifyingKey::from_pkcs1_der(&bytes);
        let _ = RsaPublicKey::from_components(&bytes, &[1, 0, 1]);
        let _ = text.parse::<SignatureHeader>();
        prop_assert!(verify_signed_message(&r1(&bytes), &text, &keys).is_err());
        for scheme in Scheme::ALL {
            prop_assert!(verify_license_key(scheme, &text, &keys).is_err());
        }
        for alg in SignatureAlgorithm::ALL {
            prop_assert!(keys.verify(alg, b"message", &bytes).is_err());
        }
        if let VerifyingKey::Rsa(rsa) = keys.key_for(SignatureAlgorithm::RsaSha256).expect("rsa") {
            prop_assert!(rsa.public_decrypt(&bytes).is_err());
        }
    }

    #[test]
    fn structured_garbage_is_rejected(
        dataset in "[A-Za-z0-9_=-]{0,80}",
        sig in "[A-Za-z0-9_=-]{0,400}",
        prefix in prop::sample::select(vec!["key/", "", "key", "KEY/", "key//"]),
    ) {
        let keys = all_keys();
        let key = format!("{prefix}{dataset}.{sig}");
        for scheme in Scheme::ALL {
            prop_assert!(verify_license_key(scheme, &key, &keys).is_err());
        }
        let jwt = format!("eyJhbGciOiJSUzI1NiJ9.{dataset}.{sig}");
        prop_assert!(verify_license_key(Scheme::Rsa2048JwtRs256, &jwt, &keys).is_err());
        let header = format!(r#"keyid="{dataset}", algorithm="ed25519", signature="{sig}", headers="(request-target) host date digest""#);
        prop_assert!(verify_signed_message(&r1(R1_BODY.as_bytes()), &header, &keys).is_err());
        let envelope = Envelope { enc: dataset.clone(), sig: sig.clone(), alg: "base64+ed25519".into() };
        let text = envelope.to_certificate(CertificateKind::License);
        prop_assert!(Certificate::parse(&text).and_then(|c| c.verify(&keys)).is_err());
    }

    #[test]
    fn truncated_certificates_are_rejected(cut in 0usize..20_000, machine in any::<bool>()) {
        let original = if machine { M1 } else { F1 };
        let cut = cut % original.len();
        let truncated = &original[..cut];
        let keys = all_keys();
        if truncated.trim_ascii_end() == original.trim_ascii_end() {
            prop_assert!(Certificate::parse(truncated).and_then(|c| c.verify(&keys)).is_ok());
        } else {
            prop_assert!(Certificate::parse(truncated).and_then(|c| c.verify(&keys)).is_err());
        }
    }

    #[test]
    fn bit_flipped_certificates_are_rejected(index in any::<usize>(), bit in any::<u8>(), machine in any::<bool>()) {
        let original = if machine { M1 } else { F1 };
        assert_rejected_or_same(&flip(original, index, bit), original, &all_keys());
    }

    #[test]
    fn bit_flipped_openssl_certificates_are_rejected(index in any::<usize>(), bit in any::<u8>(), which in 0usize..3) {
        let original = [
            include_str!("fixtures/openssl/license-base64+ecdsa-p256.lic"),
            include_str!("fixtures/openssl/license-aes-256-gcm+rsa-sha256.lic"),
            include_str!("fixtures/openssl/machine-aes-256-gcm+rsa-pss-sha256.lic"),
        ][which];
        assert_rejected_or_same(&flip(original, index, bit), original, &all_keys());
    }

    #[test]
    fn bit_flipped_keys_never_panic_and_never_verify_as_another_key(
        index in any::<usize>(), bit in any::<u8>(), which in 0usize..5,
    ) {
        let forms = [
            DOCS_KEY.to_owned(),
            "MCowBQYDK2VwAyEAeZ78d1Iobmw4FbEzWNmPwPC1ZnZEWK3LSPG+LBClWQY=".to_owned(),
            openssl("ecdsa_pem"),
            openssl("rsa_pem"),
            openssl("rsa_pkcs1_pem"),
        ];
        let original = VerifyingKey::parse(&forms[which]).expect("original parses");
        if which == 1 {
            prop_assert_eq!(&original, &docs_key());
        }
        if let Ok(key) = VerifyingKey::parse(&flip(&forms[which], index, bit))
            && key != original
            && which < 2
        {
            prop_assert!(verify_license_key(Scheme::Ed25519Sign, V1, &key).is_err());
        }
    }

    #[test]
    fn bit_flipped_signature_headers_and_bodies_are_rejected(index in any::<usize>(), bit in any::<u8>()) {
        let header = flip(R1_HEADER, index, bit);
        let original: SignatureHeader = R1_HEADER.parse().expect("parses");
        let result = verify_signed_message(&r1(R1_BODY.as_bytes()), &header, &docs_key());
        if let Ok(parsed) = result {
            // `keyid` is not signed (it only names the account); everything signed must be
            // unchanged, so only keyid edits and case changes in parameter names get here.
            prop_assert_eq!(
                (parsed.algorithm, parsed.signature, parsed.headers),
                (original.algorithm, original.signature, original.headers)
            );
        }
        let body = flip(R1_BODY, index, bit);
        prop_assert!(verify_signed_message(&r1(body.as_bytes()), R1_HEADER, &docs_key()).is_err());
    }

    #[test]
    fn bit_flipped_signed_keys_are_rejected(index in any::<usize>(), bit in any::<u8>()) {
        let mutated = flip(V1, index, bit);
        let result = verify_license_key(Scheme::Ed25519Sign, &mutated, &docs_key());
        prop_assert!(result.is_err() || mutated.trim_ascii() == V1);
    }

    /// Validly signed but hostile `enc` contents reach the decoder and decryptor, which
    /// must reject them without panicking.
    #[test]
    fn signed_garbage_enc_is_rejected_by_the_decoder(
        enc in "[A-Za-z0-9+/=.]{0,120}",
        encrypted in any::<bool>(),
    ) {
        let seed = hex::decode(DOCS_SEED).expect("hex");
        let pair = Ed25519KeyPair::from_seed_unchecked(&seed).expect("seed");
        let alg = if encrypted { Algorithm::Aes256GcmEd25519 } else { Algorithm::Base64Ed25519 };
        let sig = pair.sign(format!("license/{enc}").as_bytes());
        let envelope = Envelope { enc, sig: base64_encode(sig.as_ref()), alg: alg.to_string() };
        let verified = Certificate::parse(&envelope.to_certificate(CertificateKind::License))
            .and_then(|c| c.verify(&docs_key()))
            .expect("validly signed");
        prop_assert!(verified.decrypt(&FileSecret::for_license("K")).is_err());
        prop_assert!(verified.decode().is_err());
    }
}
