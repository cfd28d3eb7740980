//! Processes over HTTP (Keygen §1.11, §2.5): spawn, list filters, show, update,
//! ping/resurrection, kill, pid uniqueness, maxProcesses with every leasing and
//! overage strategy (also under racing spawns), TOO_MANY_PROCESSES and culling.
//! Spawns, pings, kills and validations an application makes go through the SDK
//! client (typed statuses and codes); listings and wire details stay raw.

use latchkey_sdk::process::ProcessGuard;
use latchkey_sdk::{Client, Error, ErrorCode, Scope, ValidationCode};
use latchkey_testkit::{Fixtures, Reply, TestServer, id, machine_body, to_one};
use serde_json::{Value, json};
use time::Duration;

fn spawn_body(machine: &str, pid: &str) -> Value {
    json!({"data": {"type": "processes", "attributes": {"pid": pid},
        "relationships": {"machine": {"data": {"type": "machines", "id": machine}}}}})
}

async fn spawn(server: &TestServer, machine: &str, pid: &str) -> anyhow::Result<Reply> {
    server
        .admin("POST", "/v1/processes", Some(spawn_body(machine, pid)))
        .await
}

/// An SDK client authenticated with a token or, for `License …`, a license key.
async fn sdk_as(server: &TestServer, credential: &str) -> anyhow::Result<Client> {
    let config = server.sdk_config().await?;
    let config = match credential.strip_prefix("License ") {
        Some(key) => config.license_key(key),
        None => config.token(credential),
    };
    Ok(Client::new(config)?)
}

/// The error of a refused SDK call, with its status and first error code.
fn refused<T: std::fmt::Debug>(result: Result<T, Error>) -> (u16, Option<ErrorCode>, Error) {
    let err = match result {
        Ok(value) => panic!("the server accepted: {value:?}"),
        Err(err) => err,
    };
    (err.status().unwrap_or_default(), err.code(), err)
}

/// The first error object's detail and source of an API error.
fn first_error(err: &Error) -> (Option<String>, Option<String>) {
    match err {
        Error::Api { errors, .. } => errors
            .first()
            .map(|e| (e.detail.clone(), e.source.clone()))
            .unwrap_or_default(),
        _ => (None, None),
    }
}

