//! Webhooks end to end (Keygen §1.13, §2.12–2.13, §9): a real local receiver is
//! subscribed, writes trigger events, and the deliveries are checked — body,
//! signature (verified with the account's published key through `proto`), retries
//! after a 500, FAILED after the last retry, 410 disabling the endpoint, product
//! scoping, subscription filtering, validation events, retry action.

#![allow(clippy::expect_used)]

use latchkey_proto::offline::{SignedMessage, verify_signed_message};
use latchkey_server::Config;
use latchkey_server::config::WebhookConfig;
use latchkey_testkit::receiver::{Received, Receiver};
use latchkey_testkit::{Fixtures, TestServer, id, license_body};
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

fn hook_config(allow_insecure: bool) -> Config {
    Config {
        webhooks: WebhookConfig {
            allow_insecure,
            retry_base_seconds: 0,
            timeout: Duration::from_secs(2),
            concurrency: 4,
            poll_interval: Duration::from_millis(30),
        },
        ..Config::default()
    }
}

async fn server() -> anyhow::Result<TestServer> {
    TestServer::start_with(hook_config(true)).await
}

fn endpoint_body(url: &str, subscriptions: Value, product: Option<&str>) -> Value {
    let mut body = json!({"data": {"type": "webhook-endpoints",
        "attributes": {"url": url, "subscriptions": subscriptions}}});
    if let Some(product) = product {
        body["data"]["relationships"] =
            json!({"product": {"data": {"type": "products", "id": product}}});
    }
    body
}

async fn endpoint(
    server: &TestServer,
    url: &str,
    subscriptions: Value,
    product: Option<&str>,
) -> anyhow::Result<String> {
    let created = server
        .create(
            "/v1/webhook-endpoints",
            endpoint_body(url, subscriptions, product),
        )
        .await?;
    Ok(id(&created))
}

/// The webhook events of the account (newest first).
async fn events(server: &TestServer) -> anyhow::Result<Vec<Value>> {
    let reply = server
        .admin(
            "GET",
            "/v1/webhook-events?page[number]=1&page[size]=100",
            None,
        )
        .await?;
    anyhow::ensure!(reply.status == 200, "{}", reply.body);
    Ok(reply.body["data"].as_array().cloned().unwrap_or_default())
}

/// Waits until the only event matching `name` has `status`.
async fn wait_status(server: &TestServer, name: &str, status: &str) -> anyhow::Result<Value> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let found = events(server)
            .await?
            .into_iter()
            .find(|e| e["attributes"]["event"] == name);
        if let Some(event) = &found
            && event["attributes"]["status"] == status
        {
            return Ok(event.clone());
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "{name} never became {status}: {found:?}"
        );
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

fn verify(server_keys: &latchkey_proto::offline::PublicKeys, hook: &Received, url: &str) {
    let url = url::Url::parse(url).expect("url");
    let target = format!("{}?{}", url.path(), url.query().unwrap_or(""));
    let message = SignedMessage {
        method: "post",
        target: &target,
        host: url.host_str().expect("host"),
        date: hook.header("date"),
        digest: Some(hook.header("digest")),
        body: &hook.body,
    };
    verify_signed_message(&message, hook.header("keygen-signature"), server_keys)
        .expect("the webhook signature verifies with the account key");
}

#[tokio::test]
async fn a_write_delivers_a_signed_event_with_the_resource_document() -> anyhow::Result<()> {
    let server = server().await?;
    let receiver = Receiver::start().await?;
    endpoint(&server, &receiver.url, json!(["*"]), None).await?;
    let product = server.product("Hooked").await?;
    let hooks = receiver.wait_for(1, WAIT).await;
    assert_eq!(hooks.len(), 1, "one event for one write");
    let hook = &hooks[0];
    assert_eq!(hook.event(), "product.created");
    assert_eq!(hook.json["data"]["type"], "webhook-events");
    assert_eq!(hook.header("content-type"), "application/json");
    let payload = hook.payload();
    assert_eq!(payload["data"]["type"], "products");
    assert_eq!(payload["data"]["id"], product.as_str());
    assert_eq!(payload["data"]["attributes"]["name"], "Hooked");
    verify(&server.public_keys().await?, hook, &receiver.url);
    // The delivered event reads back DELIVERED with the receiver's status.
    let event = wait_status(&server, "product.created", "DELIVERED").await?;
    assert_eq!(event["attributes"]["lastResponseCode"], 204);
    assert_eq!(event["id"], hook.id());
    // A deleted resource still delivers its last state.
    let reply = server
        .admin("DELETE", &format!("/v1/products/{product}"), None)
        .await?;
    assert_eq!(reply.status, 204);
    let hooks = receiver.wait_for(2, WAIT).await;
    assert_eq!(hooks[1].event(), "product.deleted");
    assert_eq!(hooks[1].payload()["data"]["attributes"]["name"], "Hooked");
    Ok(())
}

