//! Group limits on the ways into a group: activation (a group named in
//! `relationships.group`, or inherited from the license or the owner) and user
//! creation, answered with Keygen's `GROUP_<MEMBER>_LIMIT_EXCEEDED`. The races
//! across server processes are in the root package's `tests/races.rs`.

use latchkey_testkit::{Fixtures, Reply, TestServer, id, license_body, machine_body, to_one};
use serde_json::json;

/// A floating policy with room for many machines, authenticated by license key.
async fn policy(server: &TestServer) -> anyhow::Result<String> {
    server
        .policy_with_product(
            json!({"floating": true, "maxMachines": 50, "authenticationStrategy": "LICENSE"}),
        )
        .await
}

fn assert_group_full(reply: &Reply, code: &str, noun: &str, max: i64) {
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert_eq!(reply.error_code(), Some(code), "{}", reply.body);
    assert_eq!(
        reply.body["errors"][0]["detail"],
        format!("{noun} count has exceeded maximum allowed by current group ({max})")
    );
    assert_eq!(
        reply.body["errors"][0]["source"]["pointer"],
        "/data/relationships/group"
    );
}

#[tokio::test]
async fn activation_naming_a_full_group_is_refused() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let group = server.group(json!({"maxMachines": 2})).await?;
    let policy = policy(&server).await?;
    let license = id(&server.license_for(&policy, json!({})).await?);
    for fingerprint in ["a-1", "a-2"] {
        let reply = server
            .admin(
                "POST",
                "/v1/machines",
                Some(machine_body(
                    &license,
                    fingerprint,
                    json!({}),
                    json!({"group": to_one("groups", &group)}),
                )),
            )
            .await?;
        assert_eq!(reply.status, 201, "{}", reply.body);
        assert_eq!(
            reply.body["data"]["relationships"]["group"]["data"]["id"],
            group
        );
    }
    let full = server
        .admin(
            "POST",
            "/v1/machines",
            Some(machine_body(
                &license,
                "a-3",
                json!({}),
                json!({"group": to_one("groups", &group)}),
            )),
        )
        .await?;
    assert_group_full(&full, "GROUP_MACHINE_LIMIT_EXCEEDED", "machine", 2);
    // Nothing was written; without the group the machine fits the license.
    let plain = server
        .admin(
            "POST",
            "/v1/machines",
            Some(machine_body(&license, "a-3", json!({}), json!({}))),
        )
        .await?;
    assert_eq!(plain.status, 201, "{}", plain.body);
    let members = server
        .admin("GET", &format!("/v1/machines?group={group}"), None)
        .await?;
    assert_eq!(members.body["data"].as_array().map(Vec::len), Some(2));
    Ok(())
}

#[tokio::test]
async fn license_key_cannot_activate_into_its_full_group() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let group = server.group(json!({"maxMachines": 1})).await?;
    let policy = policy(&server).await?;
    let license = server
        .license_for(
            &policy,
            json!({"group": {"data": {"type": "groups", "id": group}}}),
        )
        .await?;
    let (license_id, key) = (id(&license), license["attributes"]["key"].as_str());
    let as_license = format!("License {}", key.unwrap_or_default());
    let first = server
        .send_as(
            "POST",
            "/v1/machines",
            &as_license,
            Some(machine_body(&license_id, "k-1", json!({}), json!({}))),
        )
        .await?;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(
        first.body["data"]["relationships"]["group"]["data"]["id"],
        group
    );
    let second = server
        .send_as(
            "POST",
            "/v1/machines",
            &as_license,
            Some(machine_body(&license_id, "k-2", json!({}), json!({}))),
        )
        .await?;
    assert_group_full(&second, "GROUP_MACHINE_LIMIT_EXCEEDED", "machine", 1);

    // As in Keygen, only staff and products may name a group on activation.
    let other = server.group(json!({})).await?;
    let named = server
        .send_as(
            "POST",
            "/v1/machines",
            &as_license,
            Some(machine_body(
                &license_id,
                "k-3",
                json!({}),
                json!({"group": to_one("groups", &other)}),
            )),
        )
        .await?;
    assert_eq!(named.status, 400, "{}", named.body);
    assert_eq!(
        named.body["errors"][0]["source"]["pointer"],
        "/data/relationships/group"
    );
    Ok(())
}

