//! Every write the relationship, pool, password and distribution routes make
//! records its Keygen-named event (spec §9.1) in the same transaction: an endpoint
//! subscribed to `*` sees each one in `/webhook-events`.

#![allow(clippy::expect_used)]

use latchkey_server::Config;
use latchkey_server::config::WebhookConfig;
use latchkey_testkit::{Fixtures, TestServer, id, to_many, to_one};
use serde_json::{Value, json};
use std::time::Duration;

fn hook_config() -> Config {
    Config {
        webhooks: WebhookConfig {
            allow_insecure: true,
            retry_base_seconds: 0,
            timeout: Duration::from_secs(1),
            concurrency: 4,
            poll_interval: Duration::from_millis(30),
        },
        ..Config::default()
    }
}

/// The event names recorded so far, with the resource type each one carries.
async fn recorded(server: &TestServer) -> anyhow::Result<Vec<(String, String)>> {
    let reply = server
        .admin(
            "GET",
            "/v1/webhook-events?page[number]=1&page[size]=100",
            None,
        )
        .await?;
    anyhow::ensure!(reply.status == 200, "{}", reply.body);
    let mut names: Vec<(String, String)> = reply.body["data"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|e| {
            let payload: Value =
                serde_json::from_str(e["attributes"]["payload"].as_str().unwrap_or("null"))
                    .unwrap_or(Value::Null);
            (
                e["attributes"]["event"].as_str().unwrap_or("").to_owned(),
                payload["data"]["type"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    names.sort();
    Ok(names)
}

async fn expect_ok(server: &TestServer, method: &str, path: &str, body: Value) {
    let reply = server
        .admin(method, path, Some(body))
        .await
        .expect("request");
    assert!(
        (200..300).contains(&reply.status),
        "{method} {path}: {} {}",
        reply.status,
        reply.body
    );
}

fn has(names: &[(String, String)], event: &str, kind: &str) -> bool {
    names.iter().any(|(n, k)| n == event && k == kind)
}

#[tokio::test]
async fn relationship_pool_and_password_writes_are_announced() -> anyhow::Result<()> {
    let server = TestServer::start_with(hook_config()).await?;
    let product = server.product("App").await?;
    let policy = server
        .policy_for(&product, json!({"maxUsers": 5, "usePool": true}))
        .await?;
    let ann = server.user("ann@acme.test").await?;
    let bob = server.user("bob@acme.test").await?;
    server
        .create(
            "/v1/keys",
            json!({"data": {"type": "keys", "attributes": {"key": "POOL-1"},
                "relationships": {"policy": to_one("policies", &policy)}}}),
        )
        .await?;
    // The license takes one key; the other is edited, then popped.
    server
        .create(
            "/v1/keys",
            json!({"data": {"type": "keys", "attributes": {"key": "POOL-2"},
                "relationships": {"policy": to_one("policies", &policy)}}}),
        )
        .await?;
    server
        .create(
            "/v1/webhook-endpoints",
            json!({"data": {"type": "webhook-endpoints",
                "attributes": {"url": "http://127.0.0.1:9/", "subscriptions": ["*"]}}}),
        )
        .await?;
    let license = id(&server.license_for(&policy, json!({})).await?);
    let left = server.admin("GET", "/v1/keys", None).await?;
    let key = left.body["data"][0].clone();
    let users = format!("/v1/licenses/{license}/users");
    expect_ok(&server, "POST", &users, to_many("users", &[&ann])).await;
    expect_ok(&server, "DELETE", &users, to_many("users", &[&ann])).await;
    let owner = format!("/v1/licenses/{license}/owner");
    expect_ok(&server, "PUT", &owner, to_one("users", &bob)).await;
    let entitlement = id(&server
        .create(
            "/v1/entitlements",
            json!({"data": {"type": "entitlements", "attributes": {"name": "Sync", "code": "SYNC"}}}),
        )
        .await?);
    for holder in [
        format!("/v1/licenses/{license}/entitlements"),
        format!("/v1/policies/{policy}/entitlements"),
    ] {
        let body = to_many("entitlements", &[&entitlement]);
        expect_ok(&server, "POST", &holder, body.clone()).await;
        expect_ok(&server, "DELETE", &holder, body).await;
    }
    let group = server.group(json!({})).await?;
    let owners = format!("/v1/groups/{group}/owners");
    expect_ok(&server, "POST", &owners, to_many("users", &[&ann])).await;
    expect_ok(&server, "DELETE", &owners, to_many("users", &[&ann])).await;
    let key_path = format!("/v1/keys/{}", id(&key));
    let key_body = json!({"data": {"type": "keys", "attributes": {"key": "POOL-2B"}}});
    expect_ok(&server, "PATCH", &key_path, key_body).await;
    let reply = server
        .admin("DELETE", &format!("/v1/policies/{policy}/pool"), None)
        .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reply = server
        .call(
            "POST",
            "/v1/passwords",
            None,
            Some(json!({"meta": {"email": "ann@acme.test", "deliver": false}})),
        )
        .await?;
    assert_eq!(reply.status, 204, "{}", reply.body);

    let names = recorded(&server).await?;
    for (event, kind) in [
        ("license.users.attached", "licenses"),
        ("license.users.detached", "licenses"),
        ("license.owner.updated", "licenses"),
        ("license.entitlements.attached", "licenses"),
        ("license.entitlements.detached", "licenses"),
        ("policy.entitlements.attached", "policies"),
        ("policy.entitlements.detached", "policies"),
        ("group.owners.attached", "groups"),
        ("group.owners.detached", "groups"),
        ("key.updated", "keys"),
        ("policy.pool.popped", "keys"),
        ("user.password-reset", "users"),
    ] {
        assert!(has(&names, event, kind), "{event} ({kind}) in {names:?}");
    }
    // A refused attach records nothing.
    let before = recorded(&server).await?.len();
    let reply = server
        .admin("POST", &users, Some(to_many("users", &[&bob])))
        .await?;
    assert_eq!(
        reply.status, 422,
        "the owner cannot be attached: {}",
        reply.body
    );
    assert_eq!(recorded(&server).await?.len(), before);
    Ok(())
}

#[tokio::test]
async fn distribution_writes_are_announced() -> anyhow::Result<()> {
    let server = TestServer::start_with(hook_config()).await?;
    let product = server.product("App").await?;
    server
        .create(
            "/v1/webhook-endpoints",
            json!({"data": {"type": "webhook-endpoints",
                "attributes": {"url": "http://127.0.0.1:9/", "subscriptions": ["*"]}}}),
        )
        .await?;
    let package = id(&server
        .create(
            "/v1/packages",
            json!({"data": {"type": "packages", "attributes": {"name": "CLI", "key": "cli"},
                "relationships": {"product": to_one("products", &product)}}}),
        )
        .await?);
    let package_path = format!("/v1/packages/{package}");
    let body = json!({"data": {"type": "packages", "attributes": {"name": "Tool"}}});
    expect_ok(&server, "PATCH", &package_path, body).await;
    let release = id(&server
        .create(
            "/v1/releases",
            json!({"data": {"type": "releases",
                "attributes": {"version": "1.0.0", "channel": "stable"},
                "relationships": {"product": to_one("products", &product)}}}),
        )
        .await?);
    let path = format!("/v1/releases/{release}");
    let body = json!({"data": {"type": "releases", "attributes": {"name": "First"}}});
    expect_ok(&server, "PATCH", &path, body).await;
    for action in ["publish", "yank"] {
        expect_ok(
            &server,
            "POST",
            &format!("{path}/actions/{action}"),
            json!({}),
        )
        .await;
    }
    let entitlement = id(&server
        .create(
            "/v1/entitlements",
            json!({"data": {"type": "entitlements", "attributes": {"name": "Pro", "code": "PRO"}}}),
        )
        .await?);
    let constraint = json!({"data": [{"type": "constraints",
        "relationships": {"entitlement": to_one("entitlements", &entitlement)}}]});
    let constraints = format!("{path}/constraints");
    expect_ok(&server, "POST", &constraints, constraint).await;
    let detach = json!({"data": [{"type": "constraints", "id": entitlement}]});
    expect_ok(&server, "DELETE", &constraints, detach).await;
    // The client follows the 307 to the upload URL (which wants PUT); the artifact
    // exists either way.
    server
        .admin(
            "POST",
            "/v1/artifacts",
            Some(json!({"data": {"type": "artifacts",
                "attributes": {"filename": "app.tar.gz", "filesize": 3},
                "relationships": {"release": to_one("releases", &release)}}})),
        )
        .await?;
    let listed = server.admin("GET", "/v1/artifacts", None).await?;
    let artifact = id(&listed.body["data"][0]);
    expect_ok(
        &server,
        "DELETE",
        &format!("/v1/artifacts/{artifact}"),
        json!({}),
    )
    .await;
    expect_ok(&server, "DELETE", &path, json!({})).await;
    expect_ok(&server, "DELETE", &package_path, json!({})).await;

    let names = recorded(&server).await?;
    for (event, kind) in [
        ("package.created", "packages"),
        ("package.updated", "packages"),
        ("package.deleted", "packages"),
        ("release.created", "releases"),
        ("release.updated", "releases"),
        ("release.published", "releases"),
        ("release.yanked", "releases"),
        ("release.constraints.attached", "releases"),
        ("release.constraints.detached", "releases"),
        ("release.deleted", "releases"),
        ("artifact.created", "artifacts"),
        ("artifact.deleted", "artifacts"),
    ] {
        assert!(has(&names, event, kind), "{event} ({kind}) in {names:?}");
    }
    Ok(())
}

#[tokio::test]
async fn the_cull_announces_each_dead_machine_once() -> anyhow::Result<()> {
    let server = TestServer::start_with(hook_config()).await?;
    let policy = server
        .policy_with_product(json!({"requireHeartbeat": true, "heartbeatDuration": 60,
            "heartbeatCullStrategy": "KEEP_DEAD"}))
        .await?;
    server
        .create(
            "/v1/webhook-endpoints",
            json!({"data": {"type": "webhook-endpoints",
                "attributes": {"url": "http://127.0.0.1:9/", "subscriptions": ["machine.heartbeat.dead"]}}}),
        )
        .await?;
    let license = id(&server.license_for(&policy, json!({})).await?);
    let reply = server.activate(&license, "fp-1").await?;
    assert_eq!(reply.status, 201, "{}", reply.body);
    server.clock.advance(time::Duration::hours(1));
    server.cull().await?;
    server.cull().await?;
    let names = recorded(&server).await?;
    assert_eq!(
        names,
        [("machine.heartbeat.dead".to_owned(), "machines".to_owned())]
    );
    Ok(())
}
