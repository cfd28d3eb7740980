//! Expiry over HTTP: every expirationBasis starts the clock once, every
//! expirationStrategy in validation and in license-key authentication, and the
//! license `status` attribute and filter as the clock moves. Validations and the
//! license-key requests of an application go through the SDK client.

#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] fns

use latchkey_sdk::licensing::MachineInfo;
use latchkey_sdk::{Client, ErrorCode, Scope, ValidationCode};
use latchkey_testkit::{TestServer, id};
use serde_json::{Value, json};

const DAY: i64 = 86_400;

fn key(v: &Value) -> String {
    v["attributes"]["key"].as_str().unwrap().to_owned()
}

async fn expiry_of(server: &TestServer, license: &str) -> anyhow::Result<Value> {
    let reply = server
        .admin("GET", &format!("/v1/licenses/{license}"), None)
        .await?;
    Ok(reply.body["data"]["attributes"]["expiry"].clone())
}

#[tokio::test]
async fn from_creation_sets_expiry_at_creation() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let license = server
        .license_with_policy(json!({"duration": 10 * DAY}))
        .await?;
    assert_eq!(license["attributes"]["expiry"], "2026-01-11T12:00:00.000Z");
    Ok(())
}

#[tokio::test]
async fn first_event_bases_set_expiry_once() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let advance = |days| server.clock.advance(time::Duration::days(days));

    // FROM_FIRST_VALIDATION: the first validation (day 2) starts it; later ones don't move it.
    let license = server
        .license_with_policy(
            json!({"duration": 10 * DAY, "expirationBasis": "FROM_FIRST_VALIDATION"}),
        )
        .await?;
    let lid = id(&license);
    assert_eq!(license["attributes"]["expiry"], Value::Null);
    server.activate(&lid, "fp-validation").await?;
    assert_eq!(expiry_of(&server, &lid).await?, Value::Null);
    advance(2);
    let verdict = server.validate_key(&key(&license), json!({})).await?;
    assert_eq!(verdict["meta"]["valid"], true);
    assert_eq!(
        verdict["data"]["attributes"]["expiry"],
        "2026-01-13T12:00:00.000Z"
    );
    advance(1);
    server.validate_key(&key(&license), json!({})).await?;
    assert_eq!(expiry_of(&server, &lid).await?, "2026-01-13T12:00:00.000Z");

    // FROM_FIRST_ACTIVATION (now day 3).
    let license = server
        .license_with_policy(
            json!({"duration": 10 * DAY, "floating": true, "maxMachines": 5,
            "expirationBasis": "FROM_FIRST_ACTIVATION"}),
        )
        .await?;
    let lid = id(&license);
    server.validate_key(&key(&license), json!({})).await?;
    assert_eq!(expiry_of(&server, &lid).await?, Value::Null);
    assert_eq!(server.activate(&lid, "fp-1").await?.status, 201);
    assert_eq!(expiry_of(&server, &lid).await?, "2026-01-14T12:00:00.000Z");
    advance(1);
    assert_eq!(server.activate(&lid, "fp-2").await?.status, 201);
    assert_eq!(expiry_of(&server, &lid).await?, "2026-01-14T12:00:00.000Z");

    // FROM_FIRST_USE (now day 4).
    let license = server
        .license_with_policy(json!({"duration": 10 * DAY, "expirationBasis": "FROM_FIRST_USE"}))
        .await?;
    let lid = id(&license);
    server.validate_key(&key(&license), json!({})).await?;
    assert_eq!(expiry_of(&server, &lid).await?, Value::Null);
    let path = format!("/v1/licenses/{lid}/actions/increment-usage");
    let reply = server.admin("POST", &path, None).await?;
    assert_eq!(
        reply.body["data"]["attributes"]["expiry"],
        "2026-01-15T12:00:00.000Z"
    );
    advance(1);
    server.admin("POST", &path, None).await?;
    assert_eq!(expiry_of(&server, &lid).await?, "2026-01-15T12:00:00.000Z");

    // FROM_FIRST_DOWNLOAD: no release downloads exist yet, so nothing starts it.
    let license = server
        .license_with_policy(
            json!({"duration": 10 * DAY, "expirationBasis": "FROM_FIRST_DOWNLOAD"}),
        )
        .await?;
    let lid = id(&license);
    server.validate_key(&key(&license), json!({})).await?;
    server.activate(&lid, "fp-download").await?;
    server
        .admin(
            "POST",
            &format!("/v1/licenses/{lid}/actions/increment-usage"),
            None,
        )
        .await?;
    assert_eq!(expiry_of(&server, &lid).await?, Value::Null);
    Ok(())
}