#[tokio::test]
async fn machines_inherit_the_owners_group_and_its_limit() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let group = server.group(json!({"maxMachines": 1})).await?;
    let owner = server
        .create(
            "/v1/users",
            json!({"data": {"type": "users", "attributes": {"email": "owner@example.test"},
                "relationships": {"group": {"data": {"type": "groups", "id": group}}}}}),
        )
        .await?;
    let policy = policy(&server).await?;
    // A licensee (not the owner), so the license itself stays out of the group.
    let license = id(&server.license_for(&policy, json!({})).await?);
    let attached = server
        .admin(
            "POST",
            &format!("/v1/licenses/{license}/users"),
            Some(json!({"data": [{"type": "users", "id": owner["id"]}]})),
        )
        .await?;
    assert!(attached.status < 300, "{}", attached.body);
    let owned = |fingerprint: &str| {
        let mut body = machine_body(&license, fingerprint, json!({}), json!({}));
        body["data"]["relationships"]["owner"] =
            json!({"data": {"type": "users", "id": owner["id"]}});
        body
    };
    let first = server
        .admin("POST", "/v1/machines", Some(owned("o-1")))
        .await?;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(
        first.body["data"]["relationships"]["group"]["data"]["id"],
        group
    );
    let second = server
        .admin("POST", "/v1/machines", Some(owned("o-2")))
        .await?;
    assert_group_full(&second, "GROUP_MACHINE_LIMIT_EXCEEDED", "machine", 1);
    Ok(())
}

#[tokio::test]
async fn user_creation_into_a_full_group_is_refused() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let group = server.group(json!({"maxUsers": 1})).await?;
    let user = |email: &str| {
        json!({"data": {"type": "users", "attributes": {"email": email},
            "relationships": {"group": {"data": {"type": "groups", "id": group}}}}})
    };
    let first = server
        .admin("POST", "/v1/users", Some(user("one@example.test")))
        .await?;
    assert_eq!(first.status, 201, "{}", first.body);
    let second = server
        .admin("POST", "/v1/users", Some(user("two@example.test")))
        .await?;
    assert_group_full(&second, "GROUP_USER_LIMIT_EXCEEDED", "user", 1);
    let missing = server
        .admin(
            "POST",
            "/v1/users",
            Some(
                json!({"data": {"type": "users", "attributes": {"email": "three@example.test"},
                "relationships": {"group": {"data": {"type": "groups",
                    "id": "00000000-0000-0000-0000-000000000000"}}}}}),
            ),
        )
        .await?;
    assert_eq!(
        missing.error_code(),
        Some("GROUP_NOT_FOUND"),
        "{}",
        missing.body
    );
    Ok(())
}

#[tokio::test]
async fn changing_group_counts_against_the_new_group() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let group = server
        .group(json!({"maxMachines": 1, "maxUsers": 1}))
        .await?;
    let policy = policy(&server).await?;
    let license = id(&server.license_for(&policy, json!({})).await?);
    let m1 = server.activate(&license, "c-1").await?;
    let m2 = server.activate(&license, "c-2").await?;
    let put = |machine: &Reply| {
        (
            format!("/v1/machines/{}/group", id(&machine.body["data"])),
            json!({"data": {"type": "groups", "id": group}}),
        )
    };
    let (path, body) = put(&m1);
    let joined = server.admin("PUT", &path, Some(body.clone())).await?;
    assert_eq!(joined.status, 200, "{}", joined.body);
    // Staying in the same group always fits.
    let again = server.admin("PUT", &path, Some(body)).await?;
    assert_eq!(again.status, 200, "{}", again.body);
    let (path, body) = put(&m2);
    let full = server.admin("PUT", &path, Some(body)).await?;
    assert_group_full(&full, "GROUP_MACHINE_LIMIT_EXCEEDED", "machine", 1);
    // And an activation naming the group now finds it full too.
    let named = server
        .admin(
            "POST",
            "/v1/machines",
            Some(machine_body(
                &license,
                "c-3",
                json!({}),
                json!({"group": to_one("groups", &group)}),
            )),
        )
        .await?;
    assert_group_full(&named, "GROUP_MACHINE_LIMIT_EXCEEDED", "machine", 1);
    Ok(())
}

#[tokio::test]
async fn licenses_inherit_the_owners_group_and_its_limit() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let group = server.group(json!({"maxLicenses": 1})).await?;
    let owner = server
        .create(
            "/v1/users",
            json!({"data": {"type": "users", "attributes": {"email": "lic@example.test"},
                "relationships": {"group": {"data": {"type": "groups", "id": group}}}}}),
        )
        .await?;
    let policy = policy(&server).await?;
    let owned = json!({"owner": {"data": {"type": "users", "id": owner["id"]}}});
    let first = server.license_for(&policy, owned.clone()).await?;
    assert_eq!(first["relationships"]["group"]["data"]["id"], group);
    let second = server
        .admin(
            "POST",
            "/v1/licenses",
            Some(license_body(&policy, json!({}), owned)),
        )
        .await?;
    assert_group_full(&second, "GROUP_LICENSE_LIMIT_EXCEEDED", "license", 1);
    Ok(())
}
