//! Base64 dialects used by Keygen's offline formats.
//!
//! * Certificates, `sig`, the three `enc` parts, digests and response signatures use
//!   standard base64 (Ruby's `strict_encode64`), the certificate body additionally
//!   line-wrapped (Ruby's `encode64`, 60 columns).
//! * Signed license keys use url-safe base64 *with* padding (Ruby's `urlsafe_encode64`);
//!   JWTs use it without padding.
//!
//! Decoders accept padded and unpadded input but still reject non-canonical trailing bits,
//! so one text has exactly one decoding.

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_encode_padding(true)
    .with_decode_padding_mode(DecodePaddingMode::Indifferent);

/// Standard alphabet, padded on encode, padding optional on decode.
pub(crate) const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);

/// URL-safe alphabet, padded on encode (Ruby's `urlsafe_encode64`), padding optional on decode.
pub(crate) const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// URL-safe alphabet without padding (JWT segments).
pub(crate) const URL_SAFE_NO_PAD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes standard base64 (padding optional).
pub(crate) fn decode_std(s: &str) -> Option<Vec<u8>> {
    STANDARD.decode(s).ok()
}

/// Decodes url-safe base64 (padding optional).
pub(crate) fn decode_url(s: &str) -> Option<Vec<u8>> {
    URL_SAFE.decode(s).ok()
}

/// Encodes standard base64 with padding (Ruby's `strict_encode64`).
pub fn encode_std(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Encodes url-safe base64 with padding (Ruby's `urlsafe_encode64`, used in signed keys).
pub fn encode_url(bytes: &[u8]) -> String {
    URL_SAFE.encode(bytes)
}

/// Encodes url-safe base64 without padding (JWT segments).
pub fn encode_url_no_pad(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes standard base64 after removing ASCII whitespace (line-wrapped bodies).
pub(crate) fn decode_wrapped(body: &str) -> Option<Vec<u8>> {
    let compact: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    decode_std(&compact)
}

/// Wraps `text` into lines of `width` characters, each ending in `\n` (Ruby's `encode64`
/// layout when `width` is 60). `text` must be ASCII.
pub(crate) fn wrap_lines(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / width.max(1) + 1);
    let bytes = text.as_bytes();
    for chunk in bytes.chunks(width.max(1)) {
        // Base64 output is ASCII, so every chunk boundary is a char boundary.
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_safe_padding_is_optional_but_canonical() {
        assert_eq!(decode_url("emVrZQ==").as_deref(), Some(&b"zeke"[..]));
        assert_eq!(decode_url("emVrZQ").as_deref(), Some(&b"zeke"[..]));
        // Non-canonical trailing bits are rejected.
        assert_eq!(decode_url("emVrZR=="), None);
        assert_eq!(encode_url(b"zeke"), "emVrZQ==");
    }

    #[test]
    fn wraps_like_ruby_encode64() {
        assert_eq!(wrap_lines("abcdef", 4), "abcd\nef\n");
        assert_eq!(wrap_lines("abcd", 4), "abcd\n");
        assert_eq!(wrap_lines("", 4), "");
    }
}
