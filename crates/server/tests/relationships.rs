//! License relationships over HTTP: policy transfer, owner, group limits, attached
//! users (maxUsers) and entitlements (license and policy) with the entitlements
//! validation scope.

use latchkey_testkit::{Fixtures, TestServer, id, license_body, to_many, to_one};
use serde_json::{Value, json};

const DAY: i64 = 86_400;

#[tokio::test]
async fn policy_transfer_follows_the_transfer_strategy() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let app = server.product("App").await?;
    let monthly = server
        .policy_for(&app, json!({"duration": 30 * DAY}))
        .await?;
    let yearly_reset = server
        .policy_for(
            &app,
            json!({"duration": 365 * DAY, "transferStrategy": "RESET_EXPIRY"}),
        )
        .await?;
    let yearly_keep = server
        .policy_for(&app, json!({"duration": 365 * DAY}))
        .await?;
    let stricter = server
        .policy_for(
            &app,
            json!({"machineUniquenessStrategy": "UNIQUE_PER_ACCOUNT"}),
        )
        .await?;

    let created = server.license_for(&monthly, json!({})).await?;
    let lid = id(&created);
    assert_eq!(created["attributes"]["expiry"], "2026-01-31T12:00:00.000Z");
    let path = format!("/v1/licenses/{lid}/policy");
    server.clock.advance(time::Duration::days(10));

    let kept = server
        .admin("PUT", &path, Some(to_one("policies", &yearly_keep)))
        .await?;
    assert_eq!(kept.status, 200, "{}", kept.body);
    assert_eq!(
        kept.body["data"]["relationships"]["policy"]["data"]["id"],
        yearly_keep.as_str()
    );
    assert_eq!(
        kept.body["data"]["attributes"]["expiry"],
        "2026-01-31T12:00:00.000Z"
    );

    let reset = server
        .admin("PUT", &path, Some(to_one("policies", &yearly_reset)))
        .await?;
    assert_eq!(reset.status, 200);
    assert_eq!(
        reset.body["data"]["attributes"]["expiry"],
        "2027-01-11T12:00:00.000Z"
    );
    let shown = server.admin("GET", &path, None).await?;
    assert_eq!(shown.body["data"]["id"], yearly_reset.as_str());
    assert_eq!(shown.body["data"]["type"], "policies");

    // Another product's policy is allowed (tests/license_family.rs).
    for (target, detail) in [(
        &stricter,
        "cannot change to a policy with a more strict machine uniqueness strategy",
    )] {
        let refused = server
            .admin("PUT", &path, Some(to_one("policies", target)))
            .await?;
        assert_eq!(refused.status, 422);
        assert_eq!(refused.error_code(), Some("POLICY_NOT_COMPATIBLE"));
        assert_eq!(refused.body["errors"][0]["detail"], detail);
        assert_eq!(
            refused.body["errors"][0]["source"]["pointer"],
            "/data/relationships/policy"
        );
    }
    let missing = server
        .admin(
            "PUT",
            &path,
            Some(to_one("policies", "00000000-0000-0000-0000-000000000000")),
        )
        .await?;
    assert_eq!(missing.error_code(), Some("POLICY_NOT_FOUND"));
    let malformed = server
        .admin(
            "PUT",
            &path,
            Some(json!({"data": {"type": "products", "id": monthly}})),
        )
        .await?;
    assert_eq!(malformed.status, 400);

    let product_path = format!("/v1/licenses/{lid}/product");
    assert_eq!(
        server.admin("GET", &product_path, None).await?.body["data"]["id"],
        app.as_str()
    );
    Ok(())
}

