//! What a request is throttled on: the credential it carries (for the general
//! limits) and, for the credential routes, the email or user it targets. Pure
//! functions of the request's method, path, headers and body.

use axum::http::{HeaderMap, Method, header};
use base64::Engine;
use serde_json::Value;

/// The credential-guessing routes Keygen throttles (spec §10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guarded {
    /// `POST …/tokens` with HTTP Basic `email:password`.
    Login,
    /// `POST …/passwords` (password reset request) with `meta.email`.
    ResetRequest,
    /// `POST …/users/{id}/actions/update-password|reset-password`.
    PasswordChange,
    /// `POST …/users/{id}/second-factors`, `PATCH|PUT|DELETE …/second-factors/{id}`.
    SecondFactor,
}

/// The guarded route a request is for, if any (`path` is account-less).
pub fn guarded(method: &Method, path: &str) -> Option<Guarded> {
    let second_factor = if method == Method::POST {
        path.ends_with("/second-factors")
    } else {
        [Method::PATCH, Method::PUT, Method::DELETE].contains(method)
            && path.contains("/second-factors/")
    };
    if second_factor {
        return Some(Guarded::SecondFactor);
    }
    if method != Method::POST {
        return None;
    }
    if path.ends_with("/tokens") {
        return Some(Guarded::Login);
    }
    if path.ends_with("/passwords") {
        return Some(Guarded::ResetRequest);
    }
    if path.ends_with("/actions/update-password") || path.ends_with("/actions/reset-password") {
        return Some(Guarded::PasswordChange);
    }
    None
}

/// The lower-cased email of an HTTP Basic `email:password` login with a password.
pub fn login_email(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8_lossy(&decoded);
    let (email, password) = text.split_once(':')?;
    (email.contains('@') && !password.is_empty()).then(|| email.to_lowercase())
}

/// The lower-cased `meta.email` of a password reset request body.
pub fn reset_email(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let email = value.get("meta")?.get("email")?.as_str()?;
    (!email.is_empty()).then(|| email.to_lowercase())
}

/// The lower-cased, percent-decoded `{id}` of `/v1/users/{id}/actions/…`.
pub fn password_user(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/v1/users/")?;
    let (id, _) = rest.split_once("/actions/")?;
    (!id.is_empty()).then(|| percent_decode(id).to_lowercase())
}

/// The lower-cased, percent-decoded `{id}` of `/v1/users/{id}/second-factors…`.
pub fn second_factor_user(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/v1/users/")?;
    let (id, _) = rest.split_once("/second-factors")?;
    (!id.is_empty()).then(|| percent_decode(id).to_lowercase())
}

/// `%XX` sequences decoded; malformed ones kept as they are.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = bytes.get(i + 1..i + 3)
            && let Ok(hex) = std::str::from_utf8(hex)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The credential a request carries, as Keygen's general throttle reads it:
/// `Bearer|Token|License <x>`, Basic `license:<key>` / `token:<t>` / `<t>:`, else
/// `?token=` / `?auth=`. Empty when there is none.
pub fn credential(headers: &HeaderMap, query: Option<&str>) -> String {
    let from_pair = |text: &str| -> String {
        match text.split_once(':') {
            Some(("license" | "token", secret)) => secret.to_owned(),
            Some((user, _)) => user.to_owned(),
            None => text.to_owned(),
        }
    };
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value, ""));
        let scheme = scheme.to_ascii_lowercase();
        match scheme.as_str() {
            "bearer" | "token" | "license" => return rest.trim().to_owned(),
            "basic" => {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(rest.trim())
                    .unwrap_or_default();
                return from_pair(&String::from_utf8_lossy(&decoded));
            }
            _ => {}
        }
    }
    let Some(query) = query else {
        return String::new();
    };
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .unwrap_or_default()
        .into_iter()
        .find(|(name, _)| name == "token" || name == "auth")
        .map(|(_, value)| from_pair(&value))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn basic(pair: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {encoded}")).unwrap(),
        );
        headers
    }

    #[test]
    fn routes() {
        assert_eq!(guarded(&Method::POST, "/v1/tokens"), Some(Guarded::Login));
        assert_eq!(guarded(&Method::GET, "/v1/tokens"), None);
        assert_eq!(
            guarded(&Method::POST, "/v1/passwords"),
            Some(Guarded::ResetRequest)
        );
        assert_eq!(
            guarded(&Method::POST, "/v1/users/x/actions/reset-password"),
            Some(Guarded::PasswordChange)
        );
        assert_eq!(guarded(&Method::POST, "/v1/licenses"), None);
        assert_eq!(
            guarded(&Method::POST, "/v1/users/x/second-factors"),
            Some(Guarded::SecondFactor)
        );
        for method in [Method::PATCH, Method::PUT, Method::DELETE] {
            assert_eq!(
                guarded(&method, "/v1/users/x/second-factors/y"),
                Some(Guarded::SecondFactor)
            );
        }
        assert_eq!(guarded(&Method::GET, "/v1/users/x/second-factors"), None);
        assert_eq!(guarded(&Method::GET, "/v1/users/x/second-factors/y"), None);
        assert_eq!(guarded(&Method::DELETE, "/v1/users/x/second-factors"), None);
        assert_eq!(
            second_factor_user("/v1/users/Ann%40example.com/second-factors/y").as_deref(),
            Some("ann@example.com")
        );
        assert_eq!(second_factor_user("/v1/users//second-factors"), None);
    }

    #[test]
    fn logins_are_keyed_on_the_email_only_with_a_password() {
        assert_eq!(
            login_email(&basic("Ann@Example.com:pw")).as_deref(),
            Some("ann@example.com")
        );
        assert_eq!(login_email(&basic("ann@example.com:")), None);
        assert_eq!(login_email(&basic("token:abc")), None);
        assert_eq!(login_email(&HeaderMap::new()), None);
    }

    #[test]
    fn reset_emails_and_users() {
        assert_eq!(
            reset_email(br#"{"meta":{"email":"A@B.c"}}"#).as_deref(),
            Some("a@b.c")
        );
        assert_eq!(reset_email(b"not json"), None);
        assert_eq!(
            password_user("/v1/users/Ann%40example.com/actions/update-password").as_deref(),
            Some("ann@example.com")
        );
        assert_eq!(password_user("/v1/users//actions/x"), None);
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn credentials_as_keygen_reads_them() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer t1"));
        assert_eq!(credential(&headers, None), "t1");
        assert_eq!(credential(&basic("license:K-1"), None), "K-1");
        assert_eq!(credential(&basic("admin-tok:"), None), "admin-tok");
        assert_eq!(
            credential(&HeaderMap::new(), Some("auth=license%3AK-2")),
            "K-2"
        );
        assert_eq!(credential(&HeaderMap::new(), None), "");
    }
}
