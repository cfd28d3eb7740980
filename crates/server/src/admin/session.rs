//! Sign-in state. A session is an ordinary API token of the signed-in user (minted by
//! `POST /tokens` with the login form's email, password and one-time code, expiring
//! after [`SESSION_SECONDS`]), held in an HttpOnly, SameSite=Strict cookie scoped to
//! `/admin` (Secure behind TLS). The server keeps only the token's digest; signing
//! out revokes the token, so the expiry and the revocation are server-side.
//!
//! Every form carries a CSRF field: an HMAC of the session cookie under the server
//! secret (the login form: of a random pre-login cookie), compared in constant time.

use super::Admin;
use super::api::Caller;
use crate::client_ip::ClientIp;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::Value;

/// The session cookie.
pub const COOKIE: &str = "latchkey_admin";
/// The pre-login cookie the login form's CSRF field is bound to.
pub const LOGIN_COOKIE: &str = "latchkey_admin_login";
/// How long a session lasts.
pub const SESSION_SECONDS: i64 = 8 * 3600;

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct Session {
    /// How API calls are made for this user.
    pub caller: Caller,
    /// The session token's id (revoked at sign-out).
    pub token_id: String,
    /// The signed-in user's id.
    pub user_id: String,
    /// The user's email.
    pub email: String,
    /// The user's role (`admin`, `developer`, `read-only`, `sales-agent`, `support-agent`).
    pub role: String,
    /// The CSRF value every form of this session must carry.
    pub csrf: String,
}

/// The value of cookie `name`.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Whether cookies must be `Secure`: the server speaks TLS, or a proxy in front does.
pub fn secure(admin: &Admin, headers: &HeaderMap) -> bool {
    admin.state.config.tls.is_some()
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value for `/admin`.
pub fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

/// The session cookie's value for a token: `account.token-id.token`.
pub fn cookie_value(account: &str, token_id: &str, token: &str) -> String {
    format!("{account}.{token_id}.{token}")
}

/// Splits a session cookie; `None` when malformed (only UUIDs and token characters).
fn parse(value: &str) -> Option<(&str, &str, &str)> {
    let mut parts = value.splitn(3, '.');
    let (account, token_id, token) = (parts.next()?, parts.next()?, parts.next()?);
    let plain = |s: &str| {
        !s.is_empty()
            && s.len() <= 512
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    (plain(account) && plain(token_id) && plain(token)).then_some((account, token_id, token))
}

/// The CSRF value bound to a cookie.
pub fn csrf_for(admin: &Admin, purpose: &str, cookie: &str) -> String {
    admin
        .state
        .secret
        .digest(&format!("admin-{purpose}\0{cookie}"))
}

/// Whether `presented` is the CSRF value bound to `cookie` (constant time).
pub fn csrf_matches(admin: &Admin, purpose: &str, cookie: &str, presented: &str) -> bool {
    admin
        .state
        .secret
        .digest_matches(&format!("admin-{purpose}\0{cookie}"), presented)
}

/// What an unauthenticated page request gets: the login page, then back.
#[derive(Debug)]
pub struct SignIn(String);

impl IntoResponse for SignIn {
    fn into_response(self) -> Response {
        let next = super::api::with_query("/admin/login", &[("next", self.0.as_str())]);
        Redirect::to(&next).into_response()
    }
}

/// Looks the session up: the cookie's token must still authenticate (`GET /me`) as a
/// staff user of the cookie's account.
pub async fn load(admin: &Admin, headers: &HeaderMap, ip: Option<ClientIp>) -> Option<Session> {
    let value = cookie(headers, COOKIE)?;
    let (account, token_id, token) = parse(value)?;
    let caller = Caller {
        account: account.to_owned(),
        authorization: format!("Bearer {token}"),
        ip,
    };
    let me = admin.api.get(&caller, "/me").await.ok()?;
    let user: &Value = &me["data"];
    if user["type"] != "users" {
        return None;
    }
    let role = user["attributes"]["role"].as_str()?.to_owned();
    // The admin UI serves staff; a `user` signs in to their own software, not here.
    if !latchkey_core::roles::Role::parse(&role).is_some_and(latchkey_core::roles::Role::is_staff) {
        return None;
    }
    Some(Session {
        caller,
        token_id: token_id.to_owned(),
        user_id: user["id"].as_str().unwrap_or("").to_owned(),
        email: user["attributes"]["email"]
            .as_str()
            .unwrap_or("")
            .to_owned(),
        role,
        csrf: csrf_for(admin, "csrf", value),
    })
}

impl FromRequestParts<Admin> for Session {
    type Rejection = SignIn;

    async fn from_request_parts(parts: &mut Parts, admin: &Admin) -> Result<Self, SignIn> {
        let ip = parts.extensions.get::<ClientIp>().copied();
        match load(admin, &parts.headers, ip).await {
            Some(session) => Ok(session),
            None => {
                let wanted = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .filter(|p| parts.method == axum::http::Method::GET && p.starts_with("/admin"))
                    .unwrap_or("/admin");
                Err(SignIn(wanted.to_owned()))
            }
        }
    }
}

/// Only same-site paths under `/admin` are followed after sign-in.
pub fn safe_next(next: &str) -> &str {
    let local = next.starts_with("/admin")
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    if local { next } else { "/admin" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_parse_strictly() {
        assert_eq!(
            parse("a-1.b-2.admin-xyz"),
            Some(("a-1", "b-2", "admin-xyz"))
        );
        assert_eq!(parse("a.b"), None);
        assert_eq!(parse("a.b.c d"), None);
        assert_eq!(parse("a..c"), None);
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "x=1; latchkey_admin=a.b.c".parse().unwrap());
        assert_eq!(cookie(&headers, COOKIE), Some("a.b.c"));
        assert_eq!(cookie(&headers, "y"), None);
    }

    #[test]
    fn only_local_admin_paths_are_followed() {
        assert_eq!(safe_next("/admin/licenses?q=1"), "/admin/licenses?q=1");
        assert_eq!(safe_next("https://evil.test/"), "/admin");
        assert_eq!(safe_next("//evil.test"), "/admin");
        assert_eq!(safe_next("/admin\\..\\x"), "/admin");
        assert_eq!(safe_next("/v1/licenses"), "/admin");
    }

    #[test]
    fn cookies_carry_their_protections() {
        let text = set_cookie(COOKIE, "v", 60, true);
        for part in [
            "HttpOnly",
            "SameSite=Strict",
            "Secure",
            "Path=/admin",
            "Max-Age=60",
        ] {
            assert!(text.contains(part), "{text}");
        }
        assert!(!set_cookie(COOKIE, "v", 60, false).contains("Secure"));
    }
}
