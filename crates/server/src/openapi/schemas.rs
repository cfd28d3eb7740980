//! The document's `components`: JSON:API documents and resources, the error
//! document with every error code, the validation verdict with every validation
//! code, the policy strategy enums (all taken from `proto` and `core`, so they
//! cannot drift), the security schemes, shared parameters and signed headers.

use latchkey_core::heartbeat::HeartbeatStatus;
use latchkey_core::licensing::Status as LicenseStatus;
use latchkey_core::policy;
use latchkey_proto::ErrorCode;
use latchkey_proto::codes::ValidationCode;
use serde_json::{Value, json};

fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn strings(values: &[&str]) -> Value {
    json!({ "type": "string", "enum": values })
}

fn resource_schemas() -> Value {
    json!({
        "ResourceIdentifier": {
            "type": "object",
            "required": ["type", "id"],
            "properties": { "type": { "type": "string" }, "id": { "type": "string" } },
        },
        "Resource": {
            "type": "object",
            "required": ["type", "id", "attributes", "relationships"],
            "properties": {
                "type": { "type": "string" },
                "id": { "type": "string" },
                "attributes": { "type": "object" },
                "relationships": { "type": "object" },
                "links": { "type": "object" },
            },
        },
        "Relationships": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {
                    "links": { "type": "object" },
                    "data": {
                        "oneOf": [
                            { "type": "null" },
                            r("ResourceIdentifier"),
                            { "type": "array", "items": r("ResourceIdentifier") },
                        ],
                    },
                    "meta": { "type": "object" },
                },
            },
        },
        "NullDocument": {
            "type": "object",
            "required": ["data"],
            "properties": { "data": { "type": "null" } },
        },
        "BearerDocument": {
            "type": "object",
            "required": ["data"],
            "properties": {
                "data": { "oneOf": [r("User"), r("Product"), r("License")] },
                "included": { "type": "array", "items": r("Token") },
                "meta": { "type": "object" },
            },
        },
        "Document": {
            "type": "object",
            "required": ["data"],
            "properties": {
                "data": r("Resource"),
                "included": { "type": "array", "items": r("Resource") },
                "meta": { "type": "object" },
                "links": { "type": "object" },
            },
        },
        "ListDocument": {
            "type": "object",
            "required": ["data"],
            "properties": {
                "data": { "type": "array", "items": r("Resource") },
                "included": { "type": "array", "items": r("Resource") },
                "meta": { "type": "object" },
                "links": { "type": "object" },
            },
        },
        "MetaDocument": {
            "type": "object",
            "required": ["meta"],
            "properties": { "meta": { "type": "object" } },
        },
        "ResourceRequest": {
            "type": "object",
            "required": ["data"],
            "properties": {
                "data": {
                    "type": "object",
                    "required": ["type"],
                    "properties": {
                        "type": { "type": "string" },
                        "id": { "type": "string" },
                        "attributes": { "type": "object" },
                        "relationships": { "type": "object" },
                    },
                },
            },
        },
        "ToOneRequest": {
            "type": "object",
            "required": ["data"],
            "properties": { "data": { "oneOf": [r("ResourceIdentifier"), { "type": "null" }] } },
        },
        "ToManyRequest": {
            "type": "object",
            "required": ["data"],
            "properties": { "data": { "type": "array", "items": r("ResourceIdentifier") } },
        },
        "MetaRequest": {
            "type": "object",
            "properties": { "meta": { "type": "object" } },
        },
        "SearchRequest": {
            "type": "object",
            "required": ["meta"],
            "properties": {
                "meta": {
                    "type": "object",
                    "required": ["type", "query"],
                    "properties": { "type": { "type": "string" }, "query": { "type": "object" } },
                },
            },
        },
    })
}

fn verdict_schemas() -> Value {
    let validation: Vec<&str> = ValidationCode::ALL.iter().map(|c| c.as_str()).collect();
    let errors: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    json!({
        "ValidationCode": strings(&validation),
        "ValidationMeta": {
            "type": "object",
            "required": ["valid", "detail", "code"],
            "properties": {
                "valid": { "type": "boolean" },
                "detail": { "type": "string" },
                "code": r("ValidationCode"),
                "scope": { "type": "object" },
                "nonce": { "type": "integer" },
                "ts": { "type": "string", "format": "date-time" },
            },
        },
        "ValidationDocument": {
            "type": "object",
            "required": ["data", "meta"],
            "properties": {
                "data": { "oneOf": [r("License"), { "type": "null" }] },
                "included": { "type": "array", "items": r("Resource") },
                "meta": r("ValidationMeta"),
            },
        },
        "ErrorCode": strings(&errors),
        "Error": {
            "type": "object",
            "required": ["title"],
            "properties": {
                "title": { "type": "string" },
                "detail": { "type": "string" },
                "code": r("ErrorCode"),
                "source": {
                    "type": "object",
                    "properties": {
                        "pointer": { "type": "string" },
                        "parameter": { "type": "string" },
                    },
                },
                "links": { "type": "object" },
            },
        },
        "ErrorDocument": {
            "type": "object",
            "required": ["errors"],
            "properties": {
                "errors": { "type": "array", "minItems": 1, "items": r("Error") },
                "meta": { "type": "object" },
            },
        },
    })
}

