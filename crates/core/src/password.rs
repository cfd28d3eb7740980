//! Password hashing (Argon2id, PHC strings). Verification is constant-time.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

fn hasher() -> Argon2<'static> {
    // 19 MiB, 2 passes: OWASP's recommended minimum for Argon2id.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a PHC string.
pub fn hash(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Checks a password against a stored PHC string.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            hasher()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Checks `password` against `stored`, or, when there is nothing to check against (an
/// unknown user, a user without a password), spends one verification against a fixed
/// dummy hash with the same parameters and answers false: both paths cost the same, so
/// the answer time does not reveal whether an account exists.
pub fn verify_or_dummy(password: &str, stored: Option<&str>) -> bool {
    match stored {
        Some(stored) => verify(password, stored),
        None => {
            let _ = verify(password, dummy_hash());
            false
        }
    }
}

/// A hash of a throwaway password, made once with the same parameters as real ones.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("latchkey: no such user").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trip() {
        let stored = super::hash("correct horse").unwrap();
        assert!(super::verify("correct horse", &stored));
        assert!(!super::verify("wrong", &stored));
        assert!(!super::verify("x", "not-a-hash"));
        assert!(super::verify_or_dummy("correct horse", Some(&stored)));
        assert!(!super::verify_or_dummy("correct horse", None));
        assert!(!super::verify_or_dummy("latchkey: no such user", None));
        assert!(super::dummy_hash().starts_with("$argon2id$"));
    }
}
