//! Just enough DER and PEM to read the public-key forms Keygen publishes (SPKI
//! `PUBLIC KEY` for Ed25519/ECDSA P-256/RSA, PKCS#1 `RSA PUBLIC KEY`) and to write the
//! SPKI PEM of a P-256 point.
//!
//! The reader is a bounds-checked walk over definite-length DER: it never indexes past its
//! input and rejects indefinite lengths, non-minimal lengths and trailing bytes.

use super::b64;

/// DER tag of a SEQUENCE.
const SEQUENCE: u8 = 0x30;
/// DER tag of an INTEGER.
const INTEGER: u8 = 0x02;
/// DER tag of a BIT STRING.
const BIT_STRING: u8 = 0x03;
/// DER tag of an OBJECT IDENTIFIER.
const OID: u8 = 0x06;
/// DER tag of NULL.
const NULL: u8 = 0x05;

/// id-Ed25519, 1.3.101.112.
pub(crate) const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];
/// id-ecPublicKey, 1.2.840.10045.2.1.
pub(crate) const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// prime256v1 / secp256r1, 1.2.840.10045.3.1.7.
pub(crate) const OID_PRIME256V1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// rsaEncryption, 1.2.840.113549.1.1.1.
pub(crate) const OID_RSA_ENCRYPTION: &[u8] =
    &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// A cursor over DER bytes.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { rest: bytes }
    }

    fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    fn byte(&mut self) -> Option<u8> {
        let (&first, rest) = self.rest.split_first()?;
        self.rest = rest;
        Some(first)
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.rest.len() {
            return None;
        }
        let (head, rest) = self.rest.split_at(n);
        self.rest = rest;
        Some(head)
    }

    /// Reads one TLV with the expected tag and returns its contents.
    fn expect(&mut self, tag: u8) -> Option<&'a [u8]> {
        if self.byte()? != tag {
            return None;
        }
        let first = self.byte()?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7f);
            // 0x80 is BER's indefinite length; more than 3 length bytes is never needed
            // for a public key.
            if count == 0 || count > 3 {
                return None;
            }
            let mut len = 0usize;
            for &b in self.take(count)? {
                len = (len << 8) | usize::from(b);
            }
            // Minimal encoding: long form only for >= 128, no leading zero byte.
            if len < 0x80 || len >> (8 * (count - 1)) == 0 {
                return None;
            }
            len
        };
        self.take(len)
    }
}

/// The decoded contents of a SubjectPublicKeyInfo.
pub(crate) struct Spki<'a> {
    /// Algorithm OID contents.
    pub algorithm: &'a [u8],
    /// Parameters: `Some(oid contents)` for an OID, `None` for NULL or absent.
    pub parameter_oid: Option<&'a [u8]>,
    /// The subject public key bits (the BIT STRING without its unused-bits byte).
    pub key: &'a [u8],
}

/// Parses a DER SubjectPublicKeyInfo.
pub(crate) fn parse_spki(der: &[u8]) -> Option<Spki<'_>> {
    let mut outer = Reader::new(der);
    let spki = outer.expect(SEQUENCE)?;
    if !outer.is_empty() {
        return None;
    }
    let mut fields = Reader::new(spki);
    let alg_id = fields.expect(SEQUENCE)?;
    let bits = fields.expect(BIT_STRING)?;
    if !fields.is_empty() {
        return None;
    }
    let mut alg = Reader::new(alg_id);
    let algorithm = alg.expect(OID)?;
    let parameter_oid = match alg.rest.first() {
        None => None,
        Some(&NULL) => {
            if !alg.expect(NULL)?.is_empty() {
                return None;
            }
            None
        }
        Some(&OID) => Some(alg.expect(OID)?),
        Some(_) => return None,
    };
    if !alg.is_empty() {
        return None;
    }
    let (&unused, key) = bits.split_first()?;
    if unused != 0 {
        return None;
    }
    Some(Spki {
        algorithm,
        parameter_oid,
        key,
    })
}

