//! One OpenAPI operation object from a catalogue entry: id, tag, summary, path and
//! query parameters, request body and answers, all by reference to
//! `schemas::components`.

use super::Shape;
use super::catalog::Op;
use serde_json::{Value, json};

const JSONAPI: &str = "application/vnd.api+json";

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn content(schema: Value) -> Value {
    json!({ JSONAPI: { "schema": schema }, "application/json": { "schema": schema } })
}

/// The response headers every answer carries (signature, digest, date, request id).
fn signed_headers() -> Value {
    let names = [
        "Keygen-Signature",
        "Keygen-Digest",
        "Keygen-Date",
        "Digest",
        "Date",
        "Keygen-Version",
        "X-Request-Id",
    ];
    let mut headers = serde_json::Map::new();
    for name in names {
        headers.insert(
            name.to_owned(),
            json!({ "$ref": format!("#/components/headers/{name}") }),
        );
    }
    Value::Object(headers)
}

fn answer(description: &str, schema: Option<Value>) -> Value {
    let mut response = json!({ "description": description, "headers": signed_headers() });
    if let Some(schema) = schema {
        response["content"] = content(schema);
    }
    response
}

/// `get-v1-licenses-{id}` → a stable operation id.
fn operation_id(op: &Op, under_account: bool) -> String {
    let mut id = op.method.to_ascii_lowercase();
    for part in op.path.split('/').filter(|p| !p.is_empty()) {
        id.push('_');
        id.extend(
            part.chars()
                .filter(|c| !matches!(c, '{' | '}'))
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }),
        );
    }
    if under_account {
        id.push_str("_account");
    }
    id
}

/// The operation's group: the path's first segment after `/v1` (`/metrics`: metrics).
pub fn tag(path: &str) -> String {
    match path.strip_prefix("/v1/") {
        Some(rest) => rest.split('/').next().unwrap_or("ping").to_owned(),
        None => path.trim_start_matches('/').to_owned(),
    }
}

fn summary(op: &Op) -> String {
    let what = |t: &str| t.replace('-', " ");
    match op.shape {
        Shape::Ping => "Health check".to_owned(),
        Shape::Contract => "This OpenAPI document".to_owned(),
        Shape::Many(t) => format!("List {}", what(t)),
        Shape::One(t) => format!("Retrieve {}", what(t)),
        Shape::Bearer => "The bearer of the credential".to_owned(),
        Shape::Create(t) => format!("Create {}", what(t)),
        Shape::Upload(t) => format!("Create {} (redirects to the upload URL)", what(t)),
        Shape::Update(t) => format!("Update {}", what(t)),
        Shape::Change(t) => format!("Change the {} relationship", what(t)),
        Shape::Attach(t) => format!("Attach {}", what(t)),
        Shape::Detach(t) => format!("Detach {}", what(t)),
        Shape::Action(_) => match op.path.rsplit('/').next() {
            Some(action) if op.path.contains("/actions/") => {
                format!("Action: {}", action.replace('-', " "))
            }
            _ => format!("{} {}", op.method, op.path),
        },
        Shape::Gone => "Delete".to_owned(),
        Shape::NoContent => "Request (no content)".to_owned(),
        Shape::Validation => "Validate a license".to_owned(),
        Shape::Search => "Search resources".to_owned(),
        Shape::Meta => "Generate".to_owned(),
        Shape::Redirect => "Download (redirect to a signed URL)".to_owned(),
        Shape::Raw => "Update feed".to_owned(),
        Shape::Certificate => "Check out (download the signed file)".to_owned(),
        Shape::Metrics => "Prometheus metrics".to_owned(),
    }
}

