//! HTTPS from the binary: rustls (ring provider) with HTTP/2 and HTTP/1.1 offered
//! through ALPN, and a certificate that is reloaded without a restart. Every
//! `reload_interval` the certificate and key files' modification times and sizes are
//! compared with the last ones seen; on a change both are read again and, if they
//! parse and match each other, new handshakes use them. A bad pair is logged and the
//! previous certificate stays in use.

use crate::config::TlsFiles;
use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// Why a certificate could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The PEM text holds no usable certificate or key.
    #[error("{path}: {detail}")]
    Pem {
        /// The file.
        path: String,
        /// What is wrong.
        detail: String,
    },
    /// The key is unsupported or does not belong to the certificate.
    #[error("certificate and key: {0}")]
    Key(rustls::Error),
}

/// The certificate currently served, swapped on reload.
#[derive(Debug)]
struct Current(RwLock<Arc<CertifiedKey>>);

impl ResolvesServerCert for Current {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.0.read().ok().map(|key| key.clone())
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// Reads and checks a certificate chain and its private key.
fn load(files: &TlsFiles) -> Result<Arc<CertifiedKey>, TlsError> {
    let pem_error = |path: &Path, detail: String| TlsError::Pem {
        path: path.display().to_string(),
        detail,
    };
    let cert_pem = read(&files.cert)?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(&files.cert, e.to_string()))?;
    if chain.is_empty() {
        return Err(pem_error(&files.cert, "no CERTIFICATE block".into()));
    }
    let key_pem = read(&files.key)?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| pem_error(&files.key, format!("no usable private key ({e})")))?;
    let certified = CertifiedKey::from_der(chain, key, &provider()).map_err(TlsError::Key)?;
    Ok(Arc::new(certified))
}

/// What identifies a version of the files on disk.
fn stamp(files: &TlsFiles) -> Option<[(SystemTime, u64); 2]> {
    let one = |path: &Path| {
        let meta = std::fs::metadata(path).ok()?;
        Some((meta.modified().ok()?, meta.len()))
    };
    Some([one(&files.cert)?, one(&files.key)?])
}

/// A TLS acceptor whose certificate follows the files.
pub struct Tls {
    /// Accepts handshakes.
    pub acceptor: TlsAcceptor,
    watcher: JoinHandle<()>,
}

impl Drop for Tls {
    fn drop(&mut self) {
        self.watcher.abort();
    }
}

impl Tls {
    /// Loads the files (failing when they are unusable) and starts watching them.
    pub fn start(files: &TlsFiles) -> Result<Self, TlsError> {
        let mut seen = stamp(files);
        let current = Arc::new(Current(RwLock::new(load(files)?)));
        let mut config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(TlsError::Key)?
            .with_no_client_auth()
            .with_cert_resolver(current.clone());
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let files = files.clone();
        let watcher = tokio::spawn(async move {
            let mut tick = tokio::time::interval(files.reload_interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let now = stamp(&files);
                if now.is_none() || now == seen {
                    continue;
                }
                seen = now;
                match load(&files) {
                    Ok(key) => {
                        if let Ok(mut slot) = current.0.write() {
                            *slot = key;
                        }
                        tracing::info!(cert = %files.cert.display(), "TLS certificate reloaded");
                    }
                    Err(error) => {
                        tracing::error!(%error, "TLS certificate not reloaded; the previous one stays in use");
                    }
                }
            }
        });
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            watcher,
        })
    }
}