/// Parses a DER PKCS#1 RSAPublicKey into big-endian `(n, e)` without leading zeros.
pub(crate) fn parse_rsa_public_key(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut outer = Reader::new(der);
    let seq = outer.expect(SEQUENCE)?;
    if !outer.is_empty() {
        return None;
    }
    let mut fields = Reader::new(seq);
    let n = positive_integer(fields.expect(INTEGER)?)?;
    let e = positive_integer(fields.expect(INTEGER)?)?;
    if !fields.is_empty() {
        return None;
    }
    Some((n, e))
}

/// Validates a DER INTEGER's contents as positive and minimal, returning the magnitude.
fn positive_integer(contents: &[u8]) -> Option<&[u8]> {
    match contents {
        [] => None,
        [0] => None,
        [0, second, ..] if *second < 0x80 => None, // non-minimal
        [0, rest @ ..] => Some(rest),
        [first, ..] if *first >= 0x80 => None, // negative
        _ => Some(contents),
    }
}

/// DER prefix of a P-256 SPKI up to (and including) the BIT STRING's unused-bits byte; the
/// 65-byte uncompressed point follows.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// DER SPKI of an uncompressed P-256 point.
pub(crate) fn p256_spki(point: &[u8; 65]) -> Vec<u8> {
    let mut der = P256_SPKI_PREFIX.to_vec();
    der.extend_from_slice(point);
    der
}

/// DER prefix of an Ed25519 SPKI; the 32-byte key follows.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// DER SPKI of an Ed25519 public key (Keygen's "DER/SPKI base64" form after base64).
pub(crate) fn ed25519_spki(key: &[u8; 32]) -> Vec<u8> {
    let mut der = ED25519_SPKI_PREFIX.to_vec();
    der.extend_from_slice(key);
    der
}

/// Parses one PEM block, returning its label and DER contents. Tolerates surrounding
/// whitespace, CRLF line ends and any line width; RFC 7468 explanatory text around the
/// block is not accepted (Keygen never emits it).
pub(crate) fn parse_pem(text: &str) -> Option<(&str, Vec<u8>)> {
    let text = text.trim_ascii();
    let rest = text.strip_prefix("-----BEGIN ")?;
    let (label, rest) = rest.split_once("-----")?;
    if label.is_empty()
        || label.len() > 64
        || !label.bytes().all(|b| b.is_ascii_uppercase() || b == b' ')
    {
        return None;
    }
    let end = format!("-----END {label}-----");
    let body = rest.strip_suffix(end.as_str())?;
    if body.contains('-') {
        return None;
    }
    Some((label, b64::decode_wrapped(body)?))
}

/// Encodes DER as PEM with 64-column lines and a trailing newline (OpenSSL's layout).
pub(crate) fn encode_pem(label: &str, der: &[u8]) -> String {
    format!(
        "-----BEGIN {label}-----\n{}-----END {label}-----\n",
        b64::wrap_lines(&b64::encode_std(der), 64)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_keygen_ed25519_spki() {
        let der = b64::decode_std("MCowBQYDK2VwAyEA6GAeSLaTg7pSAkX9B5cemD0G0ixCV8/YIwRgFHnO54g=")
            .unwrap_or_default();
        let spki =
            parse_spki(&der).map(|s| (s.algorithm.to_vec(), s.parameter_oid, s.key.to_vec()));
        let (alg, params, key) = spki.unwrap_or_default();
        assert_eq!(alg, OID_ED25519);
        assert!(params.is_none());
        assert_eq!(
            hex::encode(key),
            "e8601e48b69383ba520245fd07971e983d06d22c4257cfd82304601479cee788"
        );
    }

    #[test]
    fn rejects_non_minimal_and_negative_integers() {
        assert!(positive_integer(&[0x00, 0x01]).is_none());
        assert!(positive_integer(&[0x80]).is_none());
        assert_eq!(positive_integer(&[0x00, 0x80]), Some(&[0x80][..]));
        // Long-form length for a short value.
        assert!(
            Reader::new(&[0x30, 0x81, 0x01, 0x00])
                .expect(SEQUENCE)
                .is_none()
        );
        // Indefinite length.
        assert!(
            Reader::new(&[0x30, 0x80, 0x00, 0x00])
                .expect(SEQUENCE)
                .is_none()
        );
    }
}