#[tokio::test]
async fn expiration_strategies_in_validation_and_authentication() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let cases = [
        ("REVOKE_ACCESS", false, 403),
        ("RESTRICT_ACCESS", false, 200),
        ("MAINTAIN_ACCESS", true, 200),
        ("ALLOW_ACCESS", true, 200),
    ];
    let mut licenses = Vec::new();
    for (strategy, _, _) in cases {
        let license = server
            .license_with_policy(json!({"duration": DAY, "expirationStrategy": strategy,
                "authenticationStrategy": "LICENSE"}))
            .await?;
        licenses.push(license);
    }
    let app = server.sdk().await?;
    for license in &licenses {
        let verdict = app.validate_key(&key(license), &Scope::default()).await?;
        assert_eq!(verdict.code, ValidationCode::Valid);
    }
    server.clock.advance(time::Duration::days(2));
    for ((strategy, valid, auth_status), license) in cases.iter().zip(&licenses) {
        let verdict = app.validate_key(&key(license), &Scope::default()).await?;
        assert_eq!(verdict.code, ValidationCode::Expired, "{strategy}");
        assert_eq!(verdict.valid, *valid, "{strategy}");
        let held = verdict.license.expect("the verdict carries the license");
        assert_eq!(held.status.as_deref(), Some("EXPIRED"));
        // The application authenticates with its key.
        let keyed = Client::new(server.sdk_config().await?.license_key(key(license)))?;
        let read = keyed.license(&id(license)).await;
        let auth = format!("License {}", key(license));
        let me = server
            .raw(
                "GET",
                &format!("/v1/licenses/{}", id(license)),
                &[
                    ("Authorization", auth.as_str()),
                    ("Accept", "application/vnd.api+json"),
                ],
                vec![],
            )
            .await?;
        assert_eq!(me.status, *auth_status, "{strategy}: {}", me.body);
        if *auth_status == 403 {
            assert_eq!(me.error_code(), Some("LICENSE_EXPIRED"));
            let err = read.expect_err("an expired license may not authenticate");
            assert_eq!(err.status(), Some(403), "{strategy}: {err}");
            assert_eq!(err.code(), Some(ErrorCode::LicenseExpired), "{strategy}");
        } else {
            assert_eq!(read?.id, id(license), "{strategy}");
            // An expired license that may still authenticate may still activate machines.
            let info = MachineInfo::new(format!("fp-{strategy}"));
            let machine = keyed.activate(&held, &key(license), &info).await?;
            assert_eq!(machine.fingerprint, format!("fp-{strategy}"), "{strategy}");
        }
    }
    Ok(())
}

async fn statuses(server: &TestServer, status: &str) -> anyhow::Result<Vec<String>> {
    let reply = server
        .admin(
            "GET",
            &format!("/v1/licenses?status={status}&limit=100"),
            None,
        )
        .await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let mut ids = reply.ids();
    ids.sort();
    Ok(ids)
}

#[tokio::test]
async fn status_attribute_and_filter_agree() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let expiring = server
        .license_with_policy(json!({"duration": 5 * DAY}))
        .await?;
    let forever = server.license_with_policy(json!({})).await?;
    let suspended = server.license_with_policy(json!({})).await?;
    server
        .admin(
            "POST",
            &format!("/v1/licenses/{}/actions/suspend", id(&suspended)),
            None,
        )
        .await?;
    let (e, f, s) = (id(&expiring), id(&forever), id(&suspended));
    let status = |v: &Value| {
        v["data"]["attributes"]["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };

    assert_eq!(statuses(&server, "ACTIVE").await?, sorted(&[&e, &f]));
    assert_eq!(statuses(&server, "SUSPENDED").await?, vec![s.clone()]);
    server.clock.advance(time::Duration::days(3));
    assert_eq!(
        status(
            &server
                .admin("GET", &format!("/v1/licenses/{e}"), None)
                .await?
                .body
        ),
        "EXPIRING"
    );
    assert_eq!(statuses(&server, "EXPIRING").await?, vec![e.clone()]);
    server.clock.advance(time::Duration::days(3));
    assert_eq!(
        status(
            &server
                .admin("GET", &format!("/v1/licenses/{e}"), None)
                .await?
                .body
        ),
        "EXPIRED"
    );
    assert_eq!(statuses(&server, "EXPIRED").await?, vec![e.clone()]);
    assert_eq!(statuses(&server, "ACTIVE").await?, vec![f.clone()]);

    // 90 days without validation, check-in or check-out: INACTIVE; a validation revives it.
    server.clock.advance(time::Duration::days(90));
    assert_eq!(
        status(
            &server
                .admin("GET", &format!("/v1/licenses/{f}"), None)
                .await?
                .body
        ),
        "INACTIVE"
    );
    assert_eq!(statuses(&server, "INACTIVE").await?, vec![f.clone()]);
    server.validate_key(&key(&forever), json!({})).await?;
    // Validation times are written in batches off the request path; wait for it.
    for _ in 0..100 {
        if statuses(&server, "ACTIVE").await? == vec![f.clone()] {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(statuses(&server, "ACTIVE").await?, vec![f.clone()]);
    assert_eq!(
        status(
            &server
                .admin("GET", &format!("/v1/licenses/{f}"), None)
                .await?
                .body
        ),
        "ACTIVE"
    );
    let bad = server
        .admin("GET", "/v1/licenses?status=NOPE", None)
        .await?;
    assert_eq!(bad.status, 400);
    Ok(())
}

fn sorted(ids: &[&String]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|s| (*s).clone()).collect();
    v.sort();
    v
}
