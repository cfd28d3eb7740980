//! Lookups by alias (machine fingerprint, license key, user email, entitlement code)
//! are scoped to what the bearer may see, then take the oldest match, as Keygen's
//! `FindByAliasService` over `authorized_scope` does. One device activated on two
//! licenses (trial, then paid) must resolve to the caller's own machine on every
//! machine route.

use latchkey_testkit::{Fixtures, TestServer, id, to_one};
use serde_json::{Value, json};

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn one_device_on_two_licenses_resolves_to_the_callers_machine() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let product = server
        .create(
            "/v1/products",
            json!({"data": {"type": "products", "attributes": {"name": "App"}}}),
        )
        .await?;
    let policy = |name: &str| {
        json!({"data": {"type": "policies", "attributes": {
            "name": name, "authenticationStrategy": "LICENSE", "floating": true, "maxMachines": 5},
            "relationships": {"product": {"data": {"type": "products", "id": product["id"]}}}}})
    };
    let trial_policy = server.create("/v1/policies", policy("Trial")).await?;
    let paid_policy = server.create("/v1/policies", policy("Paid")).await?;
    let (trial_owner, _) = server.user_with_token("trial@example.test", "user").await?;
    let (paid_owner, paid_owner_token) =
        server.user_with_token("paid@example.test", "user").await?;
    let trial = server
        .license_for(
            &id(&trial_policy),
            json!({"owner": to_one("users", &trial_owner)}),
        )
        .await?;
    let paid = server
        .license_for(
            &id(&paid_policy),
            json!({"owner": to_one("users", &paid_owner)}),
        )
        .await?;
    let trial_machine = server.activate(&id(&trial), "device-1").await?;
    assert_eq!(trial_machine.status, 201, "{}", trial_machine.body);
    server.clock.advance(time::Duration::seconds(5));
    let paid_machine = server.activate(&id(&paid), "device-1").await?;
    assert_eq!(paid_machine.status, 201, "{}", paid_machine.body);
    let trial_machine = id(&trial_machine.body["data"]);
    let paid_machine = id(&paid_machine.body["data"]);
    let paid_key = format!("License {}", text(&paid["attributes"]["key"]));
    let trial_key = format!("License {}", text(&trial["attributes"]["key"]));
    let paid_user = format!("Bearer {paid_owner_token}");

    // Both bearers of the paid license see their own machine, not the older trial one.
    for auth in [&paid_key, &paid_user] {
        let shown = server
            .send_as("GET", "/v1/machines/device-1", auth, None)
            .await?;
        assert_eq!(shown.status, 200, "{auth}: {}", shown.body);
        assert_eq!(shown.body["data"]["id"], paid_machine.as_str(), "{auth}");
    }
    // The trial license's key still resolves to the trial machine; staff get the oldest.
    let shown = server
        .send_as("GET", "/v1/machines/device-1", &trial_key, None)
        .await?;
    assert_eq!(shown.body["data"]["id"], trial_machine.as_str());
    let shown = server.admin("GET", "/v1/machines/device-1", None).await?;
    assert_eq!(shown.body["data"]["id"], trial_machine.as_str());

    // Every machine route the license key may use, by fingerprint.
    for (method, path, body) in [
        ("POST", "/v1/machines/device-1/actions/ping", None),
        ("POST", "/v1/machines/device-1/actions/ping-heartbeat", None),
        ("POST", "/v1/machines/device-1/actions/check-out", None),
        ("GET", "/v1/machines/device-1/actions/check-out", None),
        ("GET", "/v1/machines/device-1/components", None),
        ("GET", "/v1/machines/device-1/processes", None),
        (
            "PATCH",
            "/v1/machines/device-1",
            Some(json!({"data": {"type": "machines", "attributes": {"name": "Paid box"}}})),
        ),
    ] {
        let reply = server.send_as(method, path, &paid_key, body).await?;
        assert!(
            reply.status < 300,
            "{method} {path}: {} {}",
            reply.status,
            reply.body
        );
    }
    let shown = server
        .admin("GET", &format!("/v1/machines/{paid_machine}"), None)
        .await?;
    assert_eq!(shown.body["data"]["attributes"]["name"], "Paid box");
    assert!(shown.body["data"]["attributes"]["lastHeartbeat"].is_string());
    let trial_shown = server
        .admin("GET", &format!("/v1/machines/{trial_machine}"), None)
        .await?;
    assert!(trial_shown.body["data"]["attributes"]["lastHeartbeat"].is_null());

    // Staff see the whole account: the oldest machine with that fingerprint.
    let reset = server
        .admin("POST", "/v1/machines/device-1/actions/reset", None)
        .await?;
    assert_eq!(reset.status, 200, "{}", reset.body);

    // Deactivation by fingerprint removes the caller's machine only.
    let deleted = server
        .send_as("DELETE", "/v1/machines/device-1", &paid_key, None)
        .await?;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    let gone = server
        .admin("GET", &format!("/v1/machines/{paid_machine}"), None)
        .await?;
    assert_eq!(gone.status, 404);
    let kept = server
        .admin("GET", &format!("/v1/machines/{trial_machine}"), None)
        .await?;
    assert_eq!(kept.status, 200);
    // Now the paid license has no such machine: the trial one is not its to see.
    let denied = server
        .send_as("GET", "/v1/machines/device-1", &paid_key, None)
        .await?;
    assert!(matches!(denied.status, 403 | 404), "{}", denied.status);
    Ok(())
}

