//! Authentication and authorization over HTTP: token generation, token kinds,
//! role scoping, and isolation between accounts.

use latchkey_server::bootstrap::{NewAccount, create_account, issue_admin_token};
use latchkey_testkit::{TestServer, basic};
use serde_json::json;

#[tokio::test]
async fn tokens_from_email_and_password_and_their_failures() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let ok = server.login("admin@acme.test", "correct horse").await?;
    assert_eq!(ok.status, 201, "{}", ok.body);
    let raw = ok.body["data"]["attributes"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(raw.starts_with("admin-") && raw.ends_with("v3"));
    assert_eq!(ok.body["data"]["attributes"]["kind"], "admin-token");

    let listed = server.call("GET", "/v1/tokens", Some(&raw), None).await?;
    assert_eq!(listed.status, 200);
    assert!(
        listed.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["attributes"]["token"].is_null())
    );

    let wrong = server.login("admin@acme.test", "nope").await?;
    assert_eq!(
        (wrong.status, wrong.error_code()),
        (401, Some("CREDENTIALS_INVALID"))
    );
    let nobody = server.login("ghost@acme.test", "x").await?;
    assert_eq!(
        (nobody.status, nobody.error_code()),
        (401, Some("CREDENTIALS_INVALID"))
    );

    assert_eq!(
        server
            .call("GET", "/v1/products", None, None)
            .await?
            .error_code(),
        Some("TOKEN_MISSING")
    );
    assert_eq!(
        server
            .call("GET", "/v1/products", Some("admin-deadbeefv3"), None)
            .await?
            .error_code(),
        Some("TOKEN_INVALID")
    );
    let uuid = server
        .call(
            "GET",
            "/v1/products",
            Some("8c0b8b1e-8d3a-4c55-9d3a-2f3a1b2c3d4e"),
            None,
        )
        .await?;
    assert_eq!(uuid.error_code(), Some("TOKEN_FORMAT_INVALID"));

    // Revoked tokens stop working.
    let id = ok.body["data"]["id"].as_str().unwrap();
    assert_eq!(
        server
            .admin("DELETE", &format!("/v1/tokens/{id}"), None)
            .await?
            .status,
        204
    );
    assert_eq!(
        server
            .call("GET", "/v1/products", Some(&raw), None)
            .await?
            .error_code(),
        Some("TOKEN_INVALID")
    );
    Ok(())
}

#[tokio::test]
async fn product_tokens_see_only_their_product() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mine = server.license_with_policy(json!({})).await?;
    let other = server.license_with_policy(json!({})).await?;
    let product_id = mine["relationships"]["product"]["data"]["id"]
        .as_str()
        .unwrap();
    let token = server
        .admin("POST", &format!("/v1/products/{product_id}/tokens"), None)
        .await?;
    assert_eq!(token.status, 201);
    let raw = token.body["data"]["attributes"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(raw.starts_with("prod-"));

    let listed = server.call("GET", "/v1/licenses", Some(&raw), None).await?;
    let ids: Vec<&str> = listed.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![mine["id"].as_str().unwrap()]);
    let forbidden = server
        .call(
            "GET",
            &format!("/v1/licenses/{}", other["id"].as_str().unwrap()),
            Some(&raw),
            None,
        )
        .await?;
    assert_eq!(forbidden.status, 403);
    let no_products = server
        .call(
            "POST",
            "/v1/products",
            Some(&raw),
            Some(json!({"data": {"type": "products", "attributes": {"name": "x"}}})),
        )
        .await?;
    assert_eq!(no_products.status, 403);
    Ok(())
}

#[tokio::test]
async fn activation_tokens_are_counted() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let license = server
        .license_with_policy(json!({"floating": true, "maxMachines": 10}))
        .await?;
    let id = license["id"].as_str().unwrap();
    let token = server
        .admin("POST", &format!("/v1/licenses/{id}/tokens"), Some(json!({"data": {"type": "tokens", "attributes": {"maxActivations": 1, "maxDeactivations": 0}}})))
        .await?;
    assert_eq!(token.status, 201, "{}", token.body);
    let raw = token.body["data"]["attributes"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(raw.starts_with("activ-"));
    let body = |fp: &str| json!({"data": {"type": "machines", "attributes": {"fingerprint": fp}, "relationships": {"license": {"data": {"type": "licenses", "id": id}}}}});
    let first = server
        .call("POST", "/v1/machines", Some(&raw), Some(body("one")))
        .await?;
    assert_eq!(first.status, 201, "{}", first.body);
    let second = server
        .call("POST", "/v1/machines", Some(&raw), Some(body("two")))
        .await?;
    assert_eq!(second.error_code(), Some("ACTIVATIONS_LIMIT_EXCEEDED"));
    let machine = first.body["data"]["id"].as_str().unwrap();
    let delete = server
        .call(
            "DELETE",
            &format!("/v1/machines/{machine}"),
            Some(&raw),
            None,
        )
        .await?;
    assert_eq!(delete.error_code(), Some("DEACTIVATIONS_LIMIT_EXCEEDED"));
    Ok(())
}

