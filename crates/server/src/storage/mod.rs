//! Release artifact storage. On local disk (the default): signed, short-lived URLs
//! served by Latchkey itself (`/storage/{account}/artifacts/{id}`), a streamed upload that
//! verifies size and checksum as the bytes pass, and a streamed download. Files are
//! `<artifact_dir>/<account>/<artifact id>`, mode 0600; nothing is held in memory
//! beyond one chunk.
//!
//! A URL's signature is the server secret's HMAC-SHA256 over the operation, account,
//! artifact id and expiry, so it cannot be reused for another artifact, another
//! operation or after it expires.
//!
//! In an S3-compatible bucket ([`s3`]): presigned `PUT`/`GET` URLs of the bucket
//! itself, and the bytes are verified after the client's upload (see [`s3::inspect`]).
//! [`upload_url`], [`download_url`] and [`remove`] pick the backend.

pub mod s3;

use crate::config::ArtifactStorage;
use crate::state::AppState;
use axum::body::Body;
use futures::StreamExt;
use sha2::{Digest, Sha256, Sha512};
use std::path::PathBuf;
use tokio::io::AsyncWriteExt;

/// What a signed URL allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `PUT` the bytes.
    Upload,
    /// `GET` the bytes.
    Download,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Self::Upload => "upload",
            Self::Download => "download",
        }
    }
}

fn message(op: Op, account: &str, id: &str, expires: i64) -> String {
    format!("latchkey-artifact:{}:{account}:{id}:{expires}", op.as_str())
}

/// The path (and query) of a signed URL for `op` on the artifact, valid for the
/// configured time from `now_secs`.
pub fn signed_path(state: &AppState, op: Op, account: &str, id: &str, now_secs: i64) -> String {
    let ttl = i64::try_from(state.config.artifacts.url_ttl.as_secs()).unwrap_or(i64::MAX);
    let expires = now_secs.saturating_add(ttl);
    let signature = state.secret.digest(&message(op, account, id, expires));
    format!("/storage/{account}/artifacts/{id}?expires={expires}&signature={signature}")
}

/// Why a signed URL is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The signature does not match (tampered, or for another artifact/operation).
    Invalid,
    /// Past its expiry.
    Expired,
}

/// Checks a signed URL's `expires` and `signature` for `op` at `now_secs`.
pub fn verify(
    state: &AppState,
    op: Op,
    account: &str,
    id: &str,
    expires: i64,
    signature: &str,
    now_secs: i64,
) -> Result<(), Refusal> {
    if !state
        .secret
        .digest_matches(&message(op, account, id, expires), signature)
    {
        return Err(Refusal::Invalid);
    }
    if expires < now_secs {
        return Err(Refusal::Expired);
    }
    Ok(())
}

/// The artifact's file.
pub fn file_path(storage: &ArtifactStorage, account: &str, id: &str) -> PathBuf {
    storage.dir.join(account).join(id)
}

/// A declared checksum: SHA-256 or SHA-512 digest bytes, given as hex or base64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checksum {
    /// SHA-256.
    Sha256(Vec<u8>),
    /// SHA-512.
    Sha512(Vec<u8>),
}

impl Checksum {
    /// Reads hex or base64 (standard or URL-safe) of a 32- or 64-byte digest.
    pub fn parse(text: &str) -> Option<Self> {
        use base64::Engine;
        let bytes = hex::decode(text)
            .ok()
            .or_else(|| base64::engine::general_purpose::STANDARD.decode(text).ok())
            .or_else(|| base64::engine::general_purpose::URL_SAFE.decode(text).ok())?;
        match bytes.len() {
            32 => Some(Self::Sha256(bytes)),
            64 => Some(Self::Sha512(bytes)),
            _ => None,
        }
    }
}

enum Hasher {
    None,
    Sha256(Sha256),
    Sha512(Box<Sha512>),
}

impl Hasher {
    fn for_checksum(checksum: Option<&Checksum>) -> Self {
        match checksum {
            None => Self::None,
            Some(Checksum::Sha256(_)) => Self::Sha256(Sha256::new()),
            Some(Checksum::Sha512(_)) => Self::Sha512(Box::new(Sha512::new())),
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        match self {
            Self::None => {}
            Self::Sha256(h) => h.update(bytes),
            Self::Sha512(h) => h.update(bytes),
        }
    }

    fn matches(self, expected: Option<&Checksum>) -> bool {
        match (self, expected) {
            (Self::Sha256(h), Some(Checksum::Sha256(want))) => h.finalize().as_slice() == want,
            (Self::Sha512(h), Some(Checksum::Sha512(want))) => h.finalize().as_slice() == want,
            (Self::None, None) => true,
            _ => false,
        }
    }
}

/// How an upload ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Size and checksum match; the file is in place. Carries the size.
    Verified(u64),
    /// The bytes do not match the declared size or checksum (file removed).
    Mismatch,
    /// More bytes than allowed (file removed).
    TooLarge,
}

