//! Limits under races across nodes: real `latchkey serve` processes on one PostgreSQL
//! database (as a user who scales out runs them), hit at the same moment.
//!
//! - first-start bootstrap of two processes on an empty database;
//! - fingerprint uniqueness across licenses (machine and component strategies
//!   UNIQUE_PER_POLICY / PRODUCT / ACCOUNT), one activation per node;
//! - group `maxUsers` and `maxMachines` with joins spread over both nodes.
//!
//! On SQLite (the default test backend) every test prints a skip note and passes:
//! several processes need PostgreSQL (`LATCHKEY_TEST_DATABASE=postgres`).

use latchkey_store::sql;
use latchkey_testkit::cluster::{Bootstrap, Cluster};
use latchkey_testkit::{Fixtures, Reply, component, id, machine_body, to_one};
use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_latchkey");

async fn count(cluster: &Cluster, table: &str) -> anyhow::Result<i64> {
    let db = cluster.db().await?;
    let row: Option<(i64,)> = db
        .fetch_optional(sql(format!("SELECT COUNT(*) FROM {table}")))
        .await?;
    db.close().await;
    Ok(row.map_or(0, |r| r.0))
}

#[tokio::test]
async fn two_nodes_bootstrap_an_empty_database_once() -> anyhow::Result<()> {
    if Cluster::unavailable("two_nodes_bootstrap_an_empty_database_once") {
        return Ok(());
    }
    for round in 0..3 {
        let (mode, banner) = if round % 2 == 0 {
            (
                Bootstrap::FirstStart,
                "First start: created account 'default'",
            )
        } else {
            (Bootstrap::Account, "Created account 'acme'")
        };
        // start_with fails unless every process starts and answers.
        let cluster = Cluster::start_with(BINARY, 2, mode).await?;
        assert_eq!(count(&cluster, "accounts").await?, 1, "round {round}");
        assert_eq!(count(&cluster, "users").await?, 1, "round {round}");
        let announced: Vec<usize> = (0..2)
            .filter(|&n| cluster.nodes[n].output().iter().any(|l| l.contains(banner)))
            .collect();
        assert_eq!(announced.len(), 1, "round {round}: {announced:?}");
        for node in 0..2 {
            let me = cluster.admin(node, "GET", "/v1/me", None).await?;
            assert_eq!(me.status, 200, "round {round} node {node}: {}", me.body);
        }
    }
    Ok(())
}

/// Sends `bodies[i]` to node `i % nodes`, all at once.
async fn at_once(cluster: &Cluster, path: &str, bodies: Vec<Value>) -> anyhow::Result<Vec<Reply>> {
    let nodes = cluster.nodes.len();
    let calls = bodies
        .into_iter()
        .enumerate()
        .map(|(i, body)| cluster.admin(i % nodes, "POST", path, Some(body)));
    futures::future::join_all(calls).await.into_iter().collect()
}

