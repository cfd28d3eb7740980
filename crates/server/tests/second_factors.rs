//! Second factors (TOTP) over HTTP, as Keygen's `second_factors` routes and the OTP
//! step of `POST /tokens`: enrolment with the password, the secret shown only while
//! disabled, enabling/disabling/deleting with a current code, logins that need the
//! code (each code accepted once), who reaches whose factor, hostile input and the
//! rate limit. Codes are computed at the server's (manual) clock.

use latchkey_core::clock::Clock;
use latchkey_core::second_factor::Totp;
use latchkey_server::bootstrap::{NewAccount, create_account, issue_admin_token};
use latchkey_store::second_factors;
use latchkey_testkit::cast::{Cast, Who};
use latchkey_testkit::{PASSWORD, Reply, TestServer, basic};
use serde_json::{Value, json};
use time::Duration;

fn now_ms(server: &TestServer) -> i64 {
    (server.clock.now().unix_timestamp_nanos() / 1_000_000) as i64
}

/// The code of `secret` at the server's time.
fn code(server: &TestServer, secret: &str) -> anyhow::Result<String> {
    Ok(Totp::from_base32(secret, "")?.code_at(now_ms(server)))
}

/// A well-formed code that is not `code`.
fn other_than(code: &str) -> anyhow::Result<String> {
    Ok(format!("{:06}", (code.parse::<u32>()? + 1) % 1_000_000))
}

/// The next 30-second step: a fresh code.
fn next_step(server: &TestServer) {
    server.clock.advance(Duration::seconds(30));
}

/// Ten minutes later: the second-factor and login budgets are whole again.
fn cool_down(server: &TestServer) {
    server.clock.advance(Duration::minutes(10));
}

fn factors(user: &str) -> String {
    format!("/v1/users/{user}/second-factors")
}

fn enable_body(enabled: bool, otp: Option<&str>) -> Value {
    let mut body = json!({"data": {"type": "second-factors", "attributes": {"enabled": enabled}}});
    if let Some(otp) = otp {
        body["meta"] = json!({ "otp": otp });
    }
    body
}

/// `POST /v1/tokens` with Basic `email:password` and, when given, `meta.otp`.
async fn login(
    server: &TestServer,
    email: &str,
    password: &str,
    otp: Option<&str>,
) -> anyhow::Result<Reply> {
    let authorization = basic(email, password);
    let headers = [
        ("Authorization", authorization.as_str()),
        ("Content-Type", "application/vnd.api+json"),
    ];
    let body = otp
        .map(|otp| json!({"meta": {"otp": otp}}).to_string().into_bytes())
        .unwrap_or_default();
    server.raw("POST", "/v1/tokens", &headers, body).await
}

/// Enrols a factor for `user` as the bearer `token`: (factor id, base32 secret).
async fn enroll(server: &TestServer, token: &str, user: &str) -> anyhow::Result<(String, String)> {
    let reply = server
        .call(
            "POST",
            &factors(user),
            Some(token),
            Some(json!({"meta": {"password": PASSWORD}})),
        )
        .await?;
    anyhow::ensure!(reply.status == 201, "enrol: {}", reply.body);
    let data = &reply.body["data"];
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    Ok((text(&data["id"]), text(&data["attributes"]["secret"])))
}

/// Enables `factor` with a fresh code.
async fn enable(
    server: &TestServer,
    token: &str,
    user: &str,
    factor: &str,
    secret: &str,
) -> anyhow::Result<()> {
    next_step(server);
    let path = format!("{}/{factor}", factors(user));
    let body = enable_body(true, Some(&code(server, secret)?));
    let reply = server.call("PATCH", &path, Some(token), Some(body)).await?;
    anyhow::ensure!(reply.status == 200, "enable: {}", reply.body);
    Ok(())
}

