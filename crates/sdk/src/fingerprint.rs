//! Machine fingerprints. The OS machine id (Linux `/etc/machine-id` or the D-Bus id,
//! macOS `IOPlatformUUID`, Windows `MachineGuid`, read by the `machine-uid` crate) is
//! never sent raw: the fingerprint is `HMAC-SHA256(key = application id, machine id)`
//! in hex, so two vendors see unrelated fingerprints for one machine and the id
//! cannot be recovered from what the server stores.
//!
//! Component fingerprints (CPU model, disk serial, MAC address, hostname,
//! motherboard) are hashed the same way, each optional; activate with them and
//! validate with a `components` scope so a policy's `componentMatchingStrategy`
//! (for example `MATCH_MOST`) keeps a machine valid after one part is replaced.
//!
//! `LATCHKEY_FINGERPRINT` overrides the machine fingerprint. In Kubernetes, where a
//! pod's machine id is the node's or random, give each pod a stable identity from the
//! downward API:
//!
//! ```yaml
//! env:
//!   - name: LATCHKEY_FINGERPRINT
//!     valueFrom: { fieldRef: { fieldPath: metadata.uid } }   # or metadata.name for a StatefulSet
//! ```

use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::Error;

/// The variable that overrides the machine fingerprint.
pub const OVERRIDE_VARIABLE: &str = "LATCHKEY_FINGERPRINT";

/// Computes fingerprints for one application.
#[derive(Debug, Clone)]
pub struct Fingerprinter {
    app_id: String,
}

/// A component of this machine, fingerprinted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// `cpu`, `disk`, `mac`, `hostname` or `motherboard`.
    pub name: &'static str,
    /// The hashed value.
    pub fingerprint: String,
}

/// Where the application runs, as far as it can tell: facts an application may act on
/// (for example refuse node-locked activation inside an ephemeral container).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Environment {
    /// The container runtime, when inside one (`docker`, `podman`, `kubernetes`,
    /// `containerd`, `lxc`).
    pub container: Option<String>,
    /// The hypervisor vendor, when in a virtual machine (`kvm`, `vmware`, …).
    pub virtual_machine: Option<String>,
}

impl Fingerprinter {
    /// A fingerprinter keyed by `app_id` (any stable string naming the application,
    /// such as its product id).
    pub fn new(app_id: impl Into<String>) -> Self {
        Fingerprinter {
            app_id: app_id.into(),
        }
    }

    /// `HMAC-SHA256(app id, value)` in lowercase hex.
    pub fn hash(&self, value: &str) -> String {
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(self.app_id.as_bytes()) else {
            unreachable!("HMAC-SHA256 accepts keys of any length")
        };
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The machine fingerprint: `LATCHKEY_FINGERPRINT` when set (used verbatim), else
    /// the hashed OS machine id.
    pub fn machine(&self) -> Result<String, Error> {
        if let Ok(value) = std::env::var(OVERRIDE_VARIABLE) {
            let value = value.trim();
            if !value.is_empty() {
                return Ok(value.to_owned());
            }
        }
        let id = machine_uid::get().map_err(|e| {
            Error::Config(format!(
                "cannot read this machine's id ({e}); set {OVERRIDE_VARIABLE}"
            ))
        })?;
        let id = id.trim();
        if id.is_empty() {
            return Err(Error::Config(format!(
                "this machine's id is empty; set {OVERRIDE_VARIABLE}"
            )));
        }
        Ok(self.hash(id))
    }

    /// The component fingerprints this platform can read (any may be missing).
    pub fn components(&self) -> Vec<Component> {
        let mut found = Vec::new();
        let mut add = |name: &'static str, raw: Option<String>| {
            if let Some(raw) = raw.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty()) {
                found.push(Component {
                    name,
                    fingerprint: self.hash(&format!("{name}:{raw}")),
                });
            }
        };
        add("cpu", cpu_model());
        add("disk", disk_serial());
        add(
            "mac",
            mac_address::get_mac_address()
                .ok()
                .flatten()
                .map(|m| m.to_string()),
        );
        add(
            "hostname",
            Some(gethostname::gethostname().to_string_lossy().into_owned()),
        );
        add("motherboard", motherboard());
        found
    }
}

