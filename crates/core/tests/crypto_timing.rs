//! Cost per signature / verification / check-out, for capacity planning. Ignored by default;
//! run in release mode:
//! `cargo test --release -p latchkey-core --test crypto_timing -- --ignored --nocapture`

// Test helpers outside #[test] fns are not covered by clippy.toml's allow-*-in-tests.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use latchkey_core::crypto::license_file::build_license_file;
use latchkey_core::crypto::signed_key::generate_license_key;
use latchkey_core::crypto::{AccountKeys, sealed};
use latchkey_proto::offline::{
    Algorithm, Certificate, FileSecret, KeySource, Scheme, SignatureAlgorithm,
};
use serde_json::json;

fn per_op(iterations: u32, mut op: impl FnMut()) -> Duration {
    op(); // warm-up
    let start = Instant::now();
    for _ in 0..iterations {
        op();
    }
    start.elapsed() / iterations
}

#[test]
#[ignore = "timing; run in release with --ignored --nocapture"]
fn signing_costs() {
    let start = Instant::now();
    let keys = AccountKeys::generate().expect("keys");
    println!(
        "AccountKeys::generate (Ed25519 + P-256 + RSA-2048): {:?}",
        start.elapsed()
    );
    let signer = keys.signer().expect("signer");
    let public = keys.public_key_forms().to_public_keys().expect("public");
    let message = [0x5au8; 1024];
    let iterations = |alg| match alg {
        SignatureAlgorithm::Ed25519 | SignatureAlgorithm::EcdsaP256 => 2000,
        _ => 200,
    };
    for alg in SignatureAlgorithm::ALL {
        let sign = per_op(iterations(alg), || {
            black_box(signer.sign(alg, black_box(&message)).expect("sign"));
        });
        let sig = signer.sign(alg, &message).expect("sign");
        let verify = per_op(iterations(alg), || {
            public
                .verify(alg, black_box(&message), &sig)
                .expect("verify");
        });
        println!("{alg:>15}: sign {sign:>10.1?}  verify {verify:>10.1?}  (1 KiB message)");
    }
    let doc = json!({"data": {"id": "x", "type": "licenses", "attributes": {"key": "K"}},
                     "meta": {"issued": "2026-01-01T00:00:00.000Z", "expiry": null, "ttl": null}});
    for algorithm in [
        Algorithm::Aes256GcmEd25519,
        Algorithm::Aes256GcmRsaPssSha256,
    ] {
        let build = per_op(200, || {
            black_box(build_license_file(&doc, "K", algorithm, &signer).expect("file"));
        });
        let text = build_license_file(&doc, "K", algorithm, &signer).expect("file");
        let open = per_op(200, || {
            let c = Certificate::parse(&text)
                .and_then(|c| c.verify(&public))
                .expect("verify");
            black_box(c.decrypt(&FileSecret::for_license("K")).expect("decrypt"));
        });
        println!("license file {algorithm}: build {build:.1?}, parse+verify+decrypt {open:.1?}");
    }
    let enc = per_op(200, || {
        black_box(
            generate_license_key(Scheme::Rsa2048Pkcs1Encrypt, "dataset", &signer).expect("key"),
        );
    });
    println!("RSA_2048_PKCS1_ENCRYPT key: {enc:.1?}");
    let load = per_op(20, || {
        black_box(keys.signer().expect("signer"));
    });
    println!("Signer::from_pkcs8 (parse all three keys): {load:.1?}");
    let secret = [1u8; 32];
    let seal = per_op(2000, || {
        black_box(sealed::seal(&secret, keys.rsa_pkcs8()).expect("seal"));
    });
    println!(
        "sealed::seal (RSA PKCS#8, {} bytes): {seal:.1?}",
        keys.rsa_pkcs8().len()
    );
}