#[tokio::test]
async fn enrolment_shows_the_secret_until_a_code_enables_it() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (user, token) = server.user_with_token("ann@example.com", "user").await?;
    let path = factors(&user);
    let create = |body: Value| server.call("POST", &path, Some(&token), Some(body));

    let no_meta = create(json!({})).await?;
    assert_eq!(no_meta.status, 400, "{}", no_meta.body);
    assert_eq!(no_meta.body["errors"][0]["source"]["pointer"], "/meta");
    for meta in [json!({}), json!({"password": "wrong-password"})] {
        let refused = create(json!({ "meta": meta })).await?;
        assert_eq!(refused.status, 401, "{}", refused.body);
        assert_eq!(refused.error_code(), Some("PASSWORD_INVALID"));
        assert_eq!(
            refused.body["errors"][0]["source"]["pointer"],
            "/meta/password"
        );
    }
    let created =
        create(json!({"data": {"type": "secondFactors"}, "meta": {"password": PASSWORD}})).await?;
    assert_eq!(created.status, 201, "{}", created.body);
    let data = &created.body["data"];
    let factor = data["id"].as_str().unwrap().to_owned();
    let secret = data["attributes"]["secret"].as_str().unwrap().to_owned();
    assert_eq!(data["type"], "second-factors");
    assert_eq!(data["attributes"]["enabled"], false);
    assert_eq!(secret.len(), 32, "160 bits in base32");
    let uri = data["attributes"]["uri"].as_str().unwrap();
    assert_eq!(
        uri,
        format!("otpauth://totp/Latchkey:ann%40example.com?secret={secret}&issuer=Latchkey")
    );
    assert_eq!(data["relationships"]["user"]["data"]["id"], user.as_str());
    let own = format!("{path}/{factor}");
    let tail = format!("/users/{user}/second-factors/{factor}");
    assert!(data["links"]["self"].as_str().unwrap().ends_with(&tail));
    assert!(created.header("location").ends_with(&tail));

    // While disabled, reads show the secret too (the account-prefixed path works).
    let shown = server
        .call(
            "GET",
            &format!("/v1/accounts/acme{tail}"),
            Some(&token),
            None,
        )
        .await?;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert_eq!(shown.body["data"]["attributes"]["secret"], secret.as_str());
    let listed = server.call("GET", &path, Some(&token), None).await?;
    assert_eq!(listed.ids(), std::slice::from_ref(&factor));
    assert_eq!(listed.body["data"][0]["attributes"]["uri"], uri);

    // One factor per user: Keygen's 409 for a second one.
    let again = create(json!({"meta": {"password": PASSWORD}})).await?;
    assert_eq!(again.status, 409, "{}", again.body);

    cool_down(&server);
    let update = |body: Value| server.call("PATCH", &own, Some(&token), Some(body));
    let missing = update(enable_body(true, None)).await?;
    assert_eq!(missing.status, 400, "{}", missing.body);
    assert_eq!(missing.body["errors"][0]["source"]["pointer"], "/meta/otp");
    let right = code(&server, &secret)?;
    let wrong = update(enable_body(true, Some(&other_than(&right)?))).await?;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    assert_eq!(wrong.error_code(), Some("OTP_INVALID"));
    assert_eq!(wrong.body["errors"][0]["source"]["pointer"], "/meta/otp");
    let enabled = update(enable_body(true, Some(&right))).await?;
    assert_eq!(enabled.status, 200, "{}", enabled.body);
    let attributes = &enabled.body["data"]["attributes"];
    assert_eq!(attributes["enabled"], true);
    assert!(attributes.get("secret").is_none() && attributes.get("uri").is_none());
    let shown = server.call("GET", &own, Some(&token), None).await?;
    assert!(shown.body["data"]["attributes"].get("secret").is_none());
    assert!(!shown.body.to_string().contains(&secret));

    // With a factor enabled, a create proves a code instead of the password (Keygen),
    // and then still meets the one-factor rule.
    next_step(&server);
    let unproven = create(json!({"meta": {"password": PASSWORD}})).await?;
    assert_eq!(
        unproven.error_code(),
        Some("OTP_INVALID"),
        "{}",
        unproven.body
    );
    let proven = create(json!({"meta": {"otp": code(&server, &secret)?}})).await?;
    assert_eq!(proven.status, 409, "{}", proven.body);
    Ok(())
}

