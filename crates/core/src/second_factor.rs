//! Second factors (Keygen's `SecondFactor`): time-based one-time passwords per RFC 6238
//! — HMAC-SHA-1, 6 digits, 30-second steps — computed by the `totp-rs` crate. Time is
//! passed in (unix milliseconds of the server clock).
//!
//! Keygen's verification rules, kept exactly:
//! - a code of the current step is accepted, and one of the previous step while the
//!   current one is less than 10 seconds old (ROTP's `drift_behind: 10`, no drift
//!   ahead);
//! - a step at or before the last accepted one is refused (`after: last_verified_at`),
//!   so a code is never accepted twice; the caller records the step [`Totp::verify`]
//!   returns as the new `last_verified_at`.
//!
//! The shared secret is 160 random bits (ROTP's `Base32.random`), shown base32-encoded
//! and in an `otpauth://totp/…` URI while the factor is not enabled, and stored sealed
//! (AES-256-GCM under the server secret) bound to its account and factor id.

use crate::crypto::CryptoError;
use crate::crypto::sealed::{open_with_context, seal_with_context};
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};

/// The issuer named in provisioning URIs (what authenticator apps display).
pub const ISSUER: &str = "Latchkey";
/// Seconds per step.
pub const STEP_SECONDS: u64 = 30;
/// Digits per code.
pub const DIGITS: usize = 6;
/// How far back a code may come from (Keygen's `SECOND_FACTOR_DRIFT`).
pub const DRIFT_BEHIND_SECONDS: u64 = 10;
/// Secret length: 160 bits, RFC 4226's recommendation.
pub const SECRET_BYTES: usize = 20;

/// A new random secret.
pub fn generate_secret() -> Vec<u8> {
    use rand::RngCore;
    let mut bytes = vec![0u8; SECRET_BYTES];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes
}

/// The associated data binding a sealed secret to its account and second factor, so a
/// value copied into another row does not open.
fn context(account_id: &str, factor_id: &str) -> Vec<u8> {
    format!("latchkey/account/{account_id}/second-factor/{factor_id}").into_bytes()
}

/// Seals a secret for storage.
pub fn seal_secret(
    server_secret: &[u8; 32],
    account_id: &str,
    factor_id: &str,
    secret: &[u8],
) -> Result<String, CryptoError> {
    seal_with_context(server_secret, &context(account_id, factor_id), secret)
}

/// Opens a secret sealed by [`seal_secret`] for the same account and factor.
pub fn open_secret(
    server_secret: &[u8; 32],
    account_id: &str,
    factor_id: &str,
    sealed: &str,
) -> Result<Vec<u8>, CryptoError> {
    open_with_context(server_secret, &context(account_id, factor_id), sealed)
}

/// One user's TOTP generator.
pub struct Totp(TOTP);

impl std::fmt::Debug for Totp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Totp(<redacted>)")
    }
}

/// Why a generator could not be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a second factor secret must be at least 128 bits (base32 when given as text)")]
pub struct InvalidSecret;

impl Totp {
    /// The generator for `secret` (raw bytes, at least 128 bits), labelled with
    /// `account_name` (the user's email) in its URI.
    pub fn new(secret: Vec<u8>, account_name: &str) -> Result<Self, InvalidSecret> {
        if secret.len() < 16 {
            return Err(InvalidSecret);
        }
        // Unchecked only for the label: `get_url` percent-encodes it, so an email
        // holding ':' still gives a well-formed URI. Digits and length are fixed above.
        Ok(Self(TOTP::new_unchecked(
            Algorithm::SHA1,
            DIGITS,
            0,
            STEP_SECONDS,
            secret,
            Some(ISSUER.to_owned()),
            account_name.to_owned(),
        )))
    }

    /// The generator for a base32 secret as [`Totp::secret_base32`] shows it (what an
    /// authenticator app or a client holding the `secret` attribute starts from).
    pub fn from_base32(secret: &str, account_name: &str) -> Result<Self, InvalidSecret> {
        let bytes = totp_rs::Secret::Encoded(secret.to_owned())
            .to_bytes()
            .map_err(|_| InvalidSecret)?;
        Self::new(bytes, account_name)
    }

    /// The secret, base32 (RFC 4648, unpadded), as authenticator apps take it.
    pub fn secret_base32(&self) -> String {
        self.0.get_secret_base32()
    }

    /// `otpauth://totp/<issuer>:<account>?secret=…&issuer=…`.
    pub fn uri(&self) -> String {
        self.0.get_url()
    }

    /// The code of the step holding `at_ms`.
    pub fn code_at(&self, at_ms: i64) -> String {
        self.0.generate(seconds(at_ms))
    }

