//! The machines/users family after the reshape: `/me` includes the token used,
//! machine lists load each page's licenses at once, and a license-key bearer acts on
//! its own license with what authentication loaded.

use latchkey_testkit::{TestServer, id, machine_body};
use serde_json::json;

#[tokio::test]
async fn me_includes_the_token_and_profile_does_not() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let me = server.admin("GET", "/v1/me", None).await?;
    assert_eq!(me.status, 200, "{}", me.body);
    let token_id = me.body["meta"]["tokenId"].as_str().unwrap_or_default();
    assert_eq!(me.body["included"][0]["type"], "tokens");
    assert_eq!(me.body["included"][0]["id"], token_id);
    assert!(me.body["included"][0]["attributes"]["token"].is_null());
    let profile = server.admin("GET", "/v1/profile", None).await?;
    assert_eq!(profile.status, 200);
    assert!(profile.body.get("included").is_none());
    assert_eq!(profile.body["data"], me.body["data"]);
    Ok(())
}

#[tokio::test]
async fn machine_pages_carry_each_machines_own_license() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let floating = json!({"floating": true, "maxMachines": 5});
    let first = server.license_with_policy(floating.clone()).await?;
    let second = server.license_with_policy(floating).await?;
    for (license, fingerprints) in [(&first, ["a1", "a2"]), (&second, ["b1", "b2"])] {
        for fingerprint in fingerprints {
            let reply = server
                .activate(license["id"].as_str().unwrap_or_default(), fingerprint)
                .await?;
            assert_eq!(reply.status, 201, "{}", reply.body);
        }
    }
    let list = server
        .admin("GET", "/v1/machines?page[size]=3&page[number]=1", None)
        .await?;
    assert_eq!(list.status, 200, "{}", list.body);
    let data = list.body["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(data.len(), 3);
    for machine in &data {
        let fingerprint = machine["attributes"]["fingerprint"]
            .as_str()
            .unwrap_or_default();
        let license = if fingerprint.starts_with('a') {
            &first
        } else {
            &second
        };
        assert_eq!(
            machine["relationships"]["license"]["data"]["id"],
            license["id"]
        );
    }
    let filtered = server
        .admin(
            "GET",
            &format!(
                "/v1/machines?license={}",
                second["attributes"]["key"].as_str().unwrap_or_default()
            ),
            None,
        )
        .await?;
    assert_eq!(filtered.body["data"].as_array().map(Vec::len), Some(2));
    Ok(())
}

#[tokio::test]
async fn a_license_key_activates_and_lists_on_its_own_license() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let license = server
        .license_with_policy(json!({"authenticationStrategy": "LICENSE"}))
        .await?;
    let other = server.license_with_policy(json!({})).await?;
    let key = license["attributes"]["key"].as_str().unwrap_or_default();
    let auth = format!("License {key}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/vnd.api+json"),
    ];
    let activation = |license_id: &str, fingerprint: &str| {
        serde_json::to_vec(&machine_body(license_id, fingerprint, json!({}), json!({})))
    };
    let own = server
        .raw(
            "POST",
            "/v1/machines",
            &headers,
            activation(&id(&license), "own")?,
        )
        .await?;
    assert_eq!(own.status, 201, "{}", own.body);
    let foreign = server
        .raw(
            "POST",
            "/v1/machines",
            &headers,
            activation(&id(&other), "x")?,
        )
        .await?;
    assert_eq!(foreign.status, 403, "{}", foreign.body);
    let list = server.raw("GET", "/v1/machines", &headers, vec![]).await?;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.body["data"].as_array().map(Vec::len), Some(1));
    let machine_id = own.body["data"]["id"].as_str().unwrap_or_default();
    let shown = server
        .raw(
            "GET",
            &format!("/v1/machines/{machine_id}"),
            &headers,
            vec![],
        )
        .await?;
    assert_eq!(shown.status, 200, "{}", shown.body);
    Ok(())
}
