//! Scheduled license notices (Keygen's LicenseExpirationsWorker and
//! LicenseOverdueCheckInsWorker): `license.expiring-soon`, `license.expired`,
//! `license.check-in-required-soon` and `license.check-in-overdue`, each at most
//! once per 24 hours per license, delivered to subscribed endpoints and logged; and
//! two nodes on one database running the job at the same instant send each once.

#![allow(clippy::expect_used)]

use latchkey_server::Config;
use latchkey_server::config::WebhookConfig;
use latchkey_testkit::receiver::Receiver;
use latchkey_testkit::{Fixtures, TestServer, id, license_body};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;
use time::Duration as Span;

const SOON: &str = "license.expiring-soon";
const EXPIRED: &str = "license.expired";
const CHECK_IN_SOON: &str = "license.check-in-required-soon";
const OVERDUE: &str = "license.check-in-overdue";

async fn server() -> anyhow::Result<TestServer> {
    TestServer::start_with(Config {
        webhooks: WebhookConfig {
            allow_insecure: true,
            retry_base_seconds: 0,
            timeout: Duration::from_secs(2),
            concurrency: 4,
            poll_interval: Duration::from_millis(30),
        },
        ..Config::default()
    })
    .await
}

/// A license of `policy` expiring at `expiry` (ISO-8601, or null); its id.
async fn license(server: &TestServer, policy: &str, expiry: Value) -> anyhow::Result<String> {
    let body = license_body(policy, json!({ "expiry": expiry }), json!({}));
    Ok(id(&server.create("/v1/licenses", body).await?))
}

