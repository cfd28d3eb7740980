//! API tokens are cached with their bearers, exactly: after every kind of write that
//! changes what a token may do or what `GET /v1/me` shows of it, the next request with
//! that token sees it — on the node that wrote (at once) and, with several
//! `latchkey serve` processes on one PostgreSQL database, on another node (as soon as
//! the commit's notification arrived; the test waits at most 2 s).
//!
//! Each step asks twice first (the second answer comes from the cache), writes through
//! the API on the writing node, then expects the new answer on the reading node.
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
    longest: Duration,
}

/// What a request showed: status, error code, the bearer's name, and the included
/// token's activation count (`-` where absent).
fn seen(status: u16, body: &Value) -> String {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_owned(),
        other => other.to_string(),
    };
    format!(
        "{status} {} {} {}",
        text(&body["errors"][0]["code"]),
        text(&body["data"]["attributes"]["name"]),
        text(&body["included"][0]["attributes"]["activations"]),
    )
}

impl<N: Nodes> Run<'_, N> {
    async fn probe(&self, authorization: &str, path: &str) -> anyhow::Result<String> {
        let reply = self
            .nodes
            .send_to(self.reader, "GET", path, Some(authorization), None)
            .await?;
        Ok(seen(reply.status, &reply.body))
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

    /// Asks twice with `authorization` (at `path`), runs the write, expects `after`.
    async fn step(
        &mut self,
        what: &str,
        (authorization, path): (&str, &str),
        write: (&str, &str, Option<Value>),
        after: &str,
    ) -> anyhow::Result<()> {
        let before = self.probe(authorization, path).await?;
        assert_eq!(
            before,
            self.probe(authorization, path).await?,
            "{what}: stable before"
        );
        assert_ne!(before, after, "{what}: the write must change the answer");
        self.write(write.0, write.1, write.2).await?;
        let started = Instant::now();
        loop {
            let now = self.probe(authorization, path).await?;
            if now == after {
                break;
            }
            assert!(
                self.writer != self.reader && started.elapsed() < Duration::from_secs(2),
                "{what}: expected {after}, the next request saw {now} (was {before})"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        self.longest = self.longest.max(started.elapsed());
        Ok(())
    }
}

fn token_of(created: &Value) -> (String, String) {
    let raw = created["data"]["attributes"]["token"]
        .as_str()
        .expect("a new token shows its secret");
    (format!("Bearer {raw}"), id(&created["data"]))
}

/// Every kind of write behind a user, a product and a license token, and a license
/// key.
async fn every_credential_write<N: Nodes>(
    nodes: &N,
    writer: usize,
    reader: usize,
) -> anyhow::Result<Duration> {
    let tag = format!("{writer}{reader}");
    let mut run = Run {
        nodes,
        writer,
        reader,
        longest: Duration::ZERO,
    };
    const ME: &str = "/v1/me";

    // A user's token: bans, role, regeneration, revocation.
    let user = nodes.user(&format!("dev{tag}@example.com")).await?;
    let created = run
        .write("POST", &format!("/v1/users/{user}/tokens"), None)
        .await?;
    let (bearer, token_id) = token_of(&created);
    let user_path = format!("/v1/users/{user}");
    run.step(
        "ban",
        (&bearer, ME),
        ("POST", &format!("{user_path}/actions/ban"), None),
        "403 USER_BANNED - -",
    )
    .await?;
    run.step(
        "unban",
        (&bearer, ME),
        ("POST", &format!("{user_path}/actions/unban"), None),
        "200 - - -",
    )
    .await?;
    let role = |role: &str| json!({"data": {"type": "users", "attributes": {"role": role}}});
    run.step(
        "role raised",
        (&bearer, "/v1/products"),
        ("PATCH", &user_path, Some(role("developer"))),
        "200 - - -",
    )
    .await?;
    run.step(
        "role lowered",
        (&bearer, "/v1/products"),
        ("PATCH", &user_path, Some(role("user"))),
        "403 - - -",
    )
    .await?;
    let regenerated = run
        .nodes
        .as_admin(writer, "PUT", &format!("/v1/tokens/{token_id}"), None)
        .await?;
    let (new_bearer, _) = token_of(&regenerated.body);
    let started = Instant::now();
    while run.probe(&bearer, ME).await? != "401 TOKEN_INVALID - -" {
        assert!(
            writer != reader && started.elapsed() < Duration::from_secs(2),
            "regenerate: the old secret still authenticates"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    run.step(
        "revoke",
        (&new_bearer, ME),
        ("DELETE", &format!("/v1/tokens/{token_id}"), None),
        "401 TOKEN_INVALID - -",
    )
    .await?;

    // A product's token: rename, deletion.
    let product = nodes.product(&format!("App {tag}")).await?;
    let created = run
        .write("POST", &format!("/v1/products/{product}/tokens"), None)
        .await?;
    let (product_bearer, _) = token_of(&created);
    let product_path = format!("/v1/products/{product}");
    let renamed = json!({"data": {"type": "products", "attributes": {"name": "Renamed"}}});
    run.step(
        "product renamed",
        (&product_bearer, ME),
        ("PATCH", &product_path, Some(renamed)),
        "200 - Renamed -",
    )
    .await?;

    // A license's token and key: suspension, owner ban, policy, rename, counters.
    let policy = nodes
        .policy_for(
            &product,
            json!({"floating": true, "maxMachines": 5, "authenticationStrategy": "MIXED"}),
        )
        .await?;
    let owner = nodes.user(&format!("owner{tag}@example.com")).await?;
    let license = nodes
        .license_for(&policy, json!({"owner": to_one("users", &owner)}))
        .await?;
    let (license_id, key) = (id(&license), license["attributes"]["key"].clone());
    let key_auth = format!("License {}", key.as_str().expect("a key"));
    let created = run
        .write(
            "POST",
            &format!("/v1/licenses/{license_id}/tokens"),
            Some(json!({"data": {"type": "tokens", "attributes": {"maxActivations": 3}}})),
        )
        .await?;
    let (license_bearer, _) = token_of(&created);
    let license_path = format!("/v1/licenses/{license_id}");
    let owner_path = format!("/v1/users/{owner}");
    for auth in [&license_bearer, &key_auth] {
        // Key authentication reads a cached validation snapshot: fill one.
        let validated = nodes
            .send_to(
                reader,
                "POST",
                "/v1/licenses/actions/validate-key",
                None,
                Some(json!({"meta": {"key": key}})),
            )
            .await?;
        assert_eq!(validated.status, 200, "{}", validated.body);
        run.step(
            "suspend",
            (auth, ME),
            ("POST", &format!("{license_path}/actions/suspend"), None),
            "403 LICENSE_SUSPENDED - -",
        )
        .await?;
        // Only the license token's `/me` includes the token, with its counters.
        let usable = if auth == &license_bearer {
            "200 - - 0"
        } else {
            "200 - - -"
        };
        run.step(
            "reinstate",
            (auth, ME),
            ("POST", &format!("{license_path}/actions/reinstate"), None),
            usable,
        )
        .await?;
        run.step(
            "owner banned",
            (auth, ME),
            ("POST", &format!("{owner_path}/actions/ban"), None),
            "403 LICENSE_BANNED - -",
        )
        .await?;
        run.step(
            "owner unbanned",
            (auth, ME),
            ("POST", &format!("{owner_path}/actions/unban"), None),
            usable,
        )
        .await?;
    }
    let strategy = |s: &str| json!({"data": {"type": "policies", "attributes": {"authenticationStrategy": s}}});
    let policy_path = format!("/v1/policies/{policy}");
    run.step(
        "policy allows keys only",
        (&license_bearer, ME),
        ("PATCH", &policy_path, Some(strategy("LICENSE"))),
        "403 TOKEN_NOT_ALLOWED - -",
    )
    .await?;
    run.step(
        "policy allows tokens only",
        (&key_auth, ME),
        ("PATCH", &policy_path, Some(strategy("TOKEN"))),
        "403 LICENSE_NOT_ALLOWED - -",
    )
    .await?;
    let renamed = json!({"data": {"type": "licenses", "attributes": {"name": "Seat"}}});
    run.step(
        "license renamed",
        (&license_bearer, ME),
        ("PATCH", &license_path, Some(renamed)),
        "200 - Seat 0",
    )
    .await?;
    // The token's own activation counter, charged by an activation with it.
    let before = run.probe(&license_bearer, ME).await?;
    assert_eq!(before, run.probe(&license_bearer, ME).await?);
    let activated = nodes
        .send_to(
            writer,
            "POST",
            "/v1/machines",
            Some(&license_bearer),
            Some(machine_body(
                &license_id,
                &format!("fp-{tag}"),
                Value::Null,
                Value::Null,
            )),
        )
        .await?;
    assert_eq!(activated.status, 201, "{}", activated.body);
    let started = Instant::now();
    loop {
        let now = run.probe(&license_bearer, ME).await?;
        if now == "200 - Seat 1" {
            break;
        }
        assert!(
            writer != reader && started.elapsed() < Duration::from_secs(2),
            "activation counter: the next request saw {now}"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    run.longest = run.longest.max(started.elapsed());
    run.step(
        "product deleted",
        (&product_bearer, ME),
        ("DELETE", &product_path, None),
        "401 TOKEN_INVALID - -",
    )
    .await?;
    Ok(run.longest)
}

#[tokio::test]
async fn every_credential_write_is_seen_by_the_next_request_on_the_same_node() -> anyhow::Result<()>
{
    let server = TestServer::start().await?;
    every_credential_write(&server, 0, 0).await?;
    Ok(())
}

#[tokio::test]
async fn every_credential_write_is_seen_on_another_node() -> anyhow::Result<()> {
    if Cluster::unavailable("every_credential_write_is_seen_on_another_node") {
        return Ok(());
    }
    let cluster = Cluster::start(BINARY, 2).await?;
    every_credential_write(&cluster, 0, 0).await?;
    let longest = every_credential_write(&cluster, 0, 1).await?;
    eprintln!("longest cross-node staleness window seen: {longest:?}");
    assert!(longest < Duration::from_secs(2));
    Ok(())
}
