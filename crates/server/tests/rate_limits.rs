//! Rate limits over HTTP: Keygen's credential throttles (5 password logins a minute,
//! 5 reset requests an hour, 5 password changes in 10 minutes, per account + client
//! IP + email or user), the client IP behind trusted proxies, and the optional
//! general limits.

use latchkey_server::Config;
use latchkey_server::client_ip::parse_proxy;
use latchkey_testkit::{Reply, TestServer, basic};
use serde_json::json;
use std::num::NonZeroU32;

fn assert_throttled(reply: &Reply, window: &str, limit: u32) {
    assert_eq!(reply.status, 429, "{}", reply.body);
    assert_eq!(reply.error_code(), Some("TOO_MANY_REQUESTS"));
    assert_eq!(reply.body["errors"][0]["title"], "Too many requests");
    assert_eq!(reply.header("x-ratelimit-window"), window);
    assert_eq!(reply.header("x-ratelimit-limit"), limit.to_string());
    assert_eq!(reply.header("x-ratelimit-remaining"), "0");
    assert_eq!(reply.header("x-ratelimit-count"), limit.to_string());
    let retry: u64 = reply.header("retry-after").parse().unwrap_or(0);
    assert!(retry >= 1, "Retry-After: {retry}");
    let reset: u64 = reply.header("x-ratelimit-reset").parse().unwrap_or(0);
    // The server clock starts at 2026-01-01 12:00 UTC.
    assert_eq!(reset, 1_767_268_800 + retry);
}

#[tokio::test]
async fn wrong_passwords_are_throttled_per_ip_and_email() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    for attempt in 1..=5 {
        let wrong = server.login("admin@acme.test", "wrong").await?;
        assert_eq!(wrong.status, 401, "attempt {attempt}: {}", wrong.body);
    }
    let sixth = server.login("admin@acme.test", "wrong").await?;
    assert_throttled(&sixth, "auth", 5);
    // Keygen replenishes 5 a minute: one attempt every 12 s.
    assert_eq!(sixth.header("retry-after"), "12");

    // Even the right password is refused while throttled, whatever the email's case.
    let right = server.login("Admin@Acme.test", "correct horse").await?;
    assert_eq!(right.status, 429, "{}", right.body);

    // Another email from the same address is its own budget.
    let other = server.login("ghost@acme.test", "wrong").await?;
    assert_eq!(other.status, 401, "{}", other.body);

    // Token credentials on POST /tokens are not password attempts.
    let with_token = server
        .call("POST", "/v1/tokens", Some(&server.admin_token), None)
        .await?;
    assert_eq!(with_token.status, 201, "{}", with_token.body);

    // Once the window has passed, the right password works again.
    server.clock.advance(time::Duration::seconds(12));
    let after = server.login("admin@acme.test", "correct horse").await?;
    assert_eq!(after.status, 201, "{}", after.body);
    // And the budget is used again at once.
    let again = server.login("admin@acme.test", "wrong").await?;
    assert_eq!(again.status, 429);
    Ok(())
}

#[tokio::test]
async fn account_prefixed_routes_share_the_budget() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let auth = basic("admin@acme.test", "wrong");
    for _ in 0..5 {
        let path = "/v1/accounts/acme/tokens";
        let reply = server
            .raw("POST", path, &[("Authorization", &auth)], vec![])
            .await?;
        assert_eq!(reply.status, 401);
    }
    let sixth = server.login("admin@acme.test", "wrong").await?;
    assert_throttled(&sixth, "auth", 5);
    Ok(())
}

#[tokio::test]
async fn password_reset_requests_are_throttled_per_email() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let request = |email: &str| json!({"meta": {"email": email, "deliver": false}});
    for _ in 0..5 {
        let reply = server
            .call(
                "POST",
                "/v1/passwords",
                None,
                Some(request("ann@acme.test")),
            )
            .await?;
        assert_eq!(reply.status, 204, "{}", reply.body);
    }
    let sixth = server
        .call(
            "POST",
            "/v1/passwords",
            None,
            Some(request("ANN@acme.test")),
        )
        .await?;
    assert_throttled(&sixth, "rstpwd", 5);
    // 5 an hour: the next one in 12 minutes.
    assert_eq!(sixth.header("retry-after"), "720");
    let other = server
        .call(
            "POST",
            "/v1/passwords",
            None,
            Some(request("bob@acme.test")),
        )
        .await?;
    assert_eq!(other.status, 204, "{}", other.body);
    Ok(())
}

