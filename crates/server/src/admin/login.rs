//! Sign-in and sign-out. The login form posts email, password and (when the user
//! has a second factor) a one-time code; the UI turns them into `POST /tokens` with
//! HTTP Basic and `meta.otp`, so the API's checks, error codes and password rate
//! limit apply unchanged. The minted token becomes the session.

use super::api::{Caller, Failure};
use super::html::{self, Flash};
use super::session::{self, COOKIE, LOGIN_COOKIE, SESSION_SECONDS, Session};
use super::{Admin, respond};
use crate::client_ip::ClientIp;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use maud::html;
use serde::Deserialize;
use serde_json::json;

/// `?next=` after sign-in.
#[derive(Debug, Deserialize, Default)]
pub struct Next {
    next: Option<String>,
}

struct Filled<'a> {
    email: &'a str,
    account: &'a str,
    next: &'a str,
    ask_code: bool,
}

fn login_page(
    admin: &Admin,
    cookie: &str,
    filled: &Filled<'_>,
    flash: Option<&Flash>,
) -> maud::Markup {
    let csrf = session::csrf_for(admin, "login", cookie);
    let body = html! {
        form method="post" action="/admin/login" {
            input type="hidden" name="_csrf" value=(csrf);
            input type="hidden" name="next" value=(filled.next);
            label for="email" { "Email" }
            input id="email" name="email" type="email" autocomplete="username" required value=(filled.email);
            label for="password" { "Password" }
            input id="password" name="password" type="password" autocomplete="current-password" required;
            label for="otp" {
                "One-time code"
                small { @if filled.ask_code { "Required: the 6-digit code from your authenticator app." } @else { "Only if you enabled a second factor." } }
            }
            input id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" maxlength="10" pattern="[0-9]*";
            label for="account" { "Account" small { "Id or slug; the server's default account when empty." } }
            input id="account" name="account" value=(filled.account);
            button type="submit" { "Sign in" }
        }
    };
    html::bare("Sign in", flash, body)
}