fn parameters(op: &Op, under_account: bool) -> Vec<Value> {
    let mut list = Vec::new();
    if under_account {
        list.push(json!({ "$ref": "#/components/parameters/account" }));
    }
    for part in op.path.split('/') {
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            list.push(json!({
                "name": name, "in": "path", "required": true,
                "schema": { "type": "string", "minLength": 1 },
            }));
        }
    }
    if let Shape::Many(_) = op.shape {
        for name in [
            "page-number",
            "page-size",
            "page-cursor",
            "limit",
            "order",
            "include",
        ] {
            list.push(json!({ "$ref": format!("#/components/parameters/{name}") }));
        }
        list.extend(super::filters::parameters(op.path));
    }
    if matches!(op.shape, Shape::One(_) | Shape::Bearer | Shape::Validation) {
        list.push(json!({ "$ref": "#/components/parameters/include" }));
    }
    if op.shape != Shape::Metrics {
        list.push(json!({ "$ref": "#/components/parameters/Keygen-Version" }));
    }
    list
}

/// Whether a path reads a to-one relationship (`/v1/licenses/{id}/group`).
fn to_one_path(path: &str) -> bool {
    let mut parts = path.rsplit('/');
    let last = parts.next().unwrap_or_default();
    let before = parts.next().unwrap_or_default();
    before.starts_with('{') && !last.starts_with('{') && !last.ends_with('s') && last != "upgrade"
}

/// The typed schema `{Stem}{suffix}` of a resource type, or the generic one.
fn typed(kind: &str, suffix: &str, generic: &str) -> Value {
    match super::attributes::of(kind) {
        Some(attrs) if suffix != "Request" || attrs.iter().any(|a| a.writable) => {
            schema_ref(&format!("{}{suffix}", super::attributes::stem(kind)))
        }
        _ => schema_ref(generic),
    }
}

fn request_body(shape: Shape) -> Option<Value> {
    let (schema, required) = match shape {
        Shape::Create(t) | Shape::Update(t) | Shape::Upload(t) => {
            (typed(t, "Request", "ResourceRequest"), true)
        }
        Shape::Change(_) => (schema_ref("ToOneRequest"), true),
        Shape::Attach(_) | Shape::Detach(_) => (schema_ref("ToManyRequest"), true),
        Shape::Action(_) | Shape::Validation | Shape::Meta => (schema_ref("MetaRequest"), false),
        Shape::Search => (schema_ref("SearchRequest"), true),
        _ => return None,
    };
    Some(json!({ "required": required, "content": content(schema) }))
}

/// OpenAPI links from a create answer to the operations on the created resource
/// (`POST /v1/licenses` → `GET/PATCH/DELETE /v1/licenses/{id}`), which stateful
/// fuzzing follows.
fn links(op: &Op, under_account: bool) -> Value {
    let own = format!("{}/{{id}}", op.path);
    let mut links = serde_json::Map::new();
    for target in super::catalog::OPERATIONS
        .iter()
        .filter(|t| t.path == own && matches!(t.method, "GET" | "PATCH" | "DELETE"))
    {
        let mut parameters = json!({ "id": "$response.body#/data/id" });
        if under_account {
            parameters["account"] = json!("$request.path.account");
        }
        links.insert(
            format!(
                "{}{}",
                target.method,
                super::attributes::stem(match op.shape {
                    Shape::Create(t) => t,
                    _ => "resources",
                })
            ),
            json!({
                "operationId": operation_id(target, under_account),
                "parameters": parameters,
            }),
        );
    }
    Value::Object(links)
}

