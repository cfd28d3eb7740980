//! Role scoping over HTTP: end users see only their licenses, staff roles get what
//! Keygen's rules give them, user tokens expire after two weeks.

use base64::Engine;
use latchkey_testkit::{Fixtures, TestServer, id, machine_body, to_one};
use serde_json::json;

#[tokio::test]
async fn end_users_see_only_their_own_licenses_and_tokens_expire() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (user_id, token) = server.user_with_token("buyer@example.test", "user").await?;
    assert!(token.starts_with("user-"));
    let theirs = server.license_with_policy(json!({})).await?;
    let policy = id(&theirs["relationships"]["policy"]["data"]);
    let owned = server
        .license_for(&policy, json!({"owner": to_one("users", &user_id)}))
        .await?;
    assert_eq!(
        owned["relationships"]["owner"]["data"]["id"],
        user_id.as_str()
    );

    let listed = server
        .call("GET", "/v1/licenses", Some(&token), None)
        .await?;
    let ids: Vec<&str> = listed.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![owned["id"].as_str().unwrap()]);
    let other = server
        .call(
            "GET",
            &format!("/v1/licenses/{}", theirs["id"].as_str().unwrap()),
            Some(&token),
            None,
        )
        .await?;
    assert_eq!(other.status, 403);
    let products = server
        .call(
            "POST",
            "/v1/products",
            Some(&token),
            Some(json!({"data": {"type": "products", "attributes": {"name": "x"}}})),
        )
        .await?;
    assert_eq!(products.status, 403);

    // The user activates a machine on their own (unprotected) license.
    let machine = json!({"data": {"type": "machines", "attributes": {"fingerprint": "laptop"},
        "relationships": {"license": {"data": {"type": "licenses", "id": owned["id"]}}}}});
    assert_eq!(
        server
            .call("POST", "/v1/machines", Some(&token), Some(machine))
            .await?
            .status,
        201
    );

    // User tokens expire two weeks after issue.
    server.clock.advance(time::Duration::days(15));
    let expired = server
        .call("GET", "/v1/licenses", Some(&token), None)
        .await?;
    assert_eq!(
        (expired.status, expired.error_code()),
        (401, Some("TOKEN_EXPIRED"))
    );
    Ok(())
}

#[tokio::test]
async fn staff_roles_follow_keygen_rules() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let license = server
        .license_with_policy(json!({"floating": true, "maxMachines": 5}))
        .await?;
    let id = license["id"].as_str().unwrap();
    let (_, read_only) = server
        .user_with_token("auditor@acme.test", "read-only")
        .await?;
    let (_, support) = server
        .user_with_token("support@acme.test", "support-agent")
        .await?;
    let (_, sales) = server
        .user_with_token("sales@acme.test", "sales-agent")
        .await?;
    let product = json!({"data": {"type": "products", "attributes": {"name": "x"}}});
    let rename = json!({"data": {"type": "licenses", "attributes": {"name": "renamed"}}});
    let machine = |fp: &str| machine_body(id, fp, json!({}), json!({}));

    // read-only: reads and validates, writes nothing
    assert_eq!(
        server
            .call("GET", &format!("/v1/licenses/{id}"), Some(&read_only), None)
            .await?
            .status,
        200
    );
    assert_eq!(
        server
            .call(
                "GET",
                &format!("/v1/licenses/{id}/actions/validate"),
                Some(&read_only),
                None
            )
            .await?
            .status,
        200
    );
    assert_eq!(
        server
            .call(
                "PATCH",
                &format!("/v1/licenses/{id}"),
                Some(&read_only),
                Some(rename.clone())
            )
            .await?
            .status,
        403
    );
    assert_eq!(
        server
            .call(
                "POST",
                "/v1/machines",
                Some(&read_only),
                Some(machine("ro"))
            )
            .await?
            .status,
        403
    );
    // support: updates licenses, cannot activate or create products
    assert_eq!(
        server
            .call(
                "PATCH",
                &format!("/v1/licenses/{id}"),
                Some(&support),
                Some(rename.clone())
            )
            .await?
            .status,
        200
    );
    assert_eq!(
        server
            .call("POST", "/v1/machines", Some(&support), Some(machine("sp")))
            .await?
            .status,
        403
    );
    assert_eq!(
        server
            .call(
                "POST",
                "/v1/products",
                Some(&support),
                Some(product.clone())
            )
            .await?
            .status,
        403
    );
    // sales: activates, cannot create products
    assert_eq!(
        server
            .call("POST", "/v1/machines", Some(&sales), Some(machine("sa")))
            .await?
            .status,
        201
    );
    assert_eq!(
        server
            .call("POST", "/v1/products", Some(&sales), Some(product))
            .await?
            .status,
        403
    );
    Ok(())
}

#[tokio::test]
async fn account_resource_exposes_public_keys() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let reply = server.admin("GET", "/v1/accounts/acme", None).await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["data"]["attributes"]["slug"], "acme");
    let b64 = |v: &serde_json::Value| {
        base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap())
            .unwrap()
    };
    let ed25519 = String::from_utf8(b64(&reply.body["meta"]["keys"]["ed25519"]))?;
    assert_eq!(ed25519.len(), 64);
    let rsa = String::from_utf8(b64(&reply.body["meta"]["publicKey"]))?;
    assert!(rsa.contains("BEGIN PUBLIC KEY"));
    assert!(reply.body["data"]["relationships"].is_object());
    Ok(())
}