#[tokio::test]
async fn spawn_list_show_update_ping_kill() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let license = server
        .license_with_policy(json!({"floating": true, "maxMachines": 5}))
        .await?;
    let m1 = server.machine_for(&id(&license)).await?;
    let m2 = server.machine_for(&id(&license)).await?;
    let created = server
        .admin(
            "POST",
            "/v1/processes",
            Some(json!({"data": {"type": "processes", "attributes": {"pid": "1234", "metadata": {"app": "editor"}},
                "relationships": {"machine": {"data": {"type": "machines", "id": m1}}}}})),
        )
        .await?;
    assert_eq!(created.status, 201, "{}", created.body);
    assert!(created.headers.get("location").is_some());
    let process = id(&created.body["data"]);
    let attrs = &created.body["data"]["attributes"];
    assert_eq!(attrs["pid"], "1234");
    assert_eq!(attrs["status"], "ALIVE");
    assert_eq!(attrs["interval"], 600);
    assert_eq!(attrs["lastHeartbeat"], "2026-01-01T12:00:00.000Z");
    assert_eq!(attrs["nextHeartbeat"], "2026-01-01T12:10:00.000Z");
    assert_eq!(attrs["metadata"]["app"], "editor");
    assert_eq!(
        created.body["data"]["relationships"]["machine"]["data"]["id"],
        m1.as_str()
    );

    let taken = spawn(&server, &m1, "1234").await?;
    assert_eq!(taken.status, 422);
    assert_eq!(taken.error_code(), Some("PID_TAKEN"));
    assert_eq!(taken.body["errors"][0]["detail"], "has already been taken");
    assert_eq!(
        taken.body["errors"][0]["source"]["pointer"],
        "/data/attributes/pid"
    );
    // Same pid on another machine is fine.
    assert_eq!(spawn(&server, &m2, "1234").await?.status, 201);
    let no_machine = spawn(&server, "nope", "1").await?;
    assert_eq!(no_machine.error_code(), Some("MACHINE_NOT_FOUND"));
    let no_pid = server
        .admin(
            "POST",
            "/v1/processes",
            Some(json!({"data": {"type": "processes", "relationships": {"machine": {"data": {"type": "machines", "id": m1}}}}})),
        )
        .await?;
    assert_eq!(no_pid.error_code(), Some("PID_MISSING"));
    let unknown = server
        .admin(
            "POST",
            "/v1/processes",
            Some(
                json!({"data": {"type": "processes", "attributes": {"pid": "9", "bogus": 1},
                "relationships": {"machine": {"data": {"type": "machines", "id": m1}}}}}),
            ),
        )
        .await?;
    assert_eq!(unknown.status, 400);

    let listed = server
        .admin("GET", &format!("/v1/processes?machine={m1}"), None)
        .await?;
    assert_eq!(listed.body["data"].as_array().map(Vec::len), Some(1));
    let by_license = server
        .admin(
            "GET",
            &format!("/v1/processes?license={}", id(&license)),
            None,
        )
        .await?;
    assert_eq!(by_license.body["data"].as_array().map(Vec::len), Some(2));

    let updated = server
        .admin(
            "PATCH",
            &format!("/v1/processes/{process}"),
            Some(json!({"data": {"type": "processes", "attributes": {"metadata": {"app": "viewer"}}}})),
        )
        .await?;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(
        updated.body["data"]["attributes"]["metadata"]["app"],
        "viewer"
    );

    server.clock.advance(Duration::seconds(300));
    let pinged = server
        .admin(
            "POST",
            &format!("/v1/processes/{process}/actions/ping"),
            None,
        )
        .await?;
    assert_eq!(pinged.status, 200);
    assert_eq!(pinged.body["data"]["attributes"]["status"], "ALIVE");
    assert_eq!(
        pinged.body["data"]["attributes"]["lastHeartbeat"],
        "2026-01-01T12:05:00.000Z"
    );
    // The other process missed its heartbeat: DEAD, and filtered by status.
    server.clock.advance(Duration::seconds(301));
    let dead = server
        .admin("GET", "/v1/processes?status=DEAD", None)
        .await?;
    assert_eq!(dead.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(dead.body["data"][0]["attributes"]["status"], "DEAD");
    let alive = server
        .admin("GET", "/v1/processes?status=ALIVE", None)
        .await?;
    assert_eq!(alive.body["data"][0]["id"], process.as_str());
    let dead_id = id(&dead.body["data"][0]);
    let refused = server
        .admin(
            "POST",
            &format!("/v1/processes/{dead_id}/actions/ping"),
            None,
        )
        .await?;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.error_code(), Some("PROCESS_HEARTBEAT_DEAD"));
    assert_eq!(refused.body["errors"][0]["detail"], "is dead");

    // Relationship routes.
    let of_machine = server
        .admin("GET", &format!("/v1/machines/{m1}/processes"), None)
        .await?;
    assert_eq!(of_machine.body["data"].as_array().map(Vec::len), Some(1));
    let nested = server
        .admin(
            "GET",
            &format!("/v1/machines/{m2}/processes/{process}"),
            None,
        )
        .await?;
    assert_eq!(nested.status, 404);
    let owner_machine = server
        .admin("GET", &format!("/v1/processes/{process}/machine"), None)
        .await?;
    assert_eq!(owner_machine.body["data"]["id"], m1.as_str());
    let product = server
        .admin("GET", &format!("/v1/processes/{process}/product"), None)
        .await?;
    assert_eq!(
        product.body["data"]["id"],
        license["relationships"]["product"]["data"]["id"]
    );

    let killed = server
        .admin("DELETE", &format!("/v1/processes/{process}"), None)
        .await?;
    assert_eq!(killed.status, 204);
    let gone = server
        .admin("GET", &format!("/v1/processes/{process}"), None)
        .await?;
    assert_eq!(gone.status, 404);
    Ok(())
}

