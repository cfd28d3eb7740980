//! License-file and machine-file certificates: the `-----BEGIN LICENSE FILE-----` armor,
//! the base64 `{"enc","sig","alg"}` envelope inside it, and signature verification over
//! `license/<enc>` or `machine/<enc>` (Keygen's license-file / machine-file check-out).
//!
//! Parsing is deliberately tolerant of how files travel (CRLF, any wrap width, trailing
//! whitespace) and strict about everything that is signed. Only a [`VerifiedCertificate`]
//! can be decoded (see [`super::contents`]), so unverified data is never handed out.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::algorithm::Algorithm;
use super::b64;
use super::error::OfflineError;
use super::keys::KeySource;

/// Wrap width of the base64 body in certificates Keygen emits (Ruby's `Base64.encode64`).
pub const CERTIFICATE_LINE_WIDTH: usize = 60;

/// Largest certificate text accepted, to bound work on hostile input (16 MiB).
const MAX_CERTIFICATE_LEN: usize = 16 << 20;

/// Which resource a certificate snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CertificateKind {
    /// A license file (`-----BEGIN LICENSE FILE-----`), signed over `license/<enc>`.
    License,
    /// A machine file (`-----BEGIN MACHINE FILE-----`), signed over `machine/<enc>`.
    Machine,
}

impl CertificateKind {
    /// The armor label, `LICENSE FILE` or `MACHINE FILE`.
    pub const fn label(self) -> &'static str {
        match self {
            CertificateKind::License => "LICENSE FILE",
            CertificateKind::Machine => "MACHINE FILE",
        }
    }

    /// The first line, e.g. `-----BEGIN LICENSE FILE-----`.
    pub const fn begin_line(self) -> &'static str {
        match self {
            CertificateKind::License => "-----BEGIN LICENSE FILE-----",
            CertificateKind::Machine => "-----BEGIN MACHINE FILE-----",
        }
    }

    /// The last line, e.g. `-----END LICENSE FILE-----`.
    pub const fn end_line(self) -> &'static str {
        match self {
            CertificateKind::License => "-----END LICENSE FILE-----",
            CertificateKind::Machine => "-----END MACHINE FILE-----",
        }
    }

    /// The signing prefix, `license` or `machine`.
    pub const fn signing_prefix(self) -> &'static str {
        match self {
            CertificateKind::License => "license",
            CertificateKind::Machine => "machine",
        }
    }

    /// The exact bytes signed for an `enc` value: `<prefix>/<enc>`.
    pub fn signing_data(self, enc: &str) -> String {
        format!("{}/{enc}", self.signing_prefix())
    }
}

impl fmt::Display for CertificateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            CertificateKind::License => "license file",
            CertificateKind::Machine => "machine file",
        })
    }
}

/// The JSON object inside the armor. Field order (`enc`, `sig`, `alg`) is Keygen's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// Base64 JSON, or `b64(ciphertext).b64(iv).b64(tag)`.
    pub enc: String,
    /// Standard base64 signature over `<prefix>/<enc>`.
    pub sig: String,
    /// `<encoding>+<signature>` algorithm name.
    pub alg: String,
}

impl Envelope {
    /// Renders the certificate text exactly as Keygen does: BEGIN line, the compact JSON in
    /// base64 wrapped at [`CERTIFICATE_LINE_WIDTH`] columns, END line, trailing newline.
    pub fn to_certificate(&self, kind: CertificateKind) -> String {
        // Serialising a struct of three strings cannot fail.
        let json = serde_json::to_string(self).unwrap_or_default();
        format!(
            "{}\n{}{}\n",
            kind.begin_line(),
            b64::wrap_lines(&b64::encode_std(json.as_bytes()), CERTIFICATE_LINE_WIDTH),
            kind.end_line()
        )
    }
}

/// A parsed but not yet verified certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    kind: CertificateKind,
    algorithm: Algorithm,
    enc: String,
    sig: Vec<u8>,
}