fn sent(pairs: &[(&'static str, String)]) -> Vec<(String, String)> {
    let mut all: Vec<_> = pairs
        .iter()
        .map(|(event, license)| ((*event).to_owned(), license.clone()))
        .collect();
    all.sort();
    all
}

fn pair(event: &str, license: &str) -> (String, String) {
    (event.to_owned(), license.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiration_notices_follow_keygen_schedule() -> anyhow::Result<()> {
    let server = server().await?;
    let policy = server.policy_with_product(json!({})).await?;
    // The clock starts at 2026-01-01T12:00Z.
    let soon = license(&server, &policy, json!("2026-01-03T12:00:00Z")).await?;
    let far = license(&server, &policy, json!("2026-01-05T12:00:00Z")).await?;
    let stale = license(&server, &policy, json!("2025-12-31T20:00:00Z")).await?;
    license(&server, &policy, Value::Null).await?;

    assert_eq!(sent(&server.notices().await?), vec![pair(SOON, &soon)]);
    assert!(server.notices().await?.is_empty(), "sent twice at once");
    server.clock.advance(Span::hours(23));
    assert!(server.notices().await?.is_empty(), "repeated within 24 h");
    server.clock.advance(Span::hours(1));
    // A day later `soon` is due again; `far` expires in exactly three days, which is
    // not yet "within" three days.
    assert_eq!(sent(&server.notices().await?), vec![pair(SOON, &soon)]);
    // Two hours more and it is.
    server.clock.advance(Span::hours(2));
    assert_eq!(sent(&server.notices().await?), vec![pair(SOON, &far)]);

    // One hour past its expiry `soon` gets license.expired; the expiring-soon sent
    // 23 hours earlier does not hold it back.
    server
        .clock
        .set(time::macros::datetime!(2026-01-03 13:00 UTC));
    assert_eq!(sent(&server.notices().await?), vec![pair(EXPIRED, &soon)]);
    assert!(server.notices().await?.is_empty());
    // Past twelve hours after the expiry nothing more is sent for `soon`; `far`,
    // last told 34 hours ago, is told again.
    server
        .clock
        .set(time::macros::datetime!(2026-01-04 00:01 UTC));
    assert_eq!(sent(&server.notices().await?), vec![pair(SOON, &far)]);

    // Each notice is in the event log, without whodunnit.
    let logs = server
        .admin(
            "GET",
            "/v1/event-logs?events[]=license.expiring-soon&events[]=license.expired",
            None,
        )
        .await?;
    assert_eq!(logs.status, 200, "{}", logs.body);
    let mut events: HashMap<(String, String), usize> = HashMap::new();
    for log in logs.body["data"].as_array().expect("data") {
        let event = log["attributes"]["event"]
            .as_str()
            .expect("event")
            .to_owned();
        let resource = log["relationships"]["resource"]["data"]["id"]
            .as_str()
            .expect("resource")
            .to_owned();
        assert!(log["relationships"]["whodunnit"]["data"].is_null(), "{log}");
        *events.entry((event, resource)).or_default() += 1;
    }
    assert_eq!(events.get(&pair(SOON, &soon)), Some(&2));
    assert_eq!(events.get(&pair(EXPIRED, &soon)), Some(&1));
    assert_eq!(events.get(&pair(SOON, &far)), Some(&2));
    assert!(!events.keys().any(|(_, l)| *l == stale), "{events:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_in_notices_follow_keygen_schedule() -> anyhow::Result<()> {
    let server = server().await?;
    let policy = server
        .policy_with_product(json!({
            "requireCheckIn": true, "checkInInterval": "day", "checkInIntervalCount": 2
        }))
        .await?;
    let monthly = server
        .policy_with_product(json!({
            "requireCheckIn": true, "checkInInterval": "month", "checkInIntervalCount": 1
        }))
        .await?;
    // Checked in at creation: next check-in in two days.
    let daily = license(&server, &policy, Value::Null).await?;
    let expired = license(&server, &policy, json!("2026-01-02T00:00:00Z")).await?;
    let month = license(&server, &monthly, Value::Null).await?;

    assert_eq!(
        sent(&server.notices().await?),
        vec![
            pair(CHECK_IN_SOON, &daily),
            pair(CHECK_IN_SOON, &expired),
            pair(SOON, &expired)
        ]
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
    );
    // Two days and an hour later the daily license is overdue; the expired one gets
    // no check-in notice (only its license.expired).
    server.clock.advance(Span::hours(49));
    assert_eq!(sent(&server.notices().await?), vec![pair(OVERDUE, &daily)]);
    // A check-in moves the next one two days out: required-soon is sent again once
    // 24 hours have passed since the last one.
    let checked = server
        .admin(
            "POST",
            &format!("/v1/licenses/{daily}/actions/check-in"),
            None,
        )
        .await?;
    assert_eq!(checked.status, 200, "{}", checked.body);
    assert_eq!(
        sent(&server.notices().await?),
        vec![pair(CHECK_IN_SOON, &daily)]
    );
    // Thirteen hours overdue: no more overdue notices.
    server.clock.advance(Span::hours(48 + 13));
    assert!(server.notices().await?.is_empty());

    // The monthly license is due on 2026-02-01 12:00: required-soon from 2026-01-29 12:00.
    server
        .clock
        .set(time::macros::datetime!(2026-01-29 11:59 UTC));
    assert!(server.notices().await?.is_empty());
    server
        .clock
        .set(time::macros::datetime!(2026-01-29 12:01 UTC));
    assert_eq!(
        sent(&server.notices().await?),
        vec![pair(CHECK_IN_SOON, &month)]
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_reach_subscribed_endpoints_only() -> anyhow::Result<()> {
    let server = server().await?;
    let receiver = Receiver::start().await?;
    server
        .create(
            "/v1/webhook-endpoints",
            json!({"data": {"type": "webhook-endpoints",
                "attributes": {"url": receiver.url, "subscriptions": [SOON]}}}),
        )
        .await?;
    let policy = server.policy_with_product(json!({})).await?;
    let soon = license(&server, &policy, json!("2026-01-02T12:00:00Z")).await?;
    let expired = license(&server, &policy, json!("2026-01-01T11:00:00Z")).await?;
    assert_eq!(
        sent(&server.notices().await?),
        vec![pair(EXPIRED, &expired), pair(SOON, &soon)]
    );
    let hooks = receiver.wait_for(1, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let hooks = if hooks.len() == 1 {
        receiver.received()
    } else {
        hooks
    };
    assert_eq!(hooks.len(), 1, "only the subscribed event is delivered");
    assert_eq!(hooks[0].event(), SOON);
    let payload = hooks[0].payload();
    assert_eq!(payload["data"]["type"], "licenses");
    assert_eq!(payload["data"]["id"], soon.as_str());
    assert_eq!(payload["data"]["attributes"]["status"], "EXPIRING");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_send_each_notice_once() -> anyhow::Result<()> {
    let server = server().await?;
    let policy = server
        .policy_with_product(json!({
            "requireCheckIn": true, "checkInInterval": "day", "checkInIntervalCount": 1
        }))
        .await?;
    let mut licenses = Vec::new();
    for _ in 0..40 {
        licenses.push(license(&server, &policy, json!("2026-01-02T12:00:00Z")).await?);
    }
    let other = server.second_node_db().await?;
    let clock: latchkey_core::clock::SharedClock = std::sync::Arc::new(server.clock.clone());
    let mut all = Vec::new();
    for _ in 0..3 {
        let (a, b) = tokio::join!(
            latchkey_server::jobs::notices::notices_once(&server.db, &clock),
            latchkey_server::jobs::notices::notices_once(&other, &clock),
        );
        all.extend(a?.sent);
        all.extend(b?.sent);
    }
    let mut counts: HashMap<(String, String), usize> = HashMap::new();
    for (event, license) in sent(&all) {
        *counts.entry((event, license)).or_default() += 1;
    }
    for license in &licenses {
        for event in [SOON, CHECK_IN_SOON] {
            assert_eq!(
                counts.get(&pair(event, license)),
                Some(&1),
                "{event} {license}"
            );
        }
    }
    assert_eq!(counts.len(), 2 * licenses.len());
    // And the outbox agrees: one event log per notice. A node's reads flush only its
    // own log writer; the other node's writer gathers for up to 100 ms.
    other.flush_event_logs().await;
    let logs = server
        .admin(
            "GET",
            "/v1/event-logs?events[]=license.expiring-soon&page[size]=100&page[number]=1",
            None,
        )
        .await?;
    assert_eq!(
        logs.body["data"].as_array().map(Vec::len),
        Some(licenses.len())
    );
    other.close().await;
    Ok(())
}
