//! `GET /metrics`: Prometheus text behind the metrics token (404 without one),
//! labelled by route template, never by URL; `metrics_listen` serves it without a
//! token. The recorder is one per process, so counts are compared before and after.

use latchkey_server::Config;
use latchkey_server::config::{MetricsConfig, WebhookConfig};
use latchkey_testkit::receiver::Receiver;
use latchkey_testkit::{Fixtures, TestServer};
use serde_json::{Value, json};
use std::time::Duration;

const TOKEN: &str = "metrics-token-0123456789abcdef";

fn with_token() -> Config {
    Config {
        metrics: MetricsConfig {
            token: Some(TOKEN.into()),
            listen: None,
        },
        ..Config::default()
    }
}

async fn get(url: &str, bearer: Option<&str>) -> anyhow::Result<(u16, String, String)> {
    // What a scraper asks for (no JSON:API media type, no `*/*`).
    let mut request = reqwest::Client::new()
        .get(url)
        .header("Accept", "text/plain;version=0.0.4");
    if let Some(bearer) = bearer {
        request = request.header("Authorization", format!("Bearer {bearer}"));
    }
    let reply = request.send().await?;
    let status = reply.status().as_u16();
    let content_type = reply
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    Ok((status, content_type, reply.text().await?))
}

async fn scrape(server: &TestServer) -> anyhow::Result<String> {
    let (status, content_type, text) =
        get(&format!("{}/metrics", server.base), Some(TOKEN)).await?;
    anyhow::ensure!(status == 200, "GET /metrics: {status} {text}");
    anyhow::ensure!(content_type.starts_with("text/plain"), "{content_type}");
    Ok(text)
}

/// The value of the first sample line named `name` whose labels contain every one of
/// `labels`.
fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find(|line| {
            let metric = line.split([' ', '{']).next().unwrap_or("");
            metric == name && labels.iter().all(|label| line.contains(label))
        })
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

async fn license_key(server: &TestServer) -> anyhow::Result<(String, String)> {
    let license = server.license_with_policy(json!({})).await?;
    let key = license["attributes"]["key"].as_str().unwrap_or_default();
    let id = license["id"].as_str().unwrap_or_default();
    Ok((id.to_owned(), key.to_owned()))
}

const VALIDATE: &str = "route=\"/v1/licenses/actions/validate-key\"";

