//! Download gates over HTTP (issue 14): signed URLs bound to artifact, operation
//! and expiry; size/checksum verification; every license gate with Keygen's answers;
//! FROM_FIRST_DOWNLOAD; PATCH /artifacts/{id}.
#![allow(clippy::expect_used)]

use latchkey_testkit::fixtures::{Fixtures, id, to_one};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

mod release_support;
use release_support::*;

#[tokio::test]
async fn size_and_checksum_are_verified_and_signed_urls_are_bound() -> anyhow::Result<()> {
    let (server, dir) = server().await?;
    let product = server.product("App").await?;
    let rel = release(&server, &product, "2.0.0", "stable").await?;
    let body = json!({"data": {"type": "artifacts",
        "attributes": {"filename": "a.bin", "filesize": 4, "checksum": hex::encode(Sha256::digest(b"good"))},
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
    assert_eq!(reply.status, 307);
    let art = id(&reply.body["data"]);
    let upload = reply.header("location").to_owned();

    // Tampered signature, or the URL used for another operation: refused.
    let tampered = upload.replace("signature=", "signature=0");
    let put = client().put(&tampered).body("good").send().await?;
    assert_eq!(put.status(), 403);
    let get = client().get(&upload).send().await?;
    assert_eq!(get.status(), 403);

    // Wrong bytes: FAILED; the right bytes afterwards: UPLOADED.
    let put = client().put(&upload).body("bad!").send().await?;
    assert_eq!(put.status(), 422);
    let shown = send(
        &server,
        "GET",
        &format!("/v1/artifacts/{art}"),
        Some(&admin(&server)),
        None,
        &[("Prefer", "no-download")],
    )
    .await?;
    assert_eq!(shown.body["data"]["attributes"]["status"], "FAILED");
    let put = client().put(&upload).body("toolong").send().await?;
    assert_eq!(put.status(), 422);
    let put = client().put(&upload).body("good").send().await?;
    assert_eq!(put.status(), 200);
    let put = client().put(&upload).body("good").send().await?;
    assert_eq!(put.status(), 409, "an uploaded artifact is not overwritten");

    // A download URL is bound to its artifact and expires.
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
    let url = reply.header("location").to_owned();
    let other = url.replace(&art, &uuid::Uuid::new_v4().to_string());
    assert_eq!(client().get(&other).send().await?.status(), 403);
    assert_eq!(client().get(&url).send().await?.status(), 200);
    server.clock.advance(time::Duration::seconds(301));
    assert_eq!(client().get(&url).send().await?.status(), 403);

    // A bad checksum format, a duplicate filename, a negative size: 422.
    for attributes in [
        json!({"filename": "b.bin", "checksum": "nope"}),
        json!({"filename": "a.bin"}),
        json!({"filename": "c.bin", "filesize": -1}),
    ] {
        let body = json!({"data": {"type": "artifacts", "attributes": attributes,
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
        assert_eq!(reply.status, 422, "{}", reply.body);
    }
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

#[tokio::test]
async fn download_gates() -> anyhow::Result<()> {
    let (server, dir) = server().await?;
    let (product, license, key) =
        licensed(&server, json!({"expirationStrategy": "RESTRICT_ACCESS"})).await?;
    let auth = format!("License {key}");
    let rel = release(&server, &product, "1.0.0", "stable").await?;
    artifact(&server, &rel, "app.zip", b"zip").await?;
    publish(&server, &rel).await?;
    let path = format!("/v1/releases/{rel}/artifacts/app.zip");
    assert_eq!(
        send(&server, "GET", &path, Some(&auth), None, &[])
            .await?
            .status,
        303
    );

    // Anonymous: 404 (a licensed product's releases are not listed to anyone).
    assert_eq!(
        send(&server, "GET", &path, None, None, &[]).await?.status,
        404
    );

    // Another product's license: the release is not found.
    let (_, _, other_key) = licensed(&server, json!({})).await?;
    let reply = send(
        &server,
        "GET",
        &path,
        Some(&format!("License {other_key}")),
        None,
        &[],
    )
    .await?;
    assert_eq!(reply.status, 404);

    // A constraint the license lacks hides the release; granting it reveals it.
    let entitlement = server
        .create(
            "/v1/entitlements",
            json!({"data": {"type": "entitlements", "attributes": {"name": "Pro", "code": "PRO"}}}),
        )
        .await?;
    let body = json!({"data": [{"type": "constraints", "relationships": {"entitlement": to_one("entitlements", &id(&entitlement))}}]});
    let reply = send(
        &server,
        "POST",
        &format!("/v1/releases/{rel}/constraints"),
        Some(&admin(&server)),
        Some(body),
        &[],
    )
    .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        send(&server, "GET", &path, Some(&auth), None, &[])
            .await?
            .status,
        404
    );
    let attach = json!({"data": [{"type": "entitlements", "id": id(&entitlement)}]});
    let reply = send(
        &server,
        "POST",
        &format!("/v1/licenses/{license}/entitlements"),
        Some(&admin(&server)),
        Some(attach),
        &[],
    )
    .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        send(&server, "GET", &path, Some(&auth), None, &[])
            .await?
            .status,
        303
    );

    // Expired RESTRICT_ACCESS: releases dated before the expiry only.
    let expiry = "2026-01-01T11:00:00.000Z";
    let patch = json!({"data": {"type": "licenses", "attributes": {"expiry": expiry}}});
    let reply = send(
        &server,
        "PATCH",
        &format!("/v1/licenses/{license}"),
        Some(&admin(&server)),
        Some(patch),
        &[],
    )
    .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reply = send(&server, "GET", &path, Some(&auth), None, &[]).await?;
    assert_eq!(reply.status, 403);
    assert!(
        reply.body["errors"][0]["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("outside license expiry window")
    );
    let backdate = json!({"data": {"type": "releases", "attributes": {"backdated": "2025-12-01T00:00:00.000Z"}}});
    let reply = send(
        &server,
        "PATCH",
        &format!("/v1/releases/{rel}"),
        Some(&admin(&server)),
        Some(backdate),
        &[],
    )
    .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        send(&server, "GET", &path, Some(&auth), None, &[])
            .await?
            .status,
        303
    );

    // Yanked: hidden from the licensee, still visible to the admin.
    let reply = send(
        &server,
        "POST",
        &format!("/v1/releases/{rel}/actions/yank"),
        Some(&admin(&server)),
        None,
        &[],
    )
    .await?;
    assert_eq!(reply.body["data"]["attributes"]["status"], "YANKED");
    assert_eq!(
        send(&server, "GET", &path, Some(&auth), None, &[])
            .await?
            .status,
        404
    );
    assert_eq!(
        send(&server, "GET", &path, Some(&admin(&server)), None, &[])
            .await?
            .status,
        303
    );

    // Writes: a license may not create releases; another product may not publish.
    let body = json!({"data": {"type": "releases", "attributes": {"version": "9.0.0", "channel": "stable"},
        "relationships": {"product": to_one("products", &product)}}});
    assert_eq!(
        send(
            &server,
            "POST",
            "/v1/releases",
            Some(&auth),
            Some(body),
            &[]
        )
        .await?
        .status,
        403
    );
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

#[tokio::test]
async fn expiration_strategies_gate_downloads() -> anyhow::Result<()> {
    let (server, dir) = server().await?;
    // (strategy, download status once expired, for a release created after expiry)
    for (strategy, want) in [
        ("REVOKE_ACCESS", 403),
        ("RESTRICT_ACCESS", 403),
        ("MAINTAIN_ACCESS", 403),
        ("ALLOW_ACCESS", 303),
    ] {
        let (product, license, key) =
            licensed(&server, json!({"expirationStrategy": strategy})).await?;
        let rel = release(&server, &product, "1.0.0", "stable").await?;
        artifact(&server, &rel, "app.zip", b"zip").await?;
        publish(&server, &rel).await?;
        let patch = json!({"data": {"type": "licenses", "attributes": {"expiry": "2026-01-01T11:00:00.000Z"}}});
        let reply = send(
            &server,
            "PATCH",
            &format!("/v1/licenses/{license}"),
            Some(&admin(&server)),
            Some(patch),
            &[],
        )
        .await?;
        assert_eq!(reply.status, 200);
        let path = format!("/v1/releases/{rel}/artifacts/app.zip");
        let reply = send(
            &server,
            "GET",
            &path,
            Some(&format!("License {key}")),
            None,
            &[],
        )
        .await?;
        assert_eq!(reply.status, want, "{strategy}: {}", reply.body);
        if strategy == "REVOKE_ACCESS" {
            assert_eq!(reply.error_code(), Some("LICENSE_EXPIRED"));
        }
    }
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

#[tokio::test]
async fn first_download_starts_expiry() -> anyhow::Result<()> {
    let (server, dir) = server().await?;
    let (product, license, key) = licensed(
        &server,
        json!({"duration": 86400, "expirationBasis": "FROM_FIRST_DOWNLOAD"}),
    )
    .await?;
    let rel = release(&server, &product, "1.0.0", "stable").await?;
    artifact(&server, &rel, "app.zip", b"zip").await?;
    publish(&server, &rel).await?;
    let shown = server
        .admin("GET", &format!("/v1/licenses/{license}"), None)
        .await?;
    assert_eq!(shown.body["data"]["attributes"]["expiry"], Value::Null);
    let reply = send(
        &server,
        "GET",
        &format!("/v1/releases/{rel}/artifacts/app.zip"),
        Some(&format!("License {key}")),
        None,
        &[],
    )
    .await?;
    assert_eq!(reply.status, 303);
    let shown = server
        .admin("GET", &format!("/v1/licenses/{license}"), None)
        .await?;
    assert_eq!(
        shown.body["data"]["attributes"]["expiry"],
        "2026-01-02T12:00:00.000Z"
    );
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

#[tokio::test]
async fn checksum_and_version_scopes_check_real_releases() -> anyhow::Result<()> {
    let (server, dir) = server().await?;
    let (product, _, key) = licensed(&server, json!({})).await?;
    let rel = release(&server, &product, "1.2.0", "stable").await?;
    artifact(&server, &rel, "app.zip", b"zip").await?;
    let checksum = hex::encode(Sha256::digest(b"zip"));
    let scope = json!({"checksum": checksum, "version": "1.2.0"});
    // A draft matches nothing.
    let meta = server.validate_key(&key, scope.clone()).await?;
    assert_eq!(meta["meta"]["code"], "CHECKSUM_SCOPE_MISMATCH");
    publish(&server, &rel).await?;
    let meta = server.validate_key(&key, scope.clone()).await?;
    assert_eq!(meta["meta"]["code"], "VALID", "{meta}");
    let meta = server
        .validate_key(&key, json!({"version": "v1.2.0"}))
        .await?;
    assert_eq!(meta["meta"]["code"], "VALID", "a leading v is accepted");
    let meta = server
        .validate_key(&key, json!({"version": "1.3.0"}))
        .await?;
    assert_eq!(meta["meta"]["code"], "VERSION_SCOPE_MISMATCH");
    let meta = server.validate_key(&key, json!({"checksum": "00"})).await?;
    assert_eq!(meta["meta"]["code"], "CHECKSUM_SCOPE_MISMATCH");
    // Another product's license does not match this product's artifacts.
    let (_, _, other) = licensed(&server, json!({})).await?;
    let meta = server.validate_key(&other, scope).await?;
    assert_eq!(meta["meta"]["code"], "CHECKSUM_SCOPE_MISMATCH");
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

#[tokio::test]
async fn artifacts_are_patched_by_their_product_s_writers_only() -> anyhow::Result<()> {
    let (server, _dir) = server().await?;
    let (product, _license, key) = licensed(&server, json!({})).await?;
    let v1 = release(&server, &product, "1.0.0", "stable").await?;
    publish(&server, &v1).await?;
    let art = artifact(&server, &v1, "a.bin", b"hello").await?;
    let path = format!("/v1/artifacts/{art}");
    let patch = |attributes: serde_json::Value| json!({"data": {"type": "artifacts", "attributes": attributes}});

    let sig = json!({"signature": "c2ln", "metadata": {"build": 7}});
    let reply = send(
        &server,
        "PATCH",
        &path,
        Some(&admin(&server)),
        Some(patch(sig)),
        &[],
    )
    .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["data"]["attributes"]["signature"], "c2ln");
    assert_eq!(reply.body["data"]["attributes"]["metadata"]["build"], 7);
    let shown = send(
        &server,
        "GET",
        &path,
        Some(&admin(&server)),
        None,
        &[("Prefer", "no-download")],
    )
    .await?;
    assert_eq!(shown.body["data"]["attributes"]["signature"], "c2ln");

    // What the upload was verified against cannot change afterwards.
    let size = patch(json!({"filesize": 6}));
    let reply = send(
        &server,
        "PATCH",
        &path,
        Some(&admin(&server)),
        Some(size),
        &[],
    )
    .await?;
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert_eq!(
        reply.body["errors"][0]["source"]["pointer"],
        "/data/attributes/filesize"
    );

    // The licensee may download it, not change it; bad input is refused cleanly.
    let license = format!("License {key}");
    let reply = send(
        &server,
        "PATCH",
        &path,
        Some(&license),
        Some(patch(json!({"signature": "x"}))),
        &[],
    )
    .await?;
    assert_eq!(reply.status, 403, "{}", reply.body);
    for body in [
        patch(json!({"status": "UPLOADED"})),
        patch(json!({"signature": 5})),
        patch(json!({"metadata": "no"})),
        json!({"data": {"type": "licenses", "attributes": {}}}),
    ] {
        let reply = send(
            &server,
            "PATCH",
            &path,
            Some(&admin(&server)),
            Some(body.clone()),
            &[],
        )
        .await?;
        assert!(
            [400, 409, 422].contains(&reply.status),
            "{body} → {} {}",
            reply.status,
            reply.body
        );
    }
    let missing = send(
        &server,
        "PATCH",
        "/v1/artifacts/nope",
        Some(&admin(&server)),
        Some(patch(json!({}))),
        &[],
    )
    .await?;
    assert_eq!(missing.status, 404);

    // A WAITING artifact's checksum may still be corrected before the upload.
    let body = json!({"data": {"type": "artifacts",
        "attributes": {"filename": "b.bin", "checksum": hex::encode([0u8; 32])},
        "relationships": {"release": to_one("releases", &v1)}}});
    let created = send(
        &server,
        "POST",
        "/v1/artifacts",
        Some(&admin(&server)),
        Some(body),
        &[],
    )
    .await?;
    assert_eq!(created.status, 307);
    let waiting = id(&created.body["data"]);
    let sum = hex::encode(Sha256::digest(b"fixed"));
    let reply = send(
        &server,
        "PATCH",
        &format!("/v1/artifacts/{waiting}"),
        Some(&admin(&server)),
        Some(patch(json!({"checksum": sum, "filesize": 5}))),
        &[],
    )
    .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let put = client()
        .put(created.header("location"))
        .body(&b"fixed"[..])
        .send()
        .await?;
    assert_eq!(put.status(), 200);
    Ok(())
}

#[tokio::test]
async fn deleting_a_release_or_product_deletes_its_artifact_files() -> anyhow::Result<()> {
    let (server, dir) = server().await?;
    let (product, _license, _key) = licensed(&server, json!({})).await?;
    let v1 = release(&server, &product, "1.0.0", "stable").await?;
    let v2 = release(&server, &product, "2.0.0", "stable").await?;
    let first = artifact(&server, &v1, "a.bin", b"one").await?;
    let second = artifact(&server, &v2, "b.bin", b"two").await?;
    let file = |artifact: &str| dir.join(&server.account_id).join(artifact);
    assert!(file(&first).exists() && file(&second).exists());

    let path = format!("/v1/releases/{v1}");
    let reply = send(&server, "DELETE", &path, Some(&admin(&server)), None, &[]).await?;
    assert_eq!(reply.status, 204, "{}", reply.body);
    assert!(!file(&first).exists());
    assert!(file(&second).exists());

    let path = format!("/v1/products/{product}");
    let reply = send(&server, "DELETE", &path, Some(&admin(&server)), None, &[]).await?;
    assert_eq!(reply.status, 204, "{}", reply.body);
    assert!(!file(&second).exists());
    Ok(())
}

#[tokio::test]
async fn api_1_0_downloads_a_release_s_artifact() -> anyhow::Result<()> {
    let (server, _dir) = server().await?;
    let (product, _license, key) = licensed(&server, json!({})).await?;
    let auth = format!("License {key}");
    let v1 = release(&server, &product, "1.0.0", "stable").await?;
    let path = format!("/v1/releases/{v1}/artifact");
    let reply = send(&server, "GET", &path, Some(&admin(&server)), None, &[]).await?;
    assert_eq!(reply.status, 404, "{}", reply.body);
    let art = artifact(&server, &v1, "a.bin", b"one").await?;
    // A draft stays hidden from the licensee.
    let reply = send(&server, "GET", &path, Some(&auth), None, &[]).await?;
    assert_eq!(reply.status, 404, "{}", reply.body);
    publish(&server, &v1).await?;
    let headers = [("Keygen-Version", "1.0")];
    let reply = send(&server, "GET", &path, Some(&auth), None, &headers).await?;
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(id(&reply.body["data"]), art);
    let fetched = client().get(reply.header("location")).send().await?;
    assert_eq!(fetched.bytes().await?.as_ref(), b"one");
    Ok(())
}