fn responses(op: &Op, under_account: bool) -> Value {
    let error = json!({ "$ref": "#/components/responses/Error" });
    let mut map = serde_json::Map::new();
    let mut put = |code: &str, value: Value| {
        map.insert(code.to_owned(), value);
    };
    match op.shape {
        Shape::Ping => put("200", json!({ "description": "Up" })),
        Shape::Contract => put(
            "200",
            json!({ "description": "The OpenAPI document",
                    "content": { "application/json": { "schema": { "type": "object" } } } }),
        ),
        Shape::Many(t) => put(
            "200",
            answer(
                "A page of resources",
                Some(typed(t, "ListDocument", "ListDocument")),
            ),
        ),
        Shape::Attach(_) => put(
            "200",
            answer("The join resources", Some(schema_ref("ListDocument"))),
        ),
        Shape::Search => put("200", answer("Matches", Some(schema_ref("ListDocument")))),
        Shape::Bearer => put(
            "200",
            answer("The bearer", Some(schema_ref("BearerDocument"))),
        ),
        // A to-one relationship (`/licenses/{id}/group`): `data` is null when unset.
        Shape::One(t) if op.method == "GET" && to_one_path(op.path) => put(
            "200",
            answer(
                "The related resource, or `data: null`",
                Some(
                    json!({ "oneOf": [typed(t, "Document", "Document"), schema_ref("NullDocument")] }),
                ),
            ),
        ),
        Shape::Certificate => put(
            "200",
            json!({
                "description": "The PEM-armoured file, as an attachment",
                "headers": signed_headers(),
                "content": { "application/octet-stream": { "schema": { "type": "string" } } },
            }),
        ),
        Shape::One(t) | Shape::Update(t) | Shape::Action(t) => {
            put(
                "200",
                answer("The resource", Some(typed(t, "Document", "Document"))),
            );
        }
        Shape::Change(_) => put("200", answer("The resource", Some(schema_ref("Document")))),
        Shape::Create(t) => {
            let mut created = answer("Created", Some(typed(t, "Document", "Document")));
            let links = links(op, under_account);
            if links.as_object().is_some_and(|l| !l.is_empty()) {
                created["links"] = links;
            }
            put("201", created);
        }
        Shape::Detach(_) | Shape::Gone | Shape::NoContent => put("204", answer("Done", None)),
        Shape::Validation => put(
            "200",
            answer(
                "The license and the verdict",
                Some(schema_ref("ValidationDocument")),
            ),
        ),
        Shape::Meta => put(
            "200",
            answer("The result", Some(schema_ref("MetaDocument"))),
        ),
        Shape::Upload(t) => put(
            "307",
            answer(
                "Created; `Location` (and `links.redirect`) is the signed upload URL",
                Some(typed(t, "Document", "Document")),
            ),
        ),
        Shape::Redirect => {
            put("303", answer("Redirect to a short-lived signed URL", None));
            put(
                "200",
                answer(
                    "The artifact with its URL in `Location` (`Prefer: no-redirect`)",
                    Some(schema_ref("Document")),
                ),
            );
        }
        Shape::Raw => {
            put(
                "200",
                json!({ "description": "The feed",
                        "content": { "application/json": { "schema": { "type": "object" } } } }),
            );
            put("204", json!({ "description": "Up to date" }));
        }
        Shape::Metrics => put(
            "200",
            json!({ "description": "Request counts and latency per route, validation cache, \
                                    database pool and background-job lag",
                    "content": { "text/plain": { "schema": { "type": "string" } } } }),
        ),
    }
    // Even ping and the contract refuse an unsupported `Keygen-Version`.
    put("default", error);
    Value::Object(map)
}

fn security(op: &Op) -> Value {
    match (op.method, op.path, op.shape) {
        (_, _, Shape::Ping | Shape::Contract) => json!([]),
        (_, _, Shape::Metrics) => json!([{ "metricsToken": [] }]),
        ("POST", "/v1/tokens", _) => json!([{ "basic": [] }, { "bearer": [] }]),
        // Public: validate-key, password-reset requests, release feeds for open products.
        (_, _, Shape::Validation | Shape::NoContent | Shape::Raw | Shape::Redirect) => {
            json!([{ "bearer": [] }, { "license": [] }, {}])
        }
        _ => json!([{ "bearer": [] }, { "license": [] }]),
    }
}

/// The operation object for `op`, account-less or under `/v1/accounts/{account}`.
pub fn build(op: &Op, under_account: bool) -> Value {
    let mut operation = json!({
        "operationId": operation_id(op, under_account),
        "tags": [tag(op.path)],
        "summary": summary(op),
        "parameters": parameters(op, under_account),
        "responses": responses(op, under_account),
        "security": security(op),
    });
    if let Some(body) = request_body(op.shape) {
        operation["requestBody"] = body;
    }
    operation
}