#[tokio::test]
async fn requests_latency_and_cache_hits_are_counted_per_route() -> anyhow::Result<()> {
    let server = TestServer::start_with(with_token()).await?;
    let (_, key) = license_key(&server).await?;
    server.validate_key(&key, json!({})).await?;
    let text = scrape(&server).await?;
    let labels = [VALIDATE, "method=\"POST\"", "status=\"2xx\""];
    let count = sample(&text, "latchkey_http_requests_total", &labels);
    assert!(count.is_some_and(|n| n >= 1.0), "{text}");
    let bucket = sample(
        &text,
        "latchkey_http_request_duration_seconds_bucket",
        &[VALIDATE, "le=\"0.005\""],
    );
    assert!(bucket.is_some(), "{text}");
    let sum = sample(
        &text,
        "latchkey_http_request_duration_seconds_count",
        &labels,
    );
    assert!(sum.is_some_and(|n| n >= 1.0), "{text}");
    for name in [
        "latchkey_validation_cache_misses_total",
        "latchkey_validation_cache_evictions_total",
        "latchkey_validation_cache_entries",
    ] {
        assert!(sample(&text, name, &[]).is_some(), "{name} in {text}");
    }
    let pool = match latchkey_testkit::backend_name().as_str() {
        "postgres" => "pool=\"postgres\"",
        _ => "pool=\"sqlite_writer\"",
    };
    assert!(
        sample(&text, "latchkey_db_pool_max_connections", &[pool]).is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert!(sample(&text, "latchkey_db_pool_connections", &[pool]).is_some());
    assert!(sample(&text, "latchkey_db_pool_idle_connections", &[pool]).is_some());

    // The same key again is served from the cache (on PostgreSQL once its
    // invalidation channel is up, so allow a few tries).
    let hits =
        |text: &str| sample(text, "latchkey_validation_cache_hits_total", &[]).unwrap_or(0.0);
    let before = hits(&text);
    let mut after = before;
    for _ in 0..50 {
        server.validate_key(&key, json!({})).await?;
        after = hits(&scrape(&server).await?);
        if after > before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(after > before, "cache hits {before} → {after}");
    Ok(())
}

#[tokio::test]
async fn labels_are_route_templates_never_urls() -> anyhow::Result<()> {
    let server = TestServer::start_with(with_token()).await?;
    let (id, key) = license_key(&server).await?;
    let shown = server
        .call(
            "GET",
            &format!("/v1/licenses/{id}"),
            Some(&server.admin_token),
            None,
        )
        .await?;
    assert_eq!(shown.status, 200);
    let prefixed = format!(
        "/v1/accounts/{}/licenses/actions/validate-key",
        server.account_id
    );
    let validated = server
        .call("POST", &prefixed, None, Some(json!({"meta": {"key": key}})))
        .await?;
    assert_eq!(validated.status, 200, "{}", validated.body);
    let missing = server
        .call("GET", "/v1/nowhere/zz-unrouted-9f3e", None, None)
        .await?;
    assert_eq!(missing.status, 404);
    let text = scrape(&server).await?;
    assert!(
        sample(
            &text,
            "latchkey_http_requests_total",
            &[
                "route=\"/v1/licenses/{id}\"",
                "method=\"GET\"",
                "status=\"2xx\""
            ]
        )
        .is_some(),
        "{text}"
    );
    assert!(sample(&text, "latchkey_http_requests_total", &[VALIDATE]).is_some());
    assert!(
        sample(
            &text,
            "latchkey_http_requests_total",
            &["route=\"unmatched\"", "status=\"4xx\""]
        )
        .is_some(),
        "{text}"
    );
    for raw in [
        id.as_str(),
        key.as_str(),
        &server.account_id,
        "zz-unrouted-9f3e",
    ] {
        assert!(!text.contains(raw), "{raw} appears in /metrics");
    }
    for line in text.lines().filter(|l| l.contains("route=\"")) {
        let route = line
            .split("route=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default();
        assert!(
            route == "unmatched"
                || route == "/metrics"
                || route.starts_with("/v1/")
                || route.starts_with("/storage/"),
            "{line}"
        );
        assert!(!route.contains("/accounts/"), "{line}");
    }
    Ok(())
}

async fn error_of(url: &str, bearer: Option<&str>) -> anyhow::Result<(u16, String, Value)> {
    let (status, content_type, text) = get(url, bearer).await?;
    anyhow::ensure!(!text.contains(TOKEN), "the token leaked: {text}");
    let body: Value = serde_json::from_str(&text)?;
    let code = body["errors"][0]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    anyhow::ensure!(content_type.contains("json"), "{content_type}");
    Ok((status, code, body))
}

#[tokio::test]
async fn the_token_is_required_and_never_echoed() -> anyhow::Result<()> {
    let server = TestServer::start_with(with_token()).await?;
    let url = format!("{}/metrics", server.base);
    let (status, code, _) = error_of(&url, None).await?;
    assert_eq!((status, code.as_str()), (401, "TOKEN_MISSING"));
    let near = format!("{TOKEN}x");
    for wrong in [near.as_str(), "metrics-token", server.admin_token.as_str()] {
        let (status, code, body) = error_of(&url, Some(wrong)).await?;
        assert_eq!((status, code.as_str()), (401, "TOKEN_INVALID"), "{body}");
    }
    // Under the account prefix there is no such route.
    let prefixed = server
        .call("GET", "/v1/accounts/acme/metrics", Some(TOKEN), None)
        .await?;
    assert_eq!(
        (prefixed.status, prefixed.error_code()),
        (404, Some("NOT_FOUND"))
    );
    Ok(())
}

#[tokio::test]
async fn without_a_token_the_route_is_not_found() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let url = format!("{}/metrics", server.base);
    for bearer in [None, Some(TOKEN), Some("")] {
        let (status, code, _) = error_of(&url, bearer).await?;
        assert_eq!((status, code.as_str()), (404, "NOT_FOUND"), "{bearer:?}");
    }
    Ok(())
}

#[tokio::test]
async fn metrics_listen_serves_only_metrics_without_a_token() -> anyhow::Result<()> {
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
        probe.local_addr()?.port()
    };
    let listen = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let server = TestServer::start_with(Config {
        metrics: MetricsConfig {
            token: None,
            listen: Some(listen),
        },
        cull_interval: Duration::from_millis(100),
        ..Config::default()
    })
    .await?;
    server.call("GET", "/v1/ping", None, None).await?;
    let metrics_url = format!("http://{listen}/metrics");
    let mut text = String::new();
    for _ in 0..50 {
        let (status, content_type, body) = get(&metrics_url, None).await?;
        assert_eq!(status, 200, "{body}");
        assert!(content_type.starts_with("text/plain"), "{content_type}");
        text = body;
        if text.contains("job=\"cull\"") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        sample(
            &text,
            "latchkey_http_requests_total",
            &["route=\"/v1/ping\""]
        )
        .is_some(),
        "{text}"
    );
    assert!(
        sample(
            &text,
            "latchkey_job_lag_seconds_bucket",
            &["job=\"cull\"", "le=\"1\""]
        )
        .is_some(),
        "{text}"
    );
    assert!(sample(&text, "latchkey_job_runs_total", &["job=\"cull\""]).is_some_and(|n| n >= 1.0));
    let (status, code, _) = error_of(&format!("http://{listen}/v1/ping"), None).await?;
    assert_eq!((status, code.as_str()), (404, "NOT_FOUND"));
    // The API address still hides it: no token is configured.
    let (status, _, _) = error_of(&format!("{}/metrics", server.base), None).await?;
    assert_eq!(status, 404);
    Ok(())
}

#[tokio::test]
async fn webhook_delivery_lag_is_recorded() -> anyhow::Result<()> {
    let server = TestServer::start_with(Config {
        webhooks: WebhookConfig {
            allow_insecure: true,
            retry_base_seconds: 0,
            timeout: Duration::from_secs(2),
            concurrency: 4,
            poll_interval: Duration::from_millis(30),
        },
        ..with_token()
    })
    .await?;
    let receiver = Receiver::start().await?;
    server
        .create(
            "/v1/webhook-endpoints",
            json!({"data": {"type": "webhook-endpoints",
                "attributes": {"url": receiver.url, "subscriptions": ["product.created"]}}}),
        )
        .await?;
    server.product("Lagged").await?;
    assert_eq!(receiver.wait_for(1, Duration::from_secs(10)).await.len(), 1);
    let text = scrape(&server).await?;
    let job = "job=\"webhook_delivery\"";
    assert!(
        sample(&text, "latchkey_job_runs_total", &[job]).is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert!(
        sample(&text, "latchkey_job_lag_seconds_count", &[job]).is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert!(
        sample(
            &text,
            "latchkey_job_lag_seconds_bucket",
            &[job, "le=\"+Inf\""]
        )
        .is_some()
    );
    Ok(())
}