#[tokio::test]
async fn owner_and_attached_users_respect_max_users() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let app = server.product("App").await?;
    let pol = server.policy_for(&app, json!({"maxUsers": 2})).await?;
    let lid = id(&server.license_for(&pol, json!({})).await?);
    let (alice, bob, carol) = (
        server.user("alice@example.test").await?,
        server.user("bob@example.test").await?,
        server.user("carol@example.test").await?,
    );

    let owner_path = format!("/v1/licenses/{lid}/owner");
    let reply = server
        .admin("PUT", &owner_path, Some(to_one("users", &alice)))
        .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.body["data"]["relationships"]["owner"]["data"]["id"],
        alice.as_str()
    );
    assert_eq!(
        server.admin("GET", &owner_path, None).await?.body["data"]["id"],
        alice.as_str()
    );
    let missing = server
        .admin(
            "PUT",
            &owner_path,
            Some(to_one("users", "nobody@example.test")),
        )
        .await?;
    assert_eq!(missing.error_code(), Some("OWNER_NOT_FOUND"));

    let users_path = format!("/v1/licenses/{lid}/users");
    let attached = server
        .admin("POST", &users_path, Some(to_many("users", &[&bob])))
        .await?;
    assert_eq!(attached.status, 200, "{}", attached.body);
    assert_eq!(attached.body["data"][0]["type"], "license-users");
    assert_eq!(
        attached.body["data"][0]["relationships"]["user"]["data"]["id"],
        bob.as_str()
    );
    // Owner + bob = 2 = maxUsers.
    let full = server
        .admin("POST", &users_path, Some(to_many("users", &[&carol])))
        .await?;
    assert_eq!(full.status, 422);
    assert_eq!(full.error_code(), Some("USER_LIMIT_EXCEEDED"));
    let twice = server
        .admin("POST", &users_path, Some(to_many("users", &[&alice])))
        .await?;
    assert_eq!(twice.error_code(), Some("USER_TAKEN"));

    let listed = server.admin("GET", &users_path, None).await?;
    let ids: Vec<String> = listed.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect();
    assert_eq!(ids, vec![alice.clone(), bob.clone()]);
    let shown = server
        .admin("GET", &format!("/v1/licenses/{lid}"), None)
        .await?;
    assert_eq!(
        shown.body["data"]["relationships"]["users"]["meta"]["count"],
        2
    );

    let owner_detach = server
        .admin("DELETE", &users_path, Some(to_many("users", &[&alice])))
        .await?;
    assert_eq!(owner_detach.status, 403);
    assert_eq!(
        owner_detach.body["errors"][0]["source"]["pointer"],
        "/data/0"
    );
    let not_attached = server
        .admin("DELETE", &users_path, Some(to_many("users", &[&carol])))
        .await?;
    assert_eq!(not_attached.status, 422);
    assert_eq!(
        server
            .admin("DELETE", &users_path, Some(to_many("users", &[&bob])))
            .await?
            .status,
        204
    );
    let again = server
        .admin("POST", &users_path, Some(to_many("users", &[&carol])))
        .await?;
    assert_eq!(again.status, 200);
    for bad in [
        json!({"data": []}),
        json!({"data": {"type": "users", "id": bob}}),
        json!({"data": [{"type": "licenses", "id": bob}]}),
    ] {
        assert_eq!(
            server.admin("POST", &users_path, Some(bad)).await?.status,
            400
        );
    }

    let cleared = server
        .admin("PUT", &owner_path, Some(json!({"data": null})))
        .await?;
    assert_eq!(
        cleared.body["data"]["relationships"]["owner"]["data"],
        Value::Null
    );
    Ok(())
}