#[tokio::test]
async fn logins_need_a_fresh_code_once_enabled() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let email = "bea@example.com";
    let (user, token) = server.user_with_token(email, "user").await?;
    let (factor, secret) = enroll(&server, &token, &user).await?;
    // Enrolled but not enabled: the password alone still logs in.
    assert_eq!(login(&server, email, PASSWORD, None).await?.status, 201);
    enable(&server, &token, &user, &factor, &secret).await?;
    cool_down(&server);

    let required = login(&server, email, PASSWORD, None).await?;
    assert_eq!(required.status, 401, "{}", required.body);
    assert_eq!(required.error_code(), Some("OTP_REQUIRED"));
    assert_eq!(required.body["errors"][0]["source"]["pointer"], "/meta/otp");
    let right = code(&server, &secret)?;
    let invalid = login(&server, email, PASSWORD, Some(&other_than(&right)?)).await?;
    assert_eq!(
        invalid.error_code(),
        Some("OTP_INVALID"),
        "{}",
        invalid.body
    );
    let ok = login(&server, email, PASSWORD, Some(&right)).await?;
    assert_eq!(ok.status, 201, "{}", ok.body);
    assert_eq!(
        ok.body["data"]["relationships"]["bearer"]["data"]["id"],
        user.as_str()
    );
    let replayed = login(&server, email, PASSWORD, Some(&right)).await?;
    assert_eq!(replayed.status, 401, "{}", replayed.body);
    assert_eq!(replayed.error_code(), Some("OTP_INVALID"));

    // Keygen's order: the code before the password, so a wrong password is only told
    // with a valid code (which it uses up).
    cool_down(&server);
    let unproven = login(&server, email, "wrong-password", None).await?;
    assert_eq!(unproven.error_code(), Some("OTP_REQUIRED"));
    let fresh = code(&server, &secret)?;
    let wrong_password = login(&server, email, "wrong-password", Some(&fresh)).await?;
    assert_eq!(wrong_password.error_code(), Some("CREDENTIALS_INVALID"));
    assert_eq!(
        login(&server, email, PASSWORD, Some(&fresh)).await?.status,
        401
    );
    // Unknown emails still answer CREDENTIALS_INVALID, code or not.
    let unknown = login(&server, "nobody@example.com", PASSWORD, Some(&fresh)).await?;
    assert_eq!(unknown.error_code(), Some("CREDENTIALS_INVALID"));

    // The previous step's code is still good for 10 seconds into the next step (the
    // clock stands at a step's start here).
    cool_down(&server);
    let late = code(&server, &secret)?;
    server.clock.advance(Duration::seconds(35));
    assert_eq!(
        login(&server, email, PASSWORD, Some(&late)).await?.status,
        201
    );
    let too_late = code(&server, &secret)?;
    server.clock.advance(Duration::seconds(40));
    assert_eq!(
        login(&server, email, PASSWORD, Some(&too_late))
            .await?
            .error_code(),
        Some("OTP_INVALID")
    );

    // A token-authenticated POST /tokens needs no code.
    let renewed = server
        .call("POST", "/v1/tokens", Some(&token), None)
        .await?;
    assert_eq!(renewed.status, 201, "{}", renewed.body);
    Ok(())
}

