//! The SDK against a real Latchkey server (SQLite or PostgreSQL per
//! `LATCHKEY_TEST_DATABASE`): the activation flow, machine limits, heartbeats,
//! processes, usage, check-out and offline verification, both URL forms.

use std::time::Duration;

use latchkey_sdk::licensing::MachineInfo;
use latchkey_sdk::offline::{CheckOut, OfflineCache};
use latchkey_sdk::{Client, Error, ErrorCode, Scope, ValidationCode};
use latchkey_testkit::TestServer;
use serde_json::{Value, json};

/// A license whose policy lets the application authenticate with the key itself.
async fn license(server: &TestServer, mut policy: Value) -> anyhow::Result<(String, String)> {
    policy["authenticationStrategy"] = json!("LICENSE");
    let license = server.license_with_policy(policy).await?;
    Ok((
        license["id"].as_str().unwrap_or_default().to_owned(),
        license["attributes"]["key"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    ))
}

#[tokio::test]
async fn activate_if_needed_activates_once_then_only_validates() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (id, key) = license(&server, json!({"maxMachines": 1})).await?;
    let client = server.sdk().await?;
    let info = MachineInfo::new("fp-one");

    let first = client.activate_if_needed(&key, &info).await?;
    assert!(first.validation.valid);
    assert_eq!(first.validation.code, ValidationCode::Valid);
    let machine = first.activated.expect("the first call activates");
    assert_eq!(machine.fingerprint, "fp-one");

    let again = client.activate_if_needed(&key, &info).await?;
    assert!(again.validation.valid);
    assert!(
        again.activated.is_none(),
        "an activated machine is not activated twice"
    );

    let admin = server.sdk_admin().await?;
    let machines = admin.machines(&id).await?;
    assert_eq!(machines.len(), 1);
    assert_eq!(machines[0].id, machine.id);
    Ok(())
}

#[tokio::test]
async fn a_second_machine_on_a_node_locked_license_is_refused_with_its_code() -> anyhow::Result<()>
{
    let server = TestServer::start().await?;
    let (_, key) = license(&server, json!({"maxMachines": 1})).await?;
    let client = server.sdk().await?;
    client
        .activate_if_needed(&key, &MachineInfo::new("fp-a"))
        .await?;
    let err = client
        .activate_if_needed(&key, &MachineInfo::new("fp-b"))
        .await
        .expect_err("the license has one seat");
    assert_eq!(err.status(), Some(422), "{err}");
    assert_eq!(err.code(), Some(ErrorCode::MachineLimitExceeded), "{err}");
    Ok(())
}

#[tokio::test]
async fn unknown_keys_and_invalid_licenses_are_typed_verdicts() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let client = server.sdk().await?;
    let v = client
        .validate_key("NO-SUCH-KEY", &Scope::default())
        .await?;
    assert!(!v.valid);
    assert_eq!(v.code, ValidationCode::NotFound);
    assert!(v.license.is_none());
    let err = client
        .activate_if_needed("NO-SUCH-KEY", &MachineInfo::new("fp"))
        .await
        .expect_err("not found");
    assert_eq!(err.validation_code(), Some(ValidationCode::NotFound));

    let (id, key) = license(&server, json!({})).await?;
    server
        .admin("POST", &format!("/v1/licenses/{id}/actions/suspend"), None)
        .await?;
    let err = client
        .activate_if_needed(&key, &MachineInfo::new("fp"))
        .await
        .expect_err("suspended");
    assert_eq!(err.validation_code(), Some(ValidationCode::Suspended));
    Ok(())
}

#[tokio::test]
async fn the_account_path_form_works_like_the_account_less_one() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (_, key) = license(&server, json!({})).await?;
    let client = Client::new(server.sdk_config().await?.account("acme"))?;
    let activation = client
        .activate_if_needed(&key, &MachineInfo::new("fp"))
        .await?;
    assert!(activation.validation.valid);
    let by_id = Client::new(
        server
            .sdk_config()
            .await?
            .account(server.account_id.clone()),
    )?;
    assert!(
        by_id
            .validate_key(&key, &Scope::fingerprint("fp"))
            .await?
            .valid
    );
    Ok(())
}

