//! Shared set-up of the release tests: a server with a temporary artifact folder,
//! a client that does not follow redirects, and release/artifact/license creators.
#![allow(dead_code, clippy::expect_used)]

use latchkey_server::Config;
use latchkey_testkit::fixtures::{Fixtures, id, to_one};
use latchkey_testkit::{Reply, TestServer};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// A server whose artifacts live in a fresh temporary folder.
pub async fn server() -> anyhow::Result<(TestServer, PathBuf)> {
    let dir = std::env::temp_dir().join(format!("latchkey-artifacts-{}", uuid::Uuid::new_v4()));
    let mut config = Config::default();
    config.artifacts.dir = dir.clone();
    Ok((TestServer::start_with(config).await?, dir))
}

/// A client that never follows redirects (the 303/307 answers are asserted).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

pub async fn send(
    server: &TestServer,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: Option<Value>,
    extra: &[(&str, &str)],
) -> anyhow::Result<Reply> {
    let url = if path.starts_with("http") {
        path.to_owned()
    } else {
        format!("{}{path}", server.base)
    };
    let mut request = client()
        .request(reqwest::Method::from_bytes(method.as_bytes())?, url)
        .header("Accept", "application/vnd.api+json");
    if let Some(auth) = auth {
        request = request.header("Authorization", auth);
    }
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/vnd.api+json")
            .body(body.to_string());
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await?;
    Ok(Reply {
        status,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        headers,
    })
}

pub fn admin(server: &TestServer) -> String {
    format!("Bearer {}", server.admin_token)
}

pub async fn release(
    server: &TestServer,
    product: &str,
    version: &str,
    channel: &str,
) -> anyhow::Result<String> {
    let body = json!({"data": {"type": "releases",
        "attributes": {"version": version, "channel": channel},
        "relationships": {"product": to_one("products", product)}}});
    let reply = send(
        server,
        "POST",
        "/v1/releases",
        Some(&admin(server)),
        Some(body),
        &[],
    )
    .await?;
    anyhow::ensure!(reply.status == 201, "create release: {}", reply.body);
    Ok(id(&reply.body["data"]))
}

pub async fn publish(server: &TestServer, release: &str) -> anyhow::Result<()> {
    let path = format!("/v1/releases/{release}/actions/publish");
    let reply = send(server, "POST", &path, Some(&admin(server)), None, &[]).await?;
    anyhow::ensure!(reply.status == 200, "publish: {}", reply.body);
    Ok(())
}

/// Creates an artifact with the bytes' SHA-256 and uploads them; returns its id.
pub async fn artifact(
    server: &TestServer,
    release: &str,
    filename: &str,
    bytes: &[u8],
) -> anyhow::Result<String> {
    let checksum = hex::encode(Sha256::digest(bytes));
    let body = json!({"data": {"type": "artifacts",
        "attributes": {"filename": filename, "filesize": bytes.len(), "checksum": checksum,
            "platform": "linux", "arch": "amd64", "filetype": "tar.gz"},
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
    assert_eq!(reply.body["data"]["attributes"]["status"], "WAITING");
    let upload = reply.header("location").to_owned();
    let put = client().put(&upload).body(bytes.to_vec()).send().await?;
    anyhow::ensure!(put.status() == 200, "upload: {}", put.status());
    Ok(id(&reply.body["data"]))
}

/// A product, a policy (with `policy`, license-key authentication) and a license; returns
/// (product, license id, license key).
pub async fn licensed(
    server: &TestServer,
    policy: Value,
) -> anyhow::Result<(String, String, String)> {
    let mut policy = policy;
    policy["authenticationStrategy"] = "LICENSE".into();
    let product = server.product("App").await?;
    let policy = server.policy_for(&product, policy).await?;
    let license = server.license_for(&policy, json!({})).await?;
    let key = license["attributes"]["key"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    Ok((product, id(&license), key))
}