#[tokio::test]
async fn limits_for_every_leasing_and_overage_strategy() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.sdk_admin().await?;
    // Spawned processes stay alive (a dropped guard kills its process).
    let mut held: Vec<ProcessGuard> = Vec::new();
    // (policy, processes that fit, expected detail of the next one)
    let cases = [
        (
            json!({"maxProcesses": 2}),
            2,
            Some("process count has exceeded maximum allowed for machine (2)"),
        ),
        (
            json!({"maxProcesses": 3, "processLeasingStrategy": "PER_LICENSE"}),
            3,
            Some("process count has exceeded maximum allowed for license (3)"),
        ),
        (
            json!({"maxProcesses": 2, "processLeasingStrategy": "PER_USER"}),
            2,
            Some("process count has exceeded maximum allowed for user (2)"),
        ),
        (
            json!({"maxProcesses": 4, "overageStrategy": "ALLOW_1_25X_OVERAGE"}),
            5,
            Some("process count has exceeded maximum allowed for machine (4)"),
        ),
        (
            json!({"maxProcesses": 2, "overageStrategy": "ALLOW_1_5X_OVERAGE"}),
            3,
            Some("process count has exceeded maximum allowed for machine (2)"),
        ),
        (
            json!({"maxProcesses": 2, "overageStrategy": "ALLOW_2X_OVERAGE"}),
            4,
            Some("process count has exceeded maximum allowed for machine (2)"),
        ),
        (
            json!({"maxProcesses": 2, "overageStrategy": "ALWAYS_ALLOW_OVERAGE"}),
            10,
            None,
        ),
        (json!({}), 10, None),
    ];
    for (mut policy, fits, detail) in cases {
        policy["floating"] = true.into();
        policy["maxMachines"] = 4.into();
        let license = server.license_with_policy(policy.clone()).await?;
        let a = server.machine_for(&id(&license)).await?;
        let b = server.machine_for(&id(&license)).await?;
        let per_machine = policy["processLeasingStrategy"].is_null();
        for n in 0..fits {
            // Per machine, fill one machine; otherwise spread over both.
            let target = if per_machine || n % 2 == 0 { &a } else { &b };
            let spawned = admin.spawn_process(target, &format!("p{n}")).await;
            held.push(spawned.map_err(|e| anyhow::anyhow!("{policy} #{n}: {e}"))?);
        }
        let next = admin.spawn_process(&a, "one-more").await;
        match detail {
            Some(detail) => {
                let (status, code, err) = refused(next);
                assert_eq!(status, 422, "{policy}: {err}");
                assert_eq!(code, Some(ErrorCode::MachineProcessLimitExceeded));
                assert_eq!(
                    first_error(&err),
                    (Some(detail.to_owned()), Some("/data".to_owned()))
                );
                if per_machine {
                    // The limit is per machine: the other one still has room.
                    held.push(admin.spawn_process(&b, "elsewhere").await?);
                }
            }
            None => held.push(next.map_err(|e| anyhow::anyhow!("{policy}: {e}"))?),
        }
    }
    Ok(())
}

#[tokio::test]
async fn racing_spawns_respect_the_limit() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let license = server
        .license_with_policy(
            json!({"floating": true, "maxMachines": 2, "maxProcesses": 5,
            "processLeasingStrategy": "PER_LICENSE"}),
        )
        .await?;
    let a = server.machine_for(&id(&license)).await?;
    let b = server.machine_for(&id(&license)).await?;
    let mut tasks = Vec::new();
    for n in 0..20 {
        let target = if n % 2 == 0 { a.clone() } else { b.clone() };
        let request = server
            .http
            .post(format!("{}/v1/processes", server.base))
            .bearer_auth(&server.admin_token)
            .header("Content-Type", "application/vnd.api+json")
            .body(spawn_body(&target, &format!("race-{n}")).to_string());
        tasks.push(tokio::spawn(async move {
            request.send().await.map(|r| r.status())
        }));
    }
    let (mut created, mut refused) = (0, 0);
    for task in tasks {
        match task.await??.as_u16() {
            201 => created += 1,
            422 => refused += 1,
            other => anyhow::bail!("unexpected status {other}"),
        }
    }
    assert_eq!((created, refused), (5, 15));
    let listed = server
        .admin(
            "GET",
            &format!("/v1/processes?license={}", id(&license)),
            None,
        )
        .await?;
    assert_eq!(listed.body["data"].as_array().map(Vec::len), Some(5));
    Ok(())
}

