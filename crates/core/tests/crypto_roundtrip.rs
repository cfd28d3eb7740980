//! What `latchkey_core::crypto` signs, `latchkey_proto::offline` verifies; every flipped
//! byte is rejected; sealed values round-trip and detect tampering. Where Keygen's output
//! is deterministic (Ed25519 with the public docs/test-suite seed) it is reproduced exactly.

// Test helpers outside #[test] fns are not covered by clippy.toml's allow-*-in-tests.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::OnceLock;

use latchkey_core::crypto::keys::pss_max_salt_len;
use latchkey_core::crypto::license_file::{
    build_certificate_from_json, build_license_file, build_machine_file,
};
use latchkey_core::crypto::response_signature::{ResponseToSign, http_date, sign_response};
use latchkey_core::crypto::signed_key::generate_license_key;
use latchkey_core::crypto::{AccountKeys, CryptoError, Signer, sealed};
use latchkey_proto::offline::{
    Algorithm, Certificate, CertificateKind, FileSecret, KeySource, OfflineError, PublicKeys,
    Scheme, SignatureAlgorithm, SignedMessage, VerifyingKey, verify_license_key,
    verify_signed_message,
};
use serde_json::{Value, json};
use time::macros::datetime;

struct Account {
    keys: AccountKeys,
    signer: Signer,
    public: PublicKeys,
}

fn account() -> &'static Account {
    static ACCOUNT: OnceLock<Account> = OnceLock::new();
    ACCOUNT.get_or_init(|| {
        let keys = AccountKeys::generate().expect("key generation");
        let signer = keys.signer().expect("signer");
        let public = keys
            .public_key_forms()
            .to_public_keys()
            .expect("public forms parse");
        Account {
            keys,
            signer,
            public,
        }
    })
}

/// The Keygen docs/test-suite account: its Ed25519 seed is public (see keygen-vectors).
fn docs_signer() -> Signer {
    let seed: [u8; 32] =
        hex::decode("7e122ed891de6dcaf5316a2f0e09187fbf3fa5b5441cb835a67b53d8c87eafc5")
            .expect("hex")
            .try_into()
            .expect("32 bytes");
    let a = account();
    AccountKeys::from_pkcs8(
        &AccountKeys::ed25519_pkcs8_from_seed(&seed),
        a.keys.ecdsa_p256_pkcs8(),
        a.keys.rsa_pkcs8(),
    )
    .expect("docs keys")
    .signer()
    .expect("docs signer")
}

fn document(kind: CertificateKind) -> Value {
    let (ty, attrs) = match kind {
        CertificateKind::License => ("licenses", json!({"key": "LK-TEST", "name": "Grüße ✓"})),
        CertificateKind::Machine => ("machines", json!({"fingerprint": "fp-1"})),
    };
    json!({
        "data": {"id": "3f1c2a5e-0000-4000-8000-000000000001", "type": ty, "attributes": attrs},
        "included": [],
        "meta": {"issued": "2026-11-01T00:00:00.000Z", "expiry": "2026-12-01T00:00:00.000Z", "ttl": 2_592_000}
    })
}

fn build(kind: CertificateKind, algorithm: Algorithm) -> String {
    let a = account();
    match kind {
        CertificateKind::License => {
            build_license_file(&document(kind), "LK-TEST", algorithm, &a.signer)
        }
        CertificateKind::Machine => {
            build_machine_file(&document(kind), "LK-TEST", "fp-1", algorithm, &a.signer)
        }
    }
    .expect("certificate builds")
}

fn secret(kind: CertificateKind) -> FileSecret {
    match kind {
        CertificateKind::License => FileSecret::for_license("LK-TEST"),
        CertificateKind::Machine => FileSecret::for_machine("LK-TEST", "fp-1"),
    }
}

