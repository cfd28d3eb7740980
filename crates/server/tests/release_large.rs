//! A 200 MiB artifact streams up and down with flat memory (issue 14): the bytes are
//! generated on the fly, the server verifies size and SHA-256 as they pass, and the
//! process's peak RSS grows by far less than the artifact.
#![allow(clippy::expect_used)]

use futures::StreamExt;
use latchkey_testkit::fixtures::{Fixtures, id, to_one};
use serde_json::json;
use sha2::{Digest, Sha256};

mod release_support;
use release_support::*;

const CHUNK: usize = 1024 * 1024;
const CHUNKS: usize = 200;

fn chunk(i: usize) -> Vec<u8> {
    (0..CHUNK).map(|j| ((i * 31 + j) % 253) as u8).collect()
}

/// `VmRSS` or `VmHWM` of this process, in KiB (0 where /proc is unavailable).
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
        })
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_200_mib_artifact_streams_with_flat_memory() -> anyhow::Result<()> {
    let (server, dir) = server().await?;
    let product = server.product("App").await?;
    let rel = release(&server, &product, "1.0.0", "stable").await?;
    let mut hasher = Sha256::new();
    for i in 0..CHUNKS {
        hasher.update(chunk(i));
    }
    let checksum = hex::encode(hasher.finalize());
    let size = CHUNK * CHUNKS;
    let body = json!({"data": {"type": "artifacts",
        "attributes": {"filename": "big.bin", "filesize": size, "checksum": checksum},
        "relationships": {"release": to_one("releases", &rel)}}});
    let reply = send(
        &server,
        "POST",
        "/v1/artifacts",
        Some(&admin(&server)),
        Some(body),
        &[],
    )
    .await?;
    assert_eq!(reply.status, 307, "{}", reply.body);
    let art = id(&reply.body["data"]);
    let upload = reply.header("location").to_owned();

    let before = status_kib("VmRSS:");
    let stream = futures::stream::iter(0..CHUNKS).map(|i| Ok::<_, std::io::Error>(chunk(i)));
    let started = std::time::Instant::now();
    let put = client()
        .put(&upload)
        .header("Content-Length", size.to_string())
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await?;
    assert_eq!(put.status(), 200);
    let up = started.elapsed();

    let reply = send(
        &server,
        "GET",
        &format!("/v1/artifacts/{art}"),
        Some(&admin(&server)),
        None,
        &[],
    )
    .await?;
    assert_eq!(reply.status, 303);
    let started = std::time::Instant::now();
    let response = client().get(reply.header("location")).send().await?;
    assert_eq!(response.status(), 200);
    assert_eq!(response.content_length(), Some(size as u64));
    let mut received = 0usize;
    let mut download_hash = Sha256::new();
    let mut bytes = response.bytes_stream();
    while let Some(part) = bytes.next().await {
        let part = part?;
        received += part.len();
        download_hash.update(&part);
    }
    let down = started.elapsed();
    assert_eq!(received, size);
    assert_eq!(hex::encode(download_hash.finalize()), checksum);

    let peak = status_kib("VmHWM:");
    let growth_mib = peak.saturating_sub(before) / 1024;
    eprintln!(
        "200 MiB artifact: upload {up:?}, download {down:?}, RSS before {} MiB, peak {} MiB (+{growth_mib} MiB)",
        before / 1024,
        peak / 1024
    );
    if before > 0 {
        assert!(
            growth_mib < 64,
            "peak RSS grew by {growth_mib} MiB for a 200 MiB artifact"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}
