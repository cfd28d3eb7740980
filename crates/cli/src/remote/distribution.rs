//! Release pipeline commands: `latchkey release create|publish|yank|list|show` and
//! `latchkey artifact upload FILE` (SHA-256 checksum, optional Ed25519ph signature
//! from a vendor key file, streamed upload with a progress bar).

use clap::Subcommand;
use futures::StreamExt as _;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256, Sha512};
use std::path::{Path, PathBuf};

use super::Connection;
use super::exit::{FAILURE, Failure};
use super::output;
use super::resources::{ResourceCommand, action, path_id};

/// `latchkey release …`.
#[derive(Subcommand, Debug, Clone)]
pub enum ReleaseCommand {
    #[command(flatten)]
    Common(ResourceCommand),
    /// Publish a draft release.
    #[command(after_help = "Example:\n  latchkey release publish 1.2.0")]
    Publish {
        /// Release id, version or tag.
        id: String,
    },
    /// Yank a release (hidden from licensees).
    #[command(after_help = "Example:\n  latchkey release yank 1.2.0")]
    Yank {
        /// Release id, version or tag.
        id: String,
    },
}

/// `latchkey artifact …`.
#[derive(Subcommand, Debug, Clone)]
pub enum ArtifactCommand {
    /// Upload a file as an artifact of a release (checksum computed, optionally signed).
    #[command(
        after_help = "Example:\n  latchkey artifact upload dist/app-1.2.0.tar.gz --release 1.2.0 --platform linux --arch amd64 --signing-key vendor.pem"
    )]
    Upload {
        /// The file.
        file: PathBuf,
        /// Release id, version or tag.
        #[arg(long)]
        release: String,
        /// Artifact filename (default: the file's name).
        #[arg(long)]
        filename: Option<String>,
        /// Platform (linux, darwin, windows, …).
        #[arg(long)]
        platform: Option<String>,
        /// Architecture (amd64, arm64, …).
        #[arg(long)]
        arch: Option<String>,
        /// File type (default: the extension).
        #[arg(long)]
        filetype: Option<String>,
        /// Ed25519 private key (PKCS#8 PEM) signing the file with Ed25519ph.
        #[arg(long, value_name = "PEM")]
        signing_key: Option<PathBuf>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    #[command(flatten)]
    Common(ResourceCommand),
}

/// Runs a release command.
pub async fn releases(connection: &Connection, command: &ReleaseCommand) -> Result<(), Failure> {
    match command {
        ReleaseCommand::Common(common) => {
            super::resources::run(connection, "releases", common).await
        }
        ReleaseCommand::Publish { id } | ReleaseCommand::Yank { id } => {
            let verb = if matches!(command, ReleaseCommand::Publish { .. }) {
                "publish"
            } else {
                "yank"
            };
            let client = connection.operator()?;
            let path = format!("releases/{}/actions/{verb}", path_id(id)?);
            action(&client, path, connection.json, "releases").await
        }
    }
}

/// The id of the release's product: the context of the artifact's Ed25519ph
/// signature, as Keygen's SDKs verify it.
async fn release_product(
    http: &reqwest::Client,
    prefix: &str,
    token: &str,
    release: &str,
) -> Result<String, Failure> {
    let reply = http
        .get(format!("{prefix}/releases/{}", path_id(release)?))
        .bearer_auth(token)
        .header("Accept", "application/vnd.api+json")
        .send()
        .await
        .map_err(|e| Failure::new(FAILURE, format!("reading the release: {e}"), None))?;
    let status = reply.status();
    let document: Value = reply.json().await.unwrap_or(Value::Null);
    match document["data"]["relationships"]["product"]["data"]["id"].as_str() {
        Some(product) if status.is_success() => Ok(product.to_owned()),
        _ => Err(Failure::new(
            FAILURE,
            format!(
                "reading the release: HTTP {status}: {}",
                document["errors"][0]["detail"]
                    .as_str()
                    .unwrap_or("unexpected answer")
            ),
            None,
        )),
    }
}

/// SHA-256 (hex) and, with a key, the base64 Ed25519ph signature of a file (context:
/// the product id, as Keygen's SDKs verify it), read in chunks.
fn digest_file(
    path: &Path,
    key: Option<&ed25519_dalek::SigningKey>,
    product: &str,
) -> Result<(String, Option<String>), Failure> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut sha256 = Sha256::new();
    let mut sha512 = Sha512::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        sha256.update(&buffer[..n]);
        if key.is_some() {
            sha512.update(&buffer[..n]);
        }
    }
    let signature = match key {
        Some(key) => {
            let signature = key
                .sign_prehashed(sha512, Some(product.as_bytes()))
                .map_err(|e| Failure::new(FAILURE, format!("signing failed: {e}"), None))?;
            use base64::Engine;
            Some(base64::engine::general_purpose::STANDARD.encode(signature.to_bytes()))
        }
        None => None,
    };
    Ok((hex::encode(sha256.finalize()), signature))
}

