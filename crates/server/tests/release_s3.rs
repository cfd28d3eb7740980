//! Artifacts in an S3-compatible bucket (issue 14): the upload → publish → upgrade →
//! download flow against moto's S3 server (PyPI `moto[server]`, installed by
//! scripts/test), started here on a free port. Skipped, saying so, only when
//! `moto_server` cannot start.
#![allow(clippy::expect_used)]

use latchkey_server::Config;
use latchkey_server::storage::s3::S3Options;
use latchkey_testkit::TestServer;
use latchkey_testkit::fixtures::{id, to_one};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

mod release_support;
use release_support::*;

/// A running `moto_server`, killed on drop.
struct Moto {
    child: Child,
    url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn moto() -> Option<Moto> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .ok()?
        .port();
    let child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .or_else(|_| {
            Command::new("python3")
                .args([
                    "-m",
                    "moto.server",
                    "-H",
                    "127.0.0.1",
                    "-p",
                    &port.to_string(),
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
        })
        .ok()?;
    let moto = Moto {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..150 {
        if reqwest::get(&moto.url).await.is_ok() {
            return Some(moto);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

async fn s3_server(moto: &Moto, bucket: &str) -> anyhow::Result<TestServer> {
    // moto accepts an unsigned path-style bucket creation.
    let created = client()
        .put(format!("{}/{bucket}", moto.url))
        .send()
        .await?;
    anyhow::ensure!(
        created.status().is_success(),
        "bucket: {}",
        created.status()
    );
    let mut options = S3Options::new(bucket, "us-east-1");
    options.endpoint = Some(moto.url.clone());
    options.path_style = true;
    options.access_key_id = Some("testing".into());
    options.secret_access_key = Some("testing".into());
    options.prefix = "artifacts/".into();
    let mut config = Config::default();
    config.artifacts.s3 = Some(options);
    TestServer::start_with(config).await
}

async fn create_artifact(
    server: &TestServer,
    release: &str,
    filename: &str,
    checksum: &str,
    size: usize,
) -> anyhow::Result<(String, String)> {
    let body = json!({"data": {"type": "artifacts",
        "attributes": {"filename": filename, "filesize": size, "checksum": checksum,
            "platform": "linux", "arch": "amd64"},
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
    Ok((id(&reply.body["data"]), reply.header("location").to_owned()))
}

#[tokio::test]
async fn upload_publish_upgrade_download_through_an_s3_bucket() -> anyhow::Result<()> {
    let Some(moto) = moto().await else {
        eprintln!(
            "SKIPPED: moto_server could not start (install it with `pip install 'moto[server]'`)"
        );
        return Ok(());
    };
    let server = s3_server(&moto, "releases").await?;
    let (product, _license, key) = licensed(&server, json!({})).await?;
    let auth = format!("License {key}");
    let v1 = release(&server, &product, "1.0.0", "stable").await?;
    publish(&server, &v1).await?;
    let v2 = release(&server, &product, "1.1.0", "stable").await?;
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    let checksum = hex::encode(Sha256::digest(&bytes));
    let (art, upload) =
        create_artifact(&server, &v2, "app-1.1.0.tar.gz", &checksum, bytes.len()).await?;
    // The upload URL is the bucket's own presigned PUT, not Latchkey's.
    assert!(upload.starts_with(&moto.url), "{upload}");
    assert!(upload.contains("/releases/artifacts/"), "{upload}");
    assert!(upload.contains("X-Amz-Signature="), "{upload}");

    // Nothing uploaded yet: the artifact stays WAITING and offers no download.
    let path = format!("/v1/artifacts/{art}");
    let waiting = send(&server, "GET", &path, Some(&admin(&server)), None, &[]).await?;
    assert_eq!(waiting.status, 200, "{}", waiting.body);
    assert_eq!(waiting.body["data"]["attributes"]["status"], "WAITING");
    assert!(waiting.headers.get("location").is_none());

    let put = client().put(&upload).body(bytes.clone()).send().await?;
    assert!(put.status().is_success(), "{}", put.status());
    publish(&server, &v2).await?;

    let path = format!("/v1/releases/1.0.0/upgrade?product={product}");
    let upgrade = send(&server, "GET", &path, Some(&auth), None, &[]).await?;
    assert_eq!(upgrade.status, 200, "{}", upgrade.body);
    assert_eq!(id(&upgrade.body["data"]), v2);

    // The SDKs' download: 303 to the bucket's presigned GET; the artifact was
    // verified (size, then SHA-256 streamed from the bucket) on the way.
    let path = format!("/v1/releases/{v2}/artifacts/app-1.1.0.tar.gz");
    let reply = send(&server, "GET", &path, Some(&auth), None, &[]).await?;
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(reply.body["data"]["attributes"]["status"], "UPLOADED");
    assert_eq!(
        reply.body["data"]["attributes"]["filesize"],
        json!(bytes.len())
    );
    let location = reply.header("location").to_owned();
    assert!(location.starts_with(&moto.url), "{location}");
    let fetched = client().get(&location).send().await?;
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await?.as_ref(), bytes.as_slice());

    // Prefer: no-redirect answers 200 with the same kind of URL.
    let reply = send(
        &server,
        "GET",
        &format!("/v1/artifacts/{art}"),
        Some(&auth),
        None,
        &[("Prefer", "no-redirect")],
    )
    .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.header("location").starts_with(&moto.url));

    // Latchkey's own storage URLs are not served with a bucket configured.
    let own = send(
        &server,
        "GET",
        &format!(
            "/storage/{}/artifacts/{art}?expires=9999999999&signature=x",
            server.account_id
        ),
        None,
        None,
        &[],
    )
    .await?;
    assert_eq!(own.status, 404);

    // Deleting the artifact deletes its object.
    let deleted = send(
        &server,
        "DELETE",
        &format!("/v1/artifacts/{art}"),
        Some(&admin(&server)),
        None,
        &[],
    )
    .await?;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    let gone = client().get(&location).send().await?;
    assert_eq!(gone.status(), 404);
    Ok(())
}

#[tokio::test]
async fn bytes_that_do_not_match_fail_and_are_deleted_from_the_bucket() -> anyhow::Result<()> {
    let Some(moto) = moto().await else {
        eprintln!(
            "SKIPPED: moto_server could not start (install it with `pip install 'moto[server]'`)"
        );
        return Ok(());
    };
    let server = s3_server(&moto, "mismatch").await?;
    let (product, _license, _key) = licensed(&server, json!({})).await?;
    let v1 = release(&server, &product, "1.0.0", "stable").await?;
    let bytes = vec![7u8; 10_000];
    let wrong = hex::encode(Sha256::digest(b"something else"));

    // Right size, wrong checksum.
    let (art, upload) = create_artifact(&server, &v1, "a.bin", &wrong, bytes.len()).await?;
    let put = client().put(&upload).body(bytes.clone()).send().await?;
    assert!(put.status().is_success());
    let reply = send(
        &server,
        "GET",
        &format!("/v1/artifacts/{art}"),
        Some(&admin(&server)),
        None,
        &[],
    )
    .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["data"]["attributes"]["status"], "FAILED");
    let object = format!(
        "{}/mismatch/artifacts/{}/{art}",
        moto.url, server.account_id
    );
    assert_eq!(client().get(&object).send().await?.status(), 404);

    // Wrong size (more bytes than declared).
    let right = hex::encode(Sha256::digest(&bytes));
    let (art, upload) = create_artifact(&server, &v1, "b.bin", &right, 10).await?;
    client().put(&upload).body(bytes).send().await?;
    let reply = send(
        &server,
        "GET",
        &format!("/v1/artifacts/{art}"),
        Some(&admin(&server)),
        None,
        &[],
    )
    .await?;
    assert_eq!(reply.body["data"]["attributes"]["status"], "FAILED");
    Ok(())
}

/// The artifacts a licensee's list shows: (id, status).
async fn listed(
    server: &TestServer,
    path: &str,
    auth: &str,
) -> anyhow::Result<Vec<(String, String)>> {
    let reply = send(server, "GET", path, Some(auth), None, &[]).await?;
    anyhow::ensure!(reply.status == 200, "{path}: {}", reply.body);
    Ok(reply.body["data"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    (
                        id(r),
                        r["attributes"]["status"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default())
}

#[tokio::test]
async fn a_failed_artifact_uploads_again_and_lists_settle() -> anyhow::Result<()> {
    let Some(moto) = moto().await else {
        eprintln!(
            "SKIPPED: moto_server could not start (install it with `pip install 'moto[server]'`)"
        );
        return Ok(());
    };
    let server = s3_server(&moto, "again").await?;
    let (product, _license, key) = licensed(&server, json!({})).await?;
    let auth = format!("License {key}");
    let v1 = release(&server, &product, "1.0.0", "stable").await?;
    publish(&server, &v1).await?;
    let bytes = vec![3u8; 20_000];
    let checksum = hex::encode(Sha256::digest(&bytes));
    let (art, upload) = create_artifact(&server, &v1, "a.bin", &checksum, bytes.len()).await?;

    // Bad bytes of the right size: FAILED once read, the object deleted.
    let put = client().put(&upload).body(vec![4u8; 20_000]).send().await?;
    assert!(put.status().is_success());
    let path = format!("/v1/artifacts/{art}");
    let reply = send(&server, "GET", &path, Some(&admin(&server)), None, &[]).await?;
    assert_eq!(reply.body["data"]["attributes"]["status"], "FAILED");
    // Read again with nothing new in the bucket: still FAILED.
    let reply = send(&server, "GET", &path, Some(&admin(&server)), None, &[]).await?;
    assert_eq!(reply.body["data"]["attributes"]["status"], "FAILED");
    let of_release = format!("/v1/releases/{v1}/artifacts");
    assert!(listed(&server, &of_release, &auth).await?.is_empty());

    // The right bytes to the same upload URL: the licensee's list settles it.
    let put = client().put(&upload).body(bytes.clone()).send().await?;
    assert!(put.status().is_success());
    assert_eq!(
        listed(&server, &of_release, &auth).await?,
        vec![(art.clone(), "UPLOADED".to_owned())]
    );
    let reply = send(&server, "GET", &path, Some(&admin(&server)), None, &[]).await?;
    assert_eq!(reply.body["data"]["attributes"]["status"], "UPLOADED");
    assert_eq!(
        reply.body["data"]["attributes"]["filesize"],
        json!(bytes.len())
    );

    // A WAITING artifact is settled by `GET /artifacts` and the product's list too.
    let more = vec![5u8; 1_000];
    let (second, upload) = create_artifact(
        &server,
        &v1,
        "b.bin",
        &hex::encode(Sha256::digest(&more)),
        more.len(),
    )
    .await?;
    client().put(&upload).body(more).send().await?;
    let all = listed(&server, "/v1/artifacts", &admin(&server)).await?;
    assert!(
        all.contains(&(second.clone(), "UPLOADED".to_owned())),
        "{all:?}"
    );
    let (third, upload) = create_artifact(&server, &v1, "c.bin", &checksum, bytes.len()).await?;
    client().put(&upload).body(bytes).send().await?;
    let of_product = format!("/v1/products/{product}/artifacts");
    let seen = listed(&server, &of_product, &auth).await?;
    assert!(seen.contains(&(third, "UPLOADED".to_owned())), "{seen:?}");
    assert_eq!(seen.len(), 3, "{seen:?}");
    Ok(())
}
