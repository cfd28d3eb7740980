//! Request logs (`/request-logs`): API requests are recorded off the request path
//! (batched), with method, URL, status, IP, user agent, bearer, resource, request
//! id and time taken; filters; staff-only access; a setting turns them off; bodies
//! only with `request_log_bodies`, secrets filtered.

#![allow(clippy::expect_used)]

use latchkey_server::Config;
use latchkey_testkit::cast::{Cast, Who};
use latchkey_testkit::{Fixtures, TestServer, id};
use serde_json::Value;
use std::time::Duration;

async fn request_logs(server: &TestServer, query: &str) -> anyhow::Result<Vec<Value>> {
    let path = format!("/v1/request-logs?page[number]=1&page[size]=100{query}");
    let reply = server.admin("GET", &path, None).await?;
    anyhow::ensure!(reply.status == 200, "{query}: {}", reply.body);
    Ok(reply.body["data"].as_array().cloned().unwrap_or_default())
}

/// Waits for the batched writer to record a log matching `query`.
async fn wait_for(server: &TestServer, query: &str) -> anyhow::Result<Vec<Value>> {
    for _ in 0..100 {
        let found = request_logs(server, query).await?;
        if !found.is_empty() {
            return Ok(found);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("no request log for {query}")
}

#[tokio::test]
async fn requests_are_logged_with_bearer_resource_and_timing() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let product = server.product("App").await?;
    let reply = server
        .raw(
            "GET",
            &format!("/v1/products/{product}?x=1"),
            &[
                ("Authorization", &format!("Bearer {}", server.admin_token)),
                ("User-Agent", "probe/1.0"),
                ("X-Request-Id", "req-probe-1"),
            ],
            Vec::new(),
        )
        .await?;
    assert_eq!(reply.status, 200);
    let found = wait_for(&server, "&request=req-probe-1").await?;
    assert_eq!(found.len(), 1);
    let log = &found[0];
    let attributes = &log["attributes"];
    assert_eq!(attributes["method"], "GET");
    assert_eq!(attributes["status"], "200");
    assert_eq!(attributes["userAgent"], "probe/1.0");
    assert_eq!(attributes["ip"], "127.0.0.1");
    assert!(
        attributes["url"]
            .as_str()
            .is_some_and(|u| u.ends_with(&format!("/products/{product}?x=1")))
    );
    assert!(attributes["runTime"].as_i64().is_some());
    assert_eq!(log["relationships"]["resource"]["data"]["type"], "products");
    assert_eq!(log["relationships"]["resource"]["data"]["id"], product);
    assert_eq!(log["relationships"]["requestor"]["data"]["type"], "users");
    // Unauthenticated and failing requests are logged too.
    let reply = server.call("GET", "/v1/licenses/nope", None, None).await?;
    assert_eq!(reply.status, 401);
    let failed = wait_for(&server, "&status=401").await?;
    assert!(failed[0]["relationships"]["requestor"]["data"].is_null());
    assert!(
        !request_logs(&server, "&method=get&ip=127.0.0.1")
            .await?
            .is_empty()
    );
    let show = server
        .admin("GET", &format!("/v1/request-logs/{}", id(log)), None)
        .await?;
    assert_eq!(show.status, 200);
    for query in ["&status=abc", "&requestor[id]=x", "&date[start]=later"] {
        let path = format!("/v1/request-logs?{query}");
        let reply = server.admin("GET", &path, None).await?;
        assert_eq!(reply.status, 400, "{query}: {}", reply.body);
        assert_eq!(reply.error_code(), Some("PARAMETER_INVALID"));
    }
    Ok(())
}

#[tokio::test]
async fn only_staff_read_request_logs_and_the_setting_turns_them_off() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let cast = Cast::new(&server).await?;
    let allowed = cast
        .allowed(&server, "GET", "/v1/request-logs", None)
        .await?;
    assert_eq!(allowed, [Who::Admin, Who::Developer, Who::ReadOnly]);

    let mut config = Config::default();
    config.logs.request_logs = false;
    let quiet = TestServer::start_with(config).await?;
    quiet.product("App").await?;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(request_logs(&quiet, "").await?.is_empty());
    Ok(())
}

