//! The attributes of every resource type the API renders: name, JSON type, whether a
//! request may set it. The OpenAPI document's typed resource, document and request
//! schemas are built from this table; a test (`tests/openapi_attributes.rs`) renders
//! one resource of each type through the API and holds its attributes equal to the
//! table (same names, values of the documented type), so the two cannot drift.

use serde_json::{Value, json};

/// A JSON type as the serializers write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// A string.
    Str,
    /// A string or null.
    StrN,
    /// An integer.
    Int,
    /// An integer or null.
    IntN,
    /// A boolean.
    Bool,
    /// An ISO-8601 timestamp.
    Time,
    /// An ISO-8601 timestamp or null.
    TimeN,
    /// A JSON object (metadata).
    Obj,
    /// A JSON object or null.
    ObjN,
    /// An array of strings.
    Strs,
    /// Any JSON value (stored JSON such as a product's platforms).
    Any,
    /// One of the values of the named enum component.
    Enum(&'static str),
    /// One of the values of the named enum component, or null.
    EnumN(&'static str),
}

impl Ty {
    /// The JSON Schema.
    pub fn schema(self) -> Value {
        let time = json!({ "type": "string", "format": "date-time" });
        let enum_ref = |name: &str| json!({ "$ref": format!("#/components/schemas/{name}") });
        match self {
            Ty::Str => json!({ "type": "string" }),
            Ty::StrN => json!({ "type": ["string", "null"] }),
            Ty::Int => json!({ "type": "integer" }),
            Ty::IntN => json!({ "type": ["integer", "null"] }),
            Ty::Bool => json!({ "type": "boolean" }),
            Ty::Time => time,
            Ty::TimeN => json!({ "oneOf": [time, { "type": "null" }] }),
            Ty::Obj => json!({ "type": "object" }),
            Ty::ObjN => json!({ "type": ["object", "null"] }),
            Ty::Strs => json!({ "type": "array", "items": { "type": "string" } }),
            Ty::Any => {
                json!({ "type": ["object", "array", "string", "number", "boolean", "null"] })
            }
            Ty::Enum(name) => enum_ref(name),
            Ty::EnumN(name) => json!({ "oneOf": [enum_ref(name), { "type": "null" }] }),
        }
    }

    /// Whether `value` has this type (enum members are not checked here: the enum
    /// components come from the same Rust enums the serializers write).
    pub fn accepts(self, value: &Value) -> bool {
        let null = value.is_null();
        let time = |v: &Value| {
            v.as_str()
                .is_some_and(|s| latchkey_proto::time_format::parse(s).is_some())
        };
        match self {
            Ty::Str | Ty::Enum(_) => value.is_string(),
            Ty::StrN | Ty::EnumN(_) => null || value.is_string(),
            Ty::Int => value.is_i64() || value.is_u64(),
            Ty::IntN => null || value.is_i64() || value.is_u64(),
            Ty::Bool => value.is_boolean(),
            Ty::Time => time(value),
            Ty::TimeN => null || time(value),
            Ty::Obj => value.is_object(),
            Ty::ObjN => null || value.is_object(),
            Ty::Strs => value
                .as_array()
                .is_some_and(|items| items.iter().all(Value::is_string)),
            Ty::Any => true,
        }
    }
}

/// One attribute.
#[derive(Debug, Clone, Copy)]
pub struct Attr {
    /// Its name (`maxMachines`).
    pub name: &'static str,
    /// Its type.
    pub ty: Ty,
    /// Whether a create or update request may set it.
    pub writable: bool,
    /// Whether it may be absent (a token's secret appears only when generated).
    pub optional: bool,
}

const fn r(name: &'static str, ty: Ty) -> Attr {
    Attr {
        name,
        ty,
        writable: false,
        optional: false,
    }
}

const fn w(name: &'static str, ty: Ty) -> Attr {
    Attr {
        name,
        ty,
        writable: true,
        optional: false,
    }
}

const fn opt(attr: Attr) -> Attr {
    Attr {
        optional: true,
        ..attr
    }
}

use Ty::*;

const STAMPS: [Attr; 2] = [r("created", Time), r("updated", Time)];

const ACCOUNTS: &[Attr] = &[
    r("name", Str),
    r("slug", Str),
    r("apiVersion", Str),
    r("status", Str),
    r("protected", Bool),
    STAMPS[0],
    STAMPS[1],
];

const PRODUCTS: &[Attr] = &[
    w("name", Str),
    w("code", StrN),
    w("distributionStrategy", Str),
    w("url", StrN),
    w("platforms", Any),
    w("metadata", Obj),
    STAMPS[0],
    STAMPS[1],
];

const POLICIES: &[Attr] = &[
    w("name", Str),
    w("duration", IntN),
    w("strict", Bool),
    w("floating", Bool),
    w("scheme", EnumN("Scheme")),
    w("requireProductScope", Bool),
    w("requirePolicyScope", Bool),
    w("requireMachineScope", Bool),
    w("requireFingerprintScope", Bool),
    w("requireComponentsScope", Bool),
    w("requireUserScope", Bool),
    w("requireChecksumScope", Bool),
    w("requireVersionScope", Bool),
    w("requireCheckIn", Bool),
    w("checkInInterval", EnumN("CheckInInterval")),
    w("checkInIntervalCount", IntN),
    w("usePool", Bool),
    w("maxMachines", IntN),
    w("maxProcesses", IntN),
    w("maxUsers", IntN),
    w("maxCores", IntN),
    w("maxMemory", IntN),
    w("maxDisk", IntN),
    w("maxUses", IntN),
    w("encrypted", Bool),
    w("protected", Bool),
    w("requireHeartbeat", Bool),
    w("heartbeatDuration", IntN),
    w("heartbeatCullStrategy", Enum("HeartbeatCullStrategy")),
    w(
        "heartbeatResurrectionStrategy",
        Enum("HeartbeatResurrectionStrategy"),
    ),
    w("heartbeatBasis", Enum("HeartbeatBasis")),
    w("machineUniquenessStrategy", Enum("UniquenessStrategy")),
    w("machineMatchingStrategy", Enum("MatchingStrategy")),
    w("componentUniquenessStrategy", Enum("UniquenessStrategy")),
    w("componentMatchingStrategy", Enum("MatchingStrategy")),
    w("expirationStrategy", Enum("ExpirationStrategy")),
    w("expirationBasis", Enum("ExpirationBasis")),
    w("renewalBasis", Enum("RenewalBasis")),
    w("transferStrategy", Enum("TransferStrategy")),
    w("authenticationStrategy", Enum("AuthenticationStrategy")),
    w("machineLeasingStrategy", Enum("MachineLeasingStrategy")),
    opt(w("processLeasingStrategy", Enum("ProcessLeasingStrategy"))),
    // `processLeasingStrategy` as API versions up to 1.6 name it.
    opt(r("leasingStrategy", Enum("ProcessLeasingStrategy"))),
    w("overageStrategy", Enum("OverageStrategy")),
    w("metadata", Obj),
    STAMPS[0],
    STAMPS[1],
];

const LICENSES: &[Attr] = &[
    w("name", StrN),
    w("key", Str),
    w("expiry", TimeN),
    r("status", Enum("LicenseStatus")),
    r("uses", Int),
    w("suspended", Bool),
    r("scheme", EnumN("Scheme")),
    r("encrypted", Bool),
    r("strict", Bool),
    r("floating", Bool),
    w("protected", Bool),
    r("version", StrN),
    r("requireHeartbeat", Bool),
    r("requireCheckIn", Bool),
    r("lastValidated", TimeN),
    r("lastCheckIn", TimeN),
    r("nextCheckIn", TimeN),
    r("lastCheckOut", TimeN),
    w("maxMachines", IntN),
    w("maxProcesses", IntN),
    w("maxUsers", IntN),
    w("maxCores", IntN),
    w("maxMemory", IntN),
    w("maxDisk", IntN),
    w("maxUses", IntN),
    w("metadata", Obj),
    STAMPS[0],
    STAMPS[1],
];

const MACHINES: &[Attr] = &[
    w("fingerprint", Str),
    w("cores", IntN),
    w("memory", IntN),
    w("disk", IntN),
    w("ip", StrN),
    w("hostname", StrN),
    w("platform", StrN),
    w("name", StrN),
    r("requireHeartbeat", Bool),
    r("heartbeatStatus", Enum("HeartbeatStatus")),
    r("heartbeatDuration", IntN),
    w("maxProcesses", IntN),
    r("lastHeartbeat", TimeN),
    r("nextHeartbeat", TimeN),
    r("lastCheckOut", TimeN),
    w("metadata", Obj),
    STAMPS[0],
    STAMPS[1],
];

const COMPONENTS: &[Attr] = &[
    w("fingerprint", Str),
    w("name", Str),
    w("metadata", Obj),
    STAMPS[0],
    STAMPS[1],
];

const PROCESSES: &[Attr] = &[
    w("pid", Str),
    r("status", Enum("HeartbeatStatus")),
    r("interval", Int),
    r("lastHeartbeat", Time),
    r("nextHeartbeat", Time),
    w("metadata", Obj),
    STAMPS[0],
    STAMPS[1],
];

const USERS: &[Attr] = &[
    r("fullName", StrN),
    w("firstName", StrN),
    w("lastName", StrN),
    w("email", Str),
    opt(w("password", Str)),
    r("status", Str),
    w("role", Str),
    w("metadata", Obj),
    STAMPS[0],
    STAMPS[1],
];

const TOKENS: &[Attr] = &[
    r("kind", Str),
    w("expiry", TimeN),
    w("name", StrN),
    opt(r("token", Str)),
    opt(w("maxActivations", IntN)),
    opt(r("activations", Int)),
    opt(w("maxDeactivations", IntN)),
    opt(r("deactivations", Int)),
    STAMPS[0],
    STAMPS[1],
];

const SECOND_FACTORS: &[Attr] = &[
    w("enabled", Bool),
    opt(r("uri", Str)),
    opt(r("secret", Str)),
    STAMPS[0],
    STAMPS[1],
];

const NAMED: &[Attr] = &[
    w("name", Str),
    w("code", Str),
    w("metadata", Obj),
    STAMPS[0],
    STAMPS[1],
];

const GROUPS: &[Attr] = &[
    w("name", Str),
    w("maxUsers", IntN),
    w("maxLicenses", IntN),
    w("maxMachines", IntN),
    w("metadata", Obj),
    STAMPS[0],
    STAMPS[1],
];

const KEYS: &[Attr] = &[w("key", Str), STAMPS[0], STAMPS[1]];

const JOINS: &[Attr] = &[STAMPS[0], STAMPS[1]];

const RELEASES: &[Attr] = &[
    w("name", StrN),
    w("description", StrN),
    w("channel", Str),
    w("status", Str),
    w("tag", StrN),
    w("version", Str),
    r("semver", ObjN),
    w("metadata", Obj),
    STAMPS[0],
    STAMPS[1],
    r("yanked", TimeN),
    w("backdated", TimeN),
];

const ARTIFACTS: &[Attr] = &[
    w("filename", Str),
    w("filetype", StrN),
    w("filesize", IntN),
    w("platform", StrN),
    w("arch", StrN),
    w("signature", StrN),
    w("checksum", StrN),
    r("status", Str),
    w("metadata", Obj),
    STAMPS[0],
    STAMPS[1],
];

const PACKAGES: &[Attr] = &[
    w("name", Str),
    w("key", Str),
    w("engine", StrN),
    w("metadata", Obj),
    STAMPS[0],
    STAMPS[1],
];

const TERMS: &[Attr] = &[r("name", Str), r("key", Str), STAMPS[0], STAMPS[1]];

const WEBHOOK_ENDPOINTS: &[Attr] = &[
    w("url", Str),
    w("subscriptions", Strs),
    w("signatureAlgorithm", Str),
    w("apiVersion", Str),
    STAMPS[0],
    STAMPS[1],
];

const WEBHOOK_EVENTS: &[Attr] = &[
    r("endpoint", Str),
    r("apiVersion", Str),
    r("payload", StrN),
    r("event", Str),
    r("status", Str),
    r("lastResponseCode", IntN),
    r("lastResponseBody", StrN),
    STAMPS[0],
    STAMPS[1],
];

const EVENT_LOGS: &[Attr] = &[
    r("event", Str),
    r("requestId", StrN),
    r("metadata", Obj),
    STAMPS[0],
    STAMPS[1],
];

const REQUEST_LOGS: &[Attr] = &[
    r("url", Str),
    r("method", Str),
    r("status", Str),
    r("ip", StrN),
    r("userAgent", StrN),
    r("requestId", StrN),
    r("requestBody", StrN),
    r("responseBody", StrN),
    r("responseSignature", StrN),
    r("runTime", IntN),
    STAMPS[0],
    STAMPS[1],
];

const FILES: &[Attr] = &[
    r("certificate", Str),
    r("algorithm", Str),
    r("includes", Strs),
    r("ttl", IntN),
    r("expiry", TimeN),
    r("issued", Time),
];

/// Every resource type with its attributes.
pub const TYPES: &[(&str, &[Attr])] = &[
    ("accounts", ACCOUNTS),
    ("products", PRODUCTS),
    ("policies", POLICIES),
    ("licenses", LICENSES),
    ("machines", MACHINES),
    ("components", COMPONENTS),
    ("processes", PROCESSES),
    ("users", USERS),
    ("tokens", TOKENS),
    ("second-factors", SECOND_FACTORS),
    ("entitlements", NAMED),
    ("groups", GROUPS),
    ("keys", KEYS),
    ("group-owners", JOINS),
    ("license-users", JOINS),
    ("license-entitlements", JOINS),
    ("policy-entitlements", JOINS),
    ("constraints", JOINS),
    ("releases", RELEASES),
    ("artifacts", ARTIFACTS),
    ("packages", PACKAGES),
    ("channels", TERMS),
    ("platforms", TERMS),
    ("arches", TERMS),
    ("engines", TERMS),
    ("filetypes", TERMS),
    ("webhook-endpoints", WEBHOOK_ENDPOINTS),
    ("webhook-events", WEBHOOK_EVENTS),
    ("event-logs", EVENT_LOGS),
    ("request-logs", REQUEST_LOGS),
    ("license-files", FILES),
    ("machine-files", FILES),
];

/// The attributes of a resource type.
pub fn of(kind: &str) -> Option<&'static [Attr]> {
    TYPES.iter().find(|(k, _)| *k == kind).map(|(_, a)| *a)
}

