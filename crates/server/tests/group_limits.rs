//! Group limits on the ways into a group: activation (a group named in
//! `relationships.group`, or inherited from the license or the owner) and user
//! creation, answered with Keygen's `GROUP_<MEMBER>_LIMIT_EXCEEDED`. The races
//! across server processes are in the root package's `tests/races.rs`.

use latchkey_testkit::{Reply, TestServer};
use serde_json::{Value, json};

fn id(data: &Value) -> String {
    data["id"].as_str().unwrap_or_default().to_owned()
}

async fn group(server: &TestServer, attributes: Value) -> anyhow::Result<String> {
    let mut attributes = attributes;
    attributes["name"] = "Team".into();
    let data = server
        .create(
            "/v1/groups",
            json!({"data": {"type": "groups", "attributes": attributes}}),
        )
        .await?;
    Ok(id(&data))
}

/// A floating policy with room for many machines, authenticated by license key.
async fn policy(server: &TestServer) -> anyhow::Result<String> {
    let product = server
        .create(
            "/v1/products",
            json!({"data": {"type": "products", "attributes": {"name": "App"}}}),
        )
        .await?;
    let policy = server
        .create(
            "/v1/policies",
            json!({"data": {"type": "policies", "attributes": {"name": "P", "floating": true,
                "maxMachines": 50, "authenticationStrategy": "LICENSE"},
                "relationships": {"product": {"data": {"type": "products", "id": product["id"]}}}}}),
        )
        .await?;
    Ok(id(&policy))
}

async fn license(server: &TestServer, policy: &str, relationships: Value) -> anyhow::Result<Value> {
    let mut relationships = relationships;
    relationships["policy"] = json!({"data": {"type": "policies", "id": policy}});
    server
        .create(
            "/v1/licenses",
            json!({"data": {"type": "licenses", "relationships": relationships}}),
        )
        .await
}

fn machine(license: &str, fingerprint: &str, group: Option<&str>) -> Value {
    let mut relationships = json!({"license": {"data": {"type": "licenses", "id": license}}});
    if let Some(group) = group {
        relationships["group"] = json!({"data": {"type": "groups", "id": group}});
    }
    json!({"data": {"type": "machines", "attributes": {"fingerprint": fingerprint},
        "relationships": relationships}})
}

async fn as_license(server: &TestServer, key: &str, body: Value) -> anyhow::Result<Reply> {
    let auth = format!("License {key}");
    server
        .raw(
            "POST",
            "/v1/machines",
            &[
                ("Authorization", &auth),
                ("Accept", "application/vnd.api+json"),
                ("Content-Type", "application/vnd.api+json"),
            ],
            body.to_string().into_bytes(),
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
    let group = group(&server, json!({"maxMachines": 2})).await?;
    let policy = policy(&server).await?;
    let license = id(&license(&server, &policy, json!({})).await?);
    for fingerprint in ["a-1", "a-2"] {
        let reply = server
            .admin(
                "POST",
                "/v1/machines",
                Some(machine(&license, fingerprint, Some(&group))),
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
            Some(machine(&license, "a-3", Some(&group))),
        )
        .await?;
    assert_group_full(&full, "GROUP_MACHINE_LIMIT_EXCEEDED", "machine", 2);
    // Nothing was written; without the group the machine fits the license.
    let plain = server
        .admin("POST", "/v1/machines", Some(machine(&license, "a-3", None)))
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
    let group = group(&server, json!({"maxMachines": 1})).await?;
    let policy = policy(&server).await?;
    let license = license(
        &server,
        &policy,
        json!({"group": {"data": {"type": "groups", "id": group}}}),
    )
    .await?;
    let (license_id, key) = (id(&license), license["attributes"]["key"].as_str());
    let key = key.unwrap_or_default();
    let first = as_license(&server, key, machine(&license_id, "k-1", None)).await?;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(
        first.body["data"]["relationships"]["group"]["data"]["id"],
        group
    );
    let second = as_license(&server, key, machine(&license_id, "k-2", None)).await?;
    assert_group_full(&second, "GROUP_MACHINE_LIMIT_EXCEEDED", "machine", 1);

    // As in Keygen, only staff and products may name a group on activation.
    let other = group_with_room(&server).await?;
    let named = as_license(&server, key, machine(&license_id, "k-3", Some(&other))).await?;
    assert_eq!(named.status, 400, "{}", named.body);
    assert_eq!(
        named.body["errors"][0]["source"]["pointer"],
        "/data/relationships/group"
    );
    Ok(())
}

async fn group_with_room(server: &TestServer) -> anyhow::Result<String> {
    group(server, json!({})).await
}

#[tokio::test]
async fn machines_inherit_the_owners_group_and_its_limit() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let group = group(&server, json!({"maxMachines": 1})).await?;
    let owner = server
        .create(
            "/v1/users",
            json!({"data": {"type": "users", "attributes": {"email": "owner@example.test"},
                "relationships": {"group": {"data": {"type": "groups", "id": group}}}}}),
        )
        .await?;
    let policy = policy(&server).await?;
    // A licensee (not the owner), so the license itself stays out of the group.
    let license = id(&license(&server, &policy, json!({})).await?);
    let attached = server
        .admin(
            "POST",
            &format!("/v1/licenses/{license}/users"),
            Some(json!({"data": [{"type": "users", "id": owner["id"]}]})),
        )
        .await?;
    assert!(attached.status < 300, "{}", attached.body);
    let owned = |fingerprint: &str| {
        let mut body = machine(&license, fingerprint, None);
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
    let group = group(&server, json!({"maxUsers": 1})).await?;
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
    let group = group(&server, json!({"maxMachines": 1, "maxUsers": 1})).await?;
    let policy = policy(&server).await?;
    let license = id(&license(&server, &policy, json!({})).await?);
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
            Some(machine(&license, "c-3", Some(&group))),
        )
        .await?;
    assert_group_full(&named, "GROUP_MACHINE_LIMIT_EXCEEDED", "machine", 1);
    Ok(())
}

#[tokio::test]
async fn licenses_inherit_the_owners_group_and_its_limit() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let group = group(&server, json!({"maxLicenses": 1})).await?;
    let owner = server
        .create(
            "/v1/users",
            json!({"data": {"type": "users", "attributes": {"email": "lic@example.test"},
                "relationships": {"group": {"data": {"type": "groups", "id": group}}}}}),
        )
        .await?;
    let policy = policy(&server).await?;
    let owned = json!({"owner": {"data": {"type": "users", "id": owner["id"]}}});
    let first = license(&server, &policy, owned.clone()).await?;
    assert_eq!(first["relationships"]["group"]["data"]["id"], group);
    let mut relationships = owned;
    relationships["policy"] = json!({"data": {"type": "policies", "id": policy}});
    let second = server
        .admin(
            "POST",
            "/v1/licenses",
            Some(json!({"data": {"type": "licenses", "relationships": relationships}})),
        )
        .await?;
    assert_group_full(&second, "GROUP_LICENSE_LIMIT_EXCEEDED", "license", 1);
    Ok(())
}