#[tokio::test]
async fn groups_enforce_their_limits() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let gid = server
        .group(json!({"maxLicenses": 1, "maxUsers": 1, "maxMachines": 1}))
        .await?;
    let app = server.product("App").await?;
    let pol = server
        .policy_for(&app, json!({"floating": true, "maxMachines": 5}))
        .await?;
    let first = server
        .admin(
            "POST",
            "/v1/licenses",
            Some(license_body(
                &pol,
                json!({}),
                json!({"group": to_one("groups", &gid)}),
            )),
        )
        .await?;
    assert_eq!(first.status, 201, "{}", first.body);
    let second = server
        .admin(
            "POST",
            "/v1/licenses",
            Some(license_body(
                &pol,
                json!({}),
                json!({"group": to_one("groups", &gid)}),
            )),
        )
        .await?;
    assert_eq!(second.status, 422);
    assert_eq!(second.error_code(), Some("GROUP_LICENSE_LIMIT_EXCEEDED"));
    assert_eq!(
        second.body["errors"][0]["source"]["pointer"],
        "/data/relationships/group"
    );

    let loose = id(&server.license_for(&pol, json!({})).await?);
    let path = format!("/v1/licenses/{loose}/group");
    let refused = server
        .admin("PUT", &path, Some(to_one("groups", &gid)))
        .await?;
    assert_eq!(refused.error_code(), Some("GROUP_LICENSE_LIMIT_EXCEEDED"));
    let first_id = id(&first.body["data"]);
    // Leaving frees the slot.
    let left = server
        .admin(
            "PUT",
            &format!("/v1/licenses/{first_id}/group"),
            Some(json!({"data": null})),
        )
        .await?;
    assert_eq!(left.status, 200);
    assert_eq!(
        left.body["data"]["relationships"]["group"]["data"],
        Value::Null
    );
    let joined = server
        .admin("PUT", &path, Some(to_one("groups", &gid)))
        .await?;
    assert_eq!(joined.status, 200, "{}", joined.body);
    assert_eq!(
        server.admin("GET", &path, None).await?.body["data"]["id"],
        gid.as_str()
    );
    // Re-joining the same group is not counted twice.
    assert_eq!(
        server
            .admin("PUT", &path, Some(to_one("groups", &gid)))
            .await?
            .status,
        200
    );

    let (u1, u2) = (
        server.user("u1@example.test").await?,
        server.user("u2@example.test").await?,
    );
    assert_eq!(
        server
            .admin(
                "PUT",
                &format!("/v1/users/{u1}/group"),
                Some(to_one("groups", &gid))
            )
            .await?
            .status,
        200
    );
    let full = server
        .admin(
            "PUT",
            &format!("/v1/users/{u2}/group"),
            Some(to_one("groups", &gid)),
        )
        .await?;
    assert_eq!(full.error_code(), Some("GROUP_USER_LIMIT_EXCEEDED"));

    // Machines of a group-less license (machines inherit their license's group).
    let free = id(&server.license_for(&pol, json!({})).await?);
    let m1 = server.activate(&free, "m1").await?;
    let m2 = server.activate(&free, "m2").await?;
    let ok = server
        .admin(
            "PUT",
            &format!("/v1/machines/{}/group", id(&m1.body["data"])),
            Some(to_one("groups", &gid)),
        )
        .await?;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let full = server
        .admin(
            "PUT",
            &format!("/v1/machines/{}/group", id(&m2.body["data"])),
            Some(to_one("groups", &gid)),
        )
        .await?;
    assert_eq!(full.error_code(), Some("GROUP_MACHINE_LIMIT_EXCEEDED"));
    let machines = server
        .admin("GET", &format!("/v1/licenses/{free}/machines"), None)
        .await?;
    assert_eq!(machines.body["data"].as_array().unwrap().len(), 2);
    let unknown = server
        .admin(
            "PUT",
            &path,
            Some(to_one("groups", "00000000-0000-0000-0000-000000000000")),
        )
        .await?;
    assert_eq!(unknown.error_code(), Some("GROUP_NOT_FOUND"));
    Ok(())
}