#[tokio::test]
async fn errors_and_empty_responses_are_verified_too() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (_, key) = license(&server, json!({})).await?;
    let client = Client::new(server.sdk_config().await?.license_key(key.clone()))?;
    let activation = client
        .activate_if_needed(&key, &MachineInfo::new("fp"))
        .await?;
    let machine = activation.activated.expect("activated");
    // 404 error document: signed, so it surfaces as an API error, not a trust failure.
    let err = client
        .machine("00000000-0000-4000-8000-000000000000")
        .await
        .expect_err("404");
    assert_eq!(err.status(), Some(404), "{err}");
    // 204 with an empty body: signed too.
    client.deactivate(&machine.id).await?;
    let v = client.validate_key(&key, &Scope::fingerprint("fp")).await?;
    assert_eq!(v.code, ValidationCode::NoMachine);
    Ok(())
}

#[tokio::test]
async fn a_wrong_key_or_a_distant_clock_makes_the_client_refuse_answers() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (_, key) = license(&server, json!({})).await?;
    let other = latchkey_sdk::VerifyingKey::from_ed25519_bytes([7; 32]);
    let base = server.base.clone();
    let wrong = Client::new(latchkey_sdk::Config::new(base).verifying_key(other))?;
    let err = wrong
        .validate_key(&key, &Scope::default())
        .await
        .expect_err("wrong key");
    assert!(matches!(err, Error::Untrusted(_)), "{err}");

    // The SDK's own clock (the real one, 2026-11 or later) is months from the test
    // server's manual clock (2026-01-01): a replayed answer.
    let keys = server.public_keys().await?;
    let mut config = latchkey_sdk::Config::new(server.base.clone());
    if let Some(k) = keys.get(latchkey_sdk::KeyType::Ed25519) {
        config = config.verifying_key(k.clone());
    }
    let stale = Client::new(config)?;
    let err = stale
        .validate_key(&key, &Scope::default())
        .await
        .expect_err("stale");
    assert!(
        matches!(
            err,
            Error::Untrusted(latchkey_sdk::TrustError::Stale { .. })
        ),
        "{err}"
    );
    Ok(())
}

#[tokio::test]
async fn heartbeats_keep_a_machine_alive_and_report_its_death() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (_, key) = license(
        &server,
        json!({"requireHeartbeat": true, "heartbeatDuration": 60}),
    )
    .await?;
    let client = Client::new(server.sdk_config().await?.license_key(key.clone()))?;
    let machine = client
        .activate_if_needed(&key, &MachineInfo::new("fp-hb"))
        .await?
        .activated
        .expect("activated");
    assert_eq!(machine.heartbeat_duration, Some(60));
    let normal = client.start_heartbeat(&machine);
    assert_eq!(normal.interval(), Duration::from_secs(30));
    drop(normal);

    let mut heartbeat = client.start_heartbeat_every(&machine, Duration::from_millis(50));
    let state = tokio::time::timeout(Duration::from_secs(10), heartbeat.changed()).await?;
    assert!(
        matches!(
            state,
            Some(latchkey_sdk::heartbeat::HeartbeatState::Alive { .. })
        ),
        "{state:?}"
    );
    let seen = server
        .admin("GET", &format!("/v1/machines/{}", machine.id), None)
        .await?;
    assert_eq!(seen.body["data"]["attributes"]["heartbeatStatus"], "ALIVE");

    server
        .admin("DELETE", &format!("/v1/machines/{}", machine.id), None)
        .await?;
    let reason = tokio::time::timeout(Duration::from_secs(10), heartbeat.dead()).await?;
    assert!(
        reason.contains("404") || reason.to_lowercase().contains("not found"),
        "{reason}"
    );
    Ok(())
}

#[tokio::test]
async fn a_process_guard_holds_a_seat_until_killed() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (_, key) = license(&server, json!({"maxProcesses": 1})).await?;
    let client = Client::new(server.sdk_config().await?.license_key(key.clone()))?;
    let machine = client
        .activate_if_needed(&key, &MachineInfo::new("fp-p"))
        .await?
        .activated
        .expect("activated");
    let guard = client.spawn_process(&machine.id, "100").await?;
    let err = client
        .spawn_process(&machine.id, "101")
        .await
        .expect_err("one process allowed");
    assert_eq!(
        err.code(),
        Some(ErrorCode::MachineProcessLimitExceeded),
        "{err}"
    );
    guard.kill().await?;
    let second = client.spawn_process(&machine.id, "101").await?;
    assert_eq!(second.process().pid, "101");
    second.kill().await?;
    Ok(())
}

