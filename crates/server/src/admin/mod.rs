//! The admin web UI at `/admin`: server-rendered HTML (maud) with a small script for
//! progressive enhancement, every asset compiled into the binary. Every read and
//! every change is an in-process call to the real API with the signed-in user's own
//! token ([`api`]), so the UI has no rules of its own: a support agent sees what the
//! API shows a support agent, and a forged post is refused as the API refuses it.
//! Everything works with scripts off.
//!
//! Security: a session is an API token in an HttpOnly SameSite=Strict cookie
//! ([`session`]); every form carries a CSRF value bound to it ([`form`]); pages are
//! served with a strict Content-Security-Policy (no inline script or style), no
//! framing, no caching and no referrer.

pub mod access;
pub mod api;
mod assets;
mod chart;
pub mod form;
pub mod html;
mod login;
mod pages;
pub mod session;

use crate::net::App;
use crate::state::AppState;
use api::{Api, Failure};
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use html::Flash;

/// What every admin handler gets.
#[derive(Clone)]
pub struct Admin {
    /// The server's state (secret for CSRF values, config).
    pub state: AppState,
    /// The API, called in-process.
    pub api: Api,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Admin")
    }
}

/// The Content-Security-Policy of every admin response.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Largest form body accepted.
const MAX_FORM: usize = 64 * 1024;

/// `/admin` routes in front of `api` (everything else goes to `api`).
pub fn mount(state: AppState, api: App) -> Router {
    let admin = Admin {
        state,
        api: Api::new(api.clone()),
    };
    let routes = Router::new()
        .route("/admin", get(pages::dashboard::show))
        .route(
            "/admin/",
            get(|| async { axum::response::Redirect::permanent("/admin") }),
        )
        .route("/admin/login", get(login::form).post(login::submit))
        .route("/admin/logout", post(login::logout))
        .route("/admin/assets/{name}", get(assets::serve))
        .route(
            "/admin/products",
            get(pages::products::index).post(pages::products::create),
        )
        .route("/admin/products/{id}", get(pages::products::show))
        .route(
            "/admin/policies",
            get(pages::policies::index).post(pages::policies::create),
        )
        .route("/admin/policies/new", get(pages::policies::new))
        .route("/admin/policies/{id}", get(pages::policies::show))
        .route(
            "/admin/licenses",
            get(pages::licenses::index).post(pages::licenses::create),
        )
        .route("/admin/licenses/export.csv", get(pages::licenses::export))
        .route("/admin/licenses/new", get(pages::licenses::new))
        .route("/admin/licenses/{id}", get(pages::license::show))
        .route(
            "/admin/licenses/{id}/license-file",
            post(pages::license::check_out),
        )
        .route(
            "/admin/licenses/{id}/tokens",
            post(pages::license::activation_token),
        )
        .route(
            "/admin/licenses/{id}/actions/{action}",
            post(pages::license::act),
        )
        .route("/admin/machines", get(pages::machines::index))
        .route(
            "/admin/machines/{id}/deactivate",
            post(pages::machines::deactivate),
        )
        .route(
            "/admin/users",
            get(pages::users::index).post(pages::users::create),
        )
        .route("/admin/users/{id}", get(pages::users::show))
        .route(
            "/admin/users/{id}/actions/{action}",
            post(pages::users::act),
        )
        .route(
            "/admin/groups",
            get(pages::catalog::groups).post(pages::catalog::create_group),
        )
        .route(
            "/admin/entitlements",
            get(pages::catalog::entitlements).post(pages::catalog::create_entitlement),
        )
        .route(
            "/admin/tokens",
            get(pages::tokens::index).post(pages::tokens::create),
        )
        .route("/admin/tokens/{id}/revoke", post(pages::tokens::revoke))
        .route(
            "/admin/webhooks",
            get(pages::webhooks::index).post(pages::webhooks::create),
        )
        .route("/admin/webhooks/{id}/delete", post(pages::webhooks::delete))
        .route(
            "/admin/webhook-events/{id}/retry",
            post(pages::webhooks::retry),
        )
        .route("/admin/events", get(pages::events::index))
        .route("/admin/keys", get(pages::events::keys))
        .route("/admin/security", get(pages::security::show))
        .route("/admin/security/{step}", post(pages::security::step))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_FORM))
        .layer(axum::middleware::from_fn(headers))
        .with_state(admin);
    routes.fallback_service(api)
}

/// Security headers on every admin response.
async fn headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// An HTML page with a status.
pub fn respond(status: StatusCode, markup: maud::Markup) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        markup.into_string(),
    )
        .into_response()
}

/// The page for a refusal: the API's status and message, a way back.
pub fn refused(session: &session::Session, failure: &Failure, back: &str) -> Response {
    let message = match &failure.code {
        Some(code) => format!("{} [{code}]", failure.message),
        None => failure.message.clone(),
    };
    let body = maud::html! {
        p { a href=(back) { "← Back" } }
    };
    let title = failure
        .status
        .canonical_reason()
        .unwrap_or("Refused")
        .to_owned();
    respond(
        failure.status,
        html::page(session, "", &title, Some(&Flash::Failed(message)), body),
    )
}

/// `303 See Other` to `path` with a `done` notice (one of [`pages::NOTICES`]).
pub fn done(path: &str, notice: &str) -> Response {
    let target = api::with_query(path, &[("done", notice)]);
    axum::response::Redirect::to(&target).into_response()
}