/// A fresh random pre-login cookie value.
fn fresh_login_cookie() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// `GET /admin/login`.
pub async fn form(
    State(admin): State<Admin>,
    headers: HeaderMap,
    Query(next): Query<Next>,
) -> Response {
    let cookie = session::cookie(&headers, LOGIN_COOKIE)
        .filter(|c| c.len() == 48 && c.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_owned)
        .unwrap_or_else(fresh_login_cookie);
    let next = next.next.unwrap_or_default();
    let filled = Filled {
        email: "",
        account: "",
        next: session::safe_next(&next),
        ask_code: false,
    };
    let page = login_page(&admin, &cookie, &filled, None);
    let set = session::set_cookie(
        LOGIN_COOKIE,
        &cookie,
        3600,
        session::secure(&admin, &headers),
    );
    let mut response = respond(StatusCode::OK, page);
    if let Ok(value) = set.parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// `POST /admin/login`.
pub async fn submit(
    State(admin): State<Admin>,
    headers: HeaderMap,
    ip: Option<Extension<ClientIp>>,
    body: Bytes,
) -> Response {
    let form = super::form::Form::parse(&body);
    let Some(cookie) = session::cookie(&headers, LOGIN_COOKIE) else {
        return expired_form(&admin, &headers);
    };
    if !session::csrf_matches(&admin, "login", cookie, form.get("_csrf")) {
        return expired_form(&admin, &headers);
    }
    let filled = Filled {
        email: form.get("email"),
        account: form.get("account"),
        next: session::safe_next(form.get("next")),
        ask_code: false,
    };
    let refuse = |status: StatusCode, message: String, ask_code: bool| {
        let filled = Filled { ask_code, ..filled };
        respond(
            status,
            login_page(&admin, cookie, &filled, Some(&Flash::Failed(message))),
        )
    };
    let account = match resolve_account(&admin, filled.account).await {
        Ok(id) => id,
        Err(message) => return refuse(StatusCode::NOT_FOUND, message, false),
    };
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        filled.email,
        form.get("password")
    ));
    let caller = Caller {
        account: account.clone(),
        authorization: format!("Basic {basic}"),
        ip: ip.map(|Extension(ip)| ip),
    };
    let expiry =
        latchkey_proto::time_format::from_millis(admin.state.now_ms() + SESSION_SECONDS * 1000)
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_default();
    let mut request = json!({
        "data": { "type": "tokens", "attributes": { "name": "Admin UI session", "expiry": expiry } }
    });
    if let Some(otp) = form.some("otp") {
        request["meta"] = json!({ "otp": otp });
    }
    let minted = match admin
        .api
        .send(&caller, Method::POST, "/tokens", Some(&request))
        .await
    {
        Ok(reply) if reply.ok() => reply.json(),
        Ok(reply) => {
            let failure = Failure::from_reply(&reply);
            let ask_code = matches!(
                failure.code.as_deref(),
                Some("OTP_REQUIRED" | "OTP_INVALID")
            );
            return refuse(reply.status, failure.message, ask_code);
        }
        Err(failure) => return refuse(failure.status, failure.message, false),
    };
    let (Some(token), Some(token_id)) = (
        minted["data"]["attributes"]["token"].as_str(),
        minted["data"]["id"].as_str(),
    ) else {
        return refuse(StatusCode::BAD_GATEWAY, "no token was issued".into(), false);
    };
    let value = session::cookie_value(&account, token_id, token);
    let mut session_headers = HeaderMap::new();
    if let Ok(v) = format!("{COOKIE}={value}").parse() {
        session_headers.insert(header::COOKIE, v);
    }
    if session::load(&admin, &session_headers, caller.ip)
        .await
        .is_none()
    {
        // Not a staff user: the token is of no use here; revoke it at once.
        let bearer = Caller {
            authorization: format!("Bearer {token}"),
            ..caller
        };
        let _ = admin
            .api
            .send(
                &bearer,
                Method::DELETE,
                &format!("/tokens/{token_id}"),
                None,
            )
            .await;
        return refuse(
            StatusCode::FORBIDDEN,
            "This user's role has no access to the admin console.".into(),
            false,
        );
    }
    let secure = session::secure(&admin, &headers);
    let mut response = Redirect::to(filled.next).into_response();
    for set in [
        session::set_cookie(COOKIE, &value, SESSION_SECONDS, secure),
        session::set_cookie(LOGIN_COOKIE, "", 0, secure),
    ] {
        if let Ok(v) = set.parse() {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

/// A login post without its pre-login cookie and CSRF value: a fresh form.
fn expired_form(admin: &Admin, headers: &HeaderMap) -> Response {
    let cookie = fresh_login_cookie();
    let filled = Filled {
        email: "",
        account: "",
        next: "/admin",
        ask_code: false,
    };
    let flash = Flash::Failed(
        "This sign-in form expired or did not come from this site; please sign in again.".into(),
    );
    let mut response = respond(
        StatusCode::FORBIDDEN,
        login_page(admin, &cookie, &filled, Some(&flash)),
    );
    let set = session::set_cookie(LOGIN_COOKIE, &cookie, 3600, session::secure(admin, headers));
    if let Ok(value) = set.parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The account id for the login form's account field (the default when empty).
async fn resolve_account(admin: &Admin, text: &str) -> Result<String, String> {
    let found = if text.is_empty() {
        admin.state.default_account().await
    } else if text.len() > 255 || text.chars().any(char::is_control) {
        Ok(None)
    } else {
        admin.state.account(text).await
    };
    match found {
        Ok(Some(account)) => Ok(account.id.clone()),
        Ok(None) => Err("No such account.".into()),
        Err(error) => Err(format!("The account could not be looked up: {error}")),
    }
}

/// `POST /admin/logout`: revokes the session's token and drops the cookie.
pub async fn logout(
    State(admin): State<Admin>,
    headers: HeaderMap,
    session: Session,
    body: Bytes,
) -> Response {
    if let Err(failure) = super::form::read(&session, &body) {
        return super::refused(&session, &failure, "/admin");
    }
    let _ = admin
        .api
        .send(
            &session.caller,
            Method::DELETE,
            &format!("/tokens/{}", session.token_id),
            None,
        )
        .await;
    let mut response = Redirect::to("/admin/login").into_response();
    let set = session::set_cookie(COOKIE, "", 0, session::secure(&admin, &headers));
    if let Ok(value) = set.parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}
