//! The admin UI driven in headless Chromium (Debian's `chromium` and
//! `chromium-driver`, over WebDriver): sign in, create a product, a policy and a
//! license through the forms, find the license by its key, suspend it (the API then
//! validates it as SUSPENDED), deactivate a machine, and as a support agent find the
//! destructive actions absent and refused when forged; a form post without its CSRF
//! field is refused.
//!
//! With `LATCHKEY_SCREENSHOTS=<dir>` the test also saves screenshots of the main
//! pages at desktop and phone widths there (`docs/screenshots` in the repository).

#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] fns

use fantoccini::{Client, ClientBuilder, Locator};
use latchkey_testkit::TestServer;
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// chromedriver on a free port, killed on drop.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn driver() -> Driver {
    assert!(
        std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
        "the browser tests need Debian's chromium and chromium-driver \
         (apt-get install chromium chromium-driver; scripts/test installs them)"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // Owned by a Driver at once, so every path (a panic too) kills and reaps it.
    let driver = Driver {
        child: Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts"),
        port,
    };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not listen on {port}");
}

async fn browser(driver: &Driver) -> Client {
    // The WebDriver client's TLS stack could pick either provider; the server's is ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,900", "--force-device-scale-factor=1"],
        }),
    );
    ClientBuilder::rustls()
        .expect("rustls connector")
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a Chromium session")
}

