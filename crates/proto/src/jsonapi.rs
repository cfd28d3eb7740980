//! JSON:API document shapes as Keygen renders them: resources always carry
//! `attributes` and `relationships` (Keygen's SDKs refuse resources without them),
//! errors carry `title`, `detail`, `code` and `source`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The media type Keygen answers with.
pub const MEDIA_TYPE: &str = "application/vnd.api+json";

/// A resource object (`data` of a document).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Resource {
    /// UUID of the resource.
    pub id: String,
    /// Plural, kebab-case type (`licenses`, `machines`, …).
    #[serde(rename = "type")]
    pub kind: String,
    /// lowerCamelCase attributes.
    #[serde(default)]
    pub attributes: Map<String, Value>,
    /// Relationship objects keyed by name.
    #[serde(default)]
    pub relationships: Map<String, Value>,
    /// `links.self` and friends.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub links: Map<String, Value>,
}

/// A JSON:API error object.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct ErrorObject {
    /// Short, status-level summary ("Unprocessable resource").
    pub title: String,
    /// Human explanation of this occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Stable machine-readable code (`MACHINE_LIMIT_EXCEEDED`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Where the problem is: `{"pointer": "/data/attributes/x"}` or `{"parameter": "x"}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Value>,
    /// `links.about` documentation link, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Value>,
}

/// An error document.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct ErrorDocument {
    /// Request metadata (`id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Value>,
    /// The errors.
    pub errors: Vec<ErrorObject>,
}

/// A relationship with `data` linkage and a `links.related` path.
pub fn relationship_to_one(related: String, linkage: Option<(&str, String)>) -> Value {
    let data = match linkage {
        Some((kind, id)) => serde_json::json!({ "type": kind, "id": id }),
        None => Value::Null,
    };
    serde_json::json!({ "links": { "related": related }, "data": data })
}

/// A to-many relationship that is only linked, not embedded (Keygen omits `data`).
pub fn relationship_link(related: String) -> Value {
    serde_json::json!({ "links": { "related": related } })
}

/// A to-many relationship with a `meta` member (counts).
pub fn relationship_link_with_meta(related: String, meta: Value) -> Value {
    serde_json::json!({ "links": { "related": related }, "meta": meta })
}