fn policy_enums() -> Value {
    json!({
        "UniquenessStrategy": strings(policy::UniquenessStrategy::ALL),
        "MatchingStrategy": strings(policy::MatchingStrategy::ALL),
        "ExpirationStrategy": strings(policy::ExpirationStrategy::ALL),
        "ExpirationBasis": strings(policy::ExpirationBasis::ALL),
        "RenewalBasis": strings(policy::RenewalBasis::ALL),
        "TransferStrategy": strings(policy::TransferStrategy::ALL),
        "AuthenticationStrategy": strings(policy::AuthenticationStrategy::ALL),
        "MachineLeasingStrategy": strings(policy::MachineLeasingStrategy::ALL),
        "ProcessLeasingStrategy": strings(policy::ProcessLeasingStrategy::ALL),
        "OverageStrategy": strings(policy::OverageStrategy::ALL),
        "Scheme": strings(policy::Scheme::ALL),
        "CheckInInterval": strings(policy::CheckInInterval::ALL),
        "HeartbeatCullStrategy": strings(policy::HeartbeatCullStrategy::ALL),
        "HeartbeatResurrectionStrategy": strings(policy::HeartbeatResurrectionStrategy::ALL),
        "HeartbeatBasis": strings(policy::HeartbeatBasis::ALL),
        "LicenseStatus": strings(&LicenseStatus::ALL.map(LicenseStatus::as_str)),
        "HeartbeatStatus": strings(&HeartbeatStatus::ALL.map(HeartbeatStatus::as_str)),
    })
}

fn headers() -> Value {
    let header =
        |description: &str| json!({ "description": description, "schema": { "type": "string" } });
    json!({
        "Keygen-Signature": header("`keyid=\"…\", algorithm=\"ed25519\", signature=\"…\", headers=\"(request-target) host date digest\"` over the request target, Host as sent, Date and Digest"),
        "Keygen-Digest": header("`sha-256=<base64>` of the body (also on empty bodies)"),
        "Keygen-Date": header("The signed date (RFC 7231)"),
        "Digest": header("Same as Keygen-Digest"),
        "Date": header("Same as Keygen-Date"),
        "Keygen-Version": header("The API version the answer follows"),
        "X-Request-Id": header("This request's id (also in event and request logs)"),
    })
}

fn parameters() -> Value {
    json!({
        "account": {
            "name": "account", "in": "path", "required": true,
            "description": "Account id or slug",
            "schema": { "type": "string", "minLength": 1 },
        },
        "page-number": {
            "name": "page[number]", "in": "query", "required": false,
            "description": "Offset paging (with `page[size]`)",
            "schema": { "type": "integer", "minimum": 1, "maximum": 100 },
        },
        "page-size": {
            "name": "page[size]", "in": "query", "required": false,
            "schema": { "type": "integer", "minimum": 1, "maximum": 100 },
        },
        "page-cursor": {
            "name": "page[cursor]", "in": "query", "required": false,
            "description": "Cursor paging: the id after which to continue (empty for the first page)",
            "schema": { "type": "string" },
        },
        "order": {
            "name": "order", "in": "query", "required": false,
            "schema": { "type": "string", "enum": ["asc", "desc", "ASC", "DESC"] },
        },
        "limit": {
            "name": "limit", "in": "query", "required": false,
            "schema": { "type": "integer", "minimum": 1, "maximum": 100 },
        },
        "include": {
            "name": "include", "in": "query", "required": false,
            "description": "Comma-separated relationship paths (`license.entitlements`)",
            "schema": { "type": "string" },
        },
        "Keygen-Version": {
            "name": "Keygen-Version", "in": "header", "required": false,
            "description": "API version to answer in (`v1.x` is also accepted)",
            "schema": { "type": "string", "enum": crate::version::ApiVersion::all() },
        },
    })
}

/// The `components` object.
pub fn components() -> Value {
    let mut schemas = resource_schemas();
    for extra in [verdict_schemas(), policy_enums()] {
        if let (Some(into), Value::Object(from)) = (schemas.as_object_mut(), extra) {
            into.extend(from);
        }
    }
    if let Some(into) = schemas.as_object_mut() {
        into.extend(super::attributes::schemas());
    }
    json!({
        "schemas": schemas,
        "responses": {
            "Error": {
                "description": "A JSON:API error document",
                "content": {
                    "application/vnd.api+json": { "schema": r("ErrorDocument") },
                    "application/json": { "schema": r("ErrorDocument") },
                },
            },
        },
        "parameters": parameters(),
        "headers": headers(),
        "securitySchemes": {
            "bearer": {
                "type": "http", "scheme": "bearer",
                "description": "An admin, environment, product, user or license token",
            },
            "license": {
                "type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`License <key>`: a license key, when its policy allows LICENSE authentication",
            },
            "basic": {
                "type": "http", "scheme": "basic",
                "description": "Email and password, to create a token (`POST /v1/tokens`)",
            },
            "metricsToken": {
                "type": "http", "scheme": "bearer",
                "description": "The server's `metrics_token` setting (`GET /metrics`; without it the route answers 404)",
            },
        },
    })
}
