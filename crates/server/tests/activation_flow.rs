//! The activation flows of seed 000 (Keygen tutorial) and seed 001 (Licentric),
//! end to end over HTTP, driven as an application drives them: through the SDK client
//! (typed verdicts and error codes), with the wire details (statuses, headers, JSON
//! shape, pointers) checked on raw replies.

use latchkey_sdk::licensing::MachineInfo;
use latchkey_sdk::{Client, Config, Error, ErrorCode, License, Scope, ValidationCode};
use latchkey_testkit::TestServer;
use serde_json::json;

/// A typed API error: its status, first code and first source pointer.
fn api_error(result: Result<impl std::fmt::Debug, Error>) -> (u16, Option<ErrorCode>, Error) {
    let err = match result {
        Ok(value) => panic!("the server accepted: {value:?}"),
        Err(err) => err,
    };
    (err.status().unwrap_or_default(), err.code(), err)
}

/// The license an application learns from a validation of its key.
fn license_of(verdict: &latchkey_sdk::Validation) -> License {
    match &verdict.license {
        Some(license) => license.clone(),
        None => panic!("a found key carries its license: {verdict:?}"),
    }
}

#[tokio::test]
async fn node_locked_flow_no_machine_then_valid() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let license = server
        .license_with_policy(json!({"floating": false, "authenticationStrategy": "LICENSE"}))
        .await?;
    let key = license["attributes"]["key"].as_str().unwrap();
    assert!(
        key.ends_with("-V3") && key.len() == 37,
        "default key shape: {key}"
    );
    assert_eq!(license["attributes"]["maxMachines"], 1);
    let client = server.sdk().await?;

    let before = client
        .validate_key(key, &Scope::fingerprint("fp-1"))
        .await?;
    assert_eq!(before.code, ValidationCode::NoMachine);
    assert!(!before.valid);
    assert_eq!(before.scope, json!({"fingerprint": "fp-1"}));
    assert_eq!(license_of(&before).id, license["id"].as_str().unwrap());
    // The wire shape: the verdict carries the whole license resource.
    let raw = server
        .validate_key(key, json!({"fingerprint": "fp-1"}))
        .await?;
    assert_eq!(raw["meta"]["code"], "NO_MACHINE");
    assert!(raw["data"]["attributes"].is_object() && raw["data"]["relationships"].is_object());

    let activated = server
        .activate(license["id"].as_str().unwrap(), "fp-1")
        .await?;
    assert_eq!(activated.status, 201, "{}", activated.body);
    assert!(activated.headers.get("location").is_some());

    let after = client
        .validate_key(key, &Scope::fingerprint("fp-1"))
        .await?;
    assert_eq!(after.code, ValidationCode::Valid);
    assert!(after.valid);

    let other = client
        .validate_key(key, &Scope::fingerprint("fp-2"))
        .await?;
    assert_eq!(other.code, ValidationCode::FingerprintScopeMismatch);

    let (status, code, err) = api_error(
        client
            .activate(&license_of(&other), key, &MachineInfo::new("fp-2"))
            .await,
    );
    assert_eq!(status, 422, "{err}");
    assert_eq!(code, Some(ErrorCode::MachineLimitExceeded), "{err}");
    let Error::Api { errors, .. } = &err else {
        panic!("an API error: {err}");
    };
    assert_eq!(errors[0].source.as_deref(), Some("/data"));
    Ok(())
}

#[tokio::test]
async fn floating_flow_no_machines_mismatch_limit_and_deactivation() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let license = server
        .license_with_policy(
            json!({"floating": true, "maxMachines": 2, "authenticationStrategy": "LICENSE"}),
        )
        .await?;
    let key = license["attributes"]["key"].as_str().unwrap();
    let client = server.sdk().await?;
    let validate = |fingerprint: &'static str| {
        let client = client.clone();
        let key = key.to_owned();
        async move {
            client
                .validate_key(&key, &Scope::fingerprint(fingerprint))
                .await
        }
    };

    let first = validate("a").await?;
    assert_eq!(first.code, ValidationCode::NoMachines);
    let held = license_of(&first);
    let activate = |fingerprint: &'static str| {
        let (client, held, key) = (client.clone(), held.clone(), key.to_owned());
        async move {
            client
                .activate(&held, &key, &MachineInfo::new(fingerprint))
                .await
        }
    };
    assert_eq!(activate("a").await?.fingerprint, "a");
    assert_eq!(
        validate("b").await?.code,
        ValidationCode::FingerprintScopeMismatch
    );
    activate("b").await?;
    let (status, code, err) = api_error(activate("c").await);
    assert_eq!(
        (status, code),
        (422, Some(ErrorCode::MachineLimitExceeded)),
        "{err}"
    );
    let Error::Api { errors, .. } = &err else {
        panic!("an API error: {err}");
    };
    assert!(
        errors[0]
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains("(2)")
    );

    let (_, code, err) = api_error(activate("a").await);
    assert_eq!(code, Some(ErrorCode::FingerprintTaken), "{err}");

    // Deactivation (by fingerprint in the URL) frees a slot.
    let deleted = server.admin("DELETE", "/v1/machines/b", None).await?;
    assert_eq!(deleted.status, 204);
    activate("c").await?;
    assert_eq!(validate("c").await?.code, ValidationCode::Valid);
    Ok(())
}