/// Streams `body` into the artifact's file: at most `limit` bytes, hashing as it
/// goes; the file appears under its final name only when `filesize` (if declared)
/// and `checksum` (if declared) match.
pub async fn store(
    storage: &ArtifactStorage,
    account: &str,
    id: &str,
    body: Body,
    filesize: Option<u64>,
    checksum: Option<&Checksum>,
) -> std::io::Result<Stored> {
    let dir = storage.dir.join(account);
    tokio::fs::create_dir_all(&dir).await?;
    let final_path = dir.join(id);
    // One part file per upload: concurrent uploads of one artifact never interleave.
    let part_path = dir.join(format!("{id}.{}.part", uuid::Uuid::new_v4().simple()));
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(&part_path).await?;
    let limit = filesize.map_or(storage.max_bytes, |size| size.min(storage.max_bytes));
    let mut hasher = Hasher::for_checksum(checksum);
    let mut written: u64 = 0;
    let mut stream = body.into_data_stream();
    let outcome = loop {
        let Some(chunk) = stream.next().await else {
            break None;
        };
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => break Some(Err(std::io::Error::other(e))),
        };
        written = written.saturating_add(chunk.len() as u64);
        if written > limit {
            break Some(Ok(if filesize.is_some() && written <= storage.max_bytes {
                Stored::Mismatch
            } else {
                Stored::TooLarge
            }));
        }
        hasher.update(&chunk);
        if let Err(e) = file.write_all(&chunk).await {
            break Some(Err(e));
        }
    };
    if let Some(outcome) = outcome {
        drop(file);
        let _ = tokio::fs::remove_file(&part_path).await;
        return outcome;
    }
    file.flush().await?;
    file.sync_all().await?;
    drop(file);
    let size_ok = filesize.is_none_or(|size| size == written);
    if !size_ok || !hasher.matches(checksum) {
        let _ = tokio::fs::remove_file(&part_path).await;
        return Ok(Stored::Mismatch);
    }
    tokio::fs::rename(&part_path, &final_path).await?;
    Ok(Stored::Verified(written))
}

/// Opens the artifact's file as a streamed body with its length; `None` when absent.
pub async fn open(
    storage: &ArtifactStorage,
    account: &str,
    id: &str,
) -> std::io::Result<Option<(Body, u64)>> {
    let path = file_path(storage, account, id);
    let file = match tokio::fs::File::open(&path).await {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let len = file.metadata().await?.len();
    let stream = tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024);
    Ok(Some((Body::from_stream(stream), len)))
}

/// The URL the client `PUT`s the artifact's bytes to: Latchkey's own signed URL
/// under `base` (local storage) or the bucket's presigned URL.
pub async fn upload_url(
    state: &AppState,
    base: &str,
    account: &str,
    id: &str,
    now_secs: i64,
) -> Result<String, s3::Failure> {
    match &state.config.artifacts.s3 {
        Some(bucket) => {
            bucket
                .presign(Op::Upload, account, id, state.config.artifacts.url_ttl)
                .await
        }
        None => Ok(format!(
            "{base}{}",
            signed_path(state, Op::Upload, account, id, now_secs)
        )),
    }
}

/// The short-lived URL the artifact's bytes are downloaded from (see [`upload_url`]).
pub async fn download_url(
    state: &AppState,
    base: &str,
    account: &str,
    id: &str,
    now_secs: i64,
) -> Result<String, s3::Failure> {
    match &state.config.artifacts.s3 {
        Some(bucket) => {
            bucket
                .presign(Op::Download, account, id, state.config.artifacts.url_ttl)
                .await
        }
        None => Ok(format!(
            "{base}{}",
            signed_path(state, Op::Download, account, id, now_secs)
        )),
    }
}

/// Removes the artifact's bytes, from the bucket or the folder (absent is fine).
pub async fn remove(storage: &ArtifactStorage, account: &str, id: &str) -> std::io::Result<()> {
    if let Some(bucket) = &storage.s3 {
        return bucket
            .remove(account, id)
            .await
            .map_err(std::io::Error::other);
    }
    match tokio::fs::remove_file(file_path(storage, account, id)).await {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_forms() {
        let sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert!(matches!(Checksum::parse(sha256), Some(Checksum::Sha256(_))));
        let b64 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
        assert_eq!(Checksum::parse(b64), Checksum::parse(sha256));
        assert!(Checksum::parse("abc").is_none());
        assert!(Checksum::parse("").is_none());
    }
}
