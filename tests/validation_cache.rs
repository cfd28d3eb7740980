//! The validation snapshot cache is exact: after every kind of write that can change a
//! validation answer, the next validation sees it — on the node that wrote (at once)
//! and, with several `latchkey serve` processes on one PostgreSQL database, on another
//! node (as soon as the commit's notification arrived: the test waits at most 2 s and
//! prints the longest window it saw).
//!
//! Each step warms the cache on the validating node (two validations), writes through
//! the API on the writing node, then expects the new code.
#![allow(clippy::expect_used)]

use latchkey_testkit::cluster::Cluster;
use latchkey_testkit::nodes::Nodes;
use latchkey_testkit::{TestServer, id, machine_body, to_one};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_latchkey");

struct Run<'a, N: Nodes> {
    nodes: &'a N,
    writer: usize,
    reader: usize,
    key: String,
    longest: Duration,
}

impl<N: Nodes> Run<'_, N> {
    async fn code(&mut self, scope: &Value) -> anyhow::Result<String> {
        // Anonymous, as an application validates.
        let body = json!({"meta": {"key": self.key, "scope": scope}});
        let reply = self
            .nodes
            .as_admin(
                self.reader,
                "POST",
                "/v1/licenses/actions/validate-key",
                Some(body),
            )
            .await?;
        anyhow::ensure!(reply.status == 200, "validate: {}", reply.body);
        Ok(match reply.body["meta"]["code"].as_str() {
            Some(code) if !reply.body["data"].is_null() => code.to_owned(),
            _ => "NOT_FOUND".to_owned(),
        })
    }

    async fn write(&self, method: &str, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let reply = self.nodes.as_admin(self.writer, method, path, body).await?;
        anyhow::ensure!(
            reply.status < 300,
            "{method} {path}: {} {}",
            reply.status,
            reply.body
        );
        Ok(reply.body)
    }

    /// Warms the reader's cache with `scope`, runs the write, expects `code` next.
    async fn step(
        &mut self,
        what: &str,
        scope: Value,
        write: (&str, &str, Option<Value>),
        code: &str,
    ) -> anyhow::Result<Value> {
        let before = self.code(&scope).await?;
        assert_eq!(before, self.code(&scope).await?, "{what}: stable before");
        assert_ne!(before, code, "{what}: the write must change the answer");
        let written = self.write(write.0, write.1, write.2).await?;
        let started = Instant::now();
        loop {
            let now = self.code(&scope).await?;
            if now == code {
                break;
            }
            assert!(
                self.writer != self.reader && started.elapsed() < Duration::from_secs(2),
                "{what}: expected {code}, the next validation said {now} (was {before})"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        self.longest = self.longest.max(started.elapsed());
        Ok(written)
    }
}

/// Every kind of write, in one license's life.
async fn every_write<N: Nodes>(
    nodes: &N,
    writer: usize,
    reader: usize,
) -> anyhow::Result<Duration> {
    let tag = format!("{writer}{reader}");
    let product = nodes.product("App").await?;
    let policy = nodes
        .policy_for(&product, json!({"floating": true, "maxMachines": 5}))
        .await?;
    let owner = nodes
        .create(
            "/v1/users",
            json!({"data": {"type": "users", "attributes": {"email": format!("owner{tag}@example.test")}}}),
        )
        .await?;
    let licensee = id(&nodes
        .create(
            "/v1/users",
            json!({"data": {"type": "users", "attributes": {"email": format!("seat{tag}@example.test")}}}),
        )
        .await?);
    let license = nodes
        .create(
            "/v1/licenses",
            json!({"data": {"type": "licenses", "relationships": {
                "policy": to_one("policies", &policy),
                "owner": to_one("users", &id(&owner))}}}),
        )
        .await?;
    let entitlement = id(&nodes
        .create(
            "/v1/entitlements",
            json!({"data": {"type": "entitlements", "attributes": {"name": "Pro", "code": format!("PRO{tag}")}}}),
        )
        .await?);
    let lic = id(&license);
    let key = license["attributes"]["key"]
        .as_str()
        .expect("license key")
        .to_owned();
    let mut run = Run {
        nodes,
        writer,
        reader,
        key,
        longest: Duration::ZERO,
    };
    let fp = json!({"fingerprint": "fp-1"});
    let lic_path = format!("/v1/licenses/{lic}");
    let action = |name: &str| format!("/v1/licenses/{lic}/actions/{name}");

    // machine activation
    let machine = run
        .step(
            "activate",
            fp.clone(),
            (
                "POST",
                "/v1/machines",
                Some(machine_body(&lic, "fp-1", Value::Null, Value::Null)),
            ),
            "VALID",
        )
        .await?;
    let machine = id(&machine["data"]);
    // license writes
    run.step(
        "suspend",
        fp.clone(),
        ("POST", &action("suspend"), None),
        "SUSPENDED",
    )
    .await?;
    run.step(
        "reinstate",
        fp.clone(),
        ("POST", &action("reinstate"), None),
        "VALID",
    )
    .await?;
    let expiry = |at: Value| json!({"data": {"type": "licenses", "attributes": {"expiry": at}}});
    run.step(
        "expiry moved into the past",
        fp.clone(),
        (
            "PATCH",
            &lic_path,
            Some(expiry("2025-06-01T00:00:00Z".into())),
        ),
        "EXPIRED",
    )
    .await?;
    run.step(
        "expiry removed",
        fp.clone(),
        ("PATCH", &lic_path, Some(expiry(Value::Null))),
        "VALID",
    )
    .await?;
    // owner
    let ban = |verb: &str| format!("/v1/users/{}/actions/{verb}", id(&owner));
    run.step(
        "owner banned",
        fp.clone(),
        ("POST", &ban("ban"), None),
        "BANNED",
    )
    .await?;
    run.step(
        "owner unbanned",
        fp.clone(),
        ("POST", &ban("unban"), None),
        "VALID",
    )
    .await?;
    // policy
    let policy_path = format!("/v1/policies/{policy}");
    let product_scope = |required: bool| json!({"data": {"type": "policies", "attributes": {"requireProductScope": required}}});
    run.step(
        "policy change",
        fp.clone(),
        ("PATCH", &policy_path, Some(product_scope(true))),
        "PRODUCT_SCOPE_REQUIRED",
    )
    .await?;
    run.step(
        "policy change back",
        fp.clone(),
        ("PATCH", &policy_path, Some(product_scope(false))),
        "VALID",
    )
    .await?;
    // heartbeats: a ping and a reset are single-statement writes (their cache keys
    // come back in the statement's own RETURNING on PostgreSQL)
    let heartbeat = |required: bool| json!({"data": {"type": "policies", "attributes": {"requireHeartbeat": required}}});
    run.step(
        "heartbeat required",
        fp.clone(),
        ("PATCH", &policy_path, Some(heartbeat(true))),
        "HEARTBEAT_NOT_STARTED",
    )
    .await?;
    let machine_action = |name: &str| format!("/v1/machines/{machine}/actions/{name}");
    run.step(
        "heartbeat ping",
        fp.clone(),
        ("POST", &machine_action("ping"), None),
        "VALID",
    )
    .await?;
    run.step(
        "heartbeat reset",
        fp.clone(),
        ("POST", &machine_action("reset"), None),
        "HEARTBEAT_NOT_STARTED",
    )
    .await?;
    run.step(
        "heartbeat no longer required",
        fp.clone(),
        ("PATCH", &policy_path, Some(heartbeat(false))),
        "VALID",
    )
    .await?;
    // entitlements
    let pro = json!({"fingerprint": "fp-1", "entitlements": [format!("PRO{tag}")]});
    let ents = format!("{lic_path}/entitlements");
    let ent_body = json!({"data": [{"type": "entitlements", "id": entitlement}]});
    run.step(
        "entitlement attached",
        pro.clone(),
        ("POST", &ents, Some(ent_body.clone())),
        "VALID",
    )
    .await?;
    run.step(
        "entitlement detached",
        pro.clone(),
        ("DELETE", &ents, Some(ent_body)),
        "ENTITLEMENTS_MISSING",
    )
    .await?;
    // licensees
    let seat = json!({"fingerprint": "fp-1", "user": licensee});
    let users = format!("{lic_path}/users");
    let user_body = json!({"data": [{"type": "users", "id": licensee}]});
    run.step(
        "licensee attached",
        seat.clone(),
        ("POST", &users, Some(user_body.clone())),
        "VALID",
    )
    .await?;
    run.step(
        "licensee detached",
        seat.clone(),
        ("DELETE", &users, Some(user_body)),
        "USER_SCOPE_MISMATCH",
    )
    .await?;
    // components
    let parts = json!({"fingerprint": "fp-1", "components": ["cpu-1"]});
    let component = run
        .step(
            "component added",
            parts.clone(),
            (
                "POST",
                "/v1/components",
                Some(json!({"data": {"type": "components",
                    "attributes": {"fingerprint": "cpu-1", "name": "CPU"},
                    "relationships": {"machine": to_one("machines", &machine)}}})),
            ),
            "VALID",
        )
        .await?;
    let component_path = format!("/v1/components/{}", id(&component["data"]));
    run.step(
        "component removed",
        parts,
        ("DELETE", &component_path, None),
        "COMPONENTS_SCOPE_MISMATCH",
    )
    .await?;
    // machine deactivation, then the license itself
    run.step(
        "deactivate",
        fp.clone(),
        ("DELETE", &format!("/v1/machines/{machine}"), None),
        "NO_MACHINES",
    )
    .await?;
    run.step(
        "license deleted",
        fp,
        ("DELETE", &lic_path, None),
        "NOT_FOUND",
    )
    .await?;
    Ok(run.longest)
}

#[tokio::test]
async fn every_write_is_seen_by_the_next_validation_on_the_same_node() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    every_write(&server, 0, 0).await?;
    Ok(())
}

#[tokio::test]
async fn every_write_is_seen_on_another_node() -> anyhow::Result<()> {
    if Cluster::unavailable("every_write_is_seen_on_another_node") {
        return Ok(());
    }
    let cluster = Cluster::start(BINARY, 2).await?;
    every_write(&cluster, 0, 0).await?;
    let longest = every_write(&cluster, 0, 1).await?;
    eprintln!("longest cross-node staleness window seen: {longest:?}");
    assert!(longest < Duration::from_secs(2));
    Ok(())
}
