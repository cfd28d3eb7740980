//! Credential rows of the authorization matrix: who may reach which user's tokens
//! (list, show, regenerate, revoke) and password resets (obtain, redeem). Only admins
//! manage admins (spec §6.4–6.6).

use super::*;

/// Whose token a credential row targets.
#[derive(Debug, Clone, Copy)]
enum TokenOf {
    /// The account admin's.
    TheAdmin,
    /// An end user's that is not the caller.
    AnotherUser,
    /// The caller's own.
    Own,
}

/// Mints a fresh token for whoever `credential` authenticates (`POST /tokens`), or an
/// activation token for a license; returns `(id, raw)`.
async fn fresh_token(
    world: &World,
    who: Who,
    credential: &str,
    license: &str,
) -> anyhow::Result<(String, String)> {
    let reply = if who == License {
        world
            .server
            .admin("POST", &format!("/v1/licenses/{license}/tokens"), None)
            .await?
    } else {
        world
            .server
            .raw(
                "POST",
                "/v1/tokens",
                &[("Authorization", credential)],
                vec![],
            )
            .await?
    };
    anyhow::ensure!(
        reply.status == 201,
        "fresh token for {who:?}: {}",
        reply.body
    );
    let data = &reply.body["data"];
    Ok((
        data["id"].as_str().unwrap_or_default().to_owned(),
        data["attributes"]["token"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    ))
}

/// Whether a raw token still authenticates.
async fn works(world: &World, raw: &str) -> anyhow::Result<bool> {
    Ok(world
        .server
        .call("GET", "/v1/me", Some(raw), None)
        .await?
        .status
        == 200)
}

/// Tokens: every role × {the admin's token, another user's token, its own token} ×
/// {list, show, regenerate, revoke}. Only admins reach an admin's token; admins and
/// developers reach an end user's; every bearer reaches its own. A denied regenerate
/// or revoke leaves the token working.
#[tokio::test]
async fn tokens_are_reachable_only_for_users_the_bearer_may_manage() -> anyhow::Result<()> {
    let world = World::new().await?;
    let (third, third_token) = world
        .server
        .user_with_token("third@example.test", "user")
        .await?;
    let admin_credential = format!("Bearer {}", world.server.admin_token);
    let third_credential = format!("Bearer {third_token}");
    let mut failures = Vec::new();
    let mut n = 1000;
    for of in [TokenOf::TheAdmin, TokenOf::AnotherUser, TokenOf::Own] {
        for action in ["list", "show", "regenerate", "revoke"] {
            for who in EVERYONE {
                n += 1;
                let target = world.target(n).await?;
                let caller = match who {
                    Anonymous => None,
                    License => Some(format!("License {}", target.license_key)),
                    _ => world
                        .tokens
                        .iter()
                        .find(|(w, _)| *w == who)
                        .map(|(_, t)| format!("Bearer {t}")),
                };
                let (token_id, raw, bearer_filter) = match of {
                    TokenOf::TheAdmin => {
                        let (id, raw) = fresh_token(&world, Admin, &admin_credential, "").await?;
                        (id, raw, "bearer[type]=users".to_owned())
                    }
                    TokenOf::AnotherUser => {
                        let (id, raw) =
                            fresh_token(&world, OtherUser, &third_credential, "").await?;
                        (id, raw, format!("bearer[type]=users&bearer[id]={third}"))
                    }
                    TokenOf::Own => {
                        let Some(caller) = &caller else { continue };
                        let (id, raw) = fresh_token(&world, who, caller, &target.license).await?;
                        (id, raw, String::new())
                    }
                };
                let allowed = match of {
                    TokenOf::TheAdmin => who == Admin,
                    TokenOf::AnotherUser => matches!(who, Admin | Developer),
                    TokenOf::Own => true,
                };
                let mut headers = vec![("Accept", "application/vnd.api+json".to_owned())];
                if let Some(caller) = &caller {
                    headers.push(("Authorization", caller.clone()));
                }
                let headers: Vec<(&str, &str)> =
                    headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let (method, path) = match action {
                    "list" => ("GET", format!("/v1/tokens?limit=100&{bearer_filter}")),
                    "show" => ("GET", format!("/v1/tokens/{token_id}")),
                    "regenerate" => ("PUT", format!("/v1/tokens/{token_id}")),
                    _ => ("DELETE", format!("/v1/tokens/{token_id}")),
                };
                let reply = world.server.raw(method, &path, &headers, vec![]).await?;
                let got = if action == "list" {
                    reply.status == 200
                        && reply.body["data"]
                            .as_array()
                            .is_some_and(|d| d.iter().any(|t| t["id"] == token_id.as_str()))
                } else {
                    (200..300).contains(&reply.status)
                };
                let mut wrong = got != allowed || reply.status >= 500;
                if !allowed && matches!(action, "regenerate" | "revoke") {
                    wrong |= !works(&world, &raw).await?;
                }
                if allowed && action == "regenerate" {
                    let new = reply.body["data"]["attributes"]["token"]
                        .as_str()
                        .unwrap_or_default();
                    wrong |= works(&world, &raw).await? || !works(&world, new).await?;
                }
                if wrong {
                    failures.push(format!(
                        "{action} {of:?} token as {who:?}: {} (expected {})",
                        reply.status,
                        if allowed { "allowed" } else { "denied" }
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    Ok(())
}

/// Password resets: a bearer obtains a reset token (`POST /passwords`, `deliver:
/// false`) only for a user it may manage, and redeems one (`reset-password`) only for
/// itself or such a user; anonymous redemption needs the token. Every other caller
/// gets the anonymous answer (204) or a denial, and the password stays unchanged.
#[tokio::test]
async fn password_resets_only_for_users_the_bearer_may_manage() -> anyhow::Result<()> {
    let world = World::new().await?;
    let (third, _) = world
        .server
        .user_with_token("third@example.test", "user")
        .await?;
    let admin = world.server.admin("GET", "/v1/me", None).await?;
    let admin_id = admin.body["data"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut failures = Vec::new();
    let mut n = 2000;
    for (target, email, obtain, redeem) in [
        (
            "admin",
            "admin@acme.test",
            &[Admin][..],
            &[Admin, Anonymous][..],
        ),
        (
            "other user",
            "third@example.test",
            &[Admin, Developer][..],
            &[Admin, Developer, Sales, Anonymous][..],
        ),
    ] {
        let user_id = if target == "admin" { &admin_id } else { &third };
        for who in EVERYONE {
            n += 1;
            // Each row starts with a fresh reset budget (5 requests per hour per email,
            // 5 changes per 10 minutes per user): this matrix is about roles, not throttling.
            world.server.clock.advance(time::Duration::hours(1));
            let t = world.target(n).await?;
            let request = json!({"meta": {"email": email, "deliver": false}});
            let reply = world
                .send(who, &t, "POST", "/v1/passwords", Some(request.clone()))
                .await?;
            let status = reply;
            let expected = if obtain.contains(&who) { 200 } else { 204 };
            if status != expected {
                failures.push(format!(
                    "obtain reset for {target} as {who:?}: {status} (expected {expected})"
                ));
            }
            // A token obtained by the admin, redeemed by `who`.
            let issued = world
                .server
                .admin("POST", "/v1/passwords", Some(request))
                .await?;
            let token = issued.body["meta"]["passwordResetToken"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let new_password = format!("changed-by-{n}");
            let status = world
                .send(
                    who,
                    &t,
                    "POST",
                    &format!("/v1/users/{user_id}/actions/reset-password"),
                    Some(
                        json!({"meta": {"passwordResetToken": token, "newPassword": new_password}}),
                    ),
                )
                .await?;
            let allowed = redeem.contains(&who);
            let ok = if allowed {
                status == 200
            } else {
                matches!(status, 401 | 403 | 404)
            };
            if !ok {
                failures.push(format!(
                    "redeem reset for {target} as {who:?}: {status} (expected {})",
                    if allowed { "200" } else { "denied" }
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    Ok(())
}