#[tokio::test]
async fn license_keys_and_user_emails_resolve_within_the_bearers_scope() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let base = server.license_with_policy(json!({})).await?;
    let policy = id(&base["relationships"]["policy"]["data"]);
    let (ann, ann_token) = server.user_with_token("ann@example.test", "user").await?;
    let (bob, bob_token) = server.user_with_token("bob@example.test", "user").await?;
    let ann_license = server
        .license_for(&policy, json!({"owner": to_one("users", &ann)}))
        .await?;
    let bob_license = server
        .license_for(&policy, json!({"owner": to_one("users", &bob)}))
        .await?;
    let ann_key = text(&ann_license["attributes"]["key"]);
    let bob_key = text(&bob_license["attributes"]["key"]);
    let ann_auth = format!("Bearer {ann_token}");
    let bob_auth = format!("Bearer {bob_token}");

    for (auth, own_key, own_id, other_key) in [
        (&ann_auth, &ann_key, &ann_license["id"], &bob_key),
        (&bob_auth, &bob_key, &bob_license["id"], &ann_key),
    ] {
        let own = server
            .send_as("GET", &format!("/v1/licenses/{own_key}"), auth, None)
            .await?;
        assert_eq!(own.status, 200, "{}", own.body);
        assert_eq!(&own.body["data"]["id"], own_id);
        let validated = server
            .send_as(
                "GET",
                &format!("/v1/licenses/{own_key}/actions/validate"),
                auth,
                None,
            )
            .await?;
        assert_eq!(validated.status, 200, "{}", validated.body);
        assert_eq!(&validated.body["data"]["id"], own_id);
        let other = server
            .send_as("GET", &format!("/v1/licenses/{other_key}"), auth, None)
            .await?;
        assert!(matches!(other.status, 403 | 404), "{}", other.status);
    }

    // Emails, case-insensitively: each user resolves itself, never the other.
    for (auth, own_email, own_id, other_email) in [
        (&ann_auth, "ANN@example.test", &ann, "bob@example.test"),
        (&bob_auth, "Bob@Example.test", &bob, "ann@example.test"),
    ] {
        let own = server
            .send_as("GET", &format!("/v1/users/{own_email}"), auth, None)
            .await?;
        assert_eq!(own.status, 200, "{}", own.body);
        assert_eq!(own.body["data"]["id"], own_id.as_str());
        let other = server
            .send_as("GET", &format!("/v1/users/{other_email}"), auth, None)
            .await?;
        assert!(matches!(other.status, 403 | 404), "{}", other.status);
    }
    // A license key bearer reads its owner by email.
    let license_auth = format!("License {ann_key}");
    let owner = server
        .send_as("GET", "/v1/users/ann@example.test", &license_auth, None)
        .await?;
    assert!(
        owner.status == 200 || owner.status == 403,
        "{}",
        owner.status
    );
    Ok(())
}

#[tokio::test]
async fn an_entitlement_code_resolves_to_the_one_the_bearer_may_see() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let hidden = server
        .create("/v1/entitlements", json!({"data": {"type": "entitlements", "attributes": {"name": "Hidden", "code": "HIDDEN"}}}))
        .await?;
    let hidden_id = id(&hidden);
    // A code that equals another entitlement's id.
    let visible = server
        .create("/v1/entitlements", json!({"data": {"type": "entitlements", "attributes": {"name": "Visible", "code": hidden_id}}}))
        .await?;
    let base = server
        .license_with_policy(json!({"authenticationStrategy": "LICENSE"}))
        .await?;
    let attached = server
        .admin(
            "POST",
            &format!("/v1/licenses/{}/entitlements", id(&base)),
            Some(json!({"data": [{"type": "entitlements", "id": visible["id"]}]})),
        )
        .await?;
    assert_eq!(attached.status, 200, "{}", attached.body);
    let license_auth = format!("License {}", text(&base["attributes"]["key"]));
    let other = server
        .license_with_policy(json!({"authenticationStrategy": "LICENSE"}))
        .await?;
    let other_auth = format!("License {}", text(&other["attributes"]["key"]));

    let path = format!("/v1/entitlements/{hidden_id}");
    let seen = server.send_as("GET", &path, &license_auth, None).await?;
    assert_eq!(seen.status, 200, "{}", seen.body);
    assert_eq!(seen.body["data"]["id"], visible["id"]);
    // Staff get the id match; a license that sees neither is denied.
    let staff = server.admin("GET", &path, None).await?;
    assert_eq!(staff.body["data"]["id"], hidden_id.as_str());
    let denied = server.send_as("GET", &path, &other_auth, None).await?;
    assert!(matches!(denied.status, 403 | 404), "{}", denied.status);
    Ok(())
}
