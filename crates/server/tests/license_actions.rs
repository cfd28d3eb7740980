//! License actions over HTTP: suspend/reinstate, renew per renewalBasis, revoke,
//! check-in, usage counters (with racing increments) and who may do what. Validations,
//! check-ins and usage changes an application makes go through the SDK client.

#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] fns

use latchkey_sdk::{Client, Error, ErrorCode, Scope, ValidationCode};
use latchkey_testkit::{Fixtures, TestServer, id, to_one};
use serde_json::{Value, json};

const DAY: i64 = 86_400;

async fn act(
    server: &TestServer,
    license: &str,
    action: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> anyhow::Result<latchkey_testkit::Reply> {
    let token = token.unwrap_or(&server.admin_token).to_owned();
    server
        .call(
            "POST",
            &format!("/v1/licenses/{license}/actions/{action}"),
            Some(&token),
            body,
        )
        .await
}

/// The verdict code of an SDK validation of `key` without scope.
async fn verdict(server: &TestServer, key: &str) -> anyhow::Result<ValidationCode> {
    Ok(server
        .sdk()
        .await?
        .validate_key(key, &Scope::default())
        .await?
        .code)
}

/// Status, first code, detail and source of a refused SDK call.
fn refused<T: std::fmt::Debug>(
    result: Result<T, Error>,
) -> (u16, Option<ErrorCode>, Option<String>, Option<String>) {
    match result.expect_err("the server refuses") {
        Error::Api { status, errors } => {
            let first = errors.first().cloned();
            (
                status,
                first.as_ref().and_then(|e| e.code),
                first.as_ref().and_then(|e| e.detail.clone()),
                first.and_then(|e| e.source),
            )
        }
        other => panic!("an API error, not {other}"),
    }
}

#[tokio::test]
async fn suspend_and_reinstate_change_validation() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let license = server.license_with_policy(json!({})).await?;
    let (lid, key) = (
        id(&license),
        license["attributes"]["key"].as_str().unwrap().to_owned(),
    );

    let reply = act(&server, &lid, "suspend", None, None).await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["data"]["attributes"]["suspended"], true);
    assert_eq!(reply.body["data"]["attributes"]["status"], "SUSPENDED");
    let suspended = server
        .sdk()
        .await?
        .validate_key(&key, &Scope::default())
        .await?;
    assert_eq!(suspended.code, ValidationCode::Suspended);
    assert!(!suspended.valid);

    let again = act(&server, &key, "suspend", None, None).await?;
    assert_eq!(again.status, 422);
    assert_eq!(again.body["errors"][0]["detail"], "is already suspended");
    assert_eq!(
        again.body["errors"][0]["source"]["pointer"],
        "/data/attributes/suspended"
    );

    let reply = act(&server, &lid, "reinstate", None, None).await?;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["data"]["attributes"]["suspended"], false);
    assert_eq!(reply.body["data"]["attributes"]["status"], "ACTIVE");
    assert_eq!(verdict(&server, &key).await?, ValidationCode::Valid);
    let again = act(&server, &lid, "reinstate", None, None).await?;
    assert_eq!(again.status, 422);
    assert_eq!(again.body["errors"][0]["detail"], "is not suspended");

    let missing = act(&server, "no-such-license", "suspend", None, None).await?;
    assert_eq!(missing.status, 404);
    Ok(())
}

async fn renew_with(basis: &str, start_offset_days: i64) -> anyhow::Result<(i64, i64)> {
    let server = TestServer::start().await?;
    let license = server
        .license_with_policy(json!({"duration": 30 * DAY, "renewalBasis": basis}))
        .await?;
    let lid = id(&license);
    let created =
        latchkey_proto::time_format::parse(license["attributes"]["expiry"].as_str().unwrap())
            .unwrap();
    server
        .clock
        .advance(time::Duration::days(start_offset_days));
    let reply = act(&server, &lid, "renew", None, None).await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let renewed = latchkey_proto::time_format::parse(
        reply.body["data"]["attributes"]["expiry"].as_str().unwrap(),
    )
    .unwrap();
    Ok((
        (created - time::macros::datetime!(2026-01-01 12:00 UTC)).whole_days(),
        (renewed - time::macros::datetime!(2026-01-01 12:00 UTC)).whole_days(),
    ))
}