#[tokio::test]
async fn license_key_auth_follows_the_authentication_strategy() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let token_only = server.license_with_policy(json!({})).await?;
    let key = token_only["attributes"]["key"].as_str().unwrap();
    let auth = format!("License {key}");
    let refused = server
        .raw(
            "GET",
            &format!("/v1/licenses/{}", token_only["id"].as_str().unwrap()),
            &[("Authorization", &auth)],
            vec![],
        )
        .await?;
    assert_eq!(
        (refused.status, refused.error_code()),
        (403, Some("LICENSE_NOT_ALLOWED"))
    );

    let licensed = server
        .license_with_policy(json!({"authenticationStrategy": "LICENSE"}))
        .await?;
    let key = licensed["attributes"]["key"].as_str().unwrap();
    let id = licensed["id"].as_str().unwrap();
    let auth = format!("License {key}");
    let own = server
        .raw(
            "GET",
            &format!("/v1/licenses/{id}"),
            &[("Authorization", &auth)],
            vec![],
        )
        .await?;
    assert_eq!(own.status, 200);
    let body = json!({"data": {"type": "machines", "attributes": {"fingerprint": "self-activated"}, "relationships": {"license": {"data": {"type": "licenses", "id": id}}}}});
    let activated = server
        .raw(
            "POST",
            "/v1/machines",
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            body.to_string().into_bytes(),
        )
        .await?;
    assert_eq!(activated.status, 201, "{}", activated.body);
    let others = server
        .raw(
            "GET",
            &format!("/v1/licenses/{}", token_only["id"].as_str().unwrap()),
            &[("Authorization", &auth)],
            vec![],
        )
        .await?;
    assert_eq!(others.status, 403);
    let basic = basic("license", key);
    assert_eq!(
        server
            .raw(
                "GET",
                &format!("/v1/licenses/{id}"),
                &[("Authorization", &basic)],
                vec![]
            )
            .await?
            .status,
        200
    );
    Ok(())
}

#[tokio::test]
async fn accounts_cannot_see_each_other() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let license = server.license_with_policy(json!({})).await?;
    let other = create_account(
        &server.db,
        &server.secret,
        1_767_268_800_000,
        NewAccount {
            slug: "globex".into(),
            name: None,
            email: "admin@globex.test".into(),
            password: "another horse".into(),
        },
    )
    .await?;
    let other_token =
        issue_admin_token(&server.db, &server.secret, 1_767_268_800_000, &other.admin).await?;
    let id = license["id"].as_str().unwrap();
    let key = license["attributes"]["key"].as_str().unwrap();

    let read = server
        .call(
            "GET",
            &format!("/v1/accounts/globex/licenses/{id}"),
            Some(&other_token),
            None,
        )
        .await?;
    assert_eq!(read.status, 404);
    let cross = server
        .call(
            "GET",
            &format!("/v1/accounts/acme/licenses/{id}"),
            Some(&other_token),
            None,
        )
        .await?;
    assert_eq!(
        cross.status, 401,
        "a token of one account is unknown to another"
    );
    let listed = server
        .call(
            "GET",
            "/v1/accounts/globex/licenses",
            Some(&other_token),
            None,
        )
        .await?;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 0);
    let validated = server
        .call(
            "POST",
            "/v1/accounts/globex/licenses/actions/validate-key",
            None,
            Some(json!({"meta": {"key": key}})),
        )
        .await?;
    assert_eq!(validated.body["meta"]["code"], "NOT_FOUND");
    let delete = server
        .call(
            "DELETE",
            &format!("/v1/accounts/globex/licenses/{id}"),
            Some(&other_token),
            None,
        )
        .await?;
    assert_eq!(delete.status, 404);
    assert_eq!(
        server
            .admin("GET", &format!("/v1/licenses/{id}"), None)
            .await?
            .status,
        200
    );
    Ok(())
}

/// Every email/password failure of `POST /tokens` answers the same status, code and
/// body (Keygen's CREDENTIALS_INVALID), and an unknown email costs as much as a wrong
/// password (one Argon2 verification either way), so neither reveals which emails exist.
#[tokio::test]
async fn credential_failures_do_not_reveal_which_emails_exist() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    server
        .create(
            "/v1/users",
            json!({"data": {"type": "users", "attributes": {"email": "managed@acme.test"}}}),
        )
        .await?;
    let attempt = |user: &'static str, pass: &'static str| {
        let server = &server;
        async move {
            let started = std::time::Instant::now();
            let reply = server.login(user, pass).await?;
            anyhow::Ok((reply, started.elapsed()))
        }
    };
    // Unknown email, wrong password, empty password, a user without a password.
    let (known, _) = attempt("admin@acme.test", "wrong horse").await?;
    assert_eq!(known.status, 401, "{}", known.body);
    assert_eq!(known.error_code(), Some("CREDENTIALS_INVALID"));
    let errors = &known.body["errors"];
    assert_eq!(errors[0]["title"], "Unauthorized");
    assert_eq!(errors[0]["detail"], "email and password must be valid");
    for (user, pass) in [
        ("ghost@acme.test", "wrong horse"),
        ("admin@acme.test", ""),
        ("managed@acme.test", "anything"),
        ("GHOST@ACME.TEST", ""),
    ] {
        let (reply, _) = attempt(user, pass).await?;
        assert_eq!(reply.status, 401, "{user}");
        assert_eq!(&reply.body["errors"], errors, "{user}:{pass}");
    }

    // Timing: the median unknown-email attempt costs at least a third of the median
    // wrong-password attempt (before the fix: ~1.7 ms against ~28 ms).
    let mut unknown = Vec::new();
    let mut wrong = Vec::new();
    for _ in 0..7 {
        unknown.push(attempt("ghost@acme.test", "wrong horse").await?.1);
        wrong.push(attempt("admin@acme.test", "wrong horse").await?.1);
    }
    unknown.sort();
    wrong.sort();
    let (unknown, wrong) = (unknown[3], wrong[3]);
    assert!(
        unknown * 3 >= wrong,
        "unknown email {unknown:?} vs wrong password {wrong:?}"
    );
    Ok(())
}
