//! The license's `version` attribute (issue 14): a validation whose `checksum` or
//! `version` scope matches records the release on the license through the batched
//! validation touch (Keygen's lastValidatedChecksum / lastValidatedVersion), the
//! validation cache drops the license only when the recorded values change.
#![allow(clippy::expect_used)]

use latchkey_testkit::TestServer;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::time::Duration;

mod release_support;
use release_support::*;

async fn validate(server: &TestServer, key: &str, scope: Option<Value>) -> anyhow::Result<Value> {
    let mut meta = json!({"key": key});
    if let Some(scope) = scope {
        meta["scope"] = scope;
    }
    let reply = server
        .call(
            "POST",
            "/v1/licenses/actions/validate-key",
            None,
            Some(json!({ "meta": meta })),
        )
        .await?;
    anyhow::ensure!(reply.status == 200, "validate-key: {}", reply.body);
    Ok(reply.body)
}

/// The license's `version` as `GET /licenses/{id}` renders it.
async fn version(server: &TestServer, license: &str) -> anyhow::Result<Value> {
    let reply = server
        .admin("GET", &format!("/v1/licenses/{license}"), None)
        .await?;
    anyhow::ensure!(reply.status == 200, "license: {}", reply.body);
    Ok(reply.body["data"]["attributes"]["version"].clone())
}

/// Waits until `GET /licenses/{id}` shows `want` (the touch is batched).
async fn settles(server: &TestServer, license: &str, want: Value) -> anyhow::Result<()> {
    for _ in 0..60 {
        if version(server, license).await? == want {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!(
        "version stayed {} (wanted {want})",
        version(server, license).await?
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matched_scopes_record_the_license_version() -> anyhow::Result<()> {
    let (server, dir) = server().await?;
    let (product, license, key) = licensed(&server, json!({})).await?;
    let first = release(&server, &product, "1.0.0", "stable").await?;
    let second = release(&server, &product, "1.1.0", "stable").await?;
    artifact(&server, &second, "app-1.1.0.tar.gz", b"one point one").await?;
    publish(&server, &first).await?;
    publish(&server, &second).await?;
    let checksum = hex::encode(Sha256::digest(b"one point one"));

    assert_eq!(version(&server, &license).await?, Value::Null);
    // Warm the validation cache with the row as it is.
    validate(&server, &key, None).await?;
    validate(&server, &key, None).await?;

    // A version scope: the response already shows it, the row follows.
    let body = validate(&server, &key, Some(json!({"version": "v1.0.0"}))).await?;
    assert_eq!(body["meta"]["code"], "VALID", "{body}");
    assert_eq!(body["data"]["attributes"]["version"], "1.0.0");
    settles(&server, &license, json!("1.0.0")).await?;
    // The cached row was dropped when the version changed.
    let body = validate(&server, &key, None).await?;
    assert_eq!(body["data"]["attributes"]["version"], "1.0.0", "{body}");

    // The same version again writes nothing the cache depends on.
    let before = server.db.snapshot_cache().stats();
    for _ in 0..20 {
        let body = validate(&server, &key, Some(json!({"version": "1.0.0"}))).await?;
        assert_eq!(body["meta"]["code"], "VALID");
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    validate(&server, &key, None).await?;
    let after = server.db.snapshot_cache().stats();
    assert_eq!(
        after.invalidations, before.invalidations,
        "{before:?} → {after:?}"
    );
    assert_eq!(after.misses, before.misses, "{before:?} → {after:?}");

    // A checksum scope records the checksum and its artifact's release.
    let body = validate(&server, &key, Some(json!({"checksum": checksum}))).await?;
    assert_eq!(body["meta"]["code"], "VALID", "{body}");
    assert_eq!(body["data"]["attributes"]["version"], "1.1.0");
    settles(&server, &license, json!("1.1.0")).await?;
    let row = latchkey_store::licenses::find(&server.db, &server.account_id, &license)
        .await?
        .expect("license");
    assert_eq!(
        row.last_validated_checksum.as_deref(),
        Some(checksum.as_str())
    );
    assert_eq!(row.last_validated_version.as_deref(), Some("1.1.0"));

    // A scope that does not match records nothing.
    let body = validate(&server, &key, Some(json!({"version": "9.9.9"}))).await?;
    assert_eq!(body["meta"]["code"], "VERSION_SCOPE_MISMATCH", "{body}");
    assert_eq!(body["data"]["attributes"]["version"], "1.1.0");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(version(&server, &license).await?, json!("1.1.0"));
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