#[tokio::test]
async fn usage_and_entitlements_through_the_sdk() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (id, key) = license(&server, json!({"maxUses": 3})).await?;
    let client = Client::new(server.sdk_config().await?.license_key(key.clone()))?;
    assert_eq!(client.increment_usage(&id, 2).await?.uses, 2);
    let err = client
        .increment_usage(&id, 2)
        .await
        .expect_err("past maxUses");
    assert_eq!(err.status(), Some(422), "{err}");
    // A license may only count up; decrementing is for the vendor (Keygen's rule).
    let err = client
        .decrement_usage(&id, 1)
        .await
        .expect_err("license bearer");
    assert_eq!(err.status(), Some(403), "{err}");
    assert_eq!(
        server
            .sdk_admin()
            .await?
            .decrement_usage(&id, 1)
            .await?
            .uses,
        1
    );

    let entitlement = server
        .create(
            "/v1/entitlements",
            json!({"data": {"type": "entitlements", "attributes": {"name": "Pro", "code": "PRO"}}}),
        )
        .await?;
    server
        .admin(
            "POST",
            &format!("/v1/licenses/{id}/entitlements"),
            Some(json!({"data": [{"type": "entitlements", "id": entitlement["id"]}]})),
        )
        .await?;
    assert!(
        client
            .has_entitlements(&key, &Scope::default(), &["PRO"])
            .await?
    );
    assert!(
        !client
            .has_entitlements(&key, &Scope::default(), &["PRO", "ENTERPRISE"])
            .await?
    );
    let codes: Vec<String> = client
        .entitlements(&id)
        .await?
        .into_iter()
        .map(|e| e.code)
        .collect();
    assert_eq!(codes, ["PRO"]);
    Ok(())
}

#[tokio::test]
async fn a_checked_out_machine_file_works_offline_until_it_expires() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (_, key) = license(&server, json!({})).await?;
    let client = Client::new(server.sdk_config().await?.license_key(key.clone()))?;
    let machine = client
        .activate_if_needed(&key, &MachineInfo::new("fp-off"))
        .await?
        .activated
        .expect("activated");
    let options = CheckOut {
        ttl: Some(3600),
        include: vec!["license".into(), "license.entitlements".into()],
        ..CheckOut::default()
    };
    let certificate = client.check_out_machine(&machine.id, &options).await?;
    let dir = std::env::temp_dir().join(format!("latchkey-sdk-test-{}", machine.id));
    let cache = OfflineCache::open(&dir)?;
    cache.save_machine_file("fp-off", &certificate)?;

    let keys = server.public_keys().await?;
    let now = client.config().now();
    let file = cache.verify_machine(&keys, &key, "fp-off", now)?;
    assert_eq!(file.machine().map(|m| m.fingerprint), Some("fp-off".into()));
    assert_eq!(file.license().and_then(|l| l.key), Some(key.clone()));

    // Another machine's fingerprint cannot decrypt it.
    cache.save_machine_file("fp-other", &certificate)?;
    assert!(cache.verify_machine(&keys, &key, "fp-other", now).is_err());

    // Past its TTL: a clear expiry error.
    let later = now + Duration::from_secs(7200);
    let err = cache
        .verify_machine(&keys, &key, "fp-off", later)
        .expect_err("expired");
    assert!(
        matches!(
            err,
            Error::Offline(latchkey_sdk::OfflineError::Expired { .. })
        ),
        "{err}"
    );
    // The clock then set back to before the expiry: refused as tampering.
    let err = cache
        .verify_machine(&keys, &key, "fp-off", now)
        .expect_err("clock set back");
    assert!(matches!(err, Error::ClockTampered { .. }), "{err}");
    std::fs::remove_dir_all(dir)?;
    Ok(())
}

#[test]
fn the_blocking_client_runs_the_same_flow_without_a_runtime() -> anyhow::Result<()> {
    // The server needs a runtime of its own; the application side has none.
    let runtime = tokio::runtime::Runtime::new()?;
    let server = runtime.block_on(TestServer::start())?;
    let (_, key) = runtime.block_on(license(&server, json!({})))?;
    let config = runtime.block_on(server.sdk_config())?;
    let client = latchkey_sdk::blocking::Client::new(config)?;
    let activation = client.activate_if_needed(&key, &MachineInfo::new("fp-blocking"))?;
    assert!(activation.validation.valid);
    assert!(activation.activated.is_some());
    let again = client.validate_key(&key, &Scope::fingerprint("fp-blocking"))?;
    assert_eq!(again.code, ValidationCode::Valid);
    drop(client);
    drop(server);
    Ok(())
}
