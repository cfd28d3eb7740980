//! Typed views of the resources a licensed application deals with. Each keeps the
//! full JSON:API resource (`raw`) for attributes the typed fields do not name.

use latchkey_proto::jsonapi::Resource;
use serde_json::Value;

use crate::error::Error;

pub(crate) fn resource(value: &Value, kind: &str) -> Result<Resource, Error> {
    let resource: Resource = serde_json::from_value(value.clone())
        .map_err(|e| Error::Protocol(format!("a {kind} resource is malformed: {e}")))?;
    if resource.kind != kind {
        return Err(Error::Protocol(format!(
            "expected a {kind} resource, got {}",
            resource.kind
        )));
    }
    Ok(resource)
}

pub(crate) fn data(body: &Value, kind: &str) -> Result<Resource, Error> {
    resource(&body["data"], kind)
}

fn string(r: &Resource, name: &str) -> Option<String> {
    r.attributes
        .get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn int(r: &Resource, name: &str) -> Option<i64> {
    r.attributes.get(name).and_then(Value::as_i64)
}

fn related_id(r: &Resource, name: &str) -> Option<String> {
    r.relationships
        .get(name)
        .and_then(|rel| rel["data"]["id"].as_str())
        .map(str::to_owned)
}

/// A license.
#[derive(Debug, Clone, PartialEq)]
pub struct License {
    /// Id.
    pub id: String,
    /// The key (absent when the bearer may not see it).
    pub key: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// `ACTIVE`, `INACTIVE`, `EXPIRING`, `EXPIRED`, `SUSPENDED`, `BANNED`.
    pub status: Option<String>,
    /// Expiry (RFC 3339), `None` for perpetual licenses.
    pub expiry: Option<String>,
    /// Usage counter.
    pub uses: i64,
    /// The machine limit in force, if any.
    pub max_machines: Option<i64>,
    /// Policy id.
    pub policy_id: Option<String>,
    /// Product id.
    pub product_id: Option<String>,
    /// The whole resource.
    pub raw: Resource,
}

impl License {
    pub(crate) fn from_resource(raw: Resource) -> Self {
        License {
            id: raw.id.clone(),
            key: string(&raw, "key"),
            name: string(&raw, "name"),
            status: string(&raw, "status"),
            expiry: string(&raw, "expiry"),
            uses: int(&raw, "uses").unwrap_or(0),
            max_machines: int(&raw, "maxMachines"),
            policy_id: related_id(&raw, "policy"),
            product_id: related_id(&raw, "product"),
            raw,
        }
    }
}

/// An activated machine.
#[derive(Debug, Clone, PartialEq)]
pub struct Machine {
    /// Id.
    pub id: String,
    /// Fingerprint.
    pub fingerprint: String,
    /// Name.
    pub name: Option<String>,
    /// `NOT_STARTED`, `ALIVE`, `DEAD`, `RESURRECTED`.
    pub heartbeat_status: Option<String>,
    /// Seconds between required heartbeats, when the policy requires them.
    pub heartbeat_duration: Option<u64>,
    /// License id.
    pub license_id: Option<String>,
    /// The whole resource.
    pub raw: Resource,
}

impl Machine {
    pub(crate) fn from_resource(raw: Resource) -> Self {
        Machine {
            id: raw.id.clone(),
            fingerprint: string(&raw, "fingerprint").unwrap_or_default(),
            name: string(&raw, "name"),
            heartbeat_status: string(&raw, "heartbeatStatus"),
            heartbeat_duration: int(&raw, "heartbeatDuration").and_then(|d| u64::try_from(d).ok()),
            license_id: related_id(&raw, "license"),
            raw,
        }
    }
}

/// A process of a machine (concurrency limits per process).
#[derive(Debug, Clone, PartialEq)]
pub struct Process {
    /// Id.
    pub id: String,
    /// Process id as reported.
    pub pid: String,
    /// `ALIVE`, `DEAD`, `RESURRECTED`.
    pub status: Option<String>,
    /// Seconds between required heartbeats.
    pub interval: Option<u64>,
    /// The whole resource.
    pub raw: Resource,
}

impl Process {
    pub(crate) fn from_resource(raw: Resource) -> Self {
        Process {
            id: raw.id.clone(),
            pid: string(&raw, "pid").unwrap_or_default(),
            status: string(&raw, "status"),
            interval: int(&raw, "interval").and_then(|d| u64::try_from(d).ok()),
            raw,
        }
    }
}

/// An entitlement (a named feature a license grants).
#[derive(Debug, Clone, PartialEq)]
pub struct Entitlement {
    /// Id.
    pub id: String,
    /// The code applications check.
    pub code: String,
    /// Name.
    pub name: Option<String>,
}

impl Entitlement {
    pub(crate) fn from_resource(raw: &Resource) -> Self {
        Entitlement {
            id: raw.id.clone(),
            code: string(raw, "code").unwrap_or_default(),
            name: string(raw, "name"),
        }
    }
}