fn open(text: &str, kind: CertificateKind, algorithm: Algorithm) -> Result<Value, OfflineError> {
    let contents = Certificate::parse_as(text, kind)?
        .verify_expecting(algorithm, &account().public)?
        .decrypt(&secret(kind))?;
    contents.check_expiry(datetime!(2026-11-23 00:00 UTC))?;
    Ok(contents.into_document())
}

/// Indices to mutate: all of them for short texts, else the edges plus an even spread.
fn positions(len: usize, budget: usize) -> Vec<usize> {
    if len <= budget {
        return (0..len).collect();
    }
    let mut v: Vec<usize> = (0..40).chain(len - 40..len).collect();
    v.extend((40..len - 40).step_by((len - 80) / (budget - 80) + 1));
    v
}

#[test]
fn every_file_algorithm_round_trips_and_rejects_any_flipped_byte() {
    for kind in [CertificateKind::License, CertificateKind::Machine] {
        for algorithm in Algorithm::ALL {
            let text = build(kind, algorithm);
            assert_eq!(
                open(&text, kind, algorithm),
                Ok(document(kind)),
                "{kind} {algorithm}"
            );
            assert!(text.ends_with(&format!("{}\n", kind.end_line())));
            assert!(text.lines().skip(1).all(|l| l.len() <= 60), "wrapped at 60");
            // Ed25519 is cheap enough to flip every byte; the others get a spread.
            let budget = if algorithm == Algorithm::Base64Ed25519 {
                usize::MAX
            } else {
                160
            };
            for i in positions(text.len(), budget) {
                let mut bytes = text.clone().into_bytes();
                bytes[i] ^= 0x01;
                let Ok(flipped) = String::from_utf8(bytes) else {
                    continue;
                };
                assert!(
                    open(&flipped, kind, algorithm).is_err(),
                    "{kind} {algorithm}: flip at {i} accepted: {:?} -> {:?}\n{text}",
                    &text[i.saturating_sub(5)..(i + 5).min(text.len())],
                    &flipped[i.saturating_sub(5)..(i + 5).min(text.len())]
                );
            }
        }
    }
}

#[test]
fn encrypted_files_need_the_right_secret() {
    let text = build(CertificateKind::Machine, Algorithm::Aes256GcmEcdsaP256);
    let verified = Certificate::parse(&text)
        .and_then(|c| c.verify(&account().public))
        .expect("verifies");
    assert_eq!(
        verified.decrypt(&FileSecret::for_license("LK-TEST")),
        Err(OfflineError::DecryptionFailed)
    );
    assert_eq!(verified.decode(), Err(OfflineError::SecretRequired));
    // Two check-outs of the same document differ (random IV) but both open.
    assert_ne!(
        text,
        build(CertificateKind::Machine, Algorithm::Aes256GcmEcdsaP256)
    );
}

#[test]
fn prerendered_json_is_signed_verbatim() {
    let json = br#"{"meta":{"ttl":null,"expiry":null,"issued":"2026-11-01T00:00:00.000Z"},"data":{"id":"z"}}"#;
    let kind = CertificateKind::License;
    let text = build_certificate_from_json(
        kind,
        json,
        &secret(kind),
        Algorithm::Base64Ed25519,
        &account().signer,
    )
    .expect("builds");
    let cert = Certificate::parse(&text).expect("parses");
    assert_eq!(
        cert.enc(),
        latchkey_proto::offline::base64_encode(json),
        "member order kept"
    );
    let contents = cert
        .verify(&account().public)
        .and_then(|c| c.decode())
        .expect("opens");
    assert_eq!(contents.data().map(|d| d["id"].clone()), Some(json!("z")));
}