#[tokio::test]
async fn a_500_is_retried_and_the_last_retry_fails_the_event() -> anyhow::Result<()> {
    let server = server().await?;
    let receiver = Receiver::start().await?;
    receiver.script(&[500]);
    endpoint(&server, &receiver.url, json!(["product.created"]), None).await?;
    server.product("Retry").await?;
    let failing = wait_status(&server, "product.created", "FAILING").await?;
    assert_eq!(failing["attributes"]["lastResponseCode"], 500);
    // Retry 1 waits 1⁴ s (base 0 in this configuration): move the clock past it.
    server.clock.advance(time::Duration::seconds(2));
    wait_status(&server, "product.created", "DELIVERED").await?;
    let hooks = receiver.received();
    assert_eq!(hooks.len(), 2);
    assert_eq!(
        hooks[0].id(),
        hooks[1].id(),
        "a retry carries the same event id"
    );

    // Always 500: 1 attempt + 15 retries, then FAILED and no more.
    receiver.always(500);
    server.product("Doomed").await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let doomed: Vec<_> = receiver
            .received()
            .into_iter()
            .filter(|h| h.payload()["data"]["attributes"]["name"] == "Doomed")
            .collect();
        let failed = events(&server).await?.into_iter().any(|e| {
            e["attributes"]["status"] == "FAILED"
                && e["attributes"]["payload"]
                    .as_str()
                    .is_some_and(|p| p.contains("Doomed"))
        });
        if failed {
            assert_eq!(doomed.len(), 16, "one attempt and fifteen retries");
            break;
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "never FAILED ({} attempts)",
            doomed.len()
        );
        server.clock.advance(time::Duration::days(1));
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    server.clock.advance(time::Duration::days(30));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = receiver
        .received()
        .into_iter()
        .filter(|h| h.payload()["data"]["attributes"]["name"] == "Doomed")
        .count();
    assert_eq!(after, 16, "a FAILED event is not attempted again");
    Ok(())
}

#[tokio::test]
async fn gone_disables_the_endpoint() -> anyhow::Result<()> {
    let server = server().await?;
    let receiver = Receiver::start().await?;
    receiver.script(&[410]);
    let hook = endpoint(&server, &receiver.url, json!(["*"]), None).await?;
    server.product("Gone").await?;
    wait_status(&server, "product.created", "FAILED").await?;
    let reply = server
        .admin("GET", &format!("/v1/webhook-endpoints/{hook}"), None)
        .await?;
    assert_eq!(reply.body["data"]["attributes"]["subscriptions"], json!([]));
    server.product("After").await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        receiver.received().len(),
        1,
        "a disabled endpoint gets nothing"
    );
    Ok(())
}