fn signing_key(path: &Path) -> Result<ed25519_dalek::SigningKey, Failure> {
    use ed25519_dalek::pkcs8::DecodePrivateKey;
    let text = std::fs::read_to_string(path)?;
    ed25519_dalek::SigningKey::from_pkcs8_pem(&text).map_err(|e| {
        Failure::usage(
            format!("{}: not an Ed25519 PKCS#8 PEM key ({e})", path.display()),
            "create one with `openssl genpkey -algorithm ed25519 -out vendor.pem`",
        )
    })
}

/// Runs an artifact command.
pub async fn artifacts(connection: &Connection, command: &ArtifactCommand) -> Result<(), Failure> {
    let ArtifactCommand::Upload {
        file,
        release,
        filename,
        platform,
        arch,
        filetype,
        signing_key: key_file,
        quiet,
    } = command
    else {
        let ArtifactCommand::Common(common) = command else {
            return Ok(());
        };
        return super::resources::run(connection, "artifacts", common).await;
    };
    let key = key_file.as_deref().map(signing_key).transpose()?;
    let size = std::fs::metadata(file)?.len();
    let name = filename
        .clone()
        .or_else(|| file.file_name().map(|n| n.to_string_lossy().into_owned()));
    let Some(name) = name else {
        return Err(Failure::usage("the file has no name", "pass --filename"));
    };
    let filetype = filetype
        .clone()
        .or_else(|| file.extension().map(|e| e.to_string_lossy().into_owned()));
    let resolved = connection.resolve()?;
    let (base, token) = match (&resolved.url, &resolved.token) {
        (Some(url), Some(token)) => (url.trim_end_matches('/').to_owned(), token.clone()),
        _ => {
            return Err(Failure::usage(
                "no server URL or token",
                "pass --url and --token, or run `latchkey login`",
            ));
        }
    };
    let prefix = match &resolved.account {
        Some(account) => format!("{base}/v1/accounts/{}", path_id(account)?),
        None => format!("{base}/v1"),
    };
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| Failure::new(FAILURE, e.to_string(), None))?;
    let (checksum, signature) = match &key {
        None => digest_file(file, None, "")?,
        Some(key) => {
            let product = release_product(&http, &prefix, &token, release).await?;
            digest_file(file, Some(key), &product)?
        }
    };
    let body = json!({"data": {"type": "artifacts",
        "attributes": {"filename": name, "filesize": size, "checksum": checksum,
            "signature": signature, "platform": platform, "arch": arch, "filetype": filetype},
        "relationships": {"release": {"data": {"type": "releases", "id": release}}}}});
    let created = http
        .request(Method::POST, format!("{prefix}/artifacts"))
        .bearer_auth(&token)
        .header("Accept", "application/vnd.api+json")
        .header("Content-Type", "application/vnd.api+json")
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| Failure::new(FAILURE, format!("creating the artifact: {e}"), None))?;
    let status = created.status();
    let location = created
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let document: Value = created.json().await.unwrap_or(Value::Null);
    let (307, Some(location)) = (status.as_u16(), location) else {
        let detail = document["errors"][0]["detail"]
            .as_str()
            .unwrap_or("unexpected answer");
        return Err(Failure::new(
            FAILURE,
            format!("creating the artifact: HTTP {status}: {detail}"),
            None,
        ));
    };
    let bar = if *quiet {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(size)
    };
    let reader = tokio::fs::File::open(file).await?;
    let progress = bar.clone();
    let stream = tokio_util::io::ReaderStream::with_capacity(reader, 1 << 16).map(move |chunk| {
        if let Ok(chunk) = &chunk {
            progress.inc(chunk.len() as u64);
        }
        chunk
    });
    let put = http
        .put(&location)
        .header("Content-Length", size.to_string())
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .map_err(|e| Failure::new(FAILURE, format!("uploading: {e}"), None))?;
    bar.finish_and_clear();
    if !put.status().is_success() {
        return Err(Failure::new(
            FAILURE,
            format!("upload refused: HTTP {}", put.status()),
            None,
        ));
    }
    // Read it back: the server's verdict (with S3 storage, this is when the bytes in
    // the bucket are verified).
    let id = document["data"]["id"].as_str().unwrap_or_default();
    let shown = http
        .get(format!("{prefix}/artifacts/{}", path_id(id)?))
        .bearer_auth(&token)
        .header("Accept", "application/vnd.api+json")
        .header("Prefer", "no-download")
        .send()
        .await
        .map_err(|e| Failure::new(FAILURE, format!("reading the artifact back: {e}"), None))?;
    let artifact: Value = shown.json().await.unwrap_or(Value::Null);
    let status = artifact["data"]["attributes"]["status"].as_str();
    if status != Some("UPLOADED") {
        return Err(Failure::new(
            FAILURE,
            format!(
                "the server did not accept the bytes: artifact status {}",
                status.unwrap_or("unknown")
            ),
            None,
        ));
    }
    output::print(&artifact, "artifacts", connection.json);
    Ok(())
}