#[tokio::test]
async fn entitlements_attach_and_drive_the_validation_scope() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut codes = Vec::new();
    for code in ["PRO", "SYNC", "BETA"] {
        let e = server
            .create("/v1/entitlements", json!({"data": {"type": "entitlements", "attributes": {"name": code, "code": code}}}))
            .await?;
        codes.push(id(&e));
    }
    let app = server.product("App").await?;
    let pol = server.policy_for(&app, json!({})).await?;
    let created = server.license_for(&pol, json!({})).await?;
    let (lid, key) = (
        id(&created),
        created["attributes"]["key"].as_str().unwrap().to_owned(),
    );

    let policy_path = format!("/v1/policies/{pol}/entitlements");
    let reply = server
        .admin(
            "POST",
            &policy_path,
            Some(to_many("entitlements", &[&codes[0]])),
        )
        .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["data"][0]["type"], "policy-entitlements");
    let license_path = format!("/v1/licenses/{lid}/entitlements");
    let reply = server
        .admin(
            "POST",
            &license_path,
            Some(to_many("entitlements", &["SYNC"])),
        )
        .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let twice = server
        .admin(
            "POST",
            &license_path,
            Some(to_many("entitlements", &[&codes[1]])),
        )
        .await?;
    assert_eq!(twice.error_code(), Some("ENTITLEMENT_TAKEN"));
    let unknown = server
        .admin(
            "POST",
            &license_path,
            Some(to_many("entitlements", &["NOPE"])),
        )
        .await?;
    assert_eq!(unknown.error_code(), Some("ENTITLEMENT_NOT_FOUND"));

    let listed = server.admin("GET", &license_path, None).await?;
    let mut got: Vec<&str> = listed.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["attributes"]["code"].as_str().unwrap())
        .collect();
    got.sort();
    assert_eq!(got, vec!["PRO", "SYNC"]);
    assert_eq!(
        server.admin("GET", &policy_path, None).await?.body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let code = |v: Value| v["meta"]["code"].as_str().unwrap_or_default().to_owned();
    assert_eq!(
        code(
            server
                .validate_key(&key, json!({"entitlements": ["PRO", "SYNC"]}))
                .await?
        ),
        "VALID"
    );
    assert_eq!(
        code(
            server
                .validate_key(&key, json!({"entitlements": ["PRO", "BETA"]}))
                .await?
        ),
        "ENTITLEMENTS_MISSING"
    );
    assert_eq!(
        code(
            server
                .validate_key(&key, json!({"entitlements": []}))
                .await?
        ),
        "ENTITLEMENTS_SCOPE_EMPTY"
    );

    assert_eq!(
        server
            .admin(
                "DELETE",
                &license_path,
                Some(to_many("entitlements", &["SYNC"]))
            )
            .await?
            .status,
        204
    );
    assert_eq!(
        code(
            server
                .validate_key(&key, json!({"entitlements": ["SYNC"]}))
                .await?
        ),
        "ENTITLEMENTS_MISSING"
    );
    let gone = server
        .admin(
            "DELETE",
            &license_path,
            Some(to_many("entitlements", &["SYNC"])),
        )
        .await?;
    assert_eq!(gone.status, 422);
    assert_eq!(
        server
            .admin(
                "DELETE",
                &policy_path,
                Some(to_many("entitlements", &["PRO"]))
            )
            .await?
            .status,
        204
    );
    assert_eq!(
        code(
            server
                .validate_key(&key, json!({"entitlements": ["PRO"]}))
                .await?
        ),
        "ENTITLEMENTS_MISSING"
    );

    // Only admins/developers and the product itself manage attachments.
    let other = server.product("App").await?;
    let token = server
        .admin("POST", &format!("/v1/products/{other}/tokens"), None)
        .await?;
    let foreign = token.body["data"]["attributes"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let denied = server
        .call(
            "POST",
            &license_path,
            Some(&foreign),
            Some(to_many("entitlements", &["BETA"])),
        )
        .await?;
    assert_eq!(denied.status, 403, "{}", denied.body);
    let token = server
        .admin("POST", &format!("/v1/products/{app}/tokens"), None)
        .await?;
    let own = token.body["data"]["attributes"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let allowed = server
        .call(
            "POST",
            &license_path,
            Some(&own),
            Some(to_many("entitlements", &["BETA"])),
        )
        .await?;
    assert_eq!(allowed.status, 200, "{}", allowed.body);
    Ok(())
}
