//! Cost of RSA verification and public-key parsing in `latchkey_proto::offline`, in µs per
//! operation. Criterion-free: loops each operation and prints the mean.
//!
//! ```text
//! cargo run --release -p latchkey-proto --example rsa_bench [iterations]
//! ```
//!
//! Inputs are the OpenSSL-made fixtures of `tests/fixtures/openssl` (RSA-2048, e = 65537).

use std::error::Error;
use std::hint::black_box;
use std::time::Instant;

use base64::Engine;
use latchkey_proto::offline::{
    KeySource, PublicKeys, Scheme, SignatureAlgorithm, VerifyingKey, verify_license_key,
};
use serde_json::Value;

const VECTORS: &str = include_str!("../tests/fixtures/openssl/vectors.json");

/// Runs `op` `n` times (after a short warm-up) and prints the mean time per call.
fn bench(name: &str, n: u32, mut op: impl FnMut() -> bool) -> Result<(), Box<dyn Error>> {
    for _ in 0..n.div_ceil(10) {
        if !black_box(op()) {
            return Err(format!("{name}: operation failed").into());
        }
    }
    let start = Instant::now();
    for _ in 0..n {
        black_box(op());
    }
    let per_op = start.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    println!("{name:<40} {per_op:>9.2} µs/op  ({n} iterations)");
    Ok(())
}

fn field<'a>(v: &'a Value, path: &[&str]) -> Result<&'a str, Box<dyn Error>> {
    let mut cur = v;
    for key in path {
        cur = &cur[*key];
    }
    cur.as_str()
        .ok_or_else(|| format!("vectors.json: missing {}", path.join(".")).into())
}

fn main() -> Result<(), Box<dyn Error>> {
    let n: u32 = match std::env::args().nth(1) {
        Some(arg) => arg.parse()?,
        None => 2000,
    };
    let v: Value = serde_json::from_str(VECTORS)?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let rsa_pem = field(&v, &["rsa_pem"])?;
    let rsa_pkcs1_pem = field(&v, &["rsa_pkcs1_pem"])?;
    let ecdsa_pem = field(&v, &["ecdsa_pem"])?;
    let message = field(&v, &["message"])?.as_bytes();
    let pss = b64.decode(field(&v, &["signatures", "rsa-pss-sha256"])?)?;
    let pkcs1 = b64.decode(field(&v, &["signatures", "rsa-sha256"])?)?;
    let encrypted_key = field(&v, &["keys", "RSA_2048_PKCS1_ENCRYPT"])?;
    let keys = PublicKeys::from(VerifyingKey::parse(rsa_pem)?);

    bench("parse RSA SPKI PEM (PUBLIC KEY)", n, || {
        VerifyingKey::parse(rsa_pem).is_ok()
    })?;
    bench("parse RSA PKCS#1 PEM (RSA PUBLIC KEY)", n, || {
        VerifyingKey::parse(rsa_pkcs1_pem).is_ok()
    })?;
    bench("parse P-256 SPKI PEM", n, || {
        VerifyingKey::parse(ecdsa_pem).is_ok()
    })?;
    bench("verify RSA-PSS-SHA256 (max salt)", n, || {
        keys.verify(SignatureAlgorithm::RsaPssSha256, message, &pss)
            .is_ok()
    })?;
    bench("verify RSA PKCS#1 v1.5 SHA-256", n, || {
        keys.verify(SignatureAlgorithm::RsaSha256, message, &pkcs1)
            .is_ok()
    })?;
    bench("RSA_2048_PKCS1_ENCRYPT key (public decrypt)", n, || {
        verify_license_key(Scheme::Rsa2048Pkcs1Encrypt, encrypted_key, &keys).is_ok()
    })?;
    Ok(())
}
