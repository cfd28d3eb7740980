//! Keygen's own Python SDK (PyPI `keygen-sdk`, installed by scripts/test) against the
//! server (issue 14): `keygen.upgrade()` finds the newer release with license-key
//! auth, and `Release.install()` downloads the artifact through the 303 redirect,
//! checks its checksum and its Ed25519ph signature (context: the product id, as the
//! SDK verifies it) and replaces the target file. A tampered signature is refused.
//! Skipped, saying so, only when the SDK is not installed.
#![allow(clippy::expect_used)]

use ed25519_dalek::{Signature, SigningKey};
use latchkey_testkit::TestServer;
use latchkey_testkit::fixtures::{id, to_one};
use serde_json::json;
use sha2::{Digest, Sha256, Sha512};
use std::process::Command;

mod release_support;
use release_support::*;

const SCRIPT: &str = r#"
import os, sys, keygen
keygen.api_url = os.environ["KG_URL"]
keygen.license_key = os.environ["KG_LICENSE"]
keygen.product = os.environ["KG_PRODUCT"]
keygen.max_clock_drift = None
release = keygen.upgrade("1.0.0", public_key=os.environ["KG_PERSONAL_KEY"],
                         filename="app_{platform}_{arch}")
print("UPGRADE", release.id, release.version)
try:
    path = release.install(os.environ["KG_TARGET"])
    print("INSTALLED", path)
except keygen.ArtifactSignatureInvalidError:
    print("SIGNATURE-INVALID")
try:
    keygen.upgrade(release.version)
except keygen.UpgradeNotAvailableError:
    print("UP-TO-DATE")
"#;

fn sdk_installed() -> bool {
    Command::new("python3")
        .args(["-c", "import keygen, keygen.release"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn python_platform() -> anyhow::Result<(String, String)> {
    let out = Command::new("python3")
        .args([
            "-c",
            "from keygen._platform import current_os, current_arch; print(current_os(), current_arch())",
        ])
        .output()?;
    let text = String::from_utf8(out.stdout)?;
    let mut words = text.split_whitespace();
    Ok((
        words.next().unwrap_or_default().to_owned(),
        words.next().unwrap_or_default().to_owned(),
    ))
}

/// Creates an artifact with `signature` and uploads `bytes`.
async fn signed_artifact(
    server: &TestServer,
    release: &str,
    filename: &str,
    bytes: &[u8],
    signature: &str,
) -> anyhow::Result<()> {
    let body = json!({"data": {"type": "artifacts",
        "attributes": {"filename": filename, "filesize": bytes.len(),
            "checksum": hex::encode(Sha256::digest(bytes)), "signature": signature},
        "relationships": {"release": to_one("releases", release)}}});
    let reply = send(
        server,
        "POST",
        "/v1/artifacts",
        Some(&admin(server)),
        Some(body),
        &[],
    )
    .await?;
    anyhow::ensure!(reply.status == 307, "create artifact: {}", reply.body);
    let put = client()
        .put(reply.header("location"))
        .body(bytes.to_vec())
        .send()
        .await?;
    anyhow::ensure!(put.status() == 200, "upload: {}", put.status());
    Ok(())
}

async fn run_sdk(
    server: &TestServer,
    key: &str,
    product: &str,
    personal: &str,
    target: &std::path::Path,
) -> anyhow::Result<String> {
    let mut command = Command::new("python3");
    command
        .args(["-c", SCRIPT])
        .env("KG_URL", &server.base)
        .env("KG_LICENSE", key)
        .env("KG_PRODUCT", product)
        .env("KG_PERSONAL_KEY", personal)
        .env("KG_TARGET", target);
    let out = tokio::task::spawn_blocking(move || command.output()).await??;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    anyhow::ensure!(
        out.status.success(),
        "sdk failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(stdout)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keygen_python_sdk_upgrades_and_installs_a_signed_artifact() -> anyhow::Result<()> {
    if !sdk_installed() {
        eprintln!("SKIPPED: Keygen's Python SDK is not installed (pip install keygen-sdk)");
        return Ok(());
    }
    let (platform, arch) = python_platform()?;
    let filename = format!("app_{platform}_{arch}");
    let (server, _dir) = server().await?;
    let (product, _license, key) = licensed(&server, json!({})).await?;
    let vendor = SigningKey::from_bytes(&[42u8; 32]);
    let personal = hex::encode(vendor.verifying_key().to_bytes());
    let sign = |bytes: &[u8]| -> anyhow::Result<String> {
        let mut prehash = Sha512::new();
        prehash.update(bytes);
        let signature: Signature = vendor.sign_prehashed(prehash, Some(product.as_bytes()))?;
        use base64::Engine;
        Ok(base64::engine::general_purpose::STANDARD.encode(signature.to_bytes()))
    };

    let v1 = release(&server, &product, "1.0.0", "stable").await?;
    publish(&server, &v1).await?;
    let v2 = release(&server, &product, "1.1.0", "stable").await?;
    let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 241) as u8).collect();
    signed_artifact(&server, &v2, &filename, &payload, &sign(&payload)?).await?;
    publish(&server, &v2).await?;

    let dir = std::env::temp_dir().join(format!("latchkey-sdk-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    let target = dir.join("app");
    std::fs::write(&target, b"version 1.0.0")?;
    let out = run_sdk(&server, &key, &product, &personal, &target).await?;
    assert!(out.contains(&format!("UPGRADE {v2} 1.1.0")), "{out}");
    assert!(out.contains("INSTALLED"), "{out}");
    assert!(out.contains("UP-TO-DATE"), "{out}");
    assert_eq!(std::fs::read(&target)?, payload);

    // A release whose artifact was signed over other bytes is not installed.
    let v3 = release(&server, &product, "1.2.0", "stable").await?;
    let tampered: Vec<u8> = payload.iter().map(|b| b ^ 1).collect();
    signed_artifact(&server, &v3, &filename, &tampered, &sign(&payload)?).await?;
    publish(&server, &v3).await?;
    std::fs::write(&target, b"version 1.0.0")?;
    let out = run_sdk(&server, &key, &product, &personal, &target).await?;
    assert!(
        out.contains(&format!("UPGRADE {} 1.2.0", id(&json!({"id": v3})))),
        "{out}"
    );
    assert!(out.contains("SIGNATURE-INVALID"), "{out}");
    assert_eq!(std::fs::read(&target)?, b"version 1.0.0");
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
