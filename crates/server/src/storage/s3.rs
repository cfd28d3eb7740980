//! Artifacts in an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2, Backblaze B2,
//! moto, …) through the `object_store` crate. Objects are
//! `<prefix><account id>/<artifact id>`.
//!
//! Clients upload straight to the bucket with a presigned `PUT` URL and download with a
//! presigned `GET` URL, so artifact bytes never pass through Latchkey. A presigned
//! `PUT` cannot bound the body's size or content, so the bytes are verified after the
//! upload, the first time the artifact is read while WAITING ([`inspect`]): a `HEAD`
//! gives the size (checked against the declared `filesize` and the size limit), then,
//! when a `checksum` was declared, the object is streamed once through SHA-256/512
//! (pinned to the `HEAD`'s ETag, chunk by chunk, never whole in memory). S3's own
//! checksum headers are not used: Keygen's checksum may be SHA-512, which S3 does not
//! compute, and the header would have to be part of the presigned URL.

use super::{Checksum, Hasher, Op, Stored};
use axum::http::Method;
use futures::StreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::signer::Signer;
use object_store::{GetOptions, ObjectStore};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// A bucket operation failed (network, credentials, configuration).
#[derive(Debug, thiserror::Error)]
#[error("artifact storage: {0}")]
pub struct Failure(String);

impl From<object_store::Error> for Failure {
    fn from(e: object_store::Error) -> Self {
        Self(e.to_string())
    }
}

/// Where and how to reach the bucket. The client is built once, on first use, and
/// shared by clones. Credentials left out come from the usual `AWS_*` variables (or
/// the instance's metadata service).
#[derive(Clone)]
pub struct S3Options {
    /// Bucket name.
    pub bucket: String,
    /// Endpoint of a non-AWS service (`http://127.0.0.1:9000`); `None` for AWS.
    pub endpoint: Option<String>,
    /// Region (`us-east-1`, or `auto` for R2).
    pub region: String,
    /// Access key id.
    pub access_key_id: Option<String>,
    /// Secret access key.
    pub secret_access_key: Option<String>,
    /// Path-style URLs (`endpoint/bucket/key`) instead of virtual-hosted ones.
    pub path_style: bool,
    /// Key prefix of every object (`artifacts/`), may be empty.
    pub prefix: String,
    client: Arc<OnceLock<Result<Arc<AmazonS3>, String>>>,
}

impl std::fmt::Debug for S3Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Options")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "<redacted>"),
            )
            .field("path_style", &self.path_style)
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl S3Options {
    /// Options for `bucket` in `region`; the rest through the public fields.
    pub fn new(bucket: impl Into<String>, region: impl Into<String>) -> Self {
        Self {
            bucket: bucket.into(),
            endpoint: None,
            region: region.into(),
            access_key_id: None,
            secret_access_key: None,
            path_style: false,
            prefix: String::new(),
            client: Arc::new(OnceLock::new()),
        }
    }

    fn build(&self) -> Result<AmazonS3, object_store::Error> {
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&self.bucket)
            .with_region(&self.region)
            .with_virtual_hosted_style_request(!self.path_style);
        if let Some(endpoint) = &self.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        if let Some(id) = &self.access_key_id {
            builder = builder.with_access_key_id(id);
        }
        if let Some(secret) = &self.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        builder.build()
    }

    /// Checks that a client can be built from these options (configuration errors
    /// surface at start rather than on the first upload).
    pub fn check(&self) -> Result<(), String> {
        self.client().map(|_| ()).map_err(|Failure(e)| e)
    }

    fn client(&self) -> Result<Arc<AmazonS3>, Failure> {
        self.client
            .get_or_init(|| self.build().map(Arc::new).map_err(|e| e.to_string()))
            .clone()
            .map_err(Failure)
    }

    fn path(&self, account: &str, id: &str) -> Path {
        let prefix = self.prefix.trim_matches('/');
        if prefix.is_empty() {
            Path::from(format!("{account}/{id}"))
        } else {
            Path::from(format!("{prefix}/{account}/{id}"))
        }
    }

    /// A presigned URL for `op` on the artifact's object, valid for `ttl`.
    pub async fn presign(
        &self,
        op: Op,
        account: &str,
        id: &str,
        ttl: Duration,
    ) -> Result<String, Failure> {
        let method = match op {
            Op::Upload => Method::PUT,
            Op::Download => Method::GET,
        };
        let url = self
            .client()?
            .signed_url(method, &self.path(account, id), ttl)
            .await?;
        Ok(url.to_string())
    }

    /// Deletes the artifact's object (absent is fine).
    pub async fn remove(&self, account: &str, id: &str) -> Result<(), Failure> {
        match self.client()?.delete(&self.path(account, id)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Verifies an uploaded object (see the module docs): `None` while nothing was
    /// uploaded; else whether size and checksum match. A refused object is deleted.
    pub async fn inspect(
        &self,
        max_bytes: u64,
        account: &str,
        id: &str,
        filesize: Option<u64>,
        checksum: Option<&Checksum>,
    ) -> Result<Option<Stored>, Failure> {
        let client = self.client()?;
        let path = self.path(account, id);
        let meta = match client.head(&path).await {
            Ok(meta) => meta,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let verdict = if meta.size > max_bytes {
            Stored::TooLarge
        } else if filesize.is_some_and(|size| size != meta.size) {
            Stored::Mismatch
        } else if checksum.is_some() {
            let options = GetOptions {
                if_match: meta.e_tag.clone(),
                ..GetOptions::default()
            };
            let mut stream = client.get_opts(&path, options).await?.into_stream();
            let mut hasher = Hasher::for_checksum(checksum);
            let mut read: u64 = 0;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk?;
                read = read.saturating_add(chunk.len() as u64);
                hasher.update(&chunk);
            }
            if read == meta.size && hasher.matches(checksum) {
                Stored::Verified(meta.size)
            } else {
                Stored::Mismatch
            }
        } else {
            Stored::Verified(meta.size)
        };
        if verdict != Stored::Verified(meta.size) {
            self.remove(account, id).await?;
        }
        Ok(Some(verdict))
    }
}
