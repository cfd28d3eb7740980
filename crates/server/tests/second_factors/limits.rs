//! Second factors under hostile input (every bad value a JSON:API error, never a
//! 500) and the `mutmfa` rate limit.

use super::{code, cool_down, enable, enable_body, enroll, factors, login};
use latchkey_testkit::{PASSWORD, TestServer, basic};
use serde_json::json;
use time::Duration;

#[tokio::test]
async fn hostile_values_get_json_api_errors() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let email = "fay@example.com";
    let (user, token) = server.user_with_token(email, "user").await?;
    let (factor, secret) = enroll(&server, &token, &user).await?;
    enable(&server, &token, &user, &factor, &secret).await?;
    let own = format!("{}/{factor}", factors(&user));
    let long = "9".repeat(100_000);
    let cases = [
        (
            "POST",
            factors(&user),
            json!({"meta": {"password": "pass\u{0}word"}}),
        ),
        ("POST", factors(&user), json!({"meta": {"otp": long}})),
        ("POST", factors(&user), json!({"meta": {"otp": 123456}})),
        ("POST", factors(&user), json!({"meta": "password"})),
        ("PATCH", own.clone(), enable_body(true, Some("12\u{0}456"))),
        ("PATCH", own.clone(), enable_body(true, Some(&long))),
        (
            "PATCH",
            own.clone(),
            json!({"data": {"type": "second-factors", "attributes": {"enabled": "yes"}}, "meta": {"otp": "1"}}),
        ),
        (
            "PATCH",
            own.clone(),
            json!({"data": {"type": "licenses", "attributes": {"enabled": true}}, "meta": {"otp": "1"}}),
        ),
        ("DELETE", own.clone(), json!({"meta": {"otp": ["123456"]}})),
    ];
    for (method, path, body) in cases {
        cool_down(&server);
        let reply = server
            .call(method, &path, Some(&token), Some(body.clone()))
            .await?;
        assert!(
            matches!(reply.status, 400 | 401 | 409 | 422),
            "{method} {body}: {} {}",
            reply.status,
            reply.body
        );
        assert!(
            reply.error_code().is_some(),
            "{method} {body}: {}",
            reply.body
        );
    }
    let nul = server
        .call(
            "PATCH",
            &own,
            Some(&token),
            Some(enable_body(true, Some("\u{0}"))),
        )
        .await?;
    assert_eq!(nul.error_code(), Some("ENCODING_INVALID"), "{}", nul.body);

    for (password, otp) in [
        (
            PASSWORD.to_owned(),
            format!("{}\u{0}", code(&server, &secret)?),
        ),
        (PASSWORD.to_owned(), long.clone()),
        ("x".repeat(4_000), code(&server, &secret)?),
    ] {
        cool_down(&server);
        let reply = login(&server, email, &password, Some(&otp)).await?;
        assert!(
            matches!(reply.status, 400 | 401),
            "{} {}",
            reply.status,
            reply.body
        );
        assert!(reply.error_code().is_some(), "{}", reply.body);
    }
    cool_down(&server);
    let authorization = basic(email, PASSWORD);
    let headers = [
        ("Authorization", authorization.as_str()),
        ("Content-Type", "application/json"),
    ];
    for body in [r#"{"meta": {"otp": 5}}"#, r#"{"meta": []}"#] {
        let reply = server
            .raw("POST", "/v1/tokens", &headers, body.into())
            .await?;
        assert_eq!(reply.status, 400, "{body}: {}", reply.body);
        assert_eq!(reply.error_code(), Some("PARAMETERS_INVALID"));
    }
    Ok(())
}

#[tokio::test]
async fn second_factor_mutations_are_rate_limited_per_user() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (user, token) = server.user_with_token("gus@example.com", "user").await?;
    let wrong = json!({"meta": {"password": "wrong-password"}});
    for _ in 0..5 {
        let reply = server
            .call("POST", &factors(&user), Some(&token), Some(wrong.clone()))
            .await?;
        assert_eq!(
            reply.error_code(),
            Some("PASSWORD_INVALID"),
            "{}",
            reply.body
        );
    }
    let right = json!({"meta": {"password": PASSWORD}});
    let throttled = server
        .call("POST", &factors(&user), Some(&token), Some(right.clone()))
        .await?;
    assert_eq!(throttled.status, 429, "{}", throttled.body);
    assert_eq!(throttled.error_code(), Some("TOO_MANY_REQUESTS"));
    assert_eq!(throttled.header("x-ratelimit-window"), "mutmfa");
    assert!(!throttled.header("retry-after").is_empty());
    let bogus = format!("{}/00000000-0000-0000-0000-000000000000", factors(&user));
    let deleted = server.call("DELETE", &bogus, Some(&token), None).await?;
    assert_eq!(deleted.status, 429);
    // Reads are not limited, nor another user's mutations.
    assert_eq!(
        server
            .call("GET", &factors(&user), Some(&token), None)
            .await?
            .status,
        200
    );
    let (other, other_token) = server.user_with_token("hal@example.com", "user").await?;
    enroll(&server, &other_token, &other).await?;
    // The budget refills: one attempt every two minutes.
    server.clock.advance(Duration::minutes(2));
    let created = server
        .call("POST", &factors(&user), Some(&token), Some(right))
        .await?;
    assert_eq!(created.status, 201, "{}", created.body);
    Ok(())
}
