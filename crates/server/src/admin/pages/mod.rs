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

use super::html::Flash;
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
