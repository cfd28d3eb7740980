//! Policy pools (§1.7): `/keys`, licenses of a `usePool` policy taking the oldest key,
//! `DELETE /policies/{id}/pool`, and concurrent creates never sharing a key.

use latchkey_testkit::{Fixtures, TestServer, license_body, to_one};
use serde_json::{Value, json};

fn key_body(policy: &str, key: &str) -> Value {
    json!({"data": {"type": "keys", "attributes": {"key": key},
        "relationships": {"policy": to_one("policies", policy)}}})
}

#[tokio::test]
async fn keys_crud_and_pooled_licenses() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let pooled = server
        .policy_with_product(json!({"name": "Pool", "usePool": true}))
        .await?;
    let plain = server
        .policy_with_product(json!({"name": "Pool", "usePool": false}))
        .await?;

    let refused = server
        .admin("POST", "/v1/keys", Some(key_body(&plain, "PLAIN-KEY-1")))
        .await?;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(refused.error_code(), Some("POLICY_NOT_SUPPORTED"));

    let empty = server
        .admin(
            "POST",
            "/v1/licenses",
            Some(license_body(&pooled, json!({}), json!({}))),
        )
        .await?;
    assert_eq!(empty.status, 422);
    assert_eq!(empty.error_code(), Some("POLICY_POOL_EMPTY"));

    let mut ids = Vec::new();
    for key in ["POOL-KEY-A", "POOL-KEY-B", "POOL-KEY-C"] {
        let created = server.create("/v1/keys", key_body(&pooled, key)).await?;
        assert_eq!(created["attributes"]["key"], key);
        assert_eq!(
            created["relationships"]["policy"]["data"]["id"],
            pooled.as_str()
        );
        ids.push(created["id"].as_str().unwrap().to_owned());
        server.clock.advance(time::Duration::seconds(1));
    }
    let dup = server
        .admin("POST", "/v1/keys", Some(key_body(&pooled, "POOL-KEY-A")))
        .await?;
    assert_eq!(dup.status, 422);
    assert_eq!(dup.error_code(), Some("KEY_TAKEN"));

    let list = server
        .admin("GET", &format!("/v1/keys?policy={pooled}"), None)
        .await?;
    assert_eq!(list.body["data"].as_array().unwrap().len(), 3);
    let renamed = server
        .admin(
            "PATCH",
            &format!("/v1/keys/{}", ids[2]),
            Some(json!({"data": {"type": "keys", "attributes": {"key": "POOL-KEY-Z"}}})),
        )
        .await?;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(renamed.body["data"]["attributes"]["key"], "POOL-KEY-Z");

    // The oldest key goes first.
    let license = server
        .create("/v1/licenses", license_body(&pooled, json!({}), json!({})))
        .await?;
    assert_eq!(license["attributes"]["key"], "POOL-KEY-A");
    let gone = server
        .admin("GET", &format!("/v1/keys/{}", ids[0]), None)
        .await?;
    assert_eq!(gone.status, 404);
    // A used key cannot go back into a pool.
    let reused = server
        .admin("POST", "/v1/keys", Some(key_body(&pooled, "POOL-KEY-A")))
        .await?;
    assert_eq!(reused.error_code(), Some("KEY_TAKEN"));
    let custom = server
        .admin(
            "POST",
            "/v1/licenses",
            Some(license_body(
                &pooled,
                json!({"key": "MY-OWN-KEY"}),
                json!({}),
            )),
        )
        .await?;
    assert_eq!(custom.status, 422, "{}", custom.body);

    // Popping by hand returns the key (200) and removes it.
    let pool_path = format!("/v1/policies/{pooled}/pool");
    let popped = server.admin("DELETE", &pool_path, None).await?;
    assert_eq!(popped.status, 200, "{}", popped.body);
    assert_eq!(popped.body["data"]["type"], "keys");
    assert_eq!(popped.body["data"]["attributes"]["key"], "POOL-KEY-B");
    let remaining = server.admin("GET", &pool_path, None).await?;
    assert_eq!(remaining.body["data"].as_array().unwrap().len(), 1);

    let deleted = server
        .admin("DELETE", &format!("/v1/keys/{}", ids[2]), None)
        .await?;
    assert_eq!(deleted.status, 204);
    let exhausted = server.admin("DELETE", &pool_path, None).await?;
    assert_eq!(exhausted.status, 422);
    assert_eq!(exhausted.error_code(), Some("POLICY_POOL_EMPTY"));
    let unpooled = server
        .admin("DELETE", &format!("/v1/policies/{plain}/pool"), None)
        .await?;
    assert_eq!(unpooled.status, 422);
    Ok(())
}

#[tokio::test]
async fn concurrent_pooled_creates_never_share_a_key() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let pooled = server
        .policy_with_product(json!({"name": "Pool", "usePool": true}))
        .await?;
    for i in 0..8 {
        server
            .create("/v1/keys", key_body(&pooled, &format!("RACE-KEY-{i}")))
            .await?;
        server.clock.advance(time::Duration::seconds(1));
    }
    let body = license_body(&pooled, json!({}), json!({}));
    let replies = futures::future::join_all(
        (0..12).map(|_| server.admin("POST", "/v1/licenses", Some(body.clone()))),
    )
    .await;
    let mut keys = Vec::new();
    let mut empty = 0;
    for reply in replies {
        let reply = reply?;
        match reply.status {
            201 => keys.push(
                reply.body["data"]["attributes"]["key"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            ),
            422 => {
                assert_eq!(reply.error_code(), Some("POLICY_POOL_EMPTY"));
                empty += 1;
            }
            other => panic!("unexpected {other}: {}", reply.body),
        }
    }
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 8, "every key handed out once");
    assert_eq!(empty, 4);
    Ok(())
}

#[tokio::test]
async fn only_admins_and_own_products_manage_keys() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let product_id = server.product("App").await?;
    let pooled = server
        .policy_for(&product_id, json!({"name": "Pool", "usePool": true}))
        .await?;
    let token = server
        .admin(
            "POST",
            &format!("/v1/products/{product_id}/tokens"),
            Some(json!({"data": {"type": "tokens"}})),
        )
        .await?;
    assert!(matches!(token.status, 200 | 201), "{}", token.body);
    let product_token = token.body["data"]["attributes"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let created = server
        .call(
            "POST",
            "/v1/keys",
            Some(&product_token),
            Some(key_body(&pooled, "PRODUCT-KEY")),
        )
        .await?;
    assert_eq!(created.status, 201, "{}", created.body);

    let other = server
        .policy_with_product(json!({"name": "Pool", "usePool": true}))
        .await?;
    let foreign = server
        .call(
            "POST",
            "/v1/keys",
            Some(&product_token),
            Some(key_body(&other, "FOREIGN-KEY")),
        )
        .await?;
    assert_eq!(foreign.status, 403, "{}", foreign.body);
    let listed = server
        .call("GET", "/v1/keys", Some(&product_token), None)
        .await?;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 1);
    let anonymous = server.call("GET", "/v1/keys", None, None).await?;
    assert_eq!(anonymous.status, 401);
    Ok(())
}
