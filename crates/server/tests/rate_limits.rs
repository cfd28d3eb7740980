//! Rate limits over HTTP: Keygen's credential throttles (5 password logins a minute,
//! 5 reset requests an hour, 5 password changes in 10 minutes, per account + client
//! IP + email or user), the client IP behind trusted proxies, and the optional
//! general limits.

use base64::Engine;
use latchkey_server::Config;
use latchkey_server::client_ip::parse_proxy;
use latchkey_testkit::{Reply, TestServer};
use serde_json::json;
use std::num::NonZeroU32;

fn basic(email: &str, password: &str) -> String {
    let pair = format!("{email}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

async fn login(
    server: &TestServer,
    email: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> anyhow::Result<Reply> {
    let auth = basic(email, password);
    let mut headers = vec![("Authorization", auth.as_str())];
    if let Some(forwarded) = forwarded_for {
        headers.push(("X-Forwarded-For", forwarded));
    }
    server.raw("POST", "/v1/tokens", &headers, vec![]).await
}

fn header<'a>(reply: &'a Reply, name: &str) -> &'a str {
    reply
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn assert_throttled(reply: &Reply, window: &str, limit: u32) {
    assert_eq!(reply.status, 429, "{}", reply.body);
    assert_eq!(reply.error_code(), Some("TOO_MANY_REQUESTS"));
    assert_eq!(reply.body["errors"][0]["title"], "Too many requests");
    assert_eq!(header(reply, "x-ratelimit-window"), window);
    assert_eq!(header(reply, "x-ratelimit-limit"), limit.to_string());
    assert_eq!(header(reply, "x-ratelimit-remaining"), "0");
    assert_eq!(header(reply, "x-ratelimit-count"), limit.to_string());
    let retry: u64 = header(reply, "retry-after").parse().unwrap_or(0);
    assert!(retry >= 1, "Retry-After: {retry}");
    let reset: u64 = header(reply, "x-ratelimit-reset").parse().unwrap_or(0);
    // The server clock starts at 2026-01-01 12:00 UTC.
    assert_eq!(reset, 1_767_268_800 + retry);
}

#[tokio::test]
async fn wrong_passwords_are_throttled_per_ip_and_email() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    for attempt in 1..=5 {
        let wrong = login(&server, "admin@acme.test", "wrong", None).await?;
        assert_eq!(wrong.status, 401, "attempt {attempt}: {}", wrong.body);
    }
    let sixth = login(&server, "admin@acme.test", "wrong", None).await?;
    assert_throttled(&sixth, "auth", 5);
    // Keygen replenishes 5 a minute: one attempt every 12 s.
    assert_eq!(header(&sixth, "retry-after"), "12");

    // Even the right password is refused while throttled, whatever the email's case.
    let right = login(&server, "Admin@Acme.test", "correct horse", None).await?;
    assert_eq!(right.status, 429, "{}", right.body);

    // Another email from the same address is its own budget.
    let other = login(&server, "ghost@acme.test", "wrong", None).await?;
    assert_eq!(other.status, 401, "{}", other.body);

    // Token credentials on POST /tokens are not password attempts.
    let with_token = server
        .call("POST", "/v1/tokens", Some(&server.admin_token), None)
        .await?;
    assert_eq!(with_token.status, 201, "{}", with_token.body);

    // Once the window has passed, the right password works again.
    server.clock.advance(time::Duration::seconds(12));
    let after = login(&server, "admin@acme.test", "correct horse", None).await?;
    assert_eq!(after.status, 201, "{}", after.body);
    // And the budget is used again at once.
    let again = login(&server, "admin@acme.test", "wrong", None).await?;
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
    let sixth = login(&server, "admin@acme.test", "wrong", None).await?;
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
    assert_eq!(header(&sixth, "retry-after"), "720");
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
        let reply = login(&server, "admin@acme.test", "wrong", Some(&forged)).await?;
        assert_eq!(reply.status, 401);
    }
    // A new forged address does not buy a new budget.
    let sixth = login(&server, "admin@acme.test", "wrong", Some("198.51.100.77")).await?;
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
        let reply = login(&server, "admin@acme.test", "wrong", Some("203.0.113.1")).await?;
        assert_eq!(reply.status, 401);
    }
    let sixth = login(&server, "admin@acme.test", "wrong", Some("203.0.113.1")).await?;
    assert_throttled(&sixth, "auth", 5);
    // The client cannot escape by prepending its own entry: the proxy's is right-most.
    let prepended = login(
        &server,
        "admin@acme.test",
        "wrong",
        Some("192.0.2.50, 203.0.113.1"),
    )
    .await?;
    assert_eq!(prepended.status, 429);
    // Another client behind the same proxy has its own budget.
    let other = login(
        &server,
        "admin@acme.test",
        "correct horse",
        Some("203.0.113.2"),
    )
    .await?;
    assert_eq!(other.status, 201, "{}", other.body);
    // Without the header the proxy itself is the client.
    let direct = login(&server, "admin@acme.test", "correct horse", None).await?;
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
        assert_eq!(header(&reply, "x-ratelimit-window"), "1m");
        assert_eq!(header(&reply, "x-ratelimit-limit"), "3");
        assert_eq!(
            header(&reply, "x-ratelimit-remaining"),
            remaining.to_string()
        );
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
