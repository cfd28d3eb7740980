//! Working offline: check out a signed machine (or license) file while online, cache
//! it on disk, and later verify and decrypt it without the network. The file is valid
//! until its own expiry; after that the application gets a clear error. A stored
//! high-water mark of the clock detects a clock set back to stretch a file's life.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use latchkey_proto::offline::{
    Certificate, CertificateContents, CertificateKind, FileSecret, KeySource,
};
use reqwest::Method;
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::client::{Client, Request};
use crate::error::Error;
use crate::licensing::segment;
use crate::resources::{License, Machine, resource};

/// How a check-out is asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOut {
    /// Lifetime of the file in seconds (`None`: the server's default, 1 month).
    pub ttl: Option<u64>,
    /// Related resources to embed (`license`, `license.entitlements`, …).
    pub include: Vec<String>,
    /// Encrypt the file with the license key (and fingerprint for machine files).
    pub encrypt: bool,
}

impl Default for CheckOut {
    fn default() -> Self {
        CheckOut {
            ttl: None,
            include: Vec::new(),
            encrypt: true,
        }
    }
}

impl Client {
    /// Checks out a machine file (`POST /machines/{id}/actions/check-out`) and returns
    /// the certificate text (`-----BEGIN MACHINE FILE-----…`).
    pub async fn check_out_machine(
        &self,
        machine: &str,
        options: &CheckOut,
    ) -> Result<String, Error> {
        self.check_out(
            &format!("machines/{}/actions/check-out", segment(machine)?),
            options,
            "machine-files",
        )
        .await
    }

    /// Checks out a license file (`POST /licenses/{id}/actions/check-out`).
    pub async fn check_out_license(
        &self,
        license: &str,
        options: &CheckOut,
    ) -> Result<String, Error> {
        self.check_out(
            &format!("licenses/{}/actions/check-out", segment(license)?),
            options,
            "license-files",
        )
        .await
    }

    async fn check_out(&self, path: &str, options: &CheckOut, kind: &str) -> Result<String, Error> {
        let mut request =
            Request::new(Method::POST, path).query("encrypt", options.encrypt.to_string());
        if let Some(ttl) = options.ttl {
            request = request.query("ttl", ttl.to_string());
        }
        if !options.include.is_empty() {
            request = request.query("include", options.include.join(","));
        }
        let response = self.send(request).await?;
        let file = resource(&response.body["data"], kind)?;
        file.attributes
            .get("certificate")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| Error::Protocol("a check-out without a certificate".into()))
    }
}

/// A verified, decrypted, unexpired license or machine file.
#[derive(Debug, Clone)]
pub struct OfflineFile {
    /// The decoded document (`data`, `included`, `meta`).
    pub contents: CertificateContents,
    /// When the file stops being valid (`None`: never).
    pub expiry: Option<OffsetDateTime>,
}

impl OfflineFile {
    /// The license: the file's `data` for a license file, the included license for a
    /// machine file (check it out with `include=license`).
    pub fn license(&self) -> Option<License> {
        let doc = self.contents.document();
        if doc["data"]["type"] == "licenses" {
            return resource(&doc["data"], "licenses")
                .ok()
                .map(License::from_resource);
        }
        self.contents
            .included()
            .iter()
            .find(|r| r["type"] == "licenses")
            .and_then(|r| resource(r, "licenses").ok())
            .map(License::from_resource)
    }

    /// The machine of a machine file.
    pub fn machine(&self) -> Option<Machine> {
        resource(&self.contents.document()["data"], "machines")
            .ok()
            .map(Machine::from_resource)
    }

    /// Entitlement codes included in the file (check out with `include=entitlements`
    /// or `license.entitlements`).
    pub fn entitlement_codes(&self) -> Vec<String> {
        self.contents
            .included()
            .iter()
            .filter(|r| r["type"] == "entitlements")
            .filter_map(|r| r["attributes"]["code"].as_str().map(str::to_owned))
            .collect()
    }
}

