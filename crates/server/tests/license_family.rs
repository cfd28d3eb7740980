//! Keygen behaviours of the licenses family: a license moves to another product's
//! policy (its product follows), `GET /licenses/{id}/machines` is paged like every
//! list, and license and machine files carry their `algorithm` and `includes`.

use latchkey_testkit::{Fixtures, TestServer, id};
use serde_json::json;

#[tokio::test]
async fn a_license_moves_to_another_products_policy() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let app = server.product("App").await?;
    let other = server.product("Other").await?;
    let here = server
        .policy_for(&app, json!({"floating": true, "maxMachines": 5}))
        .await?;
    let there = server
        .policy_for(&other, json!({"floating": true, "maxMachines": 5}))
        .await?;
    let lid = id(&server.license_for(&here, json!({})).await?);

    let moved = server
        .admin(
            "PUT",
            &format!("/v1/licenses/{lid}/policy"),
            Some(json!({"data": {"type": "policies", "id": there}})),
        )
        .await?;
    assert_eq!(moved.status, 200, "{}", moved.body);
    let rels = &moved.body["data"]["relationships"];
    assert_eq!(rels["policy"]["data"]["id"], there.as_str());
    assert_eq!(rels["product"]["data"]["id"], other.as_str());
    let shown = server
        .admin("GET", &format!("/v1/licenses/{lid}/product"), None)
        .await?;
    assert_eq!(shown.body["data"]["id"], other.as_str());
    let listed = server
        .admin("GET", &format!("/v1/licenses?product={other}"), None)
        .await?;
    assert_eq!(listed.ids(), vec![lid]);
    Ok(())
}

#[tokio::test]
async fn license_machines_are_paged_with_links() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let app = server.product("App").await?;
    let pol = server
        .policy_for(&app, json!({"floating": true, "maxMachines": 5}))
        .await?;
    let lid = id(&server.license_for(&pol, json!({})).await?);
    let mut machines = Vec::new();
    for fingerprint in ["m1", "m2", "m3"] {
        let m = server.activate(&lid, fingerprint).await?;
        assert_eq!(m.status, 201, "{}", m.body);
        machines.push(id(&m.body["data"]));
        // Distinct creation times: the order is by creation time.
        server.clock.advance(time::Duration::seconds(1));
    }
    let path = format!("/v1/licenses/{lid}/machines");

    let newest = server.admin("GET", &path, None).await?;
    assert_eq!(newest.status, 200, "{}", newest.body);
    let mut expected = machines.clone();
    expected.reverse();
    assert_eq!(newest.ids(), expected, "newest first by default");

    let first = server
        .admin(
            "GET",
            &format!("{path}?order=asc&page[number]=1&page[size]=2"),
            None,
        )
        .await?;
    assert_eq!(first.ids(), machines[..2].to_vec());
    assert_eq!(first.body["links"]["meta"], json!({"pages": 2, "count": 3}));
    assert!(
        first.body["links"]["next"]
            .as_str()
            .unwrap()
            .contains("page%5Bnumber%5D=2")
    );
    let second = server
        .admin(
            "GET",
            &format!("{path}?order=asc&page[number]=2&page[size]=2"),
            None,
        )
        .await?;
    assert_eq!(second.ids(), machines[2..].to_vec());

    let limited = server
        .admin("GET", &format!("{path}?limit=1"), None)
        .await?;
    assert_eq!(limited.ids().len(), 1);
    let bad = server
        .admin("GET", &format!("{path}?page[size]=1000"), None)
        .await?;
    assert_eq!(bad.status, 400);
    Ok(())
}

#[tokio::test]
async fn check_out_resources_carry_algorithm_and_includes() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let app = server.product("App").await?;
    let pol = server
        .policy_for(&app, json!({"floating": true, "maxMachines": 5}))
        .await?;
    let lid = id(&server.license_for(&pol, json!({})).await?);

    let file = server
        .admin(
            "POST",
            &format!("/v1/licenses/{lid}/actions/check-out"),
            Some(
                json!({"meta": {"include": ["product", "policy"], "algorithm": "base64+ed25519"}}),
            ),
        )
        .await?;
    assert_eq!(file.status, 200, "{}", file.body);
    let attributes = &file.body["data"]["attributes"];
    assert_eq!(attributes["algorithm"], "base64+ed25519");
    assert_eq!(attributes["includes"], json!(["product", "policy"]));

    let plain = server
        .admin(
            "POST",
            &format!("/v1/licenses/{lid}/actions/check-out"),
            None,
        )
        .await?;
    assert_eq!(plain.status, 200, "{}", plain.body);
    assert_eq!(plain.body["data"]["attributes"]["includes"], json!([]));
    assert!(
        plain.body["data"]["attributes"]["algorithm"]
            .as_str()
            .unwrap()
            .starts_with("base64+")
    );

    let machine = server.activate(&lid, "fp-1").await?;
    let mid = id(&machine.body["data"]);
    let machine_file = server
        .admin(
            "POST",
            &format!("/v1/machines/{mid}/actions/check-out"),
            Some(json!({"meta": {"include": ["license", "license.product"], "encrypt": true}})),
        )
        .await?;
    assert_eq!(machine_file.status, 200, "{}", machine_file.body);
    let attributes = &machine_file.body["data"]["attributes"];
    assert_eq!(
        attributes["includes"],
        json!(["license", "license.product"])
    );
    assert!(
        attributes["algorithm"]
            .as_str()
            .unwrap()
            .starts_with("aes-256-gcm+")
    );
    Ok(())
}

/// Keygen's pre-1.6 single-user relationship: `PUT /licenses/{id}/user` changes the
/// owner exactly as `PUT /licenses/{id}/owner` does, and `GET …/user` shows it.
#[tokio::test]
async fn the_legacy_user_relationship_changes_the_owner() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let app = server.product("App").await?;
    let pol = server
        .policy_for(&app, json!({"floating": true, "maxMachines": 5}))
        .await?;
    let lic = id(&server.license_for(&pol, json!({})).await?);
    let user = server
        .create(
            "/v1/users",
            json!({"data": {"type": "users", "attributes": {"email": "legacy@example.test"}}}),
        )
        .await?;
    let uid = id(&user);
    let path = format!("/v1/licenses/{lic}/user");
    let put = server
        .admin(
            "PUT",
            &path,
            Some(json!({"data": {"type": "users", "id": uid}})),
        )
        .await?;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(
        put.body["data"]["relationships"]["owner"]["data"]["id"],
        uid
    );
    let shown = server.admin("GET", &path, None).await?;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert_eq!(shown.body["data"]["id"], uid);
    let owner = server
        .admin("GET", &format!("/v1/licenses/{lic}/owner"), None)
        .await?;
    assert_eq!(owner.body["data"]["id"], uid);
    let missing = server
        .admin(
            "PATCH",
            &path,
            Some(json!({"data": {"type": "users", "id": "00000000-0000-4000-8000-000000000000"}})),
        )
        .await?;
    assert_eq!(missing.status, 422, "{}", missing.body);
    Ok(())
}
