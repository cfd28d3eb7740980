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
