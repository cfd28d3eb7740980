//! User lifecycle over HTTP: ban/unban (validation and authentication effects),
//! password update, password reset with a 24-hour token, `/me` and `/profile`.

use latchkey_testkit::{PASSWORD, TestServer};
use serde_json::json;

#[tokio::test]
async fn banned_users_cannot_authenticate_and_their_licenses_are_banned() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (user_id, token) = server.user_with_token("ann@example.com", "user").await?;
    let license = server.license_with_policy(json!({})).await?;
    let key = license["attributes"]["key"].as_str().unwrap();
    // A second license of the same policy, owned by the user.
    let policy = license["relationships"]["policy"]["data"]["id"].clone();
    let license = server
        .create(
            "/v1/licenses",
            json!({"data": {"type": "licenses", "relationships": {
                "policy": {"data": {"type": "policies", "id": policy}},
                "owner": {"data": {"type": "users", "id": user_id}}}}}),
        )
        .await?;
    let owned_key = license["attributes"]["key"].as_str().unwrap();
    assert_eq!(
        server.validate_key(owned_key, json!({})).await?["meta"]["code"],
        "VALID"
    );

    // An end user cannot ban.
    let (_, other_token) = server.user_with_token("bob@example.com", "user").await?;
    let denied = server
        .call(
            "POST",
            &format!("/v1/users/{user_id}/actions/ban"),
            Some(&other_token),
            None,
        )
        .await?;
    assert!(matches!(denied.status, 403 | 404), "{}", denied.body);

    let banned = server
        .admin("POST", &format!("/v1/users/{user_id}/actions/ban"), None)
        .await?;
    assert_eq!(banned.status, 200, "{}", banned.body);
    assert_eq!(banned.body["data"]["attributes"]["status"], "BANNED");
    assert_eq!(
        server.validate_key(owned_key, json!({})).await?["meta"]["code"],
        "BANNED"
    );
    assert_eq!(
        server.validate_key(key, json!({})).await?["meta"]["code"],
        "VALID"
    );
    let me = server.call("GET", "/v1/me", Some(&token), None).await?;
    assert_eq!(me.status, 403);
    assert_eq!(me.error_code(), Some("USER_BANNED"));
    let again = server.login("ann@example.com", PASSWORD).await?;
    assert_eq!(again.status, 403);
    assert_eq!(again.error_code(), Some("USER_BANNED"));

    let unbanned = server
        .admin("POST", &format!("/v1/users/{user_id}/actions/unban"), None)
        .await?;
    assert_eq!(unbanned.status, 200);
    assert_ne!(unbanned.body["data"]["attributes"]["status"], "BANNED");
    assert_eq!(
        server.validate_key(owned_key, json!({})).await?["meta"]["code"],
        "VALID"
    );
    assert_eq!(
        server
            .call("GET", "/v1/me", Some(&token), None)
            .await?
            .status,
        200
    );

    // Staff cannot be banned.
    let admins = server.admin("GET", "/v1/users?roles[]=admin", None).await?;
    let admin_id = admins.body["data"][0]["id"].as_str().unwrap().to_owned();
    let staff = server
        .admin("POST", &format!("/v1/users/{admin_id}/actions/ban"), None)
        .await?;
    assert_eq!(staff.status, 403);
    Ok(())
}

#[tokio::test]
async fn update_password_needs_the_old_one() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (user_id, token) = server.user_with_token("ann@example.com", "user").await?;
    let path = format!("/v1/users/{user_id}/actions/update-password");
    let body = |old: &str, new: &str| json!({"meta": {"oldPassword": old, "newPassword": new}});
    let wrong = server
        .call(
            "POST",
            &path,
            Some(&token),
            Some(body("nope!!", "new-secret")),
        )
        .await?;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.error_code(), Some("PASSWORD_INVALID"));
    let short = server
        .call("POST", &path, Some(&token), Some(body(PASSWORD, "abc")))
        .await?;
    assert_eq!(short.status, 422);
    assert_eq!(short.error_code(), Some("PASSWORD_TOO_SHORT"));
    let by_admin = server
        .admin("POST", &path, Some(body(PASSWORD, "new-secret")))
        .await?;
    assert_eq!(by_admin.status, 403);
    let ok = server
        .call(
            "POST",
            &path,
            Some(&token),
            Some(body(PASSWORD, "new-secret")),
        )
        .await?;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(server.login("ann@example.com", PASSWORD).await?.status, 401);
    assert_eq!(
        server.login("ann@example.com", "new-secret").await?.status,
        201
    );
    Ok(())
}