#[tokio::test]
async fn validation_counts_alive_processes_and_dead_ones_are_culled() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let license = server
        .license_with_policy(
            json!({"floating": true, "strict": true, "maxMachines": 2, "maxProcesses": 3,
            "heartbeatDuration": 60}),
        )
        .await?;
    let key = license["attributes"]["key"].as_str().unwrap_or_default();
    let m = server.machine_for(&id(&license)).await?;
    for n in 0..3 {
        assert_eq!(spawn(&server, &m, &format!("p{n}")).await?.status, 201);
    }
    let app = server.sdk().await?;
    let scope = Scope {
        machine: Some(m.clone()),
        ..Scope::default()
    };
    assert_eq!(
        app.validate_key(key, &scope).await?.code,
        ValidationCode::Valid
    );
    let lowered = server
        .admin(
            "PATCH",
            &format!("/v1/licenses/{}", id(&license)),
            Some(json!({"data": {"type": "licenses", "attributes": {"maxProcesses": 1}}})),
        )
        .await?;
    assert_eq!(lowered.status, 200, "{}", lowered.body);
    let over = app.validate_key(key, &scope).await?;
    assert_eq!(over.code, ValidationCode::TooManyProcesses);
    assert!(!over.valid);

    // Once they miss their heartbeat they no longer count, and the cull removes them.
    server.clock.advance(Duration::seconds(61));
    assert_eq!(
        app.validate_key(key, &scope).await?.code,
        ValidationCode::Valid
    );
    let report = server.cull().await?;
    assert_eq!(report.processes.len(), 3);
    assert!(report.machines.is_empty());
    let left = server.admin("GET", "/v1/processes", None).await?;
    assert_eq!(left.body["data"].as_array().map(Vec::len), Some(0));

    // KEEP_DEAD keeps dead processes.
    let kept = server
        .license_with_policy(json!({"floating": true, "heartbeatDuration": 60,
            "heartbeatCullStrategy": "KEEP_DEAD"}))
        .await?;
    let km = server.machine_for(&id(&kept)).await?;
    assert_eq!(spawn(&server, &km, "k").await?.status, 201);
    server.clock.advance(Duration::seconds(61));
    let report = server.cull().await?;
    assert!(report.processes.is_empty());
    assert_eq!(report.processes_marked_dead.len(), 1);
    Ok(())
}

