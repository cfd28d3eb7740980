//! Releases over HTTP (issue 14): the upload → publish → upgrade → download flow
//! with license-key auth, CRUD, channels, filters, packages, upgrades, bad input.
#![allow(clippy::expect_used)]

use latchkey_testkit::fixtures::{Fixtures, id, to_one};
use serde_json::json;

mod release_support;
use release_support::*;

#[tokio::test]
async fn upload_publish_upgrade_download_with_a_license_key() -> anyhow::Result<()> {
    let (server, dir) = server().await?;
    let (product, license, key) = licensed(&server, json!({})).await?;
    let auth = format!("License {key}");
    let v1 = release(&server, &product, "1.0.0", "stable").await?;
    publish(&server, &v1).await?;
    let v2 = release(&server, &product, "1.1.0", "stable").await?;
    let bytes: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let art = artifact(&server, &v2, "app-1.1.0.tar.gz", &bytes).await?;

    // A draft is hidden from the licensee, and so is its artifact.
    let hidden = send(
        &server,
        "GET",
        &format!("/v1/releases/{v2}"),
        Some(&auth),
        None,
        &[],
    )
    .await?;
    assert_eq!(hidden.status, 404);
    let upgrade = send(
        &server,
        "GET",
        "/v1/releases/1.0.0/upgrade",
        Some(&auth),
        None,
        &[],
    )
    .await?;
    assert_eq!(upgrade.status, 404, "{}", upgrade.body);
    assert_eq!(upgrade.body["errors"][0]["detail"], "upgrade not available");

    publish(&server, &v2).await?;
    let path = format!("/v1/releases/1.0.0/upgrade?product={product}");
    let upgrade = send(&server, "GET", &path, Some(&auth), None, &[]).await?;
    assert_eq!(upgrade.status, 200, "{}", upgrade.body);
    assert_eq!(id(&upgrade.body["data"]), v2);
    assert_eq!(upgrade.body["data"]["attributes"]["semver"]["minor"], 1);

    // The SDKs' download: release id + filename → 303 to a signed URL.
    let path = format!("/v1/releases/{v2}/artifacts/app-1.1.0.tar.gz");
    let reply = send(&server, "GET", &path, Some(&auth), None, &[]).await?;
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(id(&reply.body["data"]), art);
    assert_eq!(reply.body["data"]["attributes"]["status"], "UPLOADED");
    let location = reply.header("location").to_owned();
    let fetched = client().get(&location).send().await?;
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await?.as_ref(), bytes.as_slice());

    // Prefer: no-redirect → 200 with the URL in Location and links.redirect.
    let reply = send(
        &server,
        "GET",
        &format!("/v1/artifacts/{art}"),
        Some(&auth),
        None,
        &[("Prefer", "no-redirect")],
    )
    .await?;
    assert_eq!(reply.status, 200);
    assert!(reply.header("location").contains("/storage/"));
    assert_eq!(
        reply.body["data"]["links"]["redirect"],
        reply.header("location")
    );

    // The file is private.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let file = dir.join(&server.account_id).join(&art);
        assert_eq!(std::fs::metadata(file)?.permissions().mode() & 0o777, 0o600);
    }
    let _ = license;
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