/// The request log of the request sent with `X-Request-Id: request_id`.
async fn log_of(server: &TestServer, request_id: &str) -> anyhow::Result<Value> {
    let found = wait_for(server, &format!("&request={request_id}")).await?;
    anyhow::ensure!(found.len() == 1, "{found:?}");
    Ok(found[0]["attributes"].clone())
}

#[tokio::test]
async fn bodies_are_kept_only_when_enabled_and_always_filtered() -> anyhow::Result<()> {
    let mut config = Config::default();
    config.logs.request_log_bodies = true;
    let server = TestServer::start_with(config).await?;
    let license = server.license_with_policy(serde_json::json!({})).await?;
    let key = license["attributes"]["key"]
        .as_str()
        .expect("key")
        .to_owned();
    let json = "application/vnd.api+json";
    let send = |id: &'static str, path: &'static str, body: Vec<u8>| {
        let server = &server;
        async move {
            let token = format!("Bearer {}", server.admin_token);
            server
                .raw(
                    "POST",
                    path,
                    &[
                        ("Authorization", token.as_str()),
                        ("Content-Type", json),
                        ("X-Request-Id", id),
                    ],
                    body,
                )
                .await
        }
    };
    let validate = format!(r#"{{"meta":{{"key":"{key}","scope":{{"fingerprint":"fp-1"}}}}}}"#);
    let reply = send(
        "req-body-1",
        "/v1/licenses/actions/validate-key",
        validate.into_bytes(),
    )
    .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let user = br#"{"data":{"type":"users","attributes":{"email":"u@example.com","password":"hunter2-hunter2","firstName":"U"}}}"#;
    let reply = send("req-body-2", "/v1/users", user.to_vec()).await?;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let reply = send("req-body-3", "/v1/users", b"{\"data\": \xff}".to_vec()).await?;
    assert_eq!(reply.status, 400, "{}", reply.body);

    let validated = log_of(&server, "req-body-1").await?;
    let request: Value = serde_json::from_str(validated["requestBody"].as_str().expect("request"))?;
    assert_eq!(request["meta"]["key"], "[FILTERED]");
    assert_eq!(request["meta"]["scope"]["fingerprint"], "fp-1");
    let response: Value =
        serde_json::from_str(validated["responseBody"].as_str().expect("response"))?;
    assert_eq!(response["meta"]["code"], "NO_MACHINE");
    assert_eq!(response["data"]["attributes"]["key"], "[FILTERED]");
    assert_eq!(response["data"]["id"], license["id"]);
    let created = log_of(&server, "req-body-2").await?;
    let text = created["requestBody"].as_str().expect("request");
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.contains("u@example.com"), "{text}");
    // Invalid UTF-8 cannot be filtered, so it is not kept; the error response is.
    let refused = log_of(&server, "req-body-3").await?;
    assert!(refused["requestBody"].is_null(), "{refused}");
    assert!(
        refused["responseBody"]
            .as_str()
            .is_some_and(|b| b.contains("errors"))
    );
    // No body is kept anywhere for the secret values.
    let all = request_logs(&server, "").await?;
    let dump = serde_json::to_string(&all)?;
    assert!(!dump.contains(&key) && !dump.contains("hunter2"));

    // Off by default.
    let plain = TestServer::start().await?;
    let token = format!("Bearer {}", plain.admin_token);
    plain
        .raw(
            "POST",
            "/v1/products",
            &[
                ("Authorization", token.as_str()),
                ("Content-Type", json),
                ("X-Request-Id", "req-plain"),
            ],
            br#"{"data":{"type":"products","attributes":{"name":"P"}}}"#.to_vec(),
        )
        .await?;
    let log = log_of(&plain, "req-plain").await?;
    assert!(
        log["requestBody"].is_null() && log["responseBody"].is_null(),
        "{log}"
    );
    Ok(())
}