/// Verifies (signature first), decrypts and checks the times of a license or machine
/// file. `license_key` is the decryption secret of license files; machine files also
/// need `fingerprint`. A file issued in the future is refused as clock tampering.
pub fn verify_file(
    text: &str,
    keys: &impl KeySource,
    license_key: Option<&str>,
    fingerprint: Option<&str>,
    now: SystemTime,
) -> Result<OfflineFile, Error> {
    let certificate = Certificate::parse(text)?;
    let secret = match (certificate.kind(), license_key, fingerprint) {
        (CertificateKind::License, Some(key), _) => Some(FileSecret::for_license(key)),
        (CertificateKind::Machine, Some(key), Some(fp)) => Some(FileSecret::for_machine(key, fp)),
        _ => None,
    };
    let contents = certificate.verify(keys)?.open(secret.as_ref())?;
    let now = OffsetDateTime::from(now);
    if let Err(e) = contents.check_issued(now) {
        let seen = contents.issued().map(rfc3339).unwrap_or_default();
        return Err(match e {
            latchkey_proto::offline::OfflineError::IssuedInFuture { .. } => Error::ClockTampered {
                now: rfc3339(now),
                seen,
            },
            other => Error::Offline(other),
        });
    }
    contents.check_expiry(now)?;
    let expiry = contents.expiry()?;
    Ok(OfflineFile { contents, expiry })
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// An on-disk cache of checked-out files and of the clock's high-water mark. The
/// folder is created private to its owner (0700, files 0600 on Unix).
#[derive(Debug, Clone)]
pub struct OfflineCache {
    dir: PathBuf,
    tolerance: Duration,
}

impl OfflineCache {
    /// A cache in `dir` (created when missing).
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, Error> {
        let dir = dir.into();
        fs::create_dir_all(&dir)?;
        restrict(&dir, 0o700)?;
        Ok(OfflineCache {
            dir,
            tolerance: Duration::from_secs(300),
        })
    }

    /// How far the clock may step back (NTP corrections, time zones done wrong)
    /// before it counts as tampering (default 5 minutes).
    pub fn clock_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    fn file(&self, kind: &str, id: &str) -> PathBuf {
        // Names from a hash: fingerprints and keys never appear on disk in clear.
        let name = hex::encode(&Sha256::digest(id.as_bytes())[..16]);
        self.dir.join(format!("{kind}-{name}.lic"))
    }

    /// Stores a machine file for `fingerprint`.
    pub fn save_machine_file(&self, fingerprint: &str, certificate: &str) -> Result<(), Error> {
        write_private(&self.file("machine", fingerprint), certificate.as_bytes())
    }

    /// The cached machine file for `fingerprint`, if any.
    pub fn machine_file(&self, fingerprint: &str) -> Result<Option<String>, Error> {
        read_optional(&self.file("machine", fingerprint))
    }

    /// Stores a license file for `license_key`.
    pub fn save_license_file(&self, license_key: &str, certificate: &str) -> Result<(), Error> {
        write_private(&self.file("license", license_key), certificate.as_bytes())
    }

    /// The cached license file for `license_key`, if any.
    pub fn license_file(&self, license_key: &str) -> Result<Option<String>, Error> {
        read_optional(&self.file("license", license_key))
    }

    /// Records `now` as seen and refuses a clock that reads earlier than a time already
    /// seen (minus the tolerance): the defence against setting the clock back.
    pub fn observe_clock(&self, now: SystemTime) -> Result<(), Error> {
        let path = self.dir.join("clock");
        let seen = read_optional(&path)?
            .and_then(|text| text.trim().parse::<u64>().ok())
            .map(|secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs));
        if let Some(seen) = seen {
            if now + self.tolerance < seen {
                return Err(Error::ClockTampered {
                    now: rfc3339(OffsetDateTime::from(now)),
                    seen: rfc3339(OffsetDateTime::from(seen)),
                });
            }
            if now <= seen {
                return Ok(());
            }
        }
        let secs = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        write_private(&path, secs.to_string().as_bytes())
    }

    /// Verifies the cached machine file for an offline start: clock check, signature,
    /// decryption, expiry. Errors say which (no file, tampered clock, expired file).
    pub fn verify_machine(
        &self,
        keys: &impl KeySource,
        license_key: &str,
        fingerprint: &str,
        now: SystemTime,
    ) -> Result<OfflineFile, Error> {
        self.observe_clock(now)?;
        let text = self.machine_file(fingerprint)?.ok_or_else(|| {
            Error::Io(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no machine file cached: the application must go online once to activate",
            ))
        })?;
        verify_file(&text, keys, Some(license_key), Some(fingerprint), now)
    }
}

fn read_optional(path: &Path) -> Result<Option<String>, Error> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Writes through a temporary file and a rename, so a crash never leaves half a file.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let tmp = path.with_extension("tmp");
    {
        let mut file = open_private(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    Ok(())
}

#[cfg(unix)]
fn open_private(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_private(path: &Path) -> std::io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
}

#[cfg(unix)]
fn restrict(dir: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir, fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn restrict(_dir: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp() -> PathBuf {
        std::env::temp_dir().join(format!("latchkey-sdk-{}", rand::random::<u64>()))
    }

    #[test]
    fn a_clock_set_back_is_refused_and_small_steps_are_not() {
        let dir = temp();
        let cache = OfflineCache::open(&dir).unwrap();
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000);
        cache.observe_clock(t).unwrap();
        cache.observe_clock(t - Duration::from_secs(60)).unwrap();
        let err = cache
            .observe_clock(t - Duration::from_secs(86_400))
            .unwrap_err();
        assert!(matches!(err, Error::ClockTampered { .. }), "{err}");
        cache.observe_clock(t + Duration::from_secs(10)).unwrap();
        let err = cache
            .observe_clock(t - Duration::from_secs(400))
            .unwrap_err();
        assert!(matches!(err, Error::ClockTampered { .. }));
        fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn cached_files_are_private_and_named_by_hash() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp();
        let cache = OfflineCache::open(&dir).unwrap();
        cache.save_machine_file("FP-SECRET", "cert").unwrap();
        assert_eq!(
            cache.machine_file("FP-SECRET").unwrap().as_deref(),
            Some("cert")
        );
        assert_eq!(cache.machine_file("other").unwrap(), None);
        for entry in fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            assert!(!entry.file_name().to_string_lossy().contains("FP-SECRET"));
            assert_eq!(
                entry.metadata().unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert_eq!(
            fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        fs::remove_dir_all(dir).unwrap();
    }
}