#[tokio::test]
async fn password_changes_are_throttled_per_user() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let user = server
        .create(
            "/v1/users",
            json!({"data": {"type": "users", "attributes": {"email": "ann@acme.test", "password": "secret-pass"}}}),
        )
        .await?;
    let id = user["id"].as_str().unwrap_or_default().to_owned();
    let body = json!({"meta": {"passwordResetToken": "guess", "newPassword": "reset-pass"}});
    for _ in 0..5 {
        let reply = server
            .call(
                "POST",
                &format!("/v1/users/{id}/actions/reset-password"),
                None,
                Some(body.clone()),
            )
            .await?;
        // A wrong reset token answers like an unknown user, as in Keygen.
        assert_eq!(reply.status, 404, "{}", reply.body);
    }
    let sixth = server
        .call(
            "POST",
            &format!("/v1/users/{id}/actions/update-password"),
            None,
            Some(body.clone()),
        )
        .await?;
    assert_throttled(&sixth, "mutpwd", 5);
    let other = server
        .call(
            "POST",
            "/v1/users/bob@acme.test/actions/reset-password",
            None,
            Some(body),
        )
        .await?;
    assert_ne!(other.status, 429, "{}", other.body);
    Ok(())
}

#[tokio::test]
async fn a_forged_forwarded_for_from_an_untrusted_peer_is_ignored() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    for n in 0..5 {
        let forged = format!("203.0.113.{n}");
        let reply = server
            .login_from(&forged, "admin@acme.test", "wrong")
            .await?;
        assert_eq!(reply.status, 401);
    }
    // A new forged address does not buy a new budget.
    let sixth = server
        .login_from("198.51.100.77", "admin@acme.test", "wrong")
        .await?;
    assert_throttled(&sixth, "auth", 5);
    Ok(())
}

#[tokio::test]
async fn a_trusted_proxy_forwarded_for_is_the_client() -> anyhow::Result<()> {
    let trusted = parse_proxy("127.0.0.1").map_err(anyhow::Error::msg)?;
    let server = TestServer::start_with(Config {
        trusted_proxies: vec![trusted],
        ..Config::default()
    })
    .await?;
    for _ in 0..5 {
        let reply = server
            .login_from("203.0.113.1", "admin@acme.test", "wrong")
            .await?;
        assert_eq!(reply.status, 401);
    }
    let sixth = server
        .login_from("203.0.113.1", "admin@acme.test", "wrong")
        .await?;
    assert_throttled(&sixth, "auth", 5);
    // The client cannot escape by prepending its own entry: the proxy's is right-most.
    let prepended = server
        .login_from("192.0.2.50, 203.0.113.1", "admin@acme.test", "wrong")
        .await?;
    assert_eq!(prepended.status, 429);
    // Another client behind the same proxy has its own budget.
    let other = server
        .login_from("203.0.113.2", "admin@acme.test", "correct horse")
        .await?;
    assert_eq!(other.status, 201, "{}", other.body);
    // Without the header the proxy itself is the client.
    let direct = server.login("admin@acme.test", "correct horse").await?;
    assert_eq!(direct.status, 201, "{}", direct.body);
    Ok(())
}

#[tokio::test]
async fn general_limits_are_off_by_default() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    for _ in 0..30 {
        let reply = server.admin("GET", "/v1/licenses", None).await?;
        assert_eq!(reply.status, 200);
        assert!(reply.headers.get("x-ratelimit-limit").is_none());
    }
    Ok(())
}

#[tokio::test]
async fn general_limits_apply_per_ip_and_credential() -> anyhow::Result<()> {
    let server = TestServer::start_with(Config {
        max_rpm: NonZeroU32::new(3),
        ..Config::default()
    })
    .await?;
    for remaining in [2, 1, 0] {
        let reply = server.admin("GET", "/v1/licenses", None).await?;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.header("x-ratelimit-window"), "1m");
        assert_eq!(reply.header("x-ratelimit-limit"), "3");
        assert_eq!(reply.header("x-ratelimit-remaining"), remaining.to_string());
    }
    let fourth = server.admin("GET", "/v1/licenses", None).await?;
    assert_throttled(&fourth, "1m", 3);
    // Another credential (here: none) from the same address is counted apart.
    let anonymous = server.call("GET", "/v1/licenses", None, None).await?;
    assert_eq!(anonymous.status, 401);
    server.clock.advance(time::Duration::seconds(20));
    let later = server.admin("GET", "/v1/licenses", None).await?;
    assert_eq!(later.status, 200, "{}", later.body);
    Ok(())
}