#[tokio::test]
async fn disabling_and_deleting_need_a_code() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let email = "cy@example.com";
    let (user, token) = server.user_with_token(email, "user").await?;
    let (factor, secret) = enroll(&server, &token, &user).await?;
    enable(&server, &token, &user, &factor, &secret).await?;
    cool_down(&server);
    let own = format!("{}/{factor}", factors(&user));

    let missing = server
        .call("PATCH", &own, Some(&token), Some(enable_body(false, None)))
        .await?;
    assert_eq!(missing.status, 400, "{}", missing.body);
    next_step(&server);
    let right = code(&server, &secret)?;
    let wrong = enable_body(false, Some(&other_than(&right)?));
    let refused = server.call("PUT", &own, Some(&token), Some(wrong)).await?;
    assert_eq!(
        refused.error_code(),
        Some("OTP_INVALID"),
        "{}",
        refused.body
    );
    let disabled = server
        .call(
            "PUT",
            &own,
            Some(&token),
            Some(enable_body(false, Some(&right))),
        )
        .await?;
    assert_eq!(disabled.status, 200, "{}", disabled.body);
    assert_eq!(disabled.body["data"]["attributes"]["enabled"], false);
    assert!(disabled.body["data"]["attributes"]["secret"].is_string());
    assert_eq!(login(&server, email, PASSWORD, None).await?.status, 201);

    // A disabled factor is deleted without a code; an enabled one needs one.
    enable(&server, &token, &user, &factor, &secret).await?;
    cool_down(&server);
    let unproven = server.call("DELETE", &own, Some(&token), None).await?;
    assert_eq!(unproven.status, 401, "{}", unproven.body);
    assert_eq!(unproven.error_code(), Some("OTP_INVALID"));
    next_step(&server);
    let wrong = json!({"meta": {"otp": other_than(&code(&server, &secret)?)?}});
    let refused = server
        .call("DELETE", &own, Some(&token), Some(wrong))
        .await?;
    assert_eq!(refused.error_code(), Some("OTP_INVALID"));
    let body = json!({"meta": {"otp": code(&server, &secret)?}});
    let deleted = server
        .call("DELETE", &own, Some(&token), Some(body))
        .await?;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    assert_eq!(
        server.call("GET", &own, Some(&token), None).await?.status,
        404
    );
    assert_eq!(login(&server, email, PASSWORD, None).await?.status, 201);

    cool_down(&server);
    let (second, _) = enroll(&server, &token, &user).await?;
    let gone = server
        .call(
            "DELETE",
            &format!("{}/{second}", factors(&user)),
            Some(&token),
            None,
        )
        .await?;
    assert_eq!(gone.status, 204, "{}", gone.body);

    // The events, in the event log.
    let logs = server
        .admin("GET", "/v1/event-logs?page[number]=1&page[size]=100", None)
        .await?;
    assert_eq!(logs.status, 200, "{}", logs.body);
    let mut events: Vec<&str> = logs.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["attributes"]["event"].as_str())
        .filter(|e| e.starts_with("second-factor."))
        .collect();
    events.sort_unstable();
    events.dedup();
    assert_eq!(
        events,
        [
            "second-factor.created",
            "second-factor.deleted",
            "second-factor.disabled",
            "second-factor.enabled"
        ]
    );
    assert!(!logs.body.to_string().contains(&secret));
    Ok(())
}

