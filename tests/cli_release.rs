//! The release pipeline through the real binary: `latchkey release create`, `artifact
//! upload` (checksum, Ed25519ph signature from a PEM key, streamed upload), `release
//! publish`, `release list`, `release yank`.

use std::process::{Command, Output};

use ed25519_dalek::pkcs8::EncodePrivateKey;
use latchkey_server::Config;
use latchkey_testkit::TestServer;
use serde_json::{Value, json};
use sha2::{Digest, Sha512};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn release_create_upload_publish_list_yank() -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("latchkey-cli-release-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    let mut config = Config::default();
    config.artifacts.dir = dir.join("artifacts");
    let server = TestServer::start_with(config).await?;
    let product = server
        .create(
            "/v1/products",
            json!({"data": {"type": "products", "attributes": {"name": "App"}}}),
        )
        .await?;
    let product = product["id"].as_str().unwrap_or_default().to_owned();
    let run = |args: &[&str]| -> anyhow::Result<Output> {
        let mut command = Command::new(env!("CARGO_BIN_EXE_latchkey"));
        for (name, _) in std::env::vars() {
            if name.starts_with("LATCHKEY_") {
                command.env_remove(name);
            }
        }
        command.env("LATCHKEY_PROFILE", dir.join("profile.toml"));
        command.env("HOME", &dir);
        Ok(command
            .args(args)
            .args([
                "--url",
                &server.base,
                "--token",
                &server.admin_token,
                "--json",
            ])
            .output()?)
    };

    let version = "--attr=version=1.2.0";
    let rel = format!("--rel=product={product}");
    let out = run(&["release", "create", version, "--attr=channel=stable", &rel])?;
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );

    let signing = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let pem = signing.to_pkcs8_pem(Default::default())?;
    std::fs::write(dir.join("vendor.pem"), pem.as_bytes())?;
    let payload: Vec<u8> = (0..300_000u32).map(|i| (i % 241) as u8).collect();
    std::fs::write(dir.join("app.tar.gz"), &payload)?;
    let file = dir.join("app.tar.gz").to_string_lossy().into_owned();
    let key = dir.join("vendor.pem").to_string_lossy().into_owned();
    let out = run(&[
        "artifact",
        "upload",
        &file,
        "--release",
        "1.2.0",
        "--platform",
        "linux",
        "--arch",
        "amd64",
        "--signing-key",
        &key,
        "--quiet",
    ])?;
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout)?;
    let artifact = printed["data"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    // The server verified the bytes; the signature verifies as Ed25519ph over them,
    // with the product id as context (as Keygen's SDKs verify it).
    let shown = server
        .admin("GET", &format!("/v1/artifacts/{artifact}?x=1"), None)
        .await?;
    let _ = shown;
    let reply = server
        .call("GET", "/v1/artifacts", Some(&server.admin_token), None)
        .await?;
    let attributes = &reply.body["data"][0]["attributes"];
    assert_eq!(attributes["status"], "UPLOADED", "{}", reply.body);
    assert_eq!(attributes["filetype"], "gz");
    use base64::Engine;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(attributes["signature"].as_str().unwrap_or_default())?;
    let signature = ed25519_dalek::Signature::from_slice(&signature)?;
    let mut prehash = Sha512::new();
    prehash.update(&payload);
    signing
        .verifying_key()
        .verify_prehashed(prehash, Some(product.as_bytes()), &signature)?;

    let out = run(&["release", "publish", "1.2.0"])?;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(&["release", "list"])?;
    let listed: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(
        listed["data"][0]["attributes"]["status"], "PUBLISHED",
        "{listed}"
    );
    let out = run(&["release", "yank", "1.2.0"])?;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(&["artifact", "upload", &file, "--release", "9.9.9", "--quiet"])?;
    assert!(!out.status.success(), "an unknown release is refused");
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}
