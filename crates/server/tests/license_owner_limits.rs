//! `PUT /licenses/{id}/owner` counts against the policy's `maxUsers` (owner plus
//! attached users) exactly like attaching users: same lock, same USER_LIMIT_EXCEEDED
//! error, so a license can never be pushed into TOO_MANY_USERS.

use latchkey_testkit::{Fixtures, TestServer, to_many, to_one};
use serde_json::json;

#[tokio::test]
async fn owner_changes_respect_max_users() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let license = server.license_with_policy(json!({"maxUsers": 2})).await?;
    let id = license["id"].as_str().unwrap();
    let key = license["attributes"]["key"].as_str().unwrap();
    let owner_path = format!("/v1/licenses/{id}/owner");
    let users_path = format!("/v1/licenses/{id}/users");
    let (bob, carol, dave, eve) = (
        server.user("bob@example.test").await?,
        server.user("carol@example.test").await?,
        server.user("dave@example.test").await?,
        server.user("eve@example.test").await?,
    );
    let attached = server
        .admin("POST", &users_path, Some(to_many("users", &[&bob, &carol])))
        .await?;
    assert_eq!(attached.status, 200, "{}", attached.body);

    // No owner, two attached = maxUsers: a new owner would make three.
    let over = server
        .admin("PUT", &owner_path, Some(to_one("users", &dave)))
        .await?;
    assert_eq!(over.status, 422, "{}", over.body);
    assert_eq!(over.error_code(), Some("USER_LIMIT_EXCEEDED"));
    let attach_over = server
        .admin("POST", &users_path, Some(to_many("users", &[&eve])))
        .await?;
    assert_eq!(attach_over.status, 422);
    assert_eq!(
        over.body["errors"][0]["detail"],
        attach_over.body["errors"][0]["detail"]
    );
    assert_eq!(
        over.body["errors"][0]["detail"],
        "user count has exceeded maximum allowed by current policy (2)"
    );
    let shown = server.admin("GET", &owner_path, None).await?;
    assert!(shown.body["data"].is_null(), "{}", shown.body);
    let validated = server.validate_key(key, json!({})).await?;
    assert_eq!(validated["meta"]["code"], "VALID");

    // Promoting an attached user keeps the count: allowed.
    let promoted = server
        .admin("PUT", &owner_path, Some(to_one("users", &bob)))
        .await?;
    assert_eq!(promoted.status, 200, "{}", promoted.body);
    // Replacing the owner keeps the count too.
    let replaced = server
        .admin("PUT", &owner_path, Some(to_one("users", &dave)))
        .await?;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    let validated = server.validate_key(key, json!({})).await?;
    assert_eq!(validated["meta"]["code"], "VALID");
    // Removing the owner frees a seat, which a new owner may take again.
    let removed = server
        .admin("PUT", &owner_path, Some(json!({"data": null})))
        .await?;
    assert_eq!(removed.status, 200, "{}", removed.body);
    let again = server
        .admin("PUT", &owner_path, Some(to_one("users", &eve)))
        .await?;
    assert_eq!(again.status, 200, "{}", again.body);
    Ok(())
}

/// An owner change racing an attachment for the last seat: exactly one wins.
#[tokio::test]
async fn owner_change_and_attachment_race_for_the_last_seat() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    for round in 0..6 {
        let license = server.license_with_policy(json!({"maxUsers": 2})).await?;
        let id = license["id"].as_str().unwrap();
        let key = license["attributes"]["key"].as_str().unwrap();
        let first = server.user(&format!("first{round}@example.test")).await?;
        let owner = server.user(&format!("owner{round}@example.test")).await?;
        let other = server.user(&format!("other{round}@example.test")).await?;
        let seeded = server
            .admin(
                "POST",
                &format!("/v1/licenses/{id}/users"),
                Some(to_many("users", &[&first])),
            )
            .await?;
        assert_eq!(seeded.status, 200);
        let owner_path = format!("/v1/licenses/{id}/owner");
        let users_path = format!("/v1/licenses/{id}/users");
        // Alternate which request leaves first, so either may reach the lock first.
        let statuses = if round % 2 == 0 {
            let (set_owner, attach) = tokio::join!(
                server.admin("PUT", &owner_path, Some(to_one("users", &owner))),
                server.admin("POST", &users_path, Some(to_many("users", &[&other]))),
            );
            [set_owner?.status, attach?.status]
        } else {
            let (attach, set_owner) = tokio::join!(
                server.admin("POST", &users_path, Some(to_many("users", &[&other]))),
                server.admin("PUT", &owner_path, Some(to_one("users", &owner))),
            );
            [set_owner?.status, attach?.status]
        };
        let wins = statuses.iter().filter(|s| **s == 200).count();
        assert_eq!(wins, 1, "round {round}: {statuses:?}");
        assert!(statuses.contains(&422), "round {round}: {statuses:?}");
        let validated = server.validate_key(key, json!({})).await?;
        assert_eq!(validated["meta"]["code"], "VALID", "round {round}");
    }
    Ok(())
}
