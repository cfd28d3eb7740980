//! Webhook delivery across processes (`latchkey serve` binaries on one database):
//!
//! - a process SIGKILLed with undelivered events pending: another process on the
//!   same database delivers every event; the only repeats are attempts that were
//!   in flight at the kill (at most the worker's concurrency), and a repeat always
//!   carries the same event id (SQLite and PostgreSQL);
//! - two processes on one PostgreSQL database deliver each event exactly once;
//! - two processes on one PostgreSQL database running the scheduled license notices
//!   every second send each notice once;
//! - an endpoint created after its process (or, on PostgreSQL, another process)
//!   already read the in-memory endpoint list receives the next event.

#![allow(clippy::expect_used)]

use latchkey_core::clock::{Clock, SystemClock};
use latchkey_store::sql;
use latchkey_testkit::cluster::{Bootstrap, Cluster};
use latchkey_testkit::receiver::Receiver;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

const BINARY: &str = env!("CARGO_BIN_EXE_latchkey");
const CONCURRENCY: usize = 2;

async fn cluster(nodes: usize) -> anyhow::Result<Cluster> {
    cluster_with(nodes, &[]).await
}

async fn cluster_with(nodes: usize, extra: &[(&str, &str)]) -> anyhow::Result<Cluster> {
    let concurrency = CONCURRENCY.to_string();
    let mut env = vec![
        ("LATCHKEY_ALLOW_INSECURE_WEBHOOKS", "1"),
        ("LATCHKEY_WEBHOOK_RETRY_BASE_SECONDS", "0"),
        ("LATCHKEY_WEBHOOK_TIMEOUT", "2"),
        ("LATCHKEY_WEBHOOK_CONCURRENCY", concurrency.as_str()),
        ("LATCHKEY_WEBHOOK_POLL_INTERVAL_MS", "50"),
    ];
    env.extend_from_slice(extra);
    Cluster::start_with_env(BINARY, nodes, Bootstrap::Account, &env).await
}

async fn subscribe(cluster: &Cluster, node: usize, url: &str) -> anyhow::Result<()> {
    subscribe_to(cluster, node, url, &["product.created"]).await
}

async fn subscribe_to(
    cluster: &Cluster,
    node: usize,
    url: &str,
    events: &[&str],
) -> anyhow::Result<()> {
    let reply = cluster
        .admin(
            node,
            "POST",
            "/v1/webhook-endpoints",
            Some(json!({"data": {"type": "webhook-endpoints",
                "attributes": {"url": url, "subscriptions": events}}})),
        )
        .await?;
    anyhow::ensure!(reply.status == 201, "{}", reply.body);
    Ok(())
}