#[tokio::test]
async fn password_reset_tokens_expire_after_a_day() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (user_id, _) = server.user_with_token("ann@example.com", "user").await?;
    let request = json!({"meta": {"email": "ann@example.com", "deliver": false}});

    // Anonymous callers learn nothing, whether or not the email exists.
    let anonymous = server
        .call("POST", "/v1/passwords", None, Some(request.clone()))
        .await?;
    assert_eq!(anonymous.status, 204);
    let unknown = server
        .call(
            "POST",
            "/v1/passwords",
            None,
            Some(json!({"meta": {"email": "nobody@example.com"}})),
        )
        .await?;
    assert_eq!(unknown.status, 204);

    let issued = server
        .admin("POST", "/v1/passwords", Some(request.clone()))
        .await?;
    assert_eq!(issued.status, 200, "{}", issued.body);
    let token = issued.body["meta"]["passwordResetToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/users/{user_id}/actions/reset-password");
    let reset =
        |token: &str| json!({"meta": {"passwordResetToken": token, "newPassword": "reset-pass"}});
    // A wrong token answers exactly like an unknown user (Keygen: 404), so the route
    // does not reveal which emails exist.
    let bad = server
        .call("POST", &path, None, Some(reset("not-the-token")))
        .await?;
    assert_eq!(bad.status, 404);
    let unknown_path = "/v1/users/nobody@example.com/actions/reset-password";
    let unknown = server
        .call("POST", unknown_path, None, Some(reset("not-the-token")))
        .await?;
    assert_eq!(unknown.status, 404);
    let by_email = server
        .call(
            "POST",
            "/v1/users/ann@example.com/actions/reset-password",
            None,
            Some(reset("not-the-token")),
        )
        .await?;
    assert_eq!(by_email.status, 404);
    assert_eq!(
        by_email.body["errors"][0]["code"],
        unknown.body["errors"][0]["code"]
    );
    assert_eq!(
        by_email.body["errors"][0]["title"],
        unknown.body["errors"][0]["title"]
    );
    let ok = server
        .call("POST", &path, None, Some(reset(&token)))
        .await?;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(
        server.login("ann@example.com", "reset-pass").await?.status,
        201
    );
    // Single use.
    let reused = server
        .call("POST", &path, None, Some(reset(&token)))
        .await?;
    assert_eq!(reused.status, 404);

    let issued = server.admin("POST", "/v1/passwords", Some(request)).await?;
    let token = issued.body["meta"]["passwordResetToken"]
        .as_str()
        .unwrap()
        .to_owned();
    server
        .clock
        .advance(time::Duration::hours(24) + time::Duration::seconds(1));
    let expired = server
        .call("POST", &path, None, Some(reset(&token)))
        .await?;
    assert_eq!(expired.status, 401);
    assert_eq!(expired.error_code(), Some("PASSWORD_RESET_TOKEN_EXPIRED"));
    Ok(())
}

#[tokio::test]
async fn me_and_profile_render_the_bearer() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (user_id, token) = server.user_with_token("ann@example.com", "user").await?;
    for path in ["/v1/me", "/v1/profile"] {
        let me = server.call("GET", path, Some(&token), None).await?;
        assert_eq!(me.status, 200, "{}", me.body);
        assert_eq!(me.body["data"]["type"], "users");
        assert_eq!(me.body["data"]["id"], user_id.as_str());
        assert!(me.body["meta"]["tokenId"].is_string());
    }
    let admin = server.admin("GET", "/v1/me", None).await?;
    assert_eq!(admin.body["data"]["attributes"]["role"], "admin");
    assert_eq!(server.call("GET", "/v1/me", None, None).await?.status, 401);
    Ok(())
}