#[test]
fn signature_algorithms_verify_and_rsa_pss_uses_the_max_salt() {
    let a = account();
    for algorithm in SignatureAlgorithm::ALL {
        let sig = a.signer.sign(algorithm, b"message").expect("signs");
        assert_eq!(
            a.public.verify(algorithm, b"message", &sig),
            Ok(()),
            "{algorithm}"
        );
        assert_eq!(
            a.public.verify(algorithm, b"messagf", &sig),
            Err(OfflineError::BadSignature)
        );
    }
    assert_eq!(pss_max_salt_len(2048), 222);
    // The PSS salt really is 222 bytes: a verifier pinned to the 32-byte salt (ring) rejects it.
    let sig = a
        .signer
        .sign(SignatureAlgorithm::RsaPssSha256, b"m")
        .expect("signs");
    let VerifyingKey::Rsa(rsa) = a
        .public
        .key_for(SignatureAlgorithm::RsaPssSha256)
        .expect("rsa")
    else {
        panic!("rsa key expected")
    };
    let ring_key = ring::signature::RsaPublicKeyComponents {
        n: rsa.modulus(),
        e: rsa.exponent(),
    };
    assert!(
        ring_key
            .verify(&ring::signature::RSA_PSS_2048_8192_SHA256, b"m", &sig)
            .is_err()
    );
    // ...and the verifier pins the maximal salt like Keygen's SDK examples (`PSS.MAX_LENGTH`):
    // a ring-made (32-byte salt) PSS signature is rejected.
    let ring_pair = ring::signature::RsaKeyPair::from_pkcs8(a.keys.rsa_pkcs8()).expect("ring rsa");
    let mut ring_sig = vec![0; ring_pair.public().modulus_len()];
    ring_pair
        .sign(
            &ring::signature::RSA_PSS_SHA256,
            &ring::rand::SystemRandom::new(),
            b"m",
            &mut ring_sig,
        )
        .expect("ring signs");
    assert_eq!(
        a.public
            .verify(SignatureAlgorithm::RsaPssSha256, b"m", &ring_sig),
        Err(OfflineError::BadSignature)
    );
}

/// proto's RSA verification (PSS with the maximal salt, type-1 recovery) against signatures
/// of the `rsa` crate, on moduli whose sizes hit the encoding edge cases (modBits − 1 a
/// multiple of 8, partial top limbs).
#[test]
fn rsa_verification_across_modulus_sizes() {
    use rsa::pss::BlindedSigningKey;
    use rsa::signature::{RandomizedSigner, SignatureEncoding};
    use rsa::traits::PublicKeyParts;
    for bits in [2048usize, 2049, 3071, 4096] {
        let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, bits).expect("rsa keygen");
        let public = VerifyingKey::Rsa(
            latchkey_proto::offline::RsaPublicKey::from_components(
                &key.n().to_bytes_be(),
                &key.e().to_bytes_be(),
            )
            .expect("rsa public"),
        );
        for salt in [0, 20, 32, pss_max_salt_len(bits)] {
            let signer = BlindedSigningKey::<sha2::Sha256>::new_with_salt_len(key.clone(), salt);
            for msg in [&b""[..], b"x", &[0xa5; 300]] {
                let sig = signer.sign_with_rng(&mut rand::rngs::OsRng, msg).to_vec();
                let expected = if salt == pss_max_salt_len(bits) {
                    Ok(())
                } else {
                    Err(OfflineError::BadSignature)
                };
                assert_eq!(
                    public.verify(SignatureAlgorithm::RsaPssSha256, msg, &sig),
                    expected,
                    "{bits} bits, salt {salt}"
                );
                assert!(
                    public
                        .verify(SignatureAlgorithm::RsaPssSha256, b"other", &sig)
                        .is_err()
                );
            }
        }
        let max = key.size() - 11;
        for len in [0, 1, max] {
            let data = vec![0x42u8; len];
            let block = key
                .sign_with_rng(
                    &mut rand::rngs::OsRng,
                    rsa::pkcs1v15::Pkcs1v15Sign::new_unprefixed(),
                    &data,
                )
                .expect("private encrypt");
            let VerifyingKey::Rsa(rsa_public) = &public else {
                panic!("rsa")
            };
            assert_eq!(
                rsa_public.public_decrypt(&block),
                Ok(data),
                "{bits} bits, {len} bytes"
            );
        }
    }
}

