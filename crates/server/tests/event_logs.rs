//! Event logs (`/event-logs`, Keygen §2.14): every write logs its event with the
//! whodunnit bearer and the request id, with no webhook endpoint at all; filters by
//! event, resource, whodunnit, request and date; staff-only access.

#![allow(clippy::expect_used)]

use latchkey_testkit::cast::{Cast, Who};
use latchkey_testkit::{Fixtures, TestServer, id, license_body};
use serde_json::{Value, json};

async fn logs(server: &TestServer, query: &str) -> anyhow::Result<Vec<Value>> {
    let reply = server
        .admin(
            "GET",
            &format!("/v1/event-logs?page[number]=1&page[size]=100{query}"),
            None,
        )
        .await?;
    anyhow::ensure!(reply.status == 200, "{query}: {}", reply.body);
    Ok(reply.body["data"].as_array().cloned().unwrap_or_default())
}

fn events(list: &[Value]) -> Vec<String> {
    let mut names: Vec<String> = list
        .iter()
        .map(|l| l["attributes"]["event"].as_str().unwrap_or("").to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn writes_are_logged_with_who_and_which_request() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let me = server.admin("GET", "/v1/me", None).await?;
    let admin = id(&me.body["data"]);
    let (product, product_token) = server.product_with_token("App").await?;
    let policy = server.policy_for(&product, json!({})).await?;
    // The product creates a license, with its own request id.
    let reply = server
        .raw(
            "POST",
            "/v1/licenses",
            &[
                ("Authorization", &format!("Bearer {product_token}")),
                ("Content-Type", "application/vnd.api+json"),
                ("X-Request-Id", "req-license-1"),
            ],
            license_body(&policy, json!({}), json!({}))
                .to_string()
                .into_bytes(),
        )
        .await?;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let license = id(&reply.body["data"]);
    let key = reply.body["data"]["attributes"]["key"]
        .as_str()
        .expect("key")
        .to_owned();
    // A validation is not logged.
    server.validate_key(&key, json!({})).await?;

    let all = logs(&server, "").await?;
    assert_eq!(
        events(&all),
        [
            "license.created",
            "policy.created",
            "product.created",
            "token.generated"
        ]
    );
    let created = &all
        .iter()
        .find(|l| l["attributes"]["event"] == "license.created")
        .expect("license.created");
    assert_eq!(
        created["relationships"]["whodunnit"]["data"],
        json!({"type": "products", "id": product})
    );
    assert_eq!(
        created["relationships"]["resource"]["data"],
        json!({"type": "licenses", "id": license})
    );
    assert_eq!(created["attributes"]["requestId"], "req-license-1");
    let policy_log = all
        .iter()
        .find(|l| l["attributes"]["event"] == "policy.created")
        .expect("policy.created");
    assert_eq!(
        policy_log["relationships"]["whodunnit"]["data"],
        json!({"type": "users", "id": admin})
    );
    assert!(
        policy_log["attributes"]["requestId"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );

    // Filters.
    let only = logs(&server, "&event=license.created").await?;
    assert_eq!(events(&only), ["license.created"]);
    let about = logs(
        &server,
        &format!("&resource[type]=license&resource[id]={license}"),
    )
    .await?;
    assert_eq!(events(&about), ["license.created"]);
    let by = logs(
        &server,
        &format!("&whodunnit[type]=users&whodunnit[id]={admin}"),
    )
    .await?;
    assert_eq!(
        events(&by),
        ["policy.created", "product.created", "token.generated"]
    );
    let of_request = logs(&server, "&request=req-license-1").await?;
    assert_eq!(events(&of_request), ["license.created"]);
    // The testkit clock stands at 2026-01-01 12:00 UTC.
    assert_eq!(
        logs(&server, "&date[start]=2026-01-02T00:00:00Z")
            .await?
            .len(),
        0
    );
    assert_eq!(
        logs(
            &server,
            "&date[start]=2026-01-01T00:00:00Z&date[end]=2026-01-01T23:00:00Z"
        )
        .await?
        .len(),
        4
    );
    // Keygen's dates name whole UTC days: a date alone, or the end given as the
    // day's midnight, still covers the whole day.
    for range in [
        "&date[start]=2026-01-01&date[end]=2026-01-01",
        "&date[start]=2026-01-01T23:59:59Z&date[end]=2026-01-01T00:00:00Z",
        "&date[end]=2026-01-01",
    ] {
        assert_eq!(logs(&server, range).await?.len(), 4, "{range}");
    }
    assert_eq!(logs(&server, "&date[end]=2025-12-31").await?.len(), 0);
    assert_eq!(logs(&server, "&date[start]=2026-01-02").await?.len(), 0);
    let show = server
        .admin("GET", &format!("/v1/event-logs/{}", id(created)), None)
        .await?;
    assert_eq!(show.status, 200, "{}", show.body);
    assert_eq!(show.body["data"]["type"], "event-logs");

    // Bad input is a 400 naming the parameter, never a 500.
    for (query, code) in [
        ("&date[start]=yesterday", "PARAMETER_INVALID"),
        ("&date[start]=2026-02-30", "PARAMETER_INVALID"),
        ("&resource[id]=x", "PARAMETER_INVALID"),
        ("&date[end]=%00", "ENCODING_INVALID"),
    ] {
        let reply = server
            .admin("GET", &format!("/v1/event-logs?{query}"), None)
            .await?;
        assert_eq!(reply.status, 400, "{query}: {}", reply.body);
        assert_eq!(reply.error_code(), Some(code));
    }
    let missing = server
        .admin(
            "GET",
            "/v1/event-logs/00000000-0000-0000-0000-000000000000",
            None,
        )
        .await?;
    assert_eq!(missing.status, 404);
    Ok(())
}

#[tokio::test]
async fn only_admin_developer_and_read_only_read_event_logs() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let cast = Cast::new(&server).await?;
    let allowed = cast.allowed(&server, "GET", "/v1/event-logs", None).await?;
    assert_eq!(allowed, [Who::Admin, Who::Developer, Who::ReadOnly]);
    let one = id(&server.admin("GET", "/v1/event-logs", None).await?.body["data"][0]);
    let path = format!("/v1/event-logs/{one}");
    let allowed = cast.allowed(&server, "GET", &path, None).await?;
    assert_eq!(allowed, [Who::Admin, Who::Developer, Who::ReadOnly]);
    let anonymous = server.call("GET", "/v1/event-logs", None, None).await?;
    assert_eq!(anonymous.status, 401);
    Ok(())
}

#[tokio::test]
async fn logs_past_retention_are_pruned() -> anyhow::Result<()> {
    use latchkey_core::clock::Clock;
    let server = TestServer::start().await?;
    server.product("Old").await?;
    server.clock.advance(time::Duration::days(31));
    server.product("New").await?;
    let now = latchkey_proto::time_format::to_millis(server.clock.now());
    let thirty_days = 30 * 86_400_000;
    let report =
        latchkey_store::retention::prune(&server.db, now, Some(thirty_days), Some(thirty_days))
            .await?;
    // The admin token and the first product are older than 30 days.
    assert_eq!(report.event_logs, 1, "{report:?}");
    let left = logs(&server, "").await?;
    assert_eq!(events(&left), ["product.created"]);
    // A second pass (another node) finds nothing.
    let again =
        latchkey_store::retention::prune(&server.db, now, Some(thirty_days), Some(thirty_days))
            .await?;
    assert_eq!(again.event_logs, 0);
    Ok(())
}