#[tokio::test]
async fn process_revive_window_and_roles() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let license = server
        .license_with_policy(json!({"floating": true, "heartbeatDuration": 60,
            "heartbeatResurrectionStrategy": "2_MINUTE_REVIVE", "authenticationStrategy": "LICENSE"}))
        .await?;
    let other = server
        .license_with_policy(json!({"floating": true, "authenticationStrategy": "LICENSE"}))
        .await?;
    let m = server.machine_for(&id(&license)).await?;
    let foreign_machine = server.machine_for(&id(&other)).await?;
    let key = license["attributes"]["key"].as_str().unwrap_or_default();
    let auth = format!("License {key}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("Accept", "application/vnd.api+json"),
        ("Content-Type", "application/vnd.api+json"),
    ];
    // A license spawns on its own machines only.
    let app = sdk_as(&server, &auth).await?;
    let own = app.spawn_process(&m, "7").await?;
    assert_eq!(own.process().pid, "7");
    let process = own.process().id.clone();
    let (foreign, _, err) = refused(app.spawn_process(&foreign_machine, "7").await);
    assert_eq!(foreign, 403, "{err}");
    let theirs = spawn(&server, &foreign_machine, "8").await?;
    let listed = server.raw("GET", "/v1/processes", &headers, vec![]).await?;
    assert_eq!(listed.body["data"].as_array().map(Vec::len), Some(1));
    let peek = server
        .raw(
            "GET",
            &format!("/v1/processes/{}", id(&theirs.body["data"])),
            &headers,
            vec![],
        )
        .await?;
    assert!(matches!(peek.status, 403 | 404));

    // Dead for 2 minutes: still revivable by the license.
    server.clock.advance(Duration::seconds(60 + 120));
    let revived = app.ping_process(&process).await?;
    assert_eq!(revived.status.as_deref(), Some("RESURRECTED"));
    server.clock.advance(Duration::seconds(60 + 121));
    let (_, late, err) = refused(app.ping_process(&process).await);
    assert_eq!(late, Some(ErrorCode::ProcessHeartbeatDead), "{err}");
    own.kill().await?;
    let gone = server
        .admin("GET", &format!("/v1/processes/{process}"), None)
        .await?;
    assert_eq!(gone.status, 404);
    Ok(())
}

#[tokio::test]
async fn per_user_leasing_counts_each_owner_separately_and_users_own_processes()
-> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (owner, token) = server.user_with_token("owner@acme.test", "user").await?;
    let (_, stranger) = server.user_with_token("stranger@acme.test", "user").await?;
    let template = server
        .license_with_policy(
            json!({"floating": true, "maxMachines": 4, "maxProcesses": 2,
            "processLeasingStrategy": "PER_USER"}),
        )
        .await?;
    let policy = id(&template["relationships"]["policy"]["data"]);
    let owner_of = json!({"owner": to_one("users", &owner)});
    let license = server.license_for(&policy, owner_of.clone()).await?;
    let owned = server
        .create(
            "/v1/machines",
            machine_body(&id(&license), "owned", json!({}), owner_of),
        )
        .await?;
    let owned = id(&owned);
    let unowned = server.machine_for(&id(&license)).await?;

    // The owner spawns on their machine with their own token.
    let app = sdk_as(&server, &token).await?;
    let mut held = Vec::new();
    for pid in ["1", "2"] {
        held.push(app.spawn_process(&owned, pid).await?);
    }
    let over = spawn(&server, &owned, "3").await?;
    assert_eq!(over.error_code(), Some("MACHINE_PROCESS_LIMIT_EXCEEDED"));
    assert_eq!(
        over.body["errors"][0]["detail"],
        "process count has exceeded maximum allowed for user (2)"
    );
    // Machines without an owner form their own bucket.
    assert_eq!(spawn(&server, &unowned, "1").await?.status, 201);
    assert_eq!(spawn(&server, &unowned, "2").await?.status, 201);
    assert_eq!(
        spawn(&server, &unowned, "3").await?.error_code(),
        Some("MACHINE_PROCESS_LIMIT_EXCEEDED")
    );

    let mine = server
        .call("GET", "/v1/processes", Some(&token), None)
        .await?;
    assert_eq!(mine.body["data"].as_array().map(Vec::len), Some(4));
    let filtered = server
        .admin("GET", &format!("/v1/processes?owner={owner}"), None)
        .await?;
    assert_eq!(filtered.body["data"].as_array().map(Vec::len), Some(2));
    let theirs = server
        .call("GET", "/v1/processes", Some(&stranger), None)
        .await?;
    assert_eq!(theirs.body["data"].as_array().map(Vec::len), Some(0));
    let (status, _, err) = refused(
        sdk_as(&server, &stranger)
            .await?
            .spawn_process(&owned, "9")
            .await,
    );
    assert_eq!(status, 403, "{err}");
    assert_eq!(held.len(), 2);
    Ok(())
}