#[test]
fn public_key_forms_are_keygens() {
    let forms = account().keys.public_key_forms();
    assert_eq!(forms.ed25519_hex.len(), 64);
    assert!(
        forms
            .ed25519_hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );
    for pem in [&forms.ecdsa_p256_pem, &forms.rsa_pem] {
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"), "{pem}");
        assert!(pem.ends_with("-----END PUBLIC KEY-----\n"), "{pem}");
    }
    // Loading the stored PKCS#8 again gives the same public forms.
    let k = &account().keys;
    let again = AccountKeys::from_pkcs8(k.ed25519_pkcs8(), k.ecdsa_p256_pkcs8(), k.rsa_pkcs8())
        .expect("reload");
    assert_eq!(again.public_key_forms(), forms);
    // Keygen stores RSA keys as PKCS#1 PEM; import converts them.
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::pkcs8::DecodePrivateKey;
    let pkcs1_pem = rsa::RsaPrivateKey::from_pkcs8_der(k.rsa_pkcs8())
        .expect("rsa")
        .to_pkcs1_pem(rsa::pkcs8::LineEnding::LF)
        .expect("pkcs1");
    assert_eq!(
        AccountKeys::rsa_pkcs8_from_pem(&pkcs1_pem).as_deref(),
        Ok(k.rsa_pkcs8())
    );
    assert!(AccountKeys::from_pkcs8(b"junk", k.ecdsa_p256_pkcs8(), k.rsa_pkcs8()).is_err());
}

const DATASET: &str =
    r#"{"account":{"id":"a"},"license":{"id":"l","expiry":null},"note":"ünïcode"}"#;

#[test]
fn every_scheme_round_trips_and_rejects_any_changed_character() {
    let a = account();
    for scheme in Scheme::ALL {
        if scheme == Scheme::LegacyEncrypt {
            assert_eq!(
                generate_license_key(scheme, DATASET, &a.signer),
                Err(CryptoError::UnsupportedScheme("LEGACY_ENCRYPT"))
            );
            continue;
        }
        let key = generate_license_key(scheme, DATASET, &a.signer).expect("generates");
        let verified =
            verify_license_key(scheme, &key, &a.public).unwrap_or_else(|e| panic!("{scheme}: {e}"));
        assert_eq!(verified.dataset_str(), Some(DATASET), "{scheme}");
        if scheme == Scheme::Rsa2048JwtRs256 {
            assert_eq!(
                verified.claims().map(|c| &c["note"]),
                Some(&json!("ünïcode"))
            );
        }
        let budget = if scheme.key_signature().map(SignatureAlgorithm::key_type)
            == Some(latchkey_proto::offline::KeyType::Rsa)
            || scheme == Scheme::Rsa2048Pkcs1Encrypt
        {
            120
        } else {
            usize::MAX
        };
        for i in positions(key.len(), budget) {
            let mut bytes = key.clone().into_bytes();
            bytes[i] ^= 0x01;
            let Ok(mutated) = String::from_utf8(bytes) else {
                continue;
            };
            assert!(
                verify_license_key(scheme, &mutated, &a.public).is_err(),
                "{scheme}: flip at {i}"
            );
        }
    }
}