/// One 201 and one 422 with `code`, whichever node wins.
fn one_wins(replies: &[Reply], code: &str, what: &str) {
    let mut outcomes: Vec<(u16, Option<&str>)> =
        replies.iter().map(|r| (r.status, r.error_code())).collect();
    outcomes.sort();
    assert_eq!(
        outcomes,
        vec![(201, None), (422, Some(code))],
        "{what}: {:?}",
        replies.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
}

/// Policies for the two licenses of a round: the same policy, two policies of one
/// product, or two products, so the licenses share exactly the strategy's scope.
async fn scoped_policies(
    cluster: &Cluster,
    strategy: &str,
    attribute: &str,
) -> anyhow::Result<(String, String)> {
    let app = cluster.product("App").await?;
    let attributes = json!({ attribute: strategy, "floating": true, "maxMachines": 100 });
    let first = cluster.policy_for(&app, attributes.clone()).await?;
    let second = match strategy {
        "UNIQUE_PER_POLICY" => first.clone(),
        "UNIQUE_PER_PRODUCT" => cluster.policy_for(&app, attributes).await?,
        _ => {
            let other = cluster.product("App").await?;
            cluster.policy_for(&other, attributes).await?
        }
    };
    Ok((first, second))
}

const STRATEGIES: [&str; 3] = [
    "UNIQUE_PER_POLICY",
    "UNIQUE_PER_PRODUCT",
    "UNIQUE_PER_ACCOUNT",
];
const ROUNDS: usize = 15;
/// Rounds of 20 concurrent joins into a fresh group.
const GROUP_ROUNDS: usize = 5;

#[tokio::test]
async fn one_fingerprint_on_two_licenses_at_two_nodes() -> anyhow::Result<()> {
    if Cluster::unavailable("one_fingerprint_on_two_licenses_at_two_nodes") {
        return Ok(());
    }
    let cluster = Cluster::start(BINARY, 2).await?;
    for strategy in STRATEGIES {
        let (p1, p2) = scoped_policies(&cluster, strategy, "machineUniquenessStrategy").await?;
        for round in 0..ROUNDS {
            let l1 = id(&cluster.license_for(&p1, json!({})).await?);
            let l2 = id(&cluster.license_for(&p2, json!({})).await?);
            let fingerprint = format!("{strategy}-{round}");
            let replies = at_once(
                &cluster,
                "/v1/machines",
                vec![
                    machine_body(&l1, &fingerprint, json!({}), json!({})),
                    machine_body(&l2, &fingerprint, json!({}), json!({})),
                ],
            )
            .await?;
            one_wins(
                &replies,
                "FINGERPRINT_TAKEN",
                &format!("{strategy} round {round}"),
            );
            let scope = strategy.trim_start_matches("UNIQUE_PER_").to_lowercase();
            let refused = replies.iter().find(|r| r.status == 422);
            assert_eq!(
                refused.map(|r| r.body["errors"][0]["detail"].clone()),
                Some(json!(format!("has already been taken for this {scope}")))
            );
        }
    }
    Ok(())
}

#[tokio::test]
async fn one_component_on_two_licenses_at_two_nodes() -> anyhow::Result<()> {
    if Cluster::unavailable("one_component_on_two_licenses_at_two_nodes") {
        return Ok(());
    }
    let cluster = Cluster::start(BINARY, 2).await?;
    for strategy in STRATEGIES {
        let (p1, p2) = scoped_policies(&cluster, strategy, "componentUniquenessStrategy").await?;
        for round in 0..ROUNDS {
            let l1 = id(&cluster.license_for(&p1, json!({})).await?);
            let l2 = id(&cluster.license_for(&p2, json!({})).await?);
            let board = format!("board-{strategy}-{round}");
            // Two components in opposite orders: the locks must not deadlock.
            let other = format!("disk-{strategy}-{round}");
            let replies = at_once(
                &cluster,
                "/v1/machines",
                vec![
                    machine_body(&l1, &format!("a-{round}"), json!({}), json!({"components": {"data": [component(&board, "board"), component(&other, "board")]}})),
                    machine_body(&l2, &format!("b-{round}"), json!({}), json!({"components": {"data": [component(&other, "board"), component(&board, "board")]}})),
                ],
            )
            .await?;
            one_wins(
                &replies,
                "COMPONENTS_FINGERPRINT_TAKEN",
                &format!("{strategy} round {round}"),
            );
        }
    }
    Ok(())
}

#[tokio::test]
async fn group_user_limit_holds_across_nodes() -> anyhow::Result<()> {
    if Cluster::unavailable("group_user_limit_holds_across_nodes") {
        return Ok(());
    }
    let cluster = Cluster::start(BINARY, 2).await?;
    for round in 0..GROUP_ROUNDS {
        user_round(&cluster, round).await?;
    }
    Ok(())
}

async fn user_round(cluster: &Cluster, round: usize) -> anyhow::Result<()> {
    let group = cluster.group(json!({"maxUsers": 2})).await?;
    let bodies = (0..20)
        .map(|i| {
            json!({"data": {"type": "users", "attributes": {"email": format!("u{round}-{i}@example.test")},
                "relationships": {"group": {"data": {"type": "groups", "id": group}}}}})
        })
        .collect();
    let replies = at_once(cluster, "/v1/users", bodies).await?;
    let created = replies.iter().filter(|r| r.status == 201).count();
    let refused = replies
        .iter()
        .filter(|r| r.error_code() == Some("GROUP_USER_LIMIT_EXCEEDED"))
        .count();
    assert_eq!(
        (created, refused),
        (2, 18),
        "{:?}",
        replies.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    let db = cluster.db().await?;
    let members: Option<(i64,)> = db
        .fetch_optional(sql("SELECT COUNT(*) FROM users WHERE group_id = $1").bind(&group))
        .await?;
    db.close().await;
    assert_eq!(members.map(|m| m.0), Some(2));
    Ok(())
}

#[tokio::test]
async fn group_machine_limit_holds_across_nodes() -> anyhow::Result<()> {
    if Cluster::unavailable("group_machine_limit_holds_across_nodes") {
        return Ok(());
    }
    let cluster = Cluster::start(BINARY, 2).await?;
    let app = cluster.product("App").await?;
    let pol = cluster
        .policy_for(&app, json!({"floating": true, "maxMachines": 100}))
        .await?;
    for _ in 0..GROUP_ROUNDS {
        machine_round(&cluster, &pol).await?;
    }
    Ok(())
}

async fn machine_round(cluster: &Cluster, pol: &str) -> anyhow::Result<()> {
    let group = cluster.group(json!({"maxMachines": 2})).await?;
    let in_group = json!({"group": to_one("groups", &group)});
    let mut bodies = Vec::new();
    for i in 0..20 {
        // Half inherit the group from their license, half name it; one license each,
        // so only the group lock stands between them.
        let body = if i % 2 == 0 {
            machine_body(
                &id(&cluster.license_for(pol, in_group.clone()).await?),
                &format!("m-{i}"),
                json!({}),
                json!({}),
            )
        } else {
            let mut body = machine_body(
                &id(&cluster.license_for(pol, json!({})).await?),
                &format!("m-{i}"),
                json!({}),
                json!({}),
            );
            body["data"]["relationships"]["group"] = in_group["group"].clone();
            body
        };
        bodies.push(body);
    }
    let replies = at_once(cluster, "/v1/machines", bodies).await?;
    let created = replies.iter().filter(|r| r.status == 201).count();
    let refused = replies
        .iter()
        .filter(|r| r.error_code() == Some("GROUP_MACHINE_LIMIT_EXCEEDED"))
        .count();
    assert_eq!(
        (created, refused),
        (2, 18),
        "{:?}",
        replies.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    let db = cluster.db().await?;
    let members: Option<(i64,)> = db
        .fetch_optional(sql("SELECT COUNT(*) FROM machines WHERE group_id = $1").bind(&group))
        .await?;
    db.close().await;
    assert_eq!(members.map(|m| m.0), Some(2));
    Ok(())
}