/// `license-files` → `LicenseFile` (the stem of its schema names).
pub fn stem(kind: &str) -> String {
    let singular = match kind {
        "policies" => "policy",
        "entitlements" => "entitlement",
        "arches" => "arch",
        "processes" => "process",
        other => other.strip_suffix('s').unwrap_or(other),
    };
    let mut out = String::new();
    for part in singular.split('-') {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}

fn attribute_object(attrs: &[Attr], request: bool) -> Value {
    let mut properties = serde_json::Map::new();
    let mut required = Vec::new();
    for attr in attrs.iter().filter(|a| !request || a.writable) {
        let mut schema = attr.ty.schema();
        if request && attr.name == "metadata" {
            schema = json!({ "type": ["object", "null"] });
        }
        properties.insert(attr.name.to_owned(), schema);
        if !request && !attr.optional {
            required.push(attr.name);
        }
    }
    let mut object = json!({ "type": "object", "properties": properties });
    if !request {
        object["required"] = json!(required);
        object["additionalProperties"] = json!(false);
    }
    object
}

/// The typed schemas of every resource type: `{Stem}` (the resource), `{Stem}Document`,
/// `{Stem}ListDocument` and, where it has writable attributes, `{Stem}Request`.
pub fn schemas() -> serde_json::Map<String, Value> {
    let reference = |name: &str| json!({ "$ref": format!("#/components/schemas/{name}") });
    let mut out = serde_json::Map::new();
    for (kind, attrs) in TYPES {
        let stem = stem(kind);
        out.insert(
            stem.clone(),
            json!({
                "type": "object",
                "required": ["type", "id", "attributes", "relationships"],
                "properties": {
                    "type": { "type": "string", "enum": [kind] },
                    "id": { "type": "string" },
                    "attributes": attribute_object(attrs, false),
                    "relationships": reference("Relationships"),
                    "links": { "type": "object" },
                },
            }),
        );
        out.insert(
            format!("{stem}Document"),
            json!({
                "type": "object",
                "required": ["data"],
                "properties": {
                    "data": reference(&stem),
                    "included": { "type": "array", "items": reference("Resource") },
                    "meta": { "type": "object" },
                    "links": { "type": "object" },
                },
            }),
        );
        out.insert(
            format!("{stem}ListDocument"),
            json!({
                "type": "object",
                "required": ["data"],
                "properties": {
                    "data": { "type": "array", "items": reference(&stem) },
                    "included": { "type": "array", "items": reference("Resource") },
                    "meta": { "type": "object" },
                    "links": { "type": "object" },
                },
            }),
        );
        if attrs.iter().any(|a| a.writable) {
            out.insert(
                format!("{stem}Request"),
                json!({
                    "type": "object",
                    "required": ["data"],
                    "properties": {
                        "data": {
                            "type": "object",
                            "required": ["type"],
                            "properties": {
                                "type": { "type": "string", "enum": [kind, crate::jsonapi::input::singular(kind)] },
                                "id": { "type": "string" },
                                "attributes": attribute_object(attrs, true),
                                "relationships": reference("Relationships"),
                            },
                        },
                    },
                }),
            );
        }
    }
    out
}