#[tokio::test]
async fn account_scoped_and_account_less_paths_are_the_same_api() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let license = server.license_with_policy(json!({})).await?;
    let key = license["attributes"]["key"].as_str().unwrap();
    for path in [
        "/v1/accounts/acme/licenses/actions/validate-key".to_owned(),
        format!(
            "/v1/accounts/{}/licenses/actions/validate-key",
            server.account_id
        ),
        "/v1/licenses/actions/validate-key".to_owned(),
    ] {
        let reply = server
            .call("POST", &path, None, Some(json!({"meta": {"key": key}})))
            .await?;
        assert_eq!(reply.status, 200, "{path}");
        assert_eq!(reply.body["meta"]["code"], "VALID", "{path}");
    }
    let unknown = server
        .call(
            "GET",
            "/v1/accounts/nobody/licenses",
            Some(&server.admin_token),
            None,
        )
        .await?;
    assert_eq!(unknown.status, 404);
    let missing = server.validate_key("NOT-A-KEY", json!({})).await?;
    assert_eq!(missing["data"], serde_json::Value::Null);
    assert_eq!(missing["meta"]["code"], "NOT_FOUND");

    // An SDK client configured with the account's slug, its id, or neither.
    let config: Config = server.sdk_config().await?;
    for config in [
        config.clone().account("acme"),
        config.clone().account(server.account_id.clone()),
        config,
    ] {
        let client = Client::new(config)?;
        let verdict = client.validate_key(key, &Scope::default()).await?;
        assert_eq!(verdict.code, ValidationCode::Valid);
        let missing = client.validate_key("NOT-A-KEY", &Scope::default()).await?;
        assert_eq!(missing.code, ValidationCode::NotFound);
        assert!(missing.license.is_none());
    }
    Ok(())
}

#[tokio::test]
async fn strict_policy_requires_machines_and_nonce_is_echoed() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let license = server
        .license_with_policy(json!({"strict": true, "floating": true, "maxMachines": 3}))
        .await?;
    let id = license["id"].as_str().unwrap();
    let reply = server
        .admin(
            "POST",
            &format!("/v1/licenses/{id}/actions/validate"),
            Some(json!({"meta": {"nonce": 42}})),
        )
        .await?;
    assert_eq!(reply.body["meta"]["code"], "NO_MACHINES");
    assert_eq!(reply.body["meta"]["nonce"], 42);
    // The SDK sends its own nonce and refuses an answer that does not echo it.
    let admin = server.sdk_admin().await?;
    let verdict = admin.validate(id, &Scope::default()).await?;
    assert_eq!(verdict.code, ValidationCode::NoMachines);
    server.activate(id, "m1").await?;
    let quick = server
        .admin("GET", &format!("/v1/licenses/{id}/actions/validate"), None)
        .await?;
    assert_eq!(quick.body["meta"]["code"], "VALID");
    let verdict = admin.validate(id, &Scope::default()).await?;
    assert_eq!(verdict.code, ValidationCode::Valid);
    Ok(())
}

/// A machine created without an id of its own gets a UUID laid out for the backend:
/// time-ordered (version 7, so SQLite's one writer appends to the primary-key index)
/// on SQLite, random (version 4) on PostgreSQL, where concurrent inserts at the index's
/// right edge would wait on each other. A client's own UUID is kept either way.
#[tokio::test]
async fn new_machine_ids_are_uuids_laid_out_for_the_backend() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let license = server
        .license_with_policy(json!({"floating": true, "maxMachines": 10}))
        .await?;
    let license_id = license["id"].as_str().unwrap();
    let expected = if latchkey_testkit::backend_name() == "postgres" {
        4
    } else {
        7
    };
    let mut millis = Vec::new();
    for n in 0..4 {
        let activated = server.activate(license_id, &format!("fp-{n}")).await?;
        assert_eq!(activated.status, 201, "{}", activated.body);
        let id = activated.body["data"]["id"].as_str().unwrap();
        let uuid = uuid::Uuid::parse_str(id)?;
        assert_eq!(uuid.get_version_num(), expected, "{id}");
        assert_eq!(id, uuid.hyphenated().to_string(), "lower-case, hyphenated");
        if let Some(at) = uuid.get_timestamp() {
            millis.push(at.to_unix().0 * 1000 + u64::from(at.to_unix().1 / 1_000_000));
        }
    }
    if expected == 7 {
        // The ids carry the server's clock (the test server's stands still), in order.
        use latchkey_core::clock::Clock;
        let now = server.clock.now().unix_timestamp_nanos() / 1_000_000;
        assert_eq!(millis, vec![u64::try_from(now)?; 4]);
        server.clock.advance(time::Duration::seconds(1));
        let later = server.activate(license_id, "fp-later").await?;
        assert_eq!(later.status, 201, "{}", later.body);
        let id = later.body["data"]["id"].as_str().unwrap();
        assert!(id > millis_id_floor(millis[3] + 1000).as_str(), "{id}");
    }

    let own = "5E0C5B0A-1F2D-4C3B-9A8E-7D6C5B4A3F21";
    let body = json!({"data": {"type": "machines", "id": own,
        "attributes": {"fingerprint": "fp-own"},
        "relationships": {"license": {"data": {"type": "licenses", "id": license_id}}}}});
    let created = server.admin("POST", "/v1/machines", Some(body)).await?;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["data"]["id"], own.to_lowercase());
    Ok(())
}

/// The smallest version-7 UUID text of millisecond `ms`: ids made later sort above it.
fn millis_id_floor(ms: u64) -> String {
    let hex = format!("{ms:012x}");
    format!("{}-{}-7000-8000-000000000000", &hex[..8], &hex[8..])
}
