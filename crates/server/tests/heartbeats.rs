//! Machine heartbeats over HTTP (Keygen §4.3): ping/reset and their aliases,
//! statuses, every revive window, validation codes, both cull strategies and
//! culling from two nodes at once. Pings and validations an application makes go
//! through the SDK client (typed statuses and codes); resets, culling and wire
//! details stay raw.

use latchkey_sdk::{Client, Error, ErrorCode, Scope, ValidationCode};
use latchkey_testkit::{Fixtures, TestServer, id, to_one};
use serde_json::{Value, json};
use std::collections::HashSet;
use time::Duration;

/// A license of a fresh policy with `attributes`, and one activated machine.
async fn machine_with(server: &TestServer, attributes: Value) -> anyhow::Result<(Value, String)> {
    let license = server.license_with_policy(attributes).await?;
    let machine = server.machine_for(&id(&license)).await?;
    Ok((license, machine))
}

async fn ping(server: &TestServer, machine: &str) -> anyhow::Result<latchkey_testkit::Reply> {
    server
        .admin(
            "POST",
            &format!("/v1/machines/{machine}/actions/ping"),
            None,
        )
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

/// The heartbeat status a successful SDK ping reports.
fn pinged_status(result: Result<latchkey_sdk::Machine, Error>) -> anyhow::Result<String> {
    Ok(result?.heartbeat_status.unwrap_or_default())
}

/// Status and first error code of a refused SDK call.
fn refused<T: std::fmt::Debug>(result: Result<T, Error>) -> (u16, Option<ErrorCode>, Error) {
    let err = match result {
        Ok(value) => panic!("the server accepted: {value:?}"),
        Err(err) => err,
    };
    (err.status().unwrap_or_default(), err.code(), err)
}

async fn status(server: &TestServer, machine: &str) -> anyhow::Result<String> {
    let reply = server
        .admin("GET", &format!("/v1/machines/{machine}"), None)
        .await?;
    Ok(reply.body["data"]["attributes"]["heartbeatStatus"]
        .as_str()
        .unwrap_or("?")
        .to_owned())
}

#[tokio::test]
async fn ping_reset_statuses_and_validation_codes() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (license, machine) = machine_with(
        &server,
        json!({"floating": true, "requireHeartbeat": true, "heartbeatDuration": 120,
               "heartbeatBasis": "FROM_FIRST_PING"}),
    )
    .await?;
    let key = license["attributes"]["key"].as_str().unwrap_or_default();
    let shown = server
        .admin("GET", &format!("/v1/machines/{machine}"), None)
        .await?;
    let attrs = &shown.body["data"]["attributes"];
    assert_eq!(attrs["heartbeatStatus"], "NOT_STARTED");
    assert_eq!(attrs["heartbeatDuration"], 120);
    assert_eq!(attrs["requireHeartbeat"], true);
    assert!(attrs["lastHeartbeat"].is_null() && attrs["nextHeartbeat"].is_null());
    let fingerprint = attrs["fingerprint"].as_str().unwrap_or_default().to_owned();
    let scope = Scope::fingerprint(fingerprint);
    let app = server.sdk().await?;
    let admin = server.sdk_admin().await?;
    assert_eq!(
        app.validate_key(key, &scope).await?.code,
        ValidationCode::HeartbeatNotStarted
    );

    let pinged = admin.ping(&machine).await?;
    assert_eq!(pinged.heartbeat_status.as_deref(), Some("ALIVE"));
    let attrs = &pinged.raw.attributes;
    assert_eq!(attrs["lastHeartbeat"], "2026-01-01T12:00:00.000Z");
    assert_eq!(attrs["nextHeartbeat"], "2026-01-01T12:02:00.000Z");
    assert_eq!(
        app.validate_key(key, &scope).await?.code,
        ValidationCode::Valid
    );

    // Exactly at nextHeartbeat the machine is still alive; one second later it is dead.
    server.clock.advance(Duration::seconds(120));
    assert_eq!(status(&server, &machine).await?, "ALIVE");
    server.clock.advance(Duration::seconds(1));
    assert_eq!(status(&server, &machine).await?, "DEAD");
    assert_eq!(
        app.validate_key(key, &scope).await?.code,
        ValidationCode::HeartbeatDead
    );
    // NO_REVIVE (the default): a dead machine cannot be pinged back.
    let (status_code, code, err) = refused(admin.ping(&machine).await);
    assert_eq!(status_code, 422, "{err}");
    assert_eq!(code, Some(ErrorCode::MachineHeartbeatDead), "{err}");
    let Error::Api { errors, .. } = &err else {
        panic!("an API error: {err}");
    };
    assert_eq!(errors[0].detail.as_deref(), Some("is dead"));

    // Reset: heartbeat required and the machine is older than one duration → DEAD.
    let reset = server
        .admin(
            "POST",
            &format!("/v1/machines/{machine}/actions/reset-heartbeat"),
            None,
        )
        .await?;
    assert_eq!(reset.status, 200, "{}", reset.body);
    assert!(reset.body["data"]["attributes"]["lastHeartbeat"].is_null());
    assert_eq!(reset.body["data"]["attributes"]["heartbeatStatus"], "DEAD");
    Ok(())
}