#[tokio::test]
async fn renewal_follows_the_renewal_basis() -> anyhow::Result<()> {
    // Created with expiry day 30; renewed on day 10 (not expired) or day 40 (expired).
    assert_eq!(renew_with("FROM_EXPIRY", 10).await?, (30, 60));
    assert_eq!(renew_with("FROM_EXPIRY", 40).await?, (30, 60));
    assert_eq!(renew_with("FROM_NOW", 10).await?, (30, 40));
    assert_eq!(renew_with("FROM_NOW_IF_EXPIRED", 10).await?, (30, 60));
    assert_eq!(renew_with("FROM_NOW_IF_EXPIRED", 40).await?, (30, 70));

    let server = TestServer::start().await?;
    let forever = server.license_with_policy(json!({})).await?;
    let reply = act(&server, &id(&forever), "renew", None, None).await?;
    assert_eq!(reply.status, 422);
    assert_eq!(
        reply.body["errors"][0]["detail"],
        "cannot be renewed because it does not expire"
    );
    assert_eq!(
        reply.body["errors"][0]["source"]["pointer"],
        "/data/attributes/expiry"
    );
    Ok(())
}

#[tokio::test]
async fn revoke_deletes_the_license() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let license = server.license_with_policy(json!({})).await?;
    let lid = id(&license);
    let post = act(&server, &lid, "revoke", None, None).await?;
    assert_eq!(post.status, 405);
    let reply = server
        .admin(
            "DELETE",
            &format!("/v1/licenses/{lid}/actions/revoke"),
            None,
        )
        .await?;
    assert_eq!(reply.status, 204);
    assert_eq!(
        server
            .admin("GET", &format!("/v1/licenses/{lid}"), None)
            .await?
            .status,
        404
    );
    Ok(())
}

#[tokio::test]
async fn check_in_moves_next_check_in() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let plain = server.license_with_policy(json!({})).await?;
    let reply = act(&server, &id(&plain), "check-in", None, None).await?;
    assert_eq!(reply.status, 422);
    assert_eq!(
        reply.body["errors"][0]["detail"],
        "cannot be checked in because the policy does not require it"
    );

    let license = server
        .license_with_policy(
            json!({"requireCheckIn": true, "checkInInterval": "week", "checkInIntervalCount": 2}),
        )
        .await?;
    let (lid, key) = (
        id(&license),
        license["attributes"]["key"].as_str().unwrap().to_owned(),
    );
    assert_eq!(
        license["attributes"]["lastCheckIn"],
        "2026-01-01T12:00:00.000Z"
    );
    assert_eq!(
        license["attributes"]["nextCheckIn"],
        "2026-01-15T12:00:00.000Z"
    );
    server.clock.advance(time::Duration::days(15));
    assert_eq!(verdict(&server, &key).await?, ValidationCode::Overdue);

    let token = server
        .admin("POST", &format!("/v1/licenses/{lid}/tokens"), None)
        .await?;
    assert_eq!(token.status, 201, "{}", token.body);
    let license_token = token.body["data"]["attributes"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    // The application checks in with its license token.
    let app = Client::new(server.sdk_config().await?.token(license_token))?;
    let checked_in = app.check_in(&lid).await?;
    let attributes = &checked_in.raw.attributes;
    assert_eq!(attributes["lastCheckIn"], "2026-01-16T12:00:00.000Z");
    assert_eq!(attributes["nextCheckIn"], "2026-01-30T12:00:00.000Z");
    assert_eq!(verdict(&server, &key).await?, ValidationCode::Valid);
    Ok(())
}