#[test]
fn scheme_limits() {
    let a = account();
    let max = "x".repeat(245);
    let key =
        generate_license_key(Scheme::Rsa2048Pkcs1Encrypt, &max, &a.signer).expect("245 bytes fit");
    assert_eq!(
        verify_license_key(Scheme::Rsa2048Pkcs1Encrypt, &key, &a.public).map(|k| k.dataset().len()),
        Ok(245)
    );
    // 123 two-byte characters = 246 bytes: the limit is in bytes, not characters.
    assert_eq!(
        generate_license_key(Scheme::Rsa2048Pkcs1Encrypt, &"é".repeat(123), &a.signer),
        Err(CryptoError::KeyByteSizeExceeded { len: 246, max: 245 })
    );
    for bad in ["[1,2]", "\"str\"", "not json", "{\"a\":1} trailing"] {
        assert_eq!(
            generate_license_key(Scheme::Rsa2048JwtRs256, bad, &a.signer),
            Err(CryptoError::KeyJwtClaimsInvalid),
            "{bad}"
        );
    }
    let jwt = generate_license_key(
        Scheme::Rsa2048JwtRs256,
        "{ \"sub\" : \"x\",\n \"a\": 1 }",
        &a.signer,
    )
    .expect("jwt");
    assert!(
        jwt.starts_with("eyJhbGciOiJSUzI1NiJ9."),
        "Keygen's {{\"alg\":\"RS256\"}} header"
    );
    assert!(!jwt.contains('='), "JWT segments are unpadded");
    let claims = verify_license_key(Scheme::Rsa2048JwtRs256, &jwt, &a.public).expect("verifies");
    assert_eq!(claims.dataset_str(), Some(r#"{"sub":"x","a":1}"#));
}

#[test]
fn reproduces_keygen_v1_signed_key_exactly() {
    let key = generate_license_key(Scheme::Ed25519Sign, "zeke@keygen.example", &docs_signer())
        .expect("signs");
    assert_eq!(
        key,
        "key/emVrZUBrZXlnZW4uZXhhbXBsZQ==.D1pk7hqD_KNV9UNpl1IDQqpa4qaBjFBNrtP74yEM7v0xCmLRrDhZdSHGx47TN2RKARfGIigX9tE4yVOjhQvfAQ=="
    );
}

#[test]
fn reproduces_keygen_r1_response_signature_exactly() {
    let body = include_str!("../../proto/tests/fixtures/keygen/R1.body.json").as_bytes();
    let headers = sign_response(
        &docs_signer(),
        "bf9b523f-dd65-48a2-9512-fb66ba6c3714",
        SignatureAlgorithm::Ed25519,
        &ResponseToSign {
            method: "GET",
            target: "/v1/accounts/keygen/licenses?limit=1",
            host: "api.keygen.sh",
            date: datetime!(2021-06-09 16:08:15 UTC),
            body,
        },
    )
    .expect("signs");
    assert_eq!(headers.date, "Wed, 09 Jun 2021 16:08:15 GMT");
    assert_eq!(
        headers.digest,
        "sha-256=827Op2un8OT9KJuN1siRs5h6mxjrUh4LJag66dQjnIM="
    );
    assert_eq!(
        headers.signature,
        r#"keyid="bf9b523f-dd65-48a2-9512-fb66ba6c3714", algorithm="ed25519", signature="KhgcM+Ywv+DnQj4gE+DqWfNTM2TG5wfRuFQZ/zW48ValZuCHEu1h95Uyldqe7I85sS/QliCiRAF5QfW8ZN2vAw==", headers="(request-target) host date digest""#
    );
}

#[test]
fn responses_signed_with_every_algorithm_verify() {
    let a = account();
    let body = br#"{"data":null}"#;
    for algorithm in SignatureAlgorithm::ALL {
        let date = datetime!(2026-11-23 12:00:00 UTC);
        let headers = sign_response(
            &a.signer,
            "acct",
            algorithm,
            &ResponseToSign {
                method: "POST",
                target: "/v1/licenses/actions/validate-key",
                host: "localhost",
                date,
                body,
            },
        )
        .expect("signs");
        let message = |body: &'static [u8], digest: &'static str| SignedMessage {
            method: "post",
            target: "/v1/licenses/actions/validate-key",
            host: "localhost",
            date: "Mon, 23 Nov 2026 12:00:00 GMT",
            digest: Some(digest),
            body,
        };
        let digest: &'static str = Box::leak(headers.digest.clone().into_boxed_str());
        assert_eq!(http_date(date), "Mon, 23 Nov 2026 12:00:00 GMT");
        let parsed = verify_signed_message(&message(body, digest), &headers.signature, &a.public)
            .expect("verifies");
        assert_eq!(
            (parsed.keyid.as_deref(), parsed.algorithm),
            (Some("acct"), algorithm)
        );
        assert_eq!(
            verify_signed_message(
                &message(br#"{"data":1}"#, digest),
                &headers.signature,
                &a.public
            ),
            Err(OfflineError::DigestMismatch)
        );
    }
}

#[test]
fn sealed_round_trip_and_tamper_detection() {
    let secret = [7u8; 32];
    let sealed_value = sealed::seal(&secret, b"private key bytes").expect("seals");
    assert!(sealed_value.starts_with("v1."));
    assert_eq!(
        sealed::open(&secret, &sealed_value).as_deref(),
        Ok(&b"private key bytes"[..])
    );
    assert_ne!(
        sealed_value,
        sealed::seal(&secret, b"private key bytes").expect("seals"),
        "random nonce"
    );
    assert_eq!(
        sealed::open(&[8u8; 32], &sealed_value),
        Err(CryptoError::SealedOpenFailed)
    );
    for i in 0..sealed_value.len() {
        let mut bytes = sealed_value.clone().into_bytes();
        bytes[i] ^= 0x01;
        let mutated = String::from_utf8(bytes).expect("ascii");
        assert!(sealed::open(&secret, &mutated).is_err(), "flip at {i}");
    }
    let with_ctx = sealed::seal_with_context(&secret, b"account:1", b"k").expect("seals");
    assert_eq!(
        sealed::open_with_context(&secret, b"account:1", &with_ctx).as_deref(),
        Ok(&b"k"[..])
    );
    assert_eq!(
        sealed::open_with_context(&secret, b"account:2", &with_ctx),
        Err(CryptoError::SealedOpenFailed)
    );
    assert_eq!(
        sealed::open(&secret, &with_ctx),
        Err(CryptoError::SealedOpenFailed)
    );
    for bad in [
        "",
        "v1",
        "v1..",
        "v2.AAAAAAAAAAAAAAAA.AAAA",
        "v1.AAAA.AAAAAAAAAAAAAAAAAAAAAA",
        "v1.!!.!!",
        "v1.a.b.c",
    ] {
        assert!(
            matches!(
                sealed::open(&secret, bad),
                Err(CryptoError::SealedMalformed(_))
            ),
            "{bad:?}"
        );
    }
    let empty = sealed::seal(&secret, b"").expect("seals");
    assert_eq!(sealed::open(&secret, &empty), Ok(Vec::new()));
}

#[test]
fn ed25519_signatures_match_ring_for_ring_generated_keys_and_mismatched_documents_are_refused() {
    use ring::signature::{Ed25519KeyPair, KeyPair};
    let a = account();
    let v2 = a.keys.ed25519_pkcs8();
    let ring_pair = Ed25519KeyPair::from_pkcs8(v2).expect("ring parses its own PKCS#8 v2");
    for message in [&b""[..], b"(request-target): post /v1/ping", &[0xff; 2048]] {
        let ours = a
            .signer
            .sign(SignatureAlgorithm::Ed25519, message)
            .expect("signs");
        assert_eq!(
            ours,
            ring_pair.sign(message).as_ref(),
            "Ed25519 is deterministic"
        );
    }
    assert_eq!(
        a.keys.public_key_forms().ed25519_hex,
        hex::encode(ring_pair.public_key().as_ref())
    );
    // A v2 document whose public key is not its seed's is refused.
    let mut tampered = v2.to_vec();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    let refused = Signer::from_pkcs8(&tampered, a.keys.ecdsa_p256_pkcs8(), a.keys.rsa_pkcs8());
    assert!(matches!(refused, Err(CryptoError::InvalidPrivateKey(_))));
    // Not PKCS#8 at all.
    let refused = Signer::from_pkcs8(
        b"\x30\x03\x02\x01\x00",
        a.keys.ecdsa_p256_pkcs8(),
        a.keys.rsa_pkcs8(),
    );
    assert!(matches!(refused, Err(CryptoError::InvalidPrivateKey(_))));
}