#[tokio::test]
async fn basis_aliases_and_optional_heartbeats() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    // FROM_CREATION: the clock starts at activation.
    let (_, created) = machine_with(
        &server,
        json!({"floating": true, "requireHeartbeat": true, "heartbeatBasis": "FROM_CREATION"}),
    )
    .await?;
    let shown = server
        .admin("GET", &format!("/v1/machines/{created}"), None)
        .await?;
    assert_eq!(shown.body["data"]["attributes"]["heartbeatStatus"], "ALIVE");
    assert_eq!(shown.body["data"]["attributes"]["heartbeatDuration"], 600);
    assert_eq!(
        shown.body["data"]["attributes"]["lastHeartbeat"],
        "2026-01-01T12:00:00.000Z"
    );

    // Not required: never pinged stays NOT_STARTED however old; pinging opts in.
    let (_, optional) = machine_with(&server, json!({"floating": true})).await?;
    server.clock.advance(Duration::hours(2));
    assert_eq!(status(&server, &optional).await?, "NOT_STARTED");
    let alias = server
        .admin(
            "POST",
            &format!("/v1/machines/{optional}/actions/ping-heartbeat"),
            None,
        )
        .await?;
    assert_eq!(alias.status, 200);
    assert_eq!(alias.body["data"]["attributes"]["heartbeatStatus"], "ALIVE");
    assert_eq!(alias.body["data"]["attributes"]["requireHeartbeat"], true);
    let reset = server
        .admin(
            "POST",
            &format!("/v1/machines/{optional}/actions/reset"),
            None,
        )
        .await?;
    assert_eq!(
        reset.body["data"]["attributes"]["heartbeatStatus"],
        "NOT_STARTED"
    );
    // The FROM_CREATION machine is long dead by now.
    assert_eq!(status(&server, &created).await?, "DEAD");
    let missing = ping(&server, "no-such-machine").await?;
    assert_eq!(missing.status, 404);
    Ok(())
}

#[tokio::test]
async fn every_revive_window() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.sdk_admin().await?;
    for (strategy, minutes) in [
        ("1_MINUTE_REVIVE", 1),
        ("2_MINUTE_REVIVE", 2),
        ("5_MINUTE_REVIVE", 5),
        ("10_MINUTE_REVIVE", 10),
        ("15_MINUTE_REVIVE", 15),
    ] {
        let (_, machine) = machine_with(
            &server,
            json!({"floating": true, "requireHeartbeat": true, "heartbeatDuration": 60,
                   "heartbeatResurrectionStrategy": strategy, "heartbeatCullStrategy": "KEEP_DEAD"}),
        )
        .await?;
        assert_eq!(pinged_status(admin.ping(&machine).await)?, "ALIVE");
        // At the very end of the window: revived.
        server.clock.advance(Duration::seconds(60 + minutes * 60));
        assert_eq!(status(&server, &machine).await?, "DEAD", "{strategy}");
        assert_eq!(
            pinged_status(admin.ping(&machine).await)?,
            "RESURRECTED",
            "{strategy}"
        );
        // RESURRECTED shows only in that response.
        assert_eq!(status(&server, &machine).await?, "ALIVE", "{strategy}");
        // One second past the window: dead for good.
        server
            .clock
            .advance(Duration::seconds(60 + minutes * 60 + 1));
        let (late, code, err) = refused(admin.ping(&machine).await);
        assert_eq!(late, 422, "{strategy}: {err}");
        assert_eq!(code, Some(ErrorCode::MachineHeartbeatDead), "{strategy}");
    }

    let (_, never) = machine_with(
        &server,
        json!({"floating": true, "requireHeartbeat": true, "heartbeatDuration": 60,
               "heartbeatResurrectionStrategy": "NO_REVIVE"}),
    )
    .await?;
    assert_eq!(pinged_status(admin.ping(&never).await)?, "ALIVE");
    server.clock.advance(Duration::seconds(61));
    assert_eq!(
        refused(admin.ping(&never).await).1,
        Some(ErrorCode::MachineHeartbeatDead)
    );

    let (_, always) = machine_with(
        &server,
        json!({"floating": true, "requireHeartbeat": true, "heartbeatDuration": 60,
               "heartbeatResurrectionStrategy": "ALWAYS_REVIVE", "heartbeatCullStrategy": "KEEP_DEAD"}),
    )
    .await?;
    assert_eq!(pinged_status(admin.ping(&always).await)?, "ALIVE");
    server.clock.advance(Duration::days(400));
    assert_eq!(pinged_status(admin.ping(&always).await)?, "RESURRECTED");
    Ok(())
}