impl Certificate {
    /// Parses certificate text of either kind.
    ///
    /// Accepts leading/trailing ASCII whitespace (and a UTF-8 BOM), CRLF or LF line ends,
    /// any wrap width and trailing spaces on lines; nothing else may surround the armor. Fails with
    /// [`OfflineError::MalformedCertificate`] or [`OfflineError::UnknownAlgorithm`].
    pub fn parse(text: &str) -> Result<Self, OfflineError> {
        use OfflineError::MalformedCertificate as Malformed;
        if text.len() > MAX_CERTIFICATE_LEN {
            return Err(Malformed("certificate too large"));
        }
        let text = text.trim_start_matches('\u{feff}').trim_ascii();
        let kind = [CertificateKind::License, CertificateKind::Machine]
            .into_iter()
            .find(|k| text.starts_with(k.begin_line()))
            .ok_or(Malformed(
                "missing BEGIN LICENSE FILE / BEGIN MACHINE FILE line",
            ))?;
        let body = text
            .strip_prefix(kind.begin_line())
            .and_then(|rest| rest.strip_suffix(kind.end_line()))
            .ok_or(Malformed("missing or mismatched END line"))?;
        if !body.starts_with(['\n', '\r']) || !body.ends_with(['\n', '\r', ' ', '\t']) {
            return Err(Malformed("armor lines must stand on their own lines"));
        }
        let json = b64::decode_wrapped(body).ok_or(Malformed("body is not base64"))?;
        let envelope: Envelope = serde_json::from_slice(&json)
            .map_err(|_| Malformed("body is not a JSON {enc, sig, alg} object"))?;
        Certificate::from_envelope(kind, envelope)
    }

    /// Parses certificate text and requires it to be of `expected` kind.
    pub fn parse_as(text: &str, expected: CertificateKind) -> Result<Self, OfflineError> {
        let cert = Certificate::parse(text)?;
        if cert.kind != expected {
            return Err(OfflineError::WrongKind {
                expected,
                found: cert.kind,
            });
        }
        Ok(cert)
    }

    /// Builds a certificate from an already decoded envelope (e.g. the `certificate`
    /// attribute's JSON after base64 decoding).
    pub fn from_envelope(kind: CertificateKind, envelope: Envelope) -> Result<Self, OfflineError> {
        let algorithm: Algorithm = envelope.alg.parse()?;
        let sig = b64::decode_std(&envelope.sig)
            .ok_or(OfflineError::MalformedCertificate("sig is not base64"))?;
        Ok(Certificate {
            kind,
            algorithm,
            enc: envelope.enc,
            sig,
        })
    }

    /// License or machine file.
    pub fn kind(&self) -> CertificateKind {
        self.kind
    }

    /// The algorithm named by `alg` (not yet authenticated: pin it with
    /// [`Certificate::expect_algorithm`]).
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The raw `enc` member.
    pub fn enc(&self) -> &str {
        &self.enc
    }

    /// The decoded signature bytes.
    pub fn signature(&self) -> &[u8] {
        &self.sig
    }

    /// The exact data the signature covers: `license/<enc>` or `machine/<enc>`.
    pub fn signing_data(&self) -> String {
        self.kind.signing_data(&self.enc)
    }

    /// Requires `alg` to equal the algorithm the application expects. Keygen's docs call
    /// this check "absolutely required" before verification.
    pub fn expect_algorithm(&self, expected: Algorithm) -> Result<&Self, OfflineError> {
        if self.algorithm != expected {
            return Err(OfflineError::AlgorithmMismatch {
                expected,
                found: self.algorithm,
            });
        }
        Ok(self)
    }

    /// Verifies the signature with the account key for the certificate's algorithm.
    pub fn verify(self, keys: &impl KeySource) -> Result<VerifiedCertificate, OfflineError> {
        let data = self.signing_data();
        keys.verify(self.algorithm.signature(), data.as_bytes(), &self.sig)?;
        Ok(VerifiedCertificate(self))
    }

    /// [`Certificate::expect_algorithm`] followed by [`Certificate::verify`].
    pub fn verify_expecting(
        self,
        expected: Algorithm,
        keys: &impl KeySource,
    ) -> Result<VerifiedCertificate, OfflineError> {
        self.expect_algorithm(expected)?;
        self.verify(keys)
    }
}

/// A certificate whose signature has been checked; its `enc` may now be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCertificate(Certificate);

impl VerifiedCertificate {
    /// The verified certificate's fields.
    pub fn certificate(&self) -> &Certificate {
        &self.0
    }

    /// License or machine file.
    pub fn kind(&self) -> CertificateKind {
        self.0.kind
    }

    /// The (now authenticated) algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.0.algorithm
    }
}