#[tokio::test]
async fn product_scope_and_subscriptions_select_events() -> anyhow::Result<()> {
    let server = server().await?;
    let scoped = Receiver::start().await?;
    let licenses_only = Receiver::start().await?;
    let mine = server.product("Mine").await?;
    let other = server.product("Other").await?;
    endpoint(&server, &scoped.url, json!(["*"]), Some(&mine)).await?;
    endpoint(
        &server,
        &licenses_only.url,
        json!(["license.created"]),
        None,
    )
    .await?;
    let my_policy = server.policy_for(&mine, json!({})).await?;
    let other_policy = server.policy_for(&other, json!({})).await?;
    let my_license = server.license_for(&my_policy, json!({})).await?;
    server.license_for(&other_policy, json!({})).await?;
    let all = licenses_only.wait_for(2, WAIT).await;
    assert!(
        all.iter().all(|h| h.event() == "license.created"),
        "subscriptions filter"
    );
    assert_eq!(all.len(), 2);
    let mine_hooks = scoped.wait_for(2, WAIT).await;
    let mut names: Vec<_> = mine_hooks.iter().map(Received::event).collect();
    names.sort_unstable();
    assert_eq!(names, ["license.created", "policy.created"]);
    let license_hook = mine_hooks
        .iter()
        .find(|h| h.event() == "license.created")
        .expect("the license event");
    assert_eq!(
        license_hook.payload()["data"]["id"],
        id(&my_license).as_str()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(scoped.received().len(), 2, "nothing of the other product");
    Ok(())
}

#[tokio::test]
async fn validations_are_delivered_when_subscribed() -> anyhow::Result<()> {
    let server = server().await?;
    let receiver = Receiver::start().await?;
    let license = server.license_with_policy(json!({})).await?;
    let key = license["attributes"]["key"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    endpoint(
        &server,
        &receiver.url,
        json!(["license.validation.succeeded", "license.validation.failed"]),
        None,
    )
    .await?;
    server.validate_key(&key, json!({})).await?;
    server
        .validate_key(&key, json!({"fingerprint": "nope"}))
        .await?;
    let hooks = receiver.wait_for(2, WAIT).await;
    let mut names: Vec<_> = hooks.iter().map(Received::event).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["license.validation.failed", "license.validation.succeeded"]
    );
    let failed = hooks
        .iter()
        .find(|h| h.event() == "license.validation.failed")
        .expect("failed");
    assert_eq!(failed.payload()["meta"]["valid"], false);
    assert_eq!(failed.payload()["data"]["id"], id(&license).as_str());
    Ok(())
}

#[tokio::test]
async fn retry_action_creates_a_new_event() -> anyhow::Result<()> {
    let server = server().await?;
    let receiver = Receiver::start().await?;
    endpoint(&server, &receiver.url, json!(["product.created"]), None).await?;
    server.product("Again").await?;
    let first = wait_status(&server, "product.created", "DELIVERED").await?;
    let first_id = first["id"].as_str().unwrap_or("");
    let reply = server
        .admin(
            "POST",
            &format!("/v1/webhook-events/{first_id}/actions/retry"),
            None,
        )
        .await?;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_ne!(reply.body["data"]["id"], first_id);
    let hooks = receiver.wait_for(2, WAIT).await;
    assert_eq!(hooks.len(), 2);
    assert_ne!(hooks[0].id(), hooks[1].id());
    assert_eq!(hooks[0].payload(), hooks[1].payload());
    // Filters and delete.
    let filtered = server
        .admin("GET", "/v1/webhook-events?events[]=license.created", None)
        .await?;
    assert_eq!(filtered.body["data"], json!([]));
    let reply = server
        .admin("DELETE", &format!("/v1/webhook-events/{first_id}"), None)
        .await?;
    assert_eq!(reply.status, 204);
    assert_eq!(events(&server).await?.len(), 1);
    Ok(())
}

#[tokio::test]
async fn endpoints_refuse_bad_input_and_unprivileged_bearers() -> anyhow::Result<()> {
    let server = TestServer::start_with(hook_config(false)).await?;
    let post = |body: Value| server.admin("POST", "/v1/webhook-endpoints", Some(body));
    for (url, why) in [
        ("http://hooks.example.com/x", "plain http"),
        ("https://127.0.0.1/x", "loopback"),
        ("https://10.0.0.1/x", "private"),
        ("https://[::1]/x", "loopback v6"),
        ("https://169.254.169.254/latest", "link-local metadata"),
        ("ftp://example.com/x", "scheme"),
        ("not a url", "syntax"),
        ("https://user:pw@example.com/", "credentials"),
    ] {
        let reply = post(endpoint_body(url, json!(["*"]), None)).await?;
        assert_eq!(reply.status, 422, "{why}: {}", reply.body);
        assert_eq!(reply.error_code(), Some("URL_INVALID"), "{why}");
    }
    let long = format!("https://example.com/{}", "a".repeat(5000));
    let reply = post(endpoint_body(&long, json!(["*"]), None)).await?;
    assert_eq!(reply.status, 422);
    let reply = post(endpoint_body(
        "https://127.0.0.1/",
        json!(["license.nope"]),
        None,
    ))
    .await?;
    assert_eq!(reply.error_code(), Some("SUBSCRIPTIONS_INVALID"));
    let reply = post(endpoint_body("https://127.0.0.1/", json!([]), None)).await?;
    assert_eq!(reply.error_code(), Some("SUBSCRIPTIONS_INVALID"));
    let reply = post(endpoint_body("https://127.0.0.1/\u{0}", json!(["*"]), None)).await?;
    assert!(reply.status == 400 || reply.status == 422, "{}", reply.body);
    let mut bad_alg = endpoint_body("https://127.0.0.1/", json!(["*"]), None);
    bad_alg["data"]["attributes"]["signatureAlgorithm"] = "md5".into();
    assert_eq!(post(bad_alg).await?.status, 422);

    // Roles: sales, support and end users may not read or write endpoints; a
    // product token sees only its own.
    let insecure = server_with_endpoint().await?;
    let (server, hook) = (&insecure.0, &insecure.1);
    for role in ["sales-agent", "support-agent", "user"] {
        let (_, token) = server
            .user_with_token(&format!("{role}@acme.test"), role)
            .await?;
        let reply = server
            .call("GET", "/v1/webhook-endpoints", Some(&token), None)
            .await?;
        assert_eq!(reply.status, 403, "{role}");
        let reply = server
            .call(
                "GET",
                &format!("/v1/webhook-endpoints/{hook}"),
                Some(&token),
                None,
            )
            .await?;
        assert!(matches!(reply.status, 403 | 404), "{role}");
        let reply = server
            .call(
                "POST",
                "/v1/webhook-endpoints",
                Some(&token),
                Some(endpoint_body("http://127.0.0.1:9/", json!(["*"]), None)),
            )
            .await?;
        assert_eq!(reply.status, 403, "{role}");
    }
    let (_, read_only) = server.user_with_token("ro@acme.test", "read-only").await?;
    let reply = server
        .call("GET", "/v1/webhook-endpoints", Some(&read_only), None)
        .await?;
    assert_eq!(reply.status, 200);
    let reply = server
        .call(
            "DELETE",
            &format!("/v1/webhook-endpoints/{hook}"),
            Some(&read_only),
            None,
        )
        .await?;
    assert_eq!(reply.status, 403);
    let (product, token) = server.product_with_token("Scoped").await?;
    let reply = server
        .call("GET", "/v1/webhook-endpoints", Some(&token), None)
        .await?;
    assert_eq!(
        reply.body["data"],
        json!([]),
        "not the account-wide endpoint"
    );
    let reply = server
        .call(
            "POST",
            "/v1/webhook-endpoints",
            Some(&token),
            Some(endpoint_body("http://127.0.0.1:9/", json!(["*"]), None)),
        )
        .await?;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(
        reply.body["data"]["relationships"]["product"]["data"]["id"],
        product.as_str(),
        "a product's endpoint is scoped to it"
    );
    let reply = server
        .call(
            "GET",
            &format!("/v1/webhook-endpoints/{hook}"),
            Some(&token),
            None,
        )
        .await?;
    assert_eq!(reply.status, 404);
    Ok(())
}

async fn server_with_endpoint() -> anyhow::Result<(TestServer, String)> {
    let server = server().await?;
    let hook = endpoint(&server, "http://127.0.0.1:9/", json!(["*"]), None).await?;
    Ok((server, hook))
}

#[tokio::test]
async fn license_lifecycle_events_are_named_as_keygen_names_them() -> anyhow::Result<()> {
    let server = server().await?;
    let receiver = Receiver::start().await?;
    let policy = server
        .policy_with_product(json!({"duration": 86_400}))
        .await?;
    endpoint(&server, &receiver.url, json!(["*"]), None).await?;
    let license = server
        .create("/v1/licenses", license_body(&policy, json!({}), json!({})))
        .await?;
    let license = id(&license);
    for action in ["suspend", "reinstate", "renew"] {
        let reply = server
            .admin(
                "POST",
                &format!("/v1/licenses/{license}/actions/{action}"),
                None,
            )
            .await?;
        assert_eq!(reply.status, 200, "{action}: {}", reply.body);
    }
    let reply = server
        .admin("DELETE", &format!("/v1/licenses/{license}"), None)
        .await?;
    assert_eq!(reply.status, 204);
    let hooks = receiver.wait_for(5, WAIT).await;
    // Per-endpoint order is not guaranteed (deliveries run concurrently).
    let mut names: Vec<_> = hooks.iter().map(Received::event).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "license.created",
            "license.deleted",
            "license.reinstated",
            "license.renewed",
            "license.suspended",
        ]
    );
    Ok(())
}