    /// Checks `code` at `now_ms`: the start (unix ms) of the step it belongs to when
    /// it is valid and newer than `last_verified_ms` (see the module docs), else
    /// `None`. Every candidate step is compared in constant time.
    pub fn verify(&self, code: &str, now_ms: i64, last_verified_ms: Option<i64>) -> Option<i64> {
        let now = seconds(now_ms);
        let first = now.saturating_sub(DRIFT_BEHIND_SECONDS) / STEP_SECONDS;
        let last = now / STEP_SECONDS;
        let after = last_verified_ms.map(|ms| seconds(ms) / STEP_SECONDS);
        let mut accepted = None;
        for step in first..=last {
            if after.is_some_and(|after| step <= after) {
                continue;
            }
            let expected = self.0.generate(step * STEP_SECONDS);
            let same = expected.len() == code.len()
                && bool::from(expected.as_bytes().ct_eq(code.as_bytes()));
            if same {
                accepted = i64::try_from(step * STEP_SECONDS * 1000).ok();
            }
        }
        accepted
    }
}

/// Whole seconds of a unix-ms instant (0 before the epoch).
fn seconds(ms: i64) -> u64 {
    u64::try_from(ms.div_euclid(1000)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 key and vectors (8 digits there; the last 6 here).
    const RFC_KEY: &[u8] = b"12345678901234567890";

    fn totp() -> Totp {
        Totp::new(RFC_KEY.to_vec(), "ann@example.com").unwrap()
    }

    #[test]
    fn codes_match_rfc_6238() {
        let totp = totp();
        for (seconds, code) in [
            (59_i64, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(totp.code_at(seconds * 1000), code, "at {seconds}");
        }
    }

    #[test]
    fn the_previous_step_is_accepted_for_ten_seconds() {
        let totp = totp();
        let step = 1_000_000_020_i64; // a step start (divisible by 30)
        assert_eq!(step % 30, 0);
        let previous = totp.code_at((step - 1) * 1000);
        let current = totp.code_at(step * 1000);
        let previous_start = (step - 30) * 1000;
        assert_eq!(
            totp.verify(&previous, (step + 9) * 1000, None),
            Some(previous_start)
        );
        assert_eq!(totp.verify(&previous, (step + 10) * 1000, None), None);
        assert_eq!(
            totp.verify(&current, (step + 29) * 1000, None),
            Some(step * 1000)
        );
        // No drift ahead: the next step's code is not yet valid.
        let next = totp.code_at((step + 30) * 1000);
        assert_eq!(totp.verify(&next, (step + 29) * 1000, None), None);
    }

    #[test]
    fn a_code_is_accepted_once() {
        let totp = totp();
        let now = 1_700_000_000_000_i64;
        let code = totp.code_at(now);
        let step = totp.verify(&code, now, None).unwrap();
        assert_eq!(totp.verify(&code, now + 1000, Some(step)), None);
        // An older code after a newer one was used: refused too.
        let next = totp.code_at(now + 30_000);
        let later = totp.verify(&next, now + 30_000, Some(step)).unwrap();
        assert!(later > step);
        assert_eq!(totp.verify(&code, now + 30_000, Some(later)), None);
    }

    #[test]
    fn malformed_codes_are_refused() {
        let totp = totp();
        let now = 1_700_000_000_000_i64;
        let code = totp.code_at(now);
        for bad in [
            "",
            "12345",
            "1234567",
            " 123456",
            "abcdef",
            &format!("{code}\0"),
        ] {
            assert_eq!(totp.verify(bad, now, None), None, "{bad:?}");
        }
        assert_eq!(totp.verify(&"9".repeat(10_000), now, None), None);
    }

    #[test]
    fn uri_and_secret() {
        let totp = Totp::new(vec![0; 20], "a:b@example.com").unwrap();
        assert_eq!(totp.secret_base32(), "A".repeat(32));
        let uri = totp.uri();
        assert!(
            uri.starts_with("otpauth://totp/Latchkey:a%3Ab%40example.com?secret="),
            "{uri}"
        );
        assert!(uri.contains("issuer=Latchkey"), "{uri}");
        assert_eq!(Totp::new(vec![0; 15], "x").unwrap_err(), InvalidSecret);
        let again = Totp::from_base32(&totp.secret_base32(), "x").unwrap();
        assert_eq!(again.code_at(0), totp.code_at(0));
        assert!(Totp::from_base32("not base32!", "x").is_err());
        assert_eq!(generate_secret().len(), SECRET_BYTES);
        assert!(!format!("{totp:?}").contains('A'));
    }

    #[test]
    fn sealed_secrets_open_only_for_their_factor() {
        let server = [3u8; 32];
        let sealed = seal_secret(&server, "acct", "sf-1", b"0123456789abcdef0123").unwrap();
        assert_eq!(
            open_secret(&server, "acct", "sf-1", &sealed).unwrap(),
            b"0123456789abcdef0123"
        );
        assert!(open_secret(&server, "acct", "sf-2", &sealed).is_err());
        assert!(open_secret(&server, "other", "sf-1", &sealed).is_err());
        assert!(open_secret(&[4u8; 32], "acct", "sf-1", &sealed).is_err());
    }
}