#[tokio::test]
async fn releases_crud_channels_and_filters() -> anyhow::Result<()> {
    let (server, dir) = server().await?;
    let product = server.product("App").await?;
    let a = release(&server, &product, "1.0.0", "stable").await?;
    let b = release(&server, &product, "1.1.0-beta.1", "beta").await?;
    let c = release(&server, &product, "1.1.0-rc.1", "rc").await?;
    // Version/channel agreement, duplicate version, bad semver, reserved tag.
    for (version, channel) in [
        ("2.0.0-beta.1", "stable"),
        ("2.0.0", "beta"),
        ("1.0.0", "stable"),
        ("1.0", "stable"),
    ] {
        let body = json!({"data": {"type": "releases", "attributes": {"version": version, "channel": channel},
            "relationships": {"product": to_one("products", &product)}}});
        let reply = send(
            &server,
            "POST",
            "/v1/releases",
            Some(&admin(&server)),
            Some(body),
            &[],
        )
        .await?;
        assert_eq!(reply.status, 422, "{version} {channel}: {}", reply.body);
    }
    // Lookup by version and by tag.
    let patch =
        json!({"data": {"type": "releases", "attributes": {"tag": "latest", "name": "One"}}});
    let reply = send(
        &server,
        "PATCH",
        &format!("/v1/releases/{a}"),
        Some(&admin(&server)),
        Some(patch),
        &[],
    )
    .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    for alias in ["1.0.0", "latest", a.as_str()] {
        let reply = send(
            &server,
            "GET",
            &format!("/v1/releases/{alias}"),
            Some(&admin(&server)),
            None,
            &[],
        )
        .await?;
        assert_eq!(id(&reply.body["data"]), a, "{alias}");
    }
    // Channel filter: rc sees stable and rc.
    let reply = send(
        &server,
        "GET",
        "/v1/releases?channel=rc",
        Some(&admin(&server)),
        None,
        &[],
    )
    .await?;
    let mut ids = reply.ids();
    ids.sort();
    let mut want = vec![a.clone(), c.clone()];
    want.sort();
    assert_eq!(ids, want);
    let reply = send(
        &server,
        "GET",
        "/v1/releases?channel=nightly",
        Some(&admin(&server)),
        None,
        &[],
    )
    .await?;
    assert_eq!(reply.status, 400);
    // Channels in use.
    let reply = send(
        &server,
        "GET",
        "/v1/channels",
        Some(&admin(&server)),
        None,
        &[],
    )
    .await?;
    assert_eq!(reply.ids().len(), 3, "{}", reply.body);
    // Read-only roles may not write; delete works for admins.
    assert_eq!(
        send(
            &server,
            "DELETE",
            &format!("/v1/releases/{b}"),
            Some(&admin(&server)),
            None,
            &[]
        )
        .await?
        .status,
        204
    );
    let reply = send(
        &server,
        "GET",
        &format!("/v1/releases/{b}"),
        Some(&admin(&server)),
        None,
        &[],
    )
    .await?;
    assert_eq!(reply.status, 404);
    // A product token manages only its own releases.
    let (other, token) = server.product_with_token("Other").await?;
    let _ = other;
    let reply = send(
        &server,
        "POST",
        &format!("/v1/releases/{a}/actions/publish"),
        Some(&format!("Bearer {token}")),
        None,
        &[],
    )
    .await?;
    assert_eq!(
        reply.status, 404,
        "another product's release is not visible"
    );
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

#[tokio::test]
async fn upgrade_follows_channels() -> anyhow::Result<()> {
    let (server, dir) = server().await?;
    let (product, _, key) = licensed(&server, json!({})).await?;
    let auth = format!("License {key}");
    let mut ids = std::collections::HashMap::new();
    for (version, channel) in [
        ("1.0.0", "stable"),
        ("1.0.1", "stable"),
        ("1.1.0-beta.1", "beta"),
        ("1.1.0-rc.1", "rc"),
        ("2.0.0-alpha.1", "alpha"),
        ("3.0.0-dev.1", "dev"),
    ] {
        let rel = release(&server, &product, version, channel).await?;
        publish(&server, &rel).await?;
        ids.insert(version, rel);
    }
    for (channel, want) in [
        ("stable", Some("1.0.1")),
        ("rc", Some("1.1.0-rc.1")),
        ("beta", Some("1.1.0-rc.1")),
        ("alpha", Some("2.0.0-alpha.1")),
        ("dev", Some("3.0.0-dev.1")),
    ] {
        let path = format!("/v1/releases/1.0.0/upgrade?channel={channel}");
        let reply = send(&server, "GET", &path, Some(&auth), None, &[]).await?;
        match want {
            Some(version) => {
                assert_eq!(reply.status, 200, "{channel}: {}", reply.body);
                assert_eq!(
                    reply.body["data"]["attributes"]["version"], version,
                    "{channel}"
                );
            }
            None => assert_eq!(reply.status, 404),
        }
    }
    let reply = send(
        &server,
        "GET",
        "/v1/releases/1.0.0/upgrade?constraint=1.0.0",
        Some(&auth),
        None,
        &[],
    )
    .await?;
    assert_eq!(reply.body["data"]["attributes"]["version"], "1.0.1");
    let reply = send(
        &server,
        "GET",
        "/v1/releases/1.0.1/upgrade",
        Some(&auth),
        None,
        &[],
    )
    .await?;
    assert_eq!(reply.status, 404);
    let reply = send(
        &server,
        "GET",
        "/v1/releases/1.0.0/upgrade?constraint=x",
        Some(&auth),
        None,
        &[],
    )
    .await?;
    assert_eq!(reply.status, 400);
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

#[tokio::test]
async fn packages_and_open_distribution() -> anyhow::Result<()> {
    let (server, dir) = server().await?;
    let product = server
        .create("/v1/products", json!({"data": {"type": "products", "attributes": {"name": "Free", "distributionStrategy": "OPEN"}}}))
        .await?;
    let product = id(&product);
    let body = json!({"data": {"type": "packages", "attributes": {"name": "CLI", "key": "cli", "engine": "raw"},
        "relationships": {"product": to_one("products", &product)}}});
    let reply = send(
        &server,
        "POST",
        "/v1/packages",
        Some(&admin(&server)),
        Some(body.clone()),
        &[],
    )
    .await?;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let package = id(&reply.body["data"]);
    let reply = send(
        &server,
        "POST",
        "/v1/packages",
        Some(&admin(&server)),
        Some(body),
        &[],
    )
    .await?;
    assert_eq!(reply.status, 422, "duplicate key");
    let body = json!({"data": {"type": "releases", "attributes": {"version": "1.0.0", "channel": "stable"},
        "relationships": {"product": to_one("products", &product), "package": to_one("packages", &package)}}});
    let reply = send(
        &server,
        "POST",
        "/v1/releases",
        Some(&admin(&server)),
        Some(body),
        &[],
    )
    .await?;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let rel = id(&reply.body["data"]);
    artifact(&server, &rel, "cli.tar.gz", b"cli").await?;
    publish(&server, &rel).await?;
    // Open distribution without constraints: anonymous downloads work.
    let reply = send(
        &server,
        "GET",
        &format!("/v1/releases/{rel}/artifacts/cli.tar.gz"),
        None,
        None,
        &[],
    )
    .await?;
    assert_eq!(reply.status, 303, "{}", reply.body);
    let reply = send(&server, "GET", "/v1/packages?engine=raw", None, None, &[]).await?;
    assert_eq!(reply.ids(), vec![package.clone()]);
    let reply = send(
        &server,
        "GET",
        "/v1/engines",
        Some(&admin(&server)),
        None,
        &[],
    )
    .await?;
    assert_eq!(reply.body["data"][0]["attributes"]["key"], "raw");
    let reply = send(
        &server,
        "GET",
        &format!("/v1/products/{product}/platforms"),
        None,
        None,
        &[],
    )
    .await?;
    assert_eq!(
        reply.body["data"][0]["attributes"]["key"], "linux",
        "{}",
        reply.body
    );
    let reply = send(
        &server,
        "GET",
        &format!("/v1/releases/{rel}/package"),
        None,
        None,
        &[],
    )
    .await?;
    assert_eq!(id(&reply.body["data"]), package);
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

#[tokio::test]
async fn hostile_input_is_refused_cleanly() -> anyhow::Result<()> {
    let (server, dir) = server().await?;
    let product = server.product("App").await?;
    let rel = release(&server, &product, "1.0.0", "stable").await?;
    for path in [
        "/v1/releases/%00",
        "/v1/artifacts/not-a-uuid",
        "/v1/releases/1.0.0/upgrade?channel=%00",
        "/v1/releases?yanked=maybe",
    ] {
        let reply = send(&server, "GET", path, Some(&admin(&server)), None, &[]).await?;
        assert!(
            (400..500).contains(&reply.status),
            "{path}: {}",
            reply.status
        );
    }
    let huge = "9".repeat(400);
    let body = json!({"data": {"type": "releases", "attributes": {"version": format!("{huge}.0.0"), "channel": "stable"},
        "relationships": {"product": to_one("products", &product)}}});
    let reply = send(
        &server,
        "POST",
        "/v1/releases",
        Some(&admin(&server)),
        Some(body),
        &[],
    )
    .await?;
    assert_eq!(reply.status, 422);
    let body = json!({"data": {"type": "artifacts", "attributes": {"filename": "x", "filesize": i64::MAX},
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
    assert_eq!(reply.status, 422);
    let storage = format!(
        "/storage/{}/artifacts/{rel}?expires=1&signature=%00",
        server.account_id
    );
    let reply = send(&server, "GET", &storage, None, None, &[]).await?;
    assert_eq!(reply.status, 403);
    let storage = format!("/storage/{}/artifacts/{rel}", server.account_id);
    assert_eq!(
        send(&server, "GET", &storage, None, None, &[])
            .await?
            .status,
        403
    );
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

#[tokio::test]
async fn raw_and_tauri_engines() -> anyhow::Result<()> {
    let (server, dir) = server().await?;
    let (product, _, key) = licensed(&server, json!({})).await?;
    let auth = format!("License {key}");
    let body = json!({"data": {"type": "packages", "attributes": {"name": "Desktop", "key": "desktop", "engine": "tauri"},
        "relationships": {"product": to_one("products", &product)}}});
    let reply = send(
        &server,
        "POST",
        "/v1/packages",
        Some(&admin(&server)),
        Some(body),
        &[],
    )
    .await?;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let package = id(&reply.body["data"]);
    let mut ids = Vec::new();
    for version in ["1.0.0", "1.1.0"] {
        let body = json!({"data": {"type": "releases",
            "attributes": {"version": version, "channel": "stable", "description": format!("notes {version}")},
            "relationships": {"product": to_one("products", &product), "package": to_one("packages", &package)}}});
        let reply = send(
            &server,
            "POST",
            "/v1/releases",
            Some(&admin(&server)),
            Some(body),
            &[],
        )
        .await?;
        assert_eq!(reply.status, 201, "{}", reply.body);
        let rel = id(&reply.body["data"]);
        artifact(&server, &rel, "app.tar.gz", version.as_bytes()).await?;
        publish(&server, &rel).await?;
        ids.push(rel);
    }
    // raw: with the package, by version; without a package nothing matches.
    let path = format!("/v1/engines/raw/{product}/@desktop/1.1.0/app.tar.gz");
    let reply = send(&server, "GET", &path, Some(&auth), None, &[]).await?;
    assert_eq!(reply.status, 303, "{}", reply.body);
    let bytes = client()
        .get(reply.header("location"))
        .send()
        .await?
        .bytes()
        .await?;
    assert_eq!(bytes.as_ref(), b"1.1.0");
    let path = format!("/v1/engines/raw/{product}/1.1.0/app.tar.gz");
    assert_eq!(
        send(&server, "GET", &path, Some(&auth), None, &[])
            .await?
            .status,
        404
    );
    let path = format!("/v1/engines/raw/{product}/desktop/1.1.0/app.tar.gz");
    assert_eq!(
        send(&server, "GET", &path, Some(&auth), None, &[])
            .await?
            .status,
        404
    );
    // tauri: the newest release above the running version, 204 when up to date.
    let path = "/v1/engines/tauri/desktop?platform=linux&arch=amd64&version=1.0.0";
    let reply = send(&server, "GET", path, Some(&auth), None, &[]).await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["version"], "1.1.0");
    assert_eq!(reply.body["notes"], "notes 1.1.0");
    let url = reply.body["url"].as_str().unwrap_or_default().to_owned();
    assert!(url.ends_with("/app.tar.gz"), "{url}");
    let path = "/v1/engines/tauri/desktop?platform=linux&arch=amd64&version=1.1.0";
    assert_eq!(
        send(&server, "GET", path, Some(&auth), None, &[])
            .await?
            .status,
        204
    );
    let path = "/v1/engines/tauri/desktop?platform=windows&arch=amd64&version=1.0.0";
    assert_eq!(
        send(&server, "GET", path, Some(&auth), None, &[])
            .await?
            .status,
        204
    );
    let path = "/v1/engines/tauri/desktop?platform=linux&arch=amd64";
    assert_eq!(
        send(&server, "GET", path, Some(&auth), None, &[])
            .await?
            .status,
        400
    );
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}