#[tokio::test]
async fn usage_counts_up_and_down_within_max_uses() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let license = server.license_with_policy(json!({"maxUses": 5})).await?;
    let lid = id(&license);
    let reply = act(&server, &lid, "increment-usage", None, None).await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["data"]["attributes"]["uses"], 1);
    let admin = server.sdk_admin().await?;
    assert_eq!(admin.increment_usage(&lid, 4).await?.uses, 5);
    let over = act(&server, &lid, "increment-usage", None, None).await?;
    assert_eq!(over.status, 422);
    assert_eq!(over.error_code(), Some("USES_LIMIT_EXCEEDED"));
    assert_eq!(
        refused(admin.increment_usage(&lid, 1).await),
        (
            422,
            Some(ErrorCode::UsesLimitExceeded),
            Some("usage exceeds maximum allowed by current policy (5)".to_owned()),
            Some("/data/attributes/uses".to_owned())
        )
    );

    assert_eq!(admin.decrement_usage(&lid, 2).await?.uses, 3);
    let (status, code, _, _) = refused(admin.decrement_usage(&lid, 4).await);
    assert_eq!(status, 422);
    assert_eq!(code, Some(ErrorCode::UsesInvalid));
    let reply = act(&server, &lid, "reset-usage", None, None).await?;
    assert_eq!(reply.body["data"]["attributes"]["uses"], 0);

    // The license override wins over the policy.
    let reply = server
        .admin(
            "PATCH",
            &format!("/v1/licenses/{lid}"),
            Some(json!({"data": {"type": "licenses", "attributes": {"maxUses": 6}}})),
        )
        .await?;
    assert_eq!(reply.status, 200);
    let reply = act(
        &server,
        &lid,
        "increment-usage",
        None,
        Some(json!({"meta": {"increment": 6}})),
    )
    .await?;
    assert_eq!(reply.body["data"]["attributes"]["uses"], 6);

    for (body, pointer) in [
        (json!({"meta": {"increment": "2"}}), "/meta/increment"),
        (json!({"meta": {"increment": 1.5}}), "/meta/increment"),
        (
            json!({"meta": {"increment": 99999999999i64}}),
            "/meta/increment",
        ),
        (json!({"meta": {"other": 1}}), "/meta/other"),
        (json!({"data": {}}), "/data"),
    ] {
        let reply = act(&server, &lid, "increment-usage", None, Some(body)).await?;
        assert_eq!(reply.status, 400, "{}", reply.body);
        assert_eq!(reply.body["errors"][0]["source"]["pointer"], pointer);
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_increments_never_pass_max_uses() -> anyhow::Result<()> {
    let server = std::sync::Arc::new(TestServer::start().await?);
    let license = server.license_with_policy(json!({"maxUses": 15})).await?;
    let lid = id(&license);
    let reply = act(
        &server,
        &lid,
        "increment-usage",
        None,
        Some(json!({"meta": {"increment": 5}})),
    )
    .await?;
    assert_eq!(reply.status, 200);
    let mut tasks = Vec::new();
    for _ in 0..30 {
        let server = server.clone();
        let lid = lid.clone();
        tasks.push(tokio::spawn(async move {
            act(&server, &lid, "increment-usage", None, None).await
        }));
    }
    let (mut ok, mut refused) = (0, 0);
    for task in tasks {
        let reply = task.await??;
        match reply.status {
            200 => ok += 1,
            422 => {
                assert_eq!(reply.error_code(), Some("USES_LIMIT_EXCEEDED"));
                refused += 1;
            }
            other => panic!("unexpected {other}: {}", reply.body),
        }
    }
    assert_eq!((ok, refused), (10, 20));
    let shown = server
        .admin("GET", &format!("/v1/licenses/{lid}"), None)
        .await?;
    assert_eq!(shown.body["data"]["attributes"]["uses"], 15);
    Ok(())
}

#[tokio::test]
async fn roles_decide_who_may_act() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (owner_id, owner) = server.user_with_token("owner@example.test", "user").await?;
    let (_, stranger) = server
        .user_with_token("stranger@example.test", "user")
        .await?;
    let (_, support) = server
        .user_with_token("support@example.test", "support-agent")
        .await?;
    let (_, read_only) = server
        .user_with_token("ro@example.test", "read-only")
        .await?;
    let base = server
        .license_with_policy(json!({"duration": 30 * DAY}))
        .await?;
    let policy = id(&base["relationships"]["policy"]["data"]);
    let license = server
        .license_for(&policy, json!({"owner": to_one("users", &owner_id)}))
        .await?;
    let lid = id(&license);
    let token = server
        .admin("POST", &format!("/v1/licenses/{lid}/tokens"), None)
        .await?;
    let license_token = token.body["data"]["attributes"]["token"]
        .as_str()
        .unwrap()
        .to_owned();

    let cases: [(&str, &str, u16); 12] = [
        (&support, "suspend", 200),
        (&support, "reinstate", 200),
        (&read_only, "suspend", 403),
        (&support, "renew", 403),
        (&owner, "renew", 200),
        (&owner, "suspend", 403),
        (&owner, "increment-usage", 200),
        (&owner, "decrement-usage", 403),
        (&stranger, "increment-usage", 403),
        (&license_token, "increment-usage", 200),
        (&license_token, "decrement-usage", 403),
        (&license_token, "renew", 403),
    ];
    for (token, action, status) in cases {
        let reply = act(&server, &lid, action, Some(token), None).await?;
        assert_eq!(reply.status, status, "{action}: {}", reply.body);
    }
    let reply = server
        .call(
            "DELETE",
            &format!("/v1/licenses/{lid}/actions/revoke"),
            Some(&license_token),
            None,
        )
        .await?;
    assert_eq!(reply.status, 403);
    Ok(())
}
