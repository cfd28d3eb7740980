//! Signing API responses and webhook deliveries the way Keygen does: the `Date`
//! (RFC 7231 IMF-fixdate), `Digest` (`sha-256=<b64>`) and `Keygen-Signature` header values
//! over the signing string defined in `latchkey_proto::offline::SigningInput`.
//!
//! The clock is an argument: callers pass the response time.

use latchkey_proto::offline::{
    SignatureAlgorithm, SignatureHeader, SigningInput, digest_header_value,
};
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

use super::error::CryptoError;
use super::keys::Signer;

/// What to sign.
#[derive(Debug, Clone, Copy)]
pub struct ResponseToSign<'a> {
    /// Method of the request being answered (or of the webhook request).
    pub method: &'a str,
    /// Original path and query string of the request (empty = `/`).
    pub target: &'a str,
    /// Request host without port.
    pub host: &'a str,
    /// Time of the response, rendered into `Date`.
    pub date: OffsetDateTime,
    /// Exact body bytes.
    pub body: &'a [u8],
}

/// The header values to attach (also sent as `Keygen-Date` / `Keygen-Digest`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeaders {
    /// `Date` value, e.g. `Wed, 09 Jun 2021 16:08:15 GMT`.
    pub date: String,
    /// `Digest` value, `sha-256=<b64>`.
    pub digest: String,
    /// `Keygen-Signature` value.
    pub signature: String,
}

/// Formats an RFC 7231 IMF-fixdate (`Wed, 09 Jun 2021 16:08:15 GMT`) in UTC.
pub fn http_date(date: OffsetDateTime) -> String {
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    // Cannot fail: an OffsetDateTime has every component this description uses.
    date.to_offset(UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

/// Signs a response or webhook with `algorithm`, identifying the key by `keyid` (the
/// account id).
pub fn sign_response(
    signer: &Signer,
    keyid: &str,
    algorithm: SignatureAlgorithm,
    response: &ResponseToSign<'_>,
) -> Result<SignatureHeaders, CryptoError> {
    let date = http_date(response.date);
    let digest = digest_header_value(response.body);
    let input = SigningInput {
        method: response.method,
        target: response.target,
        host: response.host,
        date: &date,
        digest: &digest,
    };
    let signature = signer.sign(algorithm, input.signing_string().as_bytes())?;
    let header = SignatureHeader::new(Some(keyid), algorithm, signature);
    Ok(SignatureHeaders {
        date,
        digest,
        signature: header.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::http_date;
    use time::macros::datetime;

    #[test]
    fn imf_fixdate() {
        assert_eq!(
            http_date(datetime!(2021-06-09 16:08:15 UTC)),
            "Wed, 09 Jun 2021 16:08:15 GMT"
        );
        assert_eq!(
            http_date(datetime!(2022-06-06 18:13:37 +02:00)),
            "Mon, 06 Jun 2022 16:13:37 GMT"
        );
    }
}