/// Keygen's `Users::SecondFactorPolicy`: admins reach every user's factor, everyone
/// else only their own (read-only users only read); products and licenses nothing.
/// Users outside the bearer's scope are 404.
#[tokio::test]
async fn who_reaches_whose_factor() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let cast = Cast::new(&server).await?;
    let owner = factors(&cast.owner);
    // An admin enrols the owner (proving the owner's password).
    let (factor, _) = enroll(&server, &server.admin_token, &cast.owner).await?;
    let one = format!("{owner}/{factor}");
    for (who, list, show) in [
        (Who::Admin, 200, 200),
        (Who::Owner, 200, 200),
        (Who::Developer, 403, 403),
        (Who::Sales, 403, 403),
        (Who::Support, 403, 403),
        (Who::ReadOnly, 403, 403),
        (Who::Product, 403, 403),
        (Who::License, 403, 403),
        (Who::OtherProduct, 404, 404),
        (Who::OtherUser, 404, 404),
    ] {
        let listed = cast.send(&server, who, "GET", &owner, None).await?;
        assert_eq!(listed.status, list, "list as {who:?}: {}", listed.body);
        let shown = cast.send(&server, who, "GET", &one, None).await?;
        assert_eq!(shown.status, show, "show as {who:?}: {}", shown.body);
        assert!(shown.body["errors"].is_array() || show == 200);
    }
    // An empty list is every user's to read (Keygen checks the rows listed).
    let other = factors(&cast.other_user);
    let empty = cast
        .send(&server, Who::Developer, "GET", &other, None)
        .await?;
    assert_eq!(
        (empty.status, empty.ids().len()),
        (200, 0),
        "{}",
        empty.body
    );

    let password = json!({"meta": {"password": PASSWORD}});
    for who in [Who::Developer, Who::Product, Who::License, Who::ReadOnly] {
        server.clock.advance(Duration::minutes(4));
        let refused = cast
            .send(&server, who, "POST", &owner, Some(password.clone()))
            .await?;
        assert_eq!(refused.status, 403, "create as {who:?}: {}", refused.body);
        let deleted = cast.send(&server, who, "DELETE", &one, None).await?;
        assert_eq!(deleted.status, 403, "delete as {who:?}: {}", deleted.body);
    }
    server.clock.advance(Duration::minutes(2));
    let hidden = cast
        .send(&server, Who::OtherUser, "DELETE", &one, None)
        .await?;
    assert_eq!(hidden.status, 404, "{}", hidden.body);

    // Staff reach their own: a developer enrols itself, a read-only user cannot.
    for (who, status) in [(Who::Developer, 201), (Who::ReadOnly, 403)] {
        cool_down(&server);
        let me = cast.send(&server, who, "GET", "/v1/me", None).await?;
        let path = factors(me.body["data"]["id"].as_str().unwrap());
        let reply = cast
            .send(&server, who, "POST", &path, Some(password.clone()))
            .await?;
        assert_eq!(reply.status, status, "{who:?} for itself: {}", reply.body);
        let read = cast.send(&server, who, "GET", &path, None).await?;
        assert_eq!(read.status, 200, "{who:?} reads its own: {}", read.body);
    }

    // Another user's factor under this user's path is not found.
    cool_down(&server);
    let (_, token) = server.user_with_token("dee@example.com", "user").await?;
    let me = server.call("GET", "/v1/me", Some(&token), None).await?;
    let mine = factors(me.body["data"]["id"].as_str().unwrap());
    let foreign = format!("{mine}/{factor}");
    assert_eq!(
        server
            .call("GET", &foreign, Some(&token), None)
            .await?
            .status,
        404
    );
    let body = enable_body(false, Some("123456"));
    let patched = server
        .call("PATCH", &foreign, Some(&token), Some(body))
        .await?;
    assert_eq!(patched.status, 404, "{}", patched.body);
    Ok(())
}

#[tokio::test]
async fn other_accounts_do_not_reach_a_factor() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (user, token) = server.user_with_token("eve@example.com", "user").await?;
    let (factor, _) = enroll(&server, &token, &user).await?;
    let now = now_ms(&server);
    let other = create_account(
        &server.db,
        &server.secret,
        now,
        NewAccount {
            slug: "globex".into(),
            name: None,
            email: "admin@globex.test".into(),
            password: "another horse".into(),
        },
    )
    .await?;
    let other_token = issue_admin_token(&server.db, &server.secret, now, &other.admin).await?;
    let own = format!("/v1/users/{user}/second-factors/{factor}");
    let there = format!("/v1/accounts/globex/users/{user}/second-factors/{factor}");
    let read = server.call("GET", &there, Some(&other_token), None).await?;
    assert_eq!(read.status, 404, "{}", read.body);
    let deleted = server
        .call("DELETE", &there, Some(&other_token), None)
        .await?;
    assert_eq!(deleted.status, 404, "{}", deleted.body);
    // The other account's admin token is no credential here.
    let here = server.call("GET", &own, Some(&other_token), None).await?;
    assert_eq!(here.status, 401, "{}", here.body);
    // The other account's admin enrols its own account's admin.
    let admin = &other.admin.id;
    let body = json!({"meta": {"password": "another horse"}});
    let path = format!("/v1/accounts/globex/users/{admin}/second-factors");
    let created = server
        .call("POST", &path, Some(&other_token), Some(body))
        .await?;
    assert_eq!(created.status, 201, "{}", created.body);

    // A factor goes with its user.
    let gone = server
        .admin("DELETE", &format!("/v1/users/{user}"), None)
        .await?;
    assert_eq!(gone.status, 204, "{}", gone.body);
    let row = second_factors::find_for_user(&server.db, &server.account_id, &user, &factor).await?;
    assert!(row.is_none());
    Ok(())
}

#[path = "second_factors/limits.rs"]
mod limits;
