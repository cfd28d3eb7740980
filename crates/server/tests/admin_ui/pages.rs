//! The admin UI's pages over HTTP: second-factor enrolment and its sign-in, search,
//! filters, export, every page answering, and hostile input.

use super::{Browser, key_of};
use latchkey_server::bootstrap::{NewAccount, create_account};
use latchkey_testkit::TestServer;
use serde_json::json;

/// The TOTP code of `secret` at the server's (manual) clock.
fn totp(server: &TestServer, secret: &str) -> String {
    use latchkey_core::clock::Clock;
    let now = (server.clock.now().unix_timestamp_nanos() / 1_000_000) as i64;
    latchkey_core::second_factor::Totp::from_base32(secret, "")
        .unwrap()
        .code_at(now)
}

/// The text between `before` and the next `<` on a page.
fn after<'a>(body: &'a str, before: &str) -> &'a str {
    let start = body
        .find(before)
        .unwrap_or_else(|| panic!("{before} in {body}"))
        + before.len();
    let end = body[start..].find('<').unwrap() + start;
    &body[start..end]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_factor_enrolled_in_the_ui_guards_its_sign_in() {
    let server = TestServer::start().await.unwrap();
    let mut browser = Browser::new(&server);
    assert_eq!(
        browser
            .sign_in("admin@acme.test", "correct horse")
            .await
            .status,
        303
    );

    let page = browser.get("/admin/security").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.csrf();
    let wrong = browser
        .post(
            "/admin/security/enrol",
            &[("_csrf", &csrf), ("password", "wrong horse")],
        )
        .await;
    assert!(wrong.status >= 400, "{}", wrong.body);
    let enrolled = browser
        .post(
            "/admin/security/enrol",
            &[("_csrf", &csrf), ("password", "correct horse")],
        )
        .await;
    assert_eq!(enrolled.status, 201, "{}", enrolled.body);
    assert!(enrolled.body.contains("<svg"), "a QR code");
    let secret = after(&enrolled.body, "Secret: <code>").to_owned();
    assert_eq!(secret.len(), 32);

    let bad = browser
        .post(
            "/admin/security/enable",
            &[("_csrf", &csrf), ("otp", "000000x")],
        )
        .await;
    assert!(bad.status >= 400, "{}", bad.body);
    server.clock.advance(time::Duration::seconds(30));
    let code = totp(&server, &secret);
    let enabled = browser
        .post(
            "/admin/security/enable",
            &[("_csrf", &csrf), ("otp", &code)],
        )
        .await;
    assert_eq!(enabled.status, 303, "{}", enabled.body);
    let shown = browser.get("/admin/security").await;
    assert!(
        shown.body.contains("A second factor is enabled"),
        "{}",
        shown.body
    );
    assert!(
        !shown.body.contains(&secret),
        "the secret is gone once enabled"
    );

    // Signing in now needs a fresh code.
    let csrf = browser.csrf().await;
    browser.post("/admin/logout", &[("_csrf", &csrf)]).await;
    let without = browser.sign_in("admin@acme.test", "correct horse").await;
    assert_eq!(without.status, 401);
    assert!(
        without.body.contains("Required: the 6-digit code"),
        "{}",
        without.body
    );
    server.clock.advance(time::Duration::seconds(30));
    let form = browser.get("/admin/login").await;
    let code = totp(&server, &secret);
    let with = browser
        .post(
            "/admin/login",
            &[
                ("_csrf", &form.csrf()),
                ("email", "admin@acme.test"),
                ("password", "correct horse"),
                ("otp", &code),
            ],
        )
        .await;
    assert_eq!(with.status, 303, "{}", with.body);
    // The same code is not accepted twice.
    let mut again = Browser::new(&server);
    let form = again.get("/admin/login").await;
    let replay = again
        .post(
            "/admin/login",
            &[
                ("_csrf", &form.csrf()),
                ("email", "admin@acme.test"),
                ("password", "correct horse"),
                ("otp", &code),
            ],
        )
        .await;
    assert_eq!(replay.status, 401, "{}", replay.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_filters_and_export() {
    let server = TestServer::start().await.unwrap();
    let license = server.license_with_policy(json!({})).await.unwrap();
    let key = key_of(&license);
    let mut browser = Browser::new(&server);
    assert_eq!(
        browser
            .sign_in("admin@acme.test", "correct horse")
            .await
            .status,
        303
    );

    let found = browser.get(&format!("/admin/licenses?q={key}")).await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert!(found.body.contains(&key));
    let missing = browser.get("/admin/licenses?q=NO-SUCH-KEY").await;
    assert!(!missing.body.contains(&key));
    let suspended = browser.get("/admin/licenses?status=SUSPENDED").await;
    assert!(!suspended.body.contains(&key));
    let active = browser.get("/admin/licenses?status=ACTIVE").await;
    assert!(
        active.body.contains(&key)
            || browser
                .get("/admin/licenses?status=INACTIVE")
                .await
                .body
                .contains(&key)
    );

    let csv = browser.get("/admin/licenses/export.csv").await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(csv.body.starts_with("id,key,name,status"), "{}", csv.body);
    assert!(csv.body.contains(&key));

    // Every page answers.
    for page in [
        "/admin",
        "/admin/products",
        "/admin/policies",
        "/admin/policies/new",
        "/admin/licenses/new",
        "/admin/machines",
        "/admin/users",
        "/admin/groups",
        "/admin/entitlements",
        "/admin/tokens",
        "/admin/webhooks",
        "/admin/events",
        "/admin/keys",
        "/admin/security",
    ] {
        let shown = browser.get(page).await;
        assert_eq!(shown.status, 200, "{page}: {}", shown.body);
    }
    assert!(
        browser
            .get("/admin/keys")
            .await
            .body
            .contains("BEGIN PUBLIC KEY")
    );
    assert_eq!(browser.get("/admin/assets/admin.css").await.status, 200);
    assert_eq!(browser.get("/admin/assets/nope.js").await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_is_refused_cleanly() {
    let server = TestServer::start().await.unwrap();
    let license = server.license_with_policy(json!({})).await.unwrap();
    let mut browser = Browser::new(&server);

    // NUL bytes and invalid UTF-8 in the login form: an answer, never a 500.
    let form = browser.get("/admin/login").await;
    let csrf = form.csrf();
    let mut body = format!("_csrf={csrf}&email=admin%00%40acme.test&password=").into_bytes();
    body.extend_from_slice(&[0xff, 0xfe, b'x']);
    let answer = browser.post_raw("/admin/login", body).await;
    assert!(
        answer.status == 401 || answer.status == 400,
        "{} {}",
        answer.status,
        answer.body
    );
    let answer = browser
        .post(
            "/admin/login",
            &[
                ("_csrf", &csrf),
                ("email", "admin@acme.test"),
                ("password", "x"),
                ("account", "\u{0}../"),
            ],
        )
        .await;
    assert_eq!(answer.status, 404);
    // A forged session cookie is no session.
    browser
        .cookies
        .insert("latchkey_admin".into(), "a.b.c".into());
    assert_eq!(browser.get("/admin").await.status, 303);
    browser.cookies.remove("latchkey_admin");

    assert_eq!(
        browser
            .sign_in("admin@acme.test", "correct horse")
            .await
            .status,
        303
    );
    let csrf = browser.csrf().await;
    // Odd ids never reach the API as paths.
    for path in ["/admin/licenses/..%2F..%2Fusers", "/admin/licenses/%00"] {
        let shown = browser.get(path).await;
        assert_eq!(shown.status, 404, "{path}: {}", shown.body);
    }
    let mut body = format!("_csrf={csrf}&name=").into_bytes();
    body.extend_from_slice(&[0xc3, 0x28, 0x00]);
    body.extend_from_slice(b"&code=%00");
    let answer = browser.post_raw("/admin/entitlements", body).await;
    assert!(
        answer.status >= 400 && answer.status < 500,
        "{} {}",
        answer.status,
        answer.body
    );
    let huge = browser
        .post_raw("/admin/entitlements", vec![b'a'; 200 * 1024])
        .await;
    assert_eq!(huge.status, 413);
    let numbers = browser
        .post(
            "/admin/policies",
            &[
                ("_csrf", &csrf),
                ("name", "P"),
                ("product", "x"),
                ("maxMachines", "99999999999999999999"),
            ],
        )
        .await;
    assert_eq!(numbers.status, 422, "{}", numbers.body);

    // Another account's admin sees none of this account's licenses.
    create_account(
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
    .await
    .unwrap();
    let mut other = Browser::new(&server);
    let form = other.get("/admin/login").await;
    let signed = other
        .post(
            "/admin/login",
            &[
                ("_csrf", &form.csrf()),
                ("email", "admin@globex.test"),
                ("password", "another horse"),
                ("account", "globex"),
            ],
        )
        .await;
    assert_eq!(signed.status, 303, "{}", signed.body);
    let id = license["id"].as_str().unwrap();
    assert_eq!(
        other.get(&format!("/admin/licenses/{id}")).await.status,
        404
    );
    let csrf = other.csrf().await;
    let forged = other
        .post(
            &format!("/admin/licenses/{id}/actions/suspend"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(forged.status, 404);
    assert!(
        !other
            .get("/admin/licenses")
            .await
            .body
            .contains(&key_of(&license))
    );
}
