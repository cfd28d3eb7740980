//! Posted forms: URL-encoded fields, the CSRF field checked before anything else.

use super::api::Failure;
use super::session::Session;
use axum::body::Bytes;
use axum::http::StatusCode;

/// A form's fields in order (invalid UTF-8 arrives as U+FFFD; the API judges values).
#[derive(Debug, Default)]
pub struct Form(Vec<(String, String)>);

impl Form {
    /// Parses a URL-encoded body.
    pub fn parse(body: &[u8]) -> Self {
        Self(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`, trimmed ("" when absent).
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    }

    /// Every value of `name` (checkbox groups, multi-selects).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// `Some(value)` when the field is non-empty.
    pub fn some(&self, name: &str) -> Option<&str> {
        Some(self.get(name)).filter(|v| !v.is_empty())
    }
}

/// The refusal of a form without its session's CSRF value.
pub fn csrf_refused() -> Failure {
    Failure {
        status: StatusCode::FORBIDDEN,
        code: Some("CSRF_INVALID".into()),
        message: "This form is not from this session (its security field is missing or wrong); \
                  reload the page and try again."
            .into(),
    }
}

/// Reads a signed-in form: refused unless its `_csrf` field is the session's value
/// (compared in constant time).
pub fn read(session: &Session, body: &Bytes) -> Result<Form, Failure> {
    use subtle::ConstantTimeEq;
    let form = Form::parse(body);
    let presented = form.get("_csrf").as_bytes();
    let expected = session.csrf.as_bytes();
    if presented.len() != expected.len() || !bool::from(presented.ct_eq(expected)) {
        return Err(csrf_refused());
    }
    Ok(form)
}