/// `POST path` as admin on `node`; the created resource's id.
async fn create(cluster: &Cluster, node: usize, path: &str, body: Value) -> anyhow::Result<String> {
    let reply = cluster.admin(node, "POST", path, Some(body)).await?;
    anyhow::ensure!(reply.status == 201, "{}", reply.body);
    Ok(reply.body["data"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

async fn product(cluster: &Cluster, node: usize, name: &str) -> anyhow::Result<()> {
    let reply = cluster
        .admin(
            node,
            "POST",
            "/v1/products",
            Some(json!({"data": {"type": "products", "attributes": {"name": name}}})),
        )
        .await?;
    anyhow::ensure!(reply.status == 201, "{}", reply.body);
    Ok(())
}

async fn undelivered(cluster: &Cluster) -> anyhow::Result<i64> {
    let db = cluster.db().await?;
    let row: Option<(i64,)> = db
        .fetch_optional(sql(
            "SELECT COUNT(*) FROM webhook_events WHERE status <> 'DELIVERED'",
        ))
        .await?;
    db.close().await;
    Ok(row.map_or(0, |r| r.0))
}

/// Waits until `count` distinct event ids arrived and none is left undelivered.
async fn wait_all(cluster: &Cluster, receiver: &Receiver, count: usize) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let ids: HashSet<String> = receiver
            .received()
            .iter()
            .map(|h| h.id().to_owned())
            .collect();
        if ids.len() >= count && undelivered(cluster).await? == 0 {
            return Ok(());
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "{} of {count} events delivered",
            ids.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_killed_process_leaves_nothing_undelivered() -> anyhow::Result<()> {
    const EVENTS: usize = 12;
    let receiver = Receiver::start().await?;
    receiver.delay(Duration::from_millis(400));
    let mut cluster = cluster(1).await?;
    subscribe(&cluster, 0, &receiver.url).await?;
    for n in 0..EVENTS {
        product(&cluster, 0, &format!("P{n}")).await?;
    }
    // Let the first attempts start, then kill the process mid-delivery.
    receiver.wait_for(1, Duration::from_secs(10)).await;
    cluster.kill(0)?;
    let at_kill = receiver.received().len();
    assert!(at_kill < EVENTS, "events were still pending at the kill");
    cluster.add_node().await?;
    wait_all(&cluster, &receiver, EVENTS).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let hooks = receiver.received();
    let mut per_id: HashMap<String, usize> = HashMap::new();
    let mut per_name: HashMap<String, HashSet<String>> = HashMap::new();
    for hook in &hooks {
        *per_id.entry(hook.id().to_owned()).or_default() += 1;
        let name = hook.payload()["data"]["attributes"]["name"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        per_name
            .entry(name)
            .or_default()
            .insert(hook.id().to_owned());
    }
    assert_eq!(per_id.len(), EVENTS, "every event delivered");
    assert!(
        per_name.values().all(|ids| ids.len() == 1),
        "a repeat carries the same event id"
    );
    let repeats: usize = per_id.values().map(|n| n - 1).sum();
    assert!(
        repeats <= CONCURRENCY,
        "only attempts in flight at the kill repeat ({repeats})"
    );
    Ok(())
}

#[tokio::test]
async fn two_processes_deliver_each_event_once() -> anyhow::Result<()> {
    if Cluster::unavailable("two_processes_deliver_each_event_once") {
        return Ok(());
    }
    const EVENTS: usize = 30;
    let receiver = Receiver::start().await?;
    receiver.delay(Duration::from_millis(20));
    let cluster = cluster(2).await?;
    subscribe(&cluster, 0, &receiver.url).await?;
    for n in 0..EVENTS {
        product(&cluster, n % 2, &format!("P{n}")).await?;
    }
    wait_all(&cluster, &receiver, EVENTS).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let hooks = receiver.received();
    let ids: HashSet<&str> = hooks.iter().map(|h| h.id()).collect();
    assert_eq!(ids.len(), EVENTS);
    assert_eq!(hooks.len(), EVENTS, "no event delivered twice");
    Ok(())
}

#[tokio::test]
async fn two_processes_send_each_license_notice_once() -> anyhow::Result<()> {
    if Cluster::unavailable("two_processes_send_each_license_notice_once") {
        return Ok(());
    }
    const LICENSES: usize = 20;
    let receiver = Receiver::start().await?;
    // Both nodes run the scheduled jobs every second.
    let cluster = cluster_with(2, &[("LATCHKEY_JOBS_INTERVAL", "1")]).await?;
    subscribe_to(
        &cluster,
        0,
        &receiver.url,
        &["license.expiring-soon", "license.check-in-required-soon"],
    )
    .await?;
    let product = create(
        &cluster,
        0,
        "/v1/products",
        json!({"data": {"type": "products", "attributes": {"name": "App"}}}),
    )
    .await?;
    let policy = create(
        &cluster,
        1,
        "/v1/policies",
        json!({"data": {"type": "policies",
            "attributes": {"name": "Daily", "requireCheckIn": true,
                "checkInInterval": "day", "checkInIntervalCount": 1},
            "relationships": {"product": {"data": {"type": "products", "id": product}}}}}),
    )
    .await?;
    let expiry = latchkey_proto::time_format::format(SystemClock.now() + time::Duration::days(1));
    for n in 0..LICENSES {
        create(
            &cluster,
            n % 2,
            "/v1/licenses",
            json!({"data": {"type": "licenses", "attributes": {"expiry": expiry},
                "relationships": {"policy": {"data": {"type": "policies", "id": policy}}}}}),
        )
        .await?;
    }
    // Each license is due both notices: 2 × LICENSES deliveries, then several more
    // passes on each node must add none.
    wait_all(&cluster, &receiver, 2 * LICENSES).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let hooks = receiver.received();
    let mut per_notice: HashMap<(String, String), usize> = HashMap::new();
    for hook in &hooks {
        let license = hook.payload()["data"]["id"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        *per_notice
            .entry((hook.event().to_owned(), license))
            .or_default() += 1;
    }
    assert_eq!(per_notice.len(), 2 * LICENSES, "{per_notice:?}");
    assert!(
        per_notice.values().all(|&n| n == 1),
        "a notice was sent twice: {per_notice:?}"
    );
    Ok(())
}

/// A machine (of a new product, policy and license) created on `node`; its id.
async fn machine(cluster: &Cluster, node: usize) -> anyhow::Result<String> {
    let product = create(
        cluster,
        node,
        "/v1/products",
        json!({"data": {"type": "products", "attributes": {"name": "App"}}}),
    )
    .await?;
    let policy = create(
        cluster,
        node,
        "/v1/policies",
        json!({"data": {"type": "policies", "attributes": {"name": "P"},
            "relationships": {"product": {"data": {"type": "products", "id": product}}}}}),
    )
    .await?;
    let license = create(
        cluster,
        node,
        "/v1/licenses",
        json!({"data": {"type": "licenses",
            "relationships": {"policy": {"data": {"type": "policies", "id": policy}}}}}),
    )
    .await?;
    create(
        cluster,
        node,
        "/v1/machines",
        json!({"data": {"type": "machines", "attributes": {"fingerprint": "fp-1"},
            "relationships": {"license": {"data": {"type": "licenses", "id": license}}}}}),
    )
    .await
}

/// The outbox keeps the endpoint list in memory: an endpoint created after a write
/// read it (empty) receives the very next event written on the same process.
#[tokio::test]
async fn an_endpoint_hears_the_next_event_on_its_node() -> anyhow::Result<()> {
    let receiver = Receiver::start().await?;
    let cluster = cluster(1).await?;
    let machine = machine(&cluster, 0).await?;
    let ping = format!("/v1/machines/{machine}/actions/ping");
    let reply = cluster.admin(0, "POST", &ping, None).await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    subscribe_to(&cluster, 0, &receiver.url, &["machine.heartbeat.ping"]).await?;
    let reply = cluster.admin(0, "POST", &ping, None).await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let hooks = receiver.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(
        hooks.len(),
        1,
        "the one ping after subscribing is delivered"
    );
    assert_eq!(hooks[0].event(), "machine.heartbeat.ping");
    assert_eq!(hooks[0].payload()["data"]["id"], machine.as_str());
    Ok(())
}

/// The outbox keeps the endpoint list in memory on each node: an endpoint created on
/// one node receives the heartbeats pinged on another, whose list was already read
/// (empty) before, as soon as that node heard the commit's notification.
#[tokio::test]
async fn an_endpoint_created_on_one_node_hears_the_next_event_on_another() -> anyhow::Result<()> {
    if Cluster::unavailable("an_endpoint_created_on_one_node_hears_the_next_event_on_another") {
        return Ok(());
    }
    let receiver = Receiver::start().await?;
    let cluster = cluster(2).await?;
    let machine = machine(&cluster, 0).await?;
    let ping = format!("/v1/machines/{machine}/actions/ping");
    // Node 1 reads the (empty) endpoint list.
    let reply = cluster.admin(1, "POST", &ping, None).await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    subscribe_to(&cluster, 0, &receiver.url, &["machine.heartbeat.ping"]).await?;
    let started = tokio::time::Instant::now();
    let mut pings = 0;
    while receiver.received().is_empty() {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(5),
            "no heartbeat delivered after {pings} pings on the other node"
        );
        let reply = cluster.admin(1, "POST", &ping, None).await?;
        assert_eq!(reply.status, 200, "{}", reply.body);
        pings += 1;
        receiver.wait_for(1, Duration::from_millis(200)).await;
    }
    let hooks = receiver.received();
    assert_eq!(hooks[0].event(), "machine.heartbeat.ping");
    assert_eq!(hooks[0].payload()["data"]["id"], machine.as_str());
    eprintln!("delivered after {pings} ping(s) on the other node");
    Ok(())
}
