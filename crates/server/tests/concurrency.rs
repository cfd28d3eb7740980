//! Limits hold under racing requests: many activations for the last free slots.

use latchkey_testkit::TestServer;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_activations_never_exceed_max_machines() -> anyhow::Result<()> {
    let server = std::sync::Arc::new(TestServer::start().await?);
    let license = server
        .license_with_policy(json!({"floating": true, "maxMachines": 6}))
        .await?;
    let id = license["id"].as_str().unwrap().to_owned();
    // One slot taken: five are free.
    assert_eq!(server.activate(&id, "existing").await?.status, 201);

    let mut tasks = Vec::new();
    for n in 0..40 {
        let server = server.clone();
        let id = id.clone();
        tasks.push(tokio::spawn(async move {
            server.activate(&id, &format!("racer-{n}")).await
        }));
    }
    let mut created = 0;
    let mut refused = 0;
    for task in tasks {
        let reply = task.await??;
        match reply.status {
            201 => created += 1,
            422 => {
                assert_eq!(reply.error_code(), Some("MACHINE_LIMIT_EXCEEDED"));
                refused += 1;
            }
            other => panic!("unexpected status {other}: {}", reply.body),
        }
    }
    assert_eq!(created, 5);
    assert_eq!(refused, 35);
    let listed = server
        .admin("GET", &format!("/v1/machines?license={id}&limit=100"), None)
        .await?;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 6);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_activations_of_one_fingerprint_create_one_machine() -> anyhow::Result<()> {
    let server = std::sync::Arc::new(TestServer::start().await?);
    let license = server
        .license_with_policy(json!({"floating": true}))
        .await?;
    let id = license["id"].as_str().unwrap().to_owned();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let server = server.clone();
        let id = id.clone();
        tasks.push(tokio::spawn(async move {
            server.activate(&id, "same-device").await
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await??.status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(statuses.iter().all(|s| *s == 201 || *s == 422));
    Ok(())
}

/// Two server processes flush their lastValidated batches for the same licenses at
/// once, each batch in its own (opposite) order: the store updates rows in license-id
/// order, so neither waits on the other in a cycle (PostgreSQL would abort one with
/// "deadlock detected" after a second) and every license ends up touched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_touching_the_same_licenses_never_deadlock() -> anyhow::Result<()> {
    use latchkey_store::licenses::{ValidationTouch, touch_validated};
    let server = TestServer::start().await?;
    let first = server.license_with_policy(json!({})).await?;
    let policy = first["relationships"]["policy"]["data"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut ids = vec![first["id"].as_str().unwrap().to_owned()];
    for _ in 0..(2 * latchkey_store::licenses::TOUCH_CHUNK) {
        let license = server
            .create(
                "/v1/licenses",
                json!({"data": {"type": "licenses", "relationships": {
                    "policy": {"data": {"type": "policies", "id": policy}}}}}),
            )
            .await?;
        ids.push(license["id"].as_str().unwrap().to_owned());
    }
    let other = server.second_node_db().await?;
    for round in 0..5_i64 {
        let at = 1_767_268_800_000 + round;
        let touches: Vec<ValidationTouch> = ids
            .iter()
            .map(|id| ValidationTouch {
                license_id: id.clone(),
                at,
                ..Default::default()
            })
            .collect();
        let reversed: Vec<ValidationTouch> = touches.iter().rev().cloned().collect();
        let started = std::time::Instant::now();
        let (a, b) = tokio::join!(
            touch_validated(&server.db, &touches),
            touch_validated(&other, &reversed),
        );
        a?;
        b?;
        assert!(
            started.elapsed() < std::time::Duration::from_millis(900),
            "round {round} waited {:?} (a lock cycle waits for deadlock_timeout)",
            started.elapsed()
        );
    }
    for id in &ids {
        let license = server
            .admin("GET", &format!("/v1/licenses/{id}"), None)
            .await?;
        assert!(
            license.body["data"]["attributes"]["lastValidated"].is_string(),
            "{id} not touched"
        );
    }
    Ok(())
}
