//! The activation flows of seed 000 (Keygen tutorial) and seed 001 (Licentric),
//! end to end over HTTP.

use latchkey_testkit::TestServer;
use serde_json::json;

#[tokio::test]
async fn node_locked_flow_no_machine_then_valid() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let license = server
        .license_with_policy(json!({"floating": false}))
        .await?;
    let key = license["attributes"]["key"].as_str().unwrap();
    assert!(
        key.ends_with("-V3") && key.len() == 37,
        "default key shape: {key}"
    );
    assert_eq!(license["attributes"]["maxMachines"], 1);

    let before = server
        .validate_key(key, json!({"fingerprint": "fp-1"}))
        .await?;
    assert_eq!(before["meta"]["code"], "NO_MACHINE");
    assert_eq!(before["meta"]["valid"], false);
    assert_eq!(before["meta"]["scope"], json!({"fingerprint": "fp-1"}));
    assert!(
        before["data"]["attributes"].is_object() && before["data"]["relationships"].is_object()
    );

    let activated = server
        .activate(license["id"].as_str().unwrap(), "fp-1")
        .await?;
    assert_eq!(activated.status, 201, "{}", activated.body);
    assert!(activated.headers.get("location").is_some());

    let after = server
        .validate_key(key, json!({"fingerprint": "fp-1"}))
        .await?;
    assert_eq!(after["meta"]["code"], "VALID");
    assert_eq!(after["meta"]["valid"], true);

    let other = server
        .validate_key(key, json!({"fingerprint": "fp-2"}))
        .await?;
    assert_eq!(other["meta"]["code"], "FINGERPRINT_SCOPE_MISMATCH");

    let second = server
        .activate(license["id"].as_str().unwrap(), "fp-2")
        .await?;
    assert_eq!(second.status, 422);
    assert_eq!(second.error_code(), Some("MACHINE_LIMIT_EXCEEDED"));
    assert_eq!(second.body["errors"][0]["source"]["pointer"], "/data");
    Ok(())
}

#[tokio::test]
async fn floating_flow_no_machines_mismatch_limit_and_deactivation() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let license = server
        .license_with_policy(json!({"floating": true, "maxMachines": 2}))
        .await?;
    let id = license["id"].as_str().unwrap();
    let key = license["attributes"]["key"].as_str().unwrap();

    assert_eq!(
        server
            .validate_key(key, json!({"fingerprint": "a"}))
            .await?["meta"]["code"],
        "NO_MACHINES"
    );
    assert_eq!(server.activate(id, "a").await?.status, 201);
    assert_eq!(
        server
            .validate_key(key, json!({"fingerprint": "b"}))
            .await?["meta"]["code"],
        "FINGERPRINT_SCOPE_MISMATCH"
    );
    assert_eq!(server.activate(id, "b").await?.status, 201);
    let third = server.activate(id, "c").await?;
    assert_eq!(third.error_code(), Some("MACHINE_LIMIT_EXCEEDED"));
    assert!(
        third.body["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("(2)")
    );

    let taken = server.activate(id, "a").await?;
    assert_eq!(taken.error_code(), Some("FINGERPRINT_TAKEN"));

    // Deactivation (by fingerprint in the URL) frees a slot.
    let deleted = server.admin("DELETE", "/v1/machines/b", None).await?;
    assert_eq!(deleted.status, 204);
    assert_eq!(server.activate(id, "c").await?.status, 201);
    assert_eq!(
        server
            .validate_key(key, json!({"fingerprint": "c"}))
            .await?["meta"]["code"],
        "VALID"
    );
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
    server.activate(id, "m1").await?;
    let quick = server
        .admin("GET", &format!("/v1/licenses/{id}/actions/validate"), None)
        .await?;
    assert_eq!(quick.body["meta"]["code"], "VALID");
    Ok(())
}