#[tokio::test]
async fn culling_respects_strategies_and_windows() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let hb = |cull: &str, revive: &str| {
        json!({"floating": true, "requireHeartbeat": true, "heartbeatDuration": 60,
               "heartbeatBasis": "FROM_FIRST_PING",
               "heartbeatCullStrategy": cull, "heartbeatResurrectionStrategy": revive})
    };
    let (_, deactivate) = machine_with(&server, hb("DEACTIVATE_DEAD", "NO_REVIVE")).await?;
    let (_, windowed) = machine_with(&server, hb("DEACTIVATE_DEAD", "5_MINUTE_REVIVE")).await?;
    let (_, keep) = machine_with(&server, hb("KEEP_DEAD", "NO_REVIVE")).await?;
    let (_, always) = machine_with(&server, hb("KEEP_DEAD", "ALWAYS_REVIVE")).await?;
    let (_, never_pinged) = machine_with(&server, hb("DEACTIVATE_DEAD", "NO_REVIVE")).await?;
    let (_, optional) = machine_with(&server, json!({"floating": true})).await?;
    for machine in [&deactivate, &windowed, &keep, &always] {
        assert_eq!(ping(&server, machine).await?.status, 200);
    }
    // Still alive: nothing is culled.
    server.clock.advance(Duration::seconds(60));
    assert!(server.cull().await?.machines.is_empty());

    server.clock.advance(Duration::seconds(1));
    let report = server.cull().await?;
    let mut culled = report.machines.clone();
    culled.sort();
    let mut expected = vec![deactivate.clone(), never_pinged.clone()];
    expected.sort();
    assert_eq!(culled, expected);
    // Dead but kept: marked once.
    let marked: HashSet<_> = report.machines_marked_dead.iter().cloned().collect();
    assert!(marked.contains(&windowed) && marked.contains(&keep) && marked.contains(&always));
    assert!(server.cull().await?.machines_marked_dead.is_empty());
    for machine in [&deactivate, &never_pinged] {
        let gone = server
            .admin("GET", &format!("/v1/machines/{machine}"), None)
            .await?;
        assert_eq!(gone.status, 404);
    }

    // The 5-minute window is still open: the windowed machine survives until it closes.
    server.clock.advance(Duration::seconds(299));
    assert!(server.cull().await?.machines.is_empty());
    server.clock.advance(Duration::seconds(1));
    assert_eq!(server.cull().await?.machines, vec![windowed.clone()]);

    server.clock.advance(Duration::days(30));
    assert!(server.cull().await?.machines.is_empty());
    for machine in [&keep, &always, &optional] {
        let kept = server
            .admin("GET", &format!("/v1/machines/{machine}"), None)
            .await?;
        assert_eq!(kept.status, 200, "{machine}");
    }
    assert_eq!(status(&server, &keep).await?, "DEAD");
    assert_eq!(status(&server, &optional).await?, "NOT_STARTED");
    Ok(())
}

