//! The admin UI over HTTP, as a browser without scripts would use it: sign-in and its
//! protections, CSRF on every form, actions reaching the API with the user's own
//! rights, hostile input. (tests/admin_browser.rs drives it in Chromium.)

#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] fns

use latchkey_testkit::TestServer;
use serde_json::json;
use std::collections::HashMap;

/// A cookie-keeping client that does not follow redirects.
pub(crate) struct Browser {
    base: String,
    http: reqwest::Client,
    cookies: HashMap<String, String>,
    set_cookies: Vec<String>,
}

pub(crate) struct Page {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The first `_csrf` value on the page.
    fn csrf(&self) -> String {
        let marker = "name=\"_csrf\" value=\"";
        let start = self.body.find(marker).expect("a form with _csrf") + marker.len();
        let end = self.body[start..].find('"').unwrap() + start;
        self.body[start..end].to_owned()
    }
}

impl Browser {
    fn new(server: &TestServer) -> Self {
        Self {
            base: server.base.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
            set_cookies: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&mut self, response: reqwest::Response) -> Page {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        for value in headers.get_all("set-cookie") {
            let text = value.to_str().unwrap().to_owned();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || text.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
            self.set_cookies.push(text);
        }
        let body = response.text().await.unwrap();
        Page {
            status,
            headers,
            body,
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.finish(response).await
    }

    async fn post_raw(&mut self, path: &str, body: Vec<u8>) -> Page {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        self.finish(response).await
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = serde_urlencoded::to_string(fields).unwrap();
        self.post_raw(path, body.into_bytes()).await
    }

    async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        let form = self.get("/admin/login").await;
        let csrf = form.csrf();
        self.post(
            "/admin/login",
            &[("_csrf", &csrf), ("email", email), ("password", password)],
        )
        .await
    }

    /// A CSRF value of the signed-in session (from any page with a form).
    async fn csrf(&mut self) -> String {
        self.get("/admin/tokens").await.csrf()
    }
}

async fn staff_user(server: &TestServer, email: &str, role: &str) {
    server
        .create(
            "/v1/users",
            json!({ "data": { "type": "users", "attributes": {
                "email": email, "password": "staff password", "role": role } } }),
        )
        .await
        .unwrap();
}

fn key_of(license: &serde_json::Value) -> String {
    license["attributes"]["key"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_is_protected_and_sessions_are_api_tokens() {
    let server = TestServer::start().await.unwrap();
    let mut browser = Browser::new(&server);

    let anonymous = browser.get("/admin/licenses?status=ACTIVE").await;
    assert_eq!(anonymous.status, 303);
    assert_eq!(
        anonymous.location(),
        "/admin/login?next=%2Fadmin%2Flicenses%3Fstatus%3DACTIVE"
    );

    let form = browser.get("/admin/login").await;
    assert_eq!(form.status, 200);
    let csp = form.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(form.headers["x-frame-options"], "DENY");
    assert_eq!(form.headers["cache-control"], "no-store");
    assert!(!form.body.contains("<script>"), "no inline script");
    assert!(!form.body.contains("style="), "no inline style");

    // A post without the pre-login cookie's CSRF value is refused.
    let mut stranger = Browser::new(&server);
    let forged = stranger
        .post(
            "/admin/login",
            &[("email", "admin@acme.test"), ("password", "correct horse")],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert!(!stranger.cookies.contains_key("latchkey_admin"));
    // So is a CSRF value taken from another browser's form.
    let theirs = form.csrf();
    let forged = stranger
        .post(
            "/admin/login",
            &[
                ("_csrf", &theirs),
                ("email", "admin@acme.test"),
                ("password", "correct horse"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);

    let wrong = browser.sign_in("admin@acme.test", "wrong horse").await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    assert!(!browser.cookies.contains_key("latchkey_admin"));

    let signed = browser.sign_in("admin@acme.test", "correct horse").await;
    assert_eq!(signed.status, 303, "{}", signed.body);
    assert_eq!(signed.location(), "/admin");
    let cookie = browser
        .set_cookies
        .iter()
        .find(|c| c.starts_with("latchkey_admin="))
        .unwrap()
        .clone();
    for part in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/admin",
        "Max-Age=28800",
    ] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");

    let dashboard = browser.get("/admin").await;
    assert_eq!(dashboard.status, 200, "{}", dashboard.body);
    assert!(dashboard.body.contains("Licenses by status"));
    assert!(dashboard.body.contains("admin@acme.test"));

    // The session is an ordinary API token: listed by the API, and signing out
    // revokes it.
    let tokens = server.admin("GET", "/v1/tokens", None).await.unwrap();
    assert!(
        tokens.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["attributes"]["name"] == "Admin UI session"),
        "{}",
        tokens.body
    );
    let session_cookie = browser.cookies["latchkey_admin"].clone();
    let csrf = browser.csrf().await;
    let out = browser.post("/admin/logout", &[("_csrf", &csrf)]).await;
    assert_eq!(out.status, 303);
    let mut replay = Browser::new(&server);
    replay
        .cookies
        .insert("latchkey_admin".into(), session_cookie.clone());
    assert_eq!(
        replay.get("/admin").await.status,
        303,
        "revoked at sign-out"
    );
    let raw = session_cookie.splitn(3, '.').nth(2).unwrap();
    let me = server.call("GET", "/v1/me", Some(raw), None).await.unwrap();
    assert_eq!(me.status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_need_the_csrf_field_and_reach_the_api() {
    let server = TestServer::start().await.unwrap();
    let license = server
        .license_with_policy(json!({ "floating": true, "maxMachines": 3 }))
        .await
        .unwrap();
    let id = license["id"].as_str().unwrap();
    let machine = server.machine_for(id).await.unwrap();
    let mut browser = Browser::new(&server);
    assert_eq!(
        browser
            .sign_in("admin@acme.test", "correct horse")
            .await
            .status,
        303
    );

    let page = browser.get(&format!("/admin/licenses/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(&key_of(&license)));
    assert!(page.body.contains("Suspend") && page.body.contains("Delete"));

    // Without the CSRF field, or with another value: refused, nothing changes.
    let suspend = format!("/admin/licenses/{id}/actions/suspend");
    assert_eq!(browser.post(&suspend, &[]).await.status, 403);
    assert_eq!(
        browser.post(&suspend, &[("_csrf", "0000")]).await.status,
        403
    );
    let validation = server
        .validate_key(&key_of(&license), json!({}))
        .await
        .unwrap();
    assert_ne!(validation["meta"]["code"], "SUSPENDED");

    let csrf = page.csrf();
    let done = browser.post(&suspend, &[("_csrf", &csrf)]).await;
    assert_eq!(done.status, 303);
    assert_eq!(
        done.location(),
        format!("/admin/licenses/{id}?done=suspended")
    );
    let validation = server
        .validate_key(&key_of(&license), json!({}))
        .await
        .unwrap();
    assert_eq!(validation["meta"]["code"], "SUSPENDED");
    let shown = browser.get(done.location()).await;
    assert!(shown.body.contains("License suspended."));
    assert!(shown.body.contains("Reinstate"));

    // Deactivating a machine is the API's DELETE /machines/{id}.
    let deactivate = format!("/admin/machines/{machine}/deactivate?license={id}");
    assert_eq!(
        browser.post(&deactivate, &[("_csrf", &csrf)]).await.status,
        303
    );
    let gone = server
        .admin("GET", &format!("/v1/machines/{machine}"), None)
        .await
        .unwrap();
    assert_eq!(gone.status, 404);

    // An activation token is shown once, on the answer to the post.
    let created = browser
        .post(&format!("/admin/licenses/{id}/tokens"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert!(created.body.contains("activ-"), "{}", created.body);
    assert!(
        !browser
            .get(&format!("/admin/licenses/{id}"))
            .await
            .body
            .contains("activ-")
    );

    // A license file downloads as an attachment.
    let file = browser
        .post(
            &format!("/admin/licenses/{id}/license-file"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(file.status, 200, "{}", file.body);
    assert!(
        file.body.starts_with("-----BEGIN LICENSE FILE-----"),
        "{}",
        file.body
    );
    assert!(
        file.headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );

    // The event history on the license page shows the suspension.
    let page = browser.get(&format!("/admin/licenses/{id}")).await;
    assert!(page.body.contains("license.suspended"), "{}", page.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_agents_see_no_destructive_actions_and_forged_ones_fail() {
    let server = TestServer::start().await.unwrap();
    let license = server
        .license_with_policy(json!({ "floating": true }))
        .await
        .unwrap();
    let id = license["id"].as_str().unwrap();
    let machine = server.machine_for(id).await.unwrap();
    staff_user(&server, "support@acme.test", "support-agent").await;
    let mut browser = Browser::new(&server);
    assert_eq!(
        browser
            .sign_in("support@acme.test", "staff password")
            .await
            .status,
        303
    );

    let page = browser.get(&format!("/admin/licenses/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Suspend"), "support agents may suspend");
    for absent in [">Delete<", ">Deactivate<", ">Revoke<", ">Renew<"] {
        assert!(
            !page.body.contains(absent),
            "{absent} shown to a support agent"
        );
    }
    let csrf = page.csrf();
    let forged = browser
        .post(
            &format!("/admin/licenses/{id}/actions/delete"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    let forged = browser
        .post(
            &format!("/admin/machines/{machine}/deactivate"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    let still = server
        .admin("GET", &format!("/v1/licenses/{id}"), None)
        .await
        .unwrap();
    assert_eq!(still.status, 200);
    let still = server
        .admin("GET", &format!("/v1/machines/{machine}"), None)
        .await
        .unwrap();
    assert_eq!(still.status, 200);

    // A user (not staff) cannot sign in here, and the token minted on the way is revoked.
    server
        .create(
            "/v1/users",
            json!({ "data": { "type": "users", "attributes": {
                "email": "customer@acme.test", "password": "customer password" } } }),
        )
        .await
        .unwrap();
    let mut customer = Browser::new(&server);
    let refused = customer
        .sign_in("customer@acme.test", "customer password")
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(!customer.cookies.contains_key("latchkey_admin"));
    let tokens = server.admin("GET", "/v1/tokens", None).await.unwrap();
    assert_eq!(
        tokens.body["data"].as_array().unwrap().len(),
        2,
        "admin's and support's sessions only: {}",
        tokens.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_form_has_the_password_rate_limit_of_post_tokens() {
    let server = TestServer::start().await.unwrap();
    let mut browser = Browser::new(&server);
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(
            browser
                .sign_in("admin@acme.test", "wrong horse")
                .await
                .status,
        );
    }
    assert_eq!(
        statuses,
        [401, 401, 401, 401, 401, 429],
        "5 a minute, as POST /tokens"
    );
    // The right password is throttled too until the window passes.
    assert_eq!(
        browser
            .sign_in("admin@acme.test", "correct horse")
            .await
            .status,
        429
    );
    // Through the API directly, the same budget is spent.
    let basic = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        "admin@acme.test:correct horse",
    );
    let api = server
        .send_as("POST", "/v1/tokens", &format!("Basic {basic}"), None)
        .await
        .unwrap();
    assert_eq!(api.status, 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_ui_false_leaves_admin_to_the_api() {
    let config = latchkey_server::Config {
        admin_ui: false,
        ..Default::default()
    };
    let server = TestServer::start_with(config).await.unwrap();
    let mut browser = Browser::new(&server);
    for path in ["/admin", "/admin/login", "/admin/assets/admin.css"] {
        let page = browser.get(path).await;
        assert_eq!(page.status, 404, "{path}");
        assert!(page.body.contains("NOT_FOUND"), "{path}: {}", page.body);
    }
    let api = server.admin("GET", "/v1/licenses", None).await.unwrap();
    assert_eq!(api.status, 200);
}

#[path = "admin_ui/pages.rs"]
mod pages;
