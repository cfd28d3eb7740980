//! License key generation and the rules for custom keys (Keygen §8).

use rand::RngCore;

/// Keygen's default key: 16 random bytes as 32 uppercase hex chars, the last two
/// replaced by `V3`, grouped by six with dashes: `XXXXXX-XXXXXX-XXXXXX-XXXXXX-XXXXXX-V3`.
pub fn generate_default_key() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    let mut hex = hex::encode_upper(bytes);
    hex.truncate(30);
    hex.push_str("V3");
    let groups: Vec<&str> = hex
        .as_bytes()
        .chunks(6)
        .map(|chunk| std::str::from_utf8(chunk).unwrap_or_default())
        .collect();
    groups.join("-")
}

/// Why a custom key is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyProblem {
    /// Shorter than 6 characters (KEY_TOO_SHORT).
    TooShort,
    /// Longer than 16 KiB (KEY_TOO_LONG).
    TooLong,
    /// A reserved word (`action`, `actions`) (KEY_NOT_ALLOWED).
    Reserved,
}

/// Checks a vendor-supplied key for an unsigned (scheme-less) policy.
pub fn check_custom_key(key: &str) -> Result<(), KeyProblem> {
    if key.len() < 6 {
        return Err(KeyProblem::TooShort);
    }
    if key.len() > 16 * 1024 {
        return Err(KeyProblem::TooLong);
    }
    if matches!(key, "action" | "actions") {
        return Err(KeyProblem::Reserved);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_key_has_keygen_shape() {
        let key = generate_default_key();
        assert_eq!(key.len(), 37);
        assert!(key.ends_with("-V3"));
        let groups: Vec<&str> = key.split('-').collect();
        assert_eq!(groups.len(), 6);
        assert!(groups[..5].iter().all(|g| {
            g.len() == 6
                && g.chars()
                    .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        }));
        assert_ne!(key, generate_default_key());
    }

    #[test]
    fn custom_key_rules() {
        assert_eq!(check_custom_key("abc"), Err(KeyProblem::TooShort));
        assert_eq!(check_custom_key("actions"), Err(KeyProblem::Reserved));
        assert!(check_custom_key("MY-OWN-KEY").is_ok());
    }
}