#[tokio::test]
async fn two_concurrent_cullers_never_cull_the_same_machine() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let license = server
        .license_with_policy(
            json!({"floating": true, "maxMachines": 100, "requireHeartbeat": true,
            "heartbeatDuration": 60, "heartbeatBasis": "FROM_CREATION"}),
        )
        .await?;
    // A second node: its own connection pool on the same database.
    let other = server.second_node_db().await?;
    use latchkey_core::clock::Clock;
    for round in 0..3 {
        let mut all = HashSet::new();
        for n in 0..20 {
            let reply = server
                .activate(&id(&license), &format!("node-{round}-{n}"))
                .await?;
            anyhow::ensure!(reply.status == 201, "{}", reply.body);
            all.insert(id(&reply.body["data"]));
        }
        server.clock.advance(Duration::seconds(61));
        let now = server.clock.now();
        let (a, b) = tokio::join!(
            latchkey_server::jobs::cull::cull_once(&server.db, now),
            latchkey_server::jobs::cull::cull_once(&other, now),
        );
        let (a, b) = (a?, b?);
        let mut seen = HashSet::new();
        for machine in a.machines.iter().chain(b.machines.iter()) {
            assert!(seen.insert(machine.clone()), "{machine} culled twice");
        }
        assert_eq!(seen, all, "round {round}");
    }
    Ok(())
}

#[tokio::test]
async fn heartbeat_roles() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (license, machine) = machine_with(
        &server,
        json!({"floating": true, "authenticationStrategy": "LICENSE"}),
    )
    .await?;
    let (other_license, other_machine) = machine_with(
        &server,
        json!({"floating": true, "authenticationStrategy": "LICENSE"}),
    )
    .await?;
    let key = license["attributes"]["key"].as_str().unwrap_or_default();
    let auth = format!("License {key}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("Accept", "application/vnd.api+json"),
    ];
    let app = sdk_as(&server, &auth).await?;
    assert_eq!(pinged_status(app.ping(&machine).await)?, "ALIVE");
    // Keygen: licenses and users may not reset heartbeats.
    let reset = server
        .raw(
            "POST",
            &format!("/v1/machines/{machine}/actions/reset"),
            &headers,
            vec![],
        )
        .await?;
    assert_eq!(reset.status, 403);
    let (foreign, _, err) = refused(app.ping(&other_machine).await);
    assert!(matches!(foreign, 403 | 404), "{err}");
    assert!(other_license["id"].is_string());
    let (anonymous, _, err) = refused(server.sdk().await?.ping(&machine).await);
    assert_eq!(anonymous, 401, "{err}");
    Ok(())
}

#[tokio::test]
async fn heartbeat_staff_and_user_roles() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (user_id, user) = server.user_with_token("end@acme.test", "user").await?;
    let (_, stranger) = server.user_with_token("other@acme.test", "user").await?;
    let (_, sales) = server
        .user_with_token("sales@acme.test", "sales-agent")
        .await?;
    let (_, support) = server
        .user_with_token("support@acme.test", "support-agent")
        .await?;
    let template = server
        .license_with_policy(json!({"floating": true, "maxMachines": 5}))
        .await?;
    let policy = id(&template["relationships"]["policy"]["data"]);
    let owned = server
        .license_for(&policy, json!({"owner": to_one("users", &user_id)}))
        .await?;
    let reply = server.activate(&id(&owned), "owned-machine").await?;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let machine = id(&reply.body["data"]);
    let reset_path = format!("/v1/machines/{machine}/actions/reset");

    let own = sdk_as(&server, &user).await?.ping(&machine).await;
    assert_eq!(pinged_status(own)?, "ALIVE");
    let user_reset = server.call("POST", &reset_path, Some(&user), None).await?;
    assert_eq!(user_reset.status, 403);
    let (other, _, err) = refused(sdk_as(&server, &stranger).await?.ping(&machine).await);
    assert!(matches!(other, 403 | 404), "{err}");
    // Agents may not ping; sales agents may reset, support agents may not.
    for agent in [&sales, &support] {
        let (status, _, err) = refused(sdk_as(&server, agent).await?.ping(&machine).await);
        assert_eq!(status, 403, "{err}");
    }
    assert_eq!(
        server
            .call("POST", &reset_path, Some(&support), None)
            .await?
            .status,
        403
    );
    let reset = server.call("POST", &reset_path, Some(&sales), None).await?;
    assert_eq!(reset.status, 200, "{}", reset.body);
    assert_eq!(
        reset.body["data"]["attributes"]["heartbeatStatus"],
        "NOT_STARTED"
    );
    Ok(())
}