async fn fill(client: &Client, css: &str, text: &str) {
    let field = client.find(Locator::Css(css)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Clicks the submit button whose text is `label`, accepting its confirmation, and
/// waits for the navigation the post starts (every post here lands on another URL).
async fn press(client: &Client, label: &str) {
    let before = client.current_url().await.unwrap();
    let xpath = format!("//button[normalize-space(text())='{label}']");
    client
        .find(Locator::XPath(&xpath))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Destructive buttons ask first (when scripts run).
    let _ = client.accept_alert().await;
    for _ in 0..50 {
        let now = client.current_url().await.unwrap();
        let ready = client
            .execute("return document.readyState", vec![])
            .await
            .map(|state| state == "complete")
            .unwrap_or(false);
        if now != before && ready {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits (up to five seconds) for the browser to arrive at a path starting with `prefix`.
async fn until_path(client: &Client, prefix: &str) -> String {
    let mut path = String::new();
    for _ in 0..50 {
        path = client.current_url().await.unwrap().path().to_owned();
        if path.starts_with(prefix) {
            return path;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "still at {path}, not {prefix}: {}",
        client.source().await.unwrap()
    );
}

async fn text(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn sign_in(client: &Client, base: &str, email: &str, password: &str) {
    client.goto(&format!("{base}/admin")).await.unwrap();
    assert!(
        client
            .current_url()
            .await
            .unwrap()
            .path()
            .starts_with("/admin/login")
    );
    fill(client, "#email", email).await;
    fill(client, "#password", password).await;
    press(client, "Sign in").await;
    assert_eq!(until_path(client, "/admin").await, "/admin");
}

async fn shoot(client: &Client, dir: &Option<String>, name: &str) {
    let Some(dir) = dir else { return };
    std::fs::create_dir_all(dir).unwrap();
    for (suffix, width, height) in [("desktop", 1280, 900), ("phone", 390, 844)] {
        client.set_window_size(width, height).await.unwrap();
        tokio::time::sleep(Duration::from_millis(150)).await;
        let png = client.screenshot().await.unwrap();
        std::fs::write(format!("{dir}/{name}-{suffix}.png"), png).unwrap();
    }
    client.set_window_size(1280, 900).await.unwrap();
}

/// Submits a form built by script: the post a forger would make.
async fn forge(client: &Client, action: &str, csrf: Option<&str>) {
    let script = "
        const form = document.createElement('form');
        form.method = 'post';
        form.action = arguments[0];
        if (arguments[1] !== null) {
            const field = document.createElement('input');
            field.type = 'hidden'; field.name = '_csrf'; field.value = arguments[1];
            form.appendChild(field);
        }
        document.body.appendChild(form);
        form.submit();";
    client
        .execute(script, vec![json!(action), json!(csrf)])
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
}

/// Lists what fails the page's accessibility basics: a form control without a label
/// or accessible name, a link or button without a name, text whose contrast with its
/// background is below WCAG AA (4.5:1, 3:1 for large text), or a first focusable
/// element that is not the skip link.
const ACCESSIBILITY: &str = r#"
const problems = [];
for (const e of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
  if (e.labels.length === 0 && !e.getAttribute('aria-label')) problems.push('unlabelled ' + e.name);
}
for (const e of document.querySelectorAll('a, button')) {
  if (!e.textContent.trim() && !e.getAttribute('aria-label')) problems.push('nameless ' + e.outerHTML);
}
const channel = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
const luminance = c => { const [r, g, b] = c.match(/[\d.]+/g).map(Number); return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b); };
const background = e => {
  for (; e; e = e.parentElement) {
    const c = getComputedStyle(e).backgroundColor, m = c.match(/[\d.]+/g);
    if (m && (m.length < 4 || Number(m[3]) > 0)) return c;
  }
  return 'rgb(255, 255, 255)';
};
for (const e of document.querySelectorAll('body *')) {
  if (![...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
  const s = getComputedStyle(e);
  const a = luminance(s.color), b = luminance(background(e));
  const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  const large = parseFloat(s.fontSize) >= 24 || (parseFloat(s.fontSize) >= 18.66 && Number(s.fontWeight) >= 700);
  if (ratio < (large ? 3 : 4.5)) problems.push('contrast ' + ratio.toFixed(2) + ': ' + e.textContent.trim().slice(0, 40));
}
const first = document.querySelector('a[href], button, input:not([type=hidden]), select, textarea');
if (!first || !first.classList.contains('skip')) problems.push('the skip link is not first');
return problems;
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_ui_in_chromium() {
    let server = TestServer::start().await.unwrap();
    let base = server.base.clone();
    let shots = std::env::var("LATCHKEY_SCREENSHOTS").ok();
    let driver = driver().await;
    let client = browser(&driver).await;

    sign_in(&client, &base, "admin@acme.test", "correct horse").await;

    // A product, a policy and a license, through the forms.
    client
        .goto(&format!("{base}/admin/products"))
        .await
        .unwrap();
    fill(&client, "#name", "Browser Product").await;
    press(&client, "Create product").await;
    assert!(client.source().await.unwrap().contains("Browser Product"));
    click(&client, "a[href^='/admin/policies/new']").await;
    fill(&client, "#name", "Floating Two").await;
    click(&client, "input[name=floating]").await;
    fill(&client, "#maxMachines", "2").await;
    shoot(&client, &shots, "policy-new").await;
    press(&client, "Create policy").await;
    until_path(&client, "/admin/policies/").await;
    assert!(text(&client, "h1").await.contains("Floating Two"));
    client
        .goto(&format!("{base}/admin/licenses/new"))
        .await
        .unwrap();
    fill(&client, "#name", "Browser License").await;
    press(&client, "Create license").await;
    let path = until_path(&client, "/admin/licenses/").await;
    let license_id = path.trim_start_matches("/admin/licenses/").to_owned();
    let key = text(&client, "main > p code").await;
    assert!(!key.is_empty());

    // The license has a machine (activated by the application, through the API).
    let machine = server.machine_for(&license_id).await.unwrap();

    // Found by its key.
    client
        .goto(&format!("{base}/admin/licenses"))
        .await
        .unwrap();
    fill(&client, "#q", &key).await;
    press(&client, "Apply").await;
    shoot(&client, &shots, "licenses").await;
    click(&client, &format!("a[href='/admin/licenses/{license_id}']")).await;
    assert!(client.source().await.unwrap().contains(&machine));
    shoot(&client, &shots, "license").await;

    // Suspended: the API now validates it as SUSPENDED.
    press(&client, "Suspend").await;
    assert!(text(&client, ".flash").await.contains("License suspended."));
    let validation = server.validate_key(&key, json!({})).await.unwrap();
    assert_eq!(validation["meta"]["code"], "SUSPENDED", "{validation}");

    // A machine deactivated.
    press(&client, "Deactivate").await;
    assert!(
        text(&client, ".flash")
            .await
            .contains("Machine deactivated.")
    );
    let gone = server
        .admin("GET", &format!("/v1/machines/{machine}"), None)
        .await
        .unwrap();
    assert_eq!(gone.status, 404);

    // A form post without its CSRF field is refused and changes nothing.
    forge(
        &client,
        &format!("/admin/licenses/{license_id}/actions/reinstate"),
        None,
    )
    .await;
    assert_eq!(text(&client, "h1").await, "Forbidden");
    let validation = server.validate_key(&key, json!({})).await.unwrap();
    assert_eq!(validation["meta"]["code"], "SUSPENDED");

    for (page, name) in [
        ("/admin", "dashboard"),
        ("/admin/policies", "policies"),
        ("/admin/users", "users"),
        ("/admin/webhooks", "webhooks"),
        ("/admin/events", "events"),
        ("/admin/keys", "keys"),
    ] {
        client.goto(&format!("{base}{page}")).await.unwrap();
        shoot(&client, &shots, name).await;
    }
    for page in [
        "/admin",
        "/admin/products",
        "/admin/policies/new",
        &format!("/admin/licenses/{license_id}"),
        "/admin/licenses?status=SUSPENDED",
        "/admin/machines",
        "/admin/users",
        "/admin/groups",
        "/admin/entitlements",
        "/admin/tokens",
        "/admin/webhooks",
        "/admin/events",
        "/admin/security",
    ] {
        client.goto(&format!("{base}{page}")).await.unwrap();
        let problems = client.execute(ACCESSIBILITY, vec![]).await.unwrap();
        assert_eq!(problems, json!([]), "{page}");
    }
    // The check finds what it looks for: an unlabelled field and faint text.
    client
        .execute(
            "document.querySelector('main').insertAdjacentHTML('beforeend', \
             '<input name=bare><span id=faint>faint</span>'); \
             document.getElementById('faint').style.color = '#ccc';",
            vec![],
        )
        .await
        .unwrap();
    let problems = client.execute(ACCESSIBILITY, vec![]).await.unwrap();
    assert_eq!(problems.as_array().map(Vec::len), Some(2), "{problems}");

    // A support agent: no destructive actions shown, and a forged one refused.
    server
        .create(
            "/v1/users",
            json!({ "data": { "type": "users", "attributes": {
                "email": "support@acme.test", "password": "support password", "role": "support-agent" } } }),
        )
        .await
        .unwrap();
    press(&client, "Sign out").await;
    until_path(&client, "/admin/login").await;
    sign_in(&client, &base, "support@acme.test", "support password").await;
    client
        .goto(&format!("{base}/admin/licenses/{license_id}"))
        .await
        .unwrap();
    let source = client.source().await.unwrap();
    assert!(source.contains("Reinstate"), "support agents may reinstate");
    for absent in ["Delete", "Revoke", "Renew"] {
        let buttons = client
            .find_all(Locator::XPath(&format!(
                "//button[normalize-space(text())='{absent}']"
            )))
            .await
            .unwrap();
        assert!(buttons.is_empty(), "{absent} shown to a support agent");
    }
    let csrf = client
        .find(Locator::Css("input[name=_csrf]"))
        .await
        .unwrap()
        .attr("value")
        .await
        .unwrap()
        .unwrap();
    forge(
        &client,
        &format!("/admin/licenses/{license_id}/actions/delete"),
        Some(&csrf),
    )
    .await;
    assert_eq!(text(&client, "h1").await, "Forbidden");
    let still = server
        .admin("GET", &format!("/v1/licenses/{license_id}"), None)
        .await
        .unwrap();
    assert_eq!(still.status, 200);

    client.close().await.unwrap();
}
