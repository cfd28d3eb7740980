//! The pages, one module per area. Each reads through the API (`admin.api`) as the
//! signed-in user and renders HTML; each form post checks its CSRF field, calls the
//! API, and redirects back with a notice or shows the API's refusal.

pub mod catalog;
pub mod dashboard;
pub mod events;
pub mod license;
pub mod licenses;
pub mod machines;
pub mod policies;
pub mod policy_choices;
pub mod products;
pub mod security;
pub mod tokens;
pub mod users;
pub mod webhooks;

use super::api::Failure;
use super::form::{self, Form};
use super::html::Flash;
use super::session::Session;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

/// The notices a redirect may name (`?done=`): fixed texts, so nothing a link
/// carries is ever echoed into a page.
pub const NOTICES: &[(&str, &str)] = &[
    ("created", "Created."),
    ("suspended", "License suspended."),
    ("reinstated", "License reinstated."),
    ("renewed", "License renewed."),
    ("revoked", "License revoked."),
    ("deleted", "Deleted."),
    ("deactivated", "Machine deactivated."),
    ("banned", "User banned."),
    ("unbanned", "User unbanned."),
    ("reset", "Password reset email requested."),
    ("retried", "Delivery queued again."),
    ("enabled", "Second factor enabled."),
    ("disabled", "Second factor removed."),
];

/// `?done=` of a page after a redirect.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

impl Done {
    /// The notice named by `?done=`, if it is one of [`NOTICES`].
    pub fn flash(&self) -> Option<Flash> {
        let name = self.done.as_deref()?;
        NOTICES
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, text)| Flash::Done((*text).to_owned()))
    }
}

/// Page number from `?page=` (1 when absent or not a positive number).
pub fn page_number(text: Option<&str>) -> i64 {
    text.and_then(|t| t.parse::<i64>().ok())
        .filter(|n| (1..=1_000_000).contains(n))
        .unwrap_or(1)
}

/// A list document's pages (`links.meta.pages`, 1 when absent).
pub fn pages(document: &serde_json::Value) -> i64 {
    document["links"]["meta"]["pages"].as_i64().unwrap_or(1)
}

/// `data` of a list document.
pub fn data(document: &serde_json::Value) -> Vec<serde_json::Value> {
    document["data"].as_array().cloned().unwrap_or_default()
}

/// Whether a path id is one the API could have issued (UUIDs, slugs): anything else
/// never reaches the API as part of a path.
pub fn plain_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 255
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The refusal page for an id that cannot exist.
pub fn not_found(session: &Session, back: &str) -> Response {
    super::refused(
        session,
        &Failure::new(StatusCode::NOT_FOUND, "Not found."),
        back,
    )
}

/// The start of every form post about one resource: the CSRF field, then the id;
/// the refusal page (403, 404) when either is wrong.
pub fn accept(
    session: &Session,
    body: &Bytes,
    id: &str,
    back: &str,
) -> Result<Form, Box<Response>> {
    let form =
        form::read(session, body).map_err(|failure| super::refused(session, &failure, back))?;
    if !plain_id(id) {
        return Err(Box::new(not_found(session, back)));
    }
    Ok(form)
}

/// Sends a form's action to the API (no body): on to `back` with `notice` when it
/// succeeds, the API's refusal page when not.
pub async fn call_then(
    admin: &super::Admin,
    session: &Session,
    (method, path): (axum::http::Method, &str),
    back: &str,
    notice: &str,
) -> Response {
    match admin.api.call(&session.caller, method, path, None).await {
        Ok(_) => super::done(back, notice),
        Err(failure) => super::refused(session, &failure, back),
    }
}