fn read(path: impl AsRef<Path>) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// The CPU model name (Linux `/proc/cpuinfo`).
fn cpu_model() -> Option<String> {
    read("/proc/cpuinfo")?
        .lines()
        .find(|l| l.starts_with("model name") || l.starts_with("Hardware"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
}

/// The serial of the first physical disk (Linux sysfs: NVMe `serial`, SCSI/SATA
/// `device/serial` or `device/wwid`).
fn disk_serial() -> Option<String> {
    let mut disks: Vec<_> = std::fs::read_dir("/sys/block")
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            !(name.starts_with("loop")
                || name.starts_with("ram")
                || name.starts_with("dm-")
                || name.starts_with("zram"))
        })
        .collect();
    disks.sort();
    disks.iter().find_map(|disk| {
        ["serial", "device/serial", "device/wwid"]
            .iter()
            .find_map(|f| read(disk.join(f)).filter(|s| !s.trim().is_empty()))
    })
}

/// Board vendor, name and (when readable: root only on most systems) serial.
fn motherboard() -> Option<String> {
    let dmi = Path::new("/sys/class/dmi/id");
    let parts: Vec<String> = ["board_vendor", "board_name", "board_serial"]
        .iter()
        .filter_map(|f| read(dmi.join(f)))
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// Detects containers and virtual machines from well-known marks.
pub fn environment() -> Environment {
    Environment {
        container: container(),
        virtual_machine: virtual_machine(),
    }
}

fn container() -> Option<String> {
    if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() {
        return Some("kubernetes".into());
    }
    if Path::new("/.dockerenv").exists() {
        return Some("docker".into());
    }
    if Path::new("/run/.containerenv").exists() {
        return Some("podman".into());
    }
    if let Some(kind) = read("/run/systemd/container").map(|s| s.trim().to_owned())
        && !kind.is_empty()
    {
        return Some(kind);
    }
    let cgroup = read("/proc/1/cgroup").unwrap_or_default();
    for (mark, kind) in [
        ("kubepods", "kubernetes"),
        ("docker", "docker"),
        ("containerd", "containerd"),
        ("lxc", "lxc"),
    ] {
        if cgroup.contains(mark) {
            return Some(kind.into());
        }
    }
    None
}

fn virtual_machine() -> Option<String> {
    let vendor = read("/sys/class/dmi/id/sys_vendor")
        .unwrap_or_default()
        .to_lowercase();
    let product = read("/sys/class/dmi/id/product_name")
        .unwrap_or_default()
        .to_lowercase();
    let known = [
        ("qemu", "kvm"),
        ("kvm", "kvm"),
        ("vmware", "vmware"),
        ("virtualbox", "virtualbox"),
        ("innotek", "virtualbox"),
        ("xen", "xen"),
        ("microsoft corporation", "hyper-v"),
        ("amazon ec2", "aws"),
        ("google", "gcp"),
        ("parallels", "parallels"),
    ];
    for (mark, name) in known {
        if vendor.contains(mark) || product.contains(mark) {
            return Some(name.into());
        }
    }
    let cpuinfo = read("/proc/cpuinfo").unwrap_or_default();
    cpuinfo
        .lines()
        .any(|l| l.starts_with("flags") && l.split_whitespace().any(|f| f == "hypervisor"))
        .then(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_keyed_hmacs_and_differ_per_application() {
        let a = Fingerprinter::new("app-a");
        let b = Fingerprinter::new("app-b");
        assert_eq!(a.hash("id"), a.hash("id"));
        assert_ne!(a.hash("id"), b.hash("id"));
        assert_eq!(a.hash("id").len(), 64);
        // RFC 4231-style check that this is HMAC, not a plain hash of key‖message.
        let known = Fingerprinter::new("key").hash("The quick brown fox jumps over the lazy dog");
        assert_eq!(
            known,
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
    }

    #[test]
    fn the_machine_fingerprint_is_stable_and_never_the_raw_id() {
        let f = Fingerprinter::new("app");
        if std::env::var_os(OVERRIDE_VARIABLE).is_some() {
            return;
        }
        if let Ok(fp) = f.machine() {
            assert_eq!(fp, f.machine().unwrap());
            let raw = machine_uid::get().unwrap();
            assert!(!fp.contains(raw.trim()));
        }
    }

    #[test]
    fn components_are_hashed_and_named() {
        for c in Fingerprinter::new("app").components() {
            assert_eq!(c.fingerprint.len(), 64);
            assert!(["cpu", "disk", "mac", "hostname", "motherboard"].contains(&c.name));
        }
    }
}
