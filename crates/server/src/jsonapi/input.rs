//! Reading JSON:API request documents: `data.type` checked, attribute names accepted
//! in camelCase, snake_case or kebab-case, each attribute type-checked, and anything
//! the endpoint does not permit rejected as an "unpermitted parameter".

use crate::error::{ApiError, ApiResult};
use latchkey_proto::ErrorCode;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// An optional attribute: absent, explicitly null, or a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Field<T> {
    /// Not in the document.
    Absent,
    /// `null`.
    Null,
    /// A value.
    Value(T),
}

impl<T> Field<T> {
    /// The value, if any.
    pub fn value(self) -> Option<T> {
        match self {
            Field::Value(v) => Some(v),
            _ => None,
        }
    }

    /// Whether present (null or value).
    pub fn is_present(&self) -> bool {
        !matches!(self, Field::Absent)
    }

    /// `Absent` → `None`; `Null` → `Some(None)`; value → `Some(Some(v))`.
    pub fn into_update(self) -> Option<Option<T>> {
        match self {
            Field::Absent => None,
            Field::Null => Some(None),
            Field::Value(v) => Some(Some(v)),
        }
    }
}

/// `maxMachines`, `max_machines` and `max-machines` all become `maxMachines`.
pub fn camel_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' || c == '-' {
            upper = !out.is_empty();
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "float",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn mismatch(pointer: &str, value: &Value, expected: &str) -> ApiError {
    ApiError::bad_request(format!(
        "type mismatch (received {} expected {expected})",
        type_name(value)
    ))
    .code(ErrorCode::ParametersInvalid)
    .pointer(pointer)
}

/// The `data` of a create/update request.
#[derive(Debug)]
pub struct Input {
    id: Option<String>,
    attributes: Map<String, Value>,
    relationships: Map<String, Value>,
    consumed: BTreeSet<String>,
}

impl Input {
    /// Reads `data` from a document, checking `data.type` against `kind`
    /// (plural or singular accepted).
    pub fn parse(document: &Value, kind: &str) -> ApiResult<Self> {
        let Some(root) = document.as_object() else {
            return Err(mismatch("/", document, "object"));
        };
        let data = match root.get("data") {
            Some(Value::Object(data)) => data,
            Some(other) => return Err(mismatch("/data", other, "object")),
            None => {
                return Err(ApiError::bad_request("is missing")
                    .code(ErrorCode::ParametersInvalid)
                    .pointer("/data"));
            }
        };
        for key in root.keys() {
            if !matches!(key.as_str(), "data" | "meta" | "jsonapi" | "links") {
                return Err(unpermitted(&format!("/{key}")));
            }
        }
        match data.get("type") {
            Some(Value::String(t)) => {
                if t != kind && *t != singular(kind) {
                    return Err(ApiError::bad_request(format!(
                        "type mismatch (received {t} expected {kind})"
                    ))
                    .code(ErrorCode::ParametersInvalid)
                    .pointer("/data/type"));
                }
            }
            Some(other) => return Err(mismatch("/data/type", other, "string")),
            None => {
                return Err(ApiError::bad_request("is missing")
                    .code(ErrorCode::ParametersInvalid)
                    .pointer("/data/type"));
            }
        }
        let id = match data.get("id") {
            None | Some(Value::Null) => None,
            Some(Value::String(id)) => Some(id.clone()),
            Some(other) => return Err(mismatch("/data/id", other, "string")),
        };
        let attributes = match data.get("attributes") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(attrs)) => attrs
                .iter()
                .map(|(k, v)| (camel_case(k), v.clone()))
                .collect(),
            Some(other) => return Err(mismatch("/data/attributes", other, "object")),
        };
        let relationships = match data.get("relationships") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(rels)) => rels
                .iter()
                .map(|(k, v)| (camel_case(k), v.clone()))
                .collect(),
            Some(other) => return Err(mismatch("/data/relationships", other, "object")),
        };
        for key in data.keys() {
            if !matches!(
                key.as_str(),
                "type" | "id" | "attributes" | "relationships" | "links" | "meta"
            ) {
                return Err(unpermitted(&format!("/data/{key}")));
            }
        }
        Ok(Self {
            id,
            attributes,
            relationships,
            consumed: BTreeSet::new(),
        })
    }

    /// `data.id` (custom ids on create; must match the URL on update).
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn take(&mut self, name: &str) -> Option<Value> {
        self.consumed.insert(name.to_owned());
        self.attributes.get(name).cloned()
    }

    /// A string attribute, at most `max` bytes.
    pub fn string(&mut self, name: &str, max: usize) -> ApiResult<Field<String>> {
        let pointer = format!("/data/attributes/{name}");
        match self.take(name) {
            None => Ok(Field::Absent),
            Some(Value::Null) => Ok(Field::Null),
            Some(Value::String(s)) if s.len() > max => Err(ApiError::unprocessable(
                attribute_code(name, "TOO_LONG"),
                format!("is too long (maximum is {max} characters)"),
            )
            .pointer(pointer)),
            Some(Value::String(s)) => Ok(Field::Value(s)),
            Some(other) => Err(mismatch(&pointer, &other, "string")),
        }
    }

    /// A boolean attribute.
    pub fn boolean(&mut self, name: &str) -> ApiResult<Field<bool>> {
        match self.take(name) {
            None => Ok(Field::Absent),
            Some(Value::Null) => Ok(Field::Null),
            Some(Value::Bool(b)) => Ok(Field::Value(b)),
            Some(other) => Err(mismatch(
                &format!("/data/attributes/{name}"),
                &other,
                "boolean",
            )),
        }
    }

    /// An integer attribute.
    pub fn integer(&mut self, name: &str) -> ApiResult<Field<i64>> {
        match self.take(name) {
            None => Ok(Field::Absent),
            Some(Value::Null) => Ok(Field::Null),
            Some(Value::Number(n)) if n.is_i64() => {
                Ok(Field::Value(n.as_i64().unwrap_or_default()))
            }
            Some(other) => Err(mismatch(
                &format!("/data/attributes/{name}"),
                &other,
                "integer",
            )),
        }
    }

    /// An array of strings.
    pub fn strings(&mut self, name: &str) -> ApiResult<Field<Vec<String>>> {
        let pointer = format!("/data/attributes/{name}");
        match self.take(name) {
            None => Ok(Field::Absent),
            Some(Value::Null) => Ok(Field::Null),
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|item| match item {
                    Value::String(s) => Ok(s),
                    other => Err(mismatch(&pointer, &other, "string")),
                })
                .collect::<ApiResult<Vec<_>>>()
                .map(Field::Value),
            Some(other) => Err(mismatch(&pointer, &other, "array")),
        }
    }

    /// The `metadata` object (≤ 16 KiB, ≤ 64 keys), rendered back as compact JSON.
    pub fn metadata(&mut self) -> ApiResult<Field<String>> {
        let pointer = "/data/attributes/metadata";
        match self.take("metadata") {
            None => Ok(Field::Absent),
            Some(Value::Null) => Ok(Field::Null),
            Some(Value::Object(map)) => {
                let text = Value::Object(map.clone()).to_string();
                if text.len() > 16 * 1024 || map.len() > 64 {
                    return Err(ApiError::unprocessable(
                        ErrorCode::MetadataTooLarge,
                        "is too large (maximum is 16 KiB and 64 keys)",
                    )
                    .pointer(pointer));
                }
                Ok(Field::Value(text))
            }
            Some(other) => Err(mismatch(pointer, &other, "object")),
        }
    }

    /// An enum attribute: must be one of `allowed` (else `<NAME>_NOT_ALLOWED`).
    pub fn choice(&mut self, name: &str, allowed: &[&str]) -> ApiResult<Field<String>> {
        let field = self.string(name, 255)?;
        if let Field::Value(v) = &field
            && !allowed.contains(&v.as_str())
        {
            return Err(ApiError::unprocessable(
                attribute_code(name, "NOT_ALLOWED"),
                "is not included in the list",
            )
            .pointer(format!("/data/attributes/{name}")));
        }
        Ok(field)
    }

    /// The id of a to-one relationship `{ "data": { "type", "id" } }`.
    pub fn relationship(&mut self, name: &str) -> ApiResult<Field<String>> {
        self.consumed.insert(format!("rel:{name}"));
        let pointer = format!("/data/relationships/{name}");
        let Some(rel) = self.relationships.get(name) else {
            return Ok(Field::Absent);
        };
        let data = match rel {
            Value::Object(rel) => rel.get("data"),
            other => return Err(mismatch(&pointer, other, "object")),
        };
        match data {
            None => Err(ApiError::bad_request("is missing")
                .code(ErrorCode::ParametersInvalid)
                .pointer(format!("{pointer}/data"))),
            Some(Value::Null) => Ok(Field::Null),
            Some(Value::Object(linkage)) => match linkage.get("id") {
                Some(Value::String(id)) => Ok(Field::Value(id.clone())),
                Some(other) => Err(mismatch(&format!("{pointer}/data/id"), other, "string")),
                None => Err(ApiError::bad_request("is missing")
                    .code(ErrorCode::ParametersInvalid)
                    .pointer(format!("{pointer}/data/id"))),
            },
            Some(other) => Err(mismatch(&format!("{pointer}/data"), other, "object")),
        }
    }

    /// The raw `data` of a relationship (e.g. a nested to-many array), marked as read.
    pub fn relationship_data(&mut self, name: &str) -> Option<Value> {
        self.consumed.insert(format!("rel:{name}"));
        self.relationships
            .get(name)
            .map(|rel| rel.get("data").cloned().unwrap_or(Value::Null))
    }

    /// Fails on any attribute or relationship the endpoint did not read.
    pub fn finish(self) -> ApiResult<()> {
        if let Some(key) = self.attributes.keys().find(|k| !self.consumed.contains(*k)) {
            return Err(unpermitted(&format!("/data/attributes/{key}")));
        }
        if let Some(key) = self
            .relationships
            .keys()
            .find(|k| !self.consumed.contains(&format!("rel:{k}")))
        {
            return Err(unpermitted(&format!("/data/relationships/{key}")));
        }
        Ok(())
    }
}

/// 400 "unpermitted parameter" at a pointer.
pub fn unpermitted(pointer: &str) -> ApiError {
    ApiError::bad_request("unpermitted parameter")
        .code(ErrorCode::ParametersInvalid)
        .pointer(pointer)
}

/// `maxMachines` → `MAX_MACHINES` (Keygen's error-code prefix).
pub fn screaming(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
        }
        out.extend(c.to_uppercase());
    }
    out
}

/// `<NAME>_<PROBLEM>` for attribute `name` (PARAMETERS_INVALID for an attribute
/// whose codes are not listed in [`ErrorCode`]).
fn attribute_code(name: &str, problem: &str) -> ErrorCode {
    ErrorCode::composed(
        &format!("{}_{problem}", screaming(name)),
        ErrorCode::ParametersInvalid,
    )
}

/// 422 `<NAME>_MISSING` ("can't be blank").
pub fn missing(name: &str) -> ApiError {
    ApiError::unprocessable(attribute_code(name, "MISSING"), "can't be blank")
        .pointer(format!("/data/attributes/{name}"))
}

/// 422 `<NAME>_INVALID` with a detail.
pub fn invalid(name: &str, detail: impl Into<String>) -> ApiError {
    ApiError::unprocessable(attribute_code(name, "INVALID"), detail)
        .pointer(format!("/data/attributes/{name}"))
}

/// The singular a request's `data.type` may also use (`policies` → `policy`,
/// `licenses` → `license`).
pub fn singular(kind: &str) -> String {
    kind.strip_suffix("ies")
        .map(|s| format!("{s}y"))
        .unwrap_or_else(|| kind.strip_suffix('s').unwrap_or(kind).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_are_normalised_and_unknowns_rejected() {
        let doc =
            json!({"data": {"type": "policy", "attributes": {"max_machines": 3, "bogus": 1}}});
        let mut input = Input::parse(&doc, "policies").unwrap();
        assert_eq!(input.integer("maxMachines").unwrap(), Field::Value(3));
        let err = input.finish().unwrap_err();
        assert_eq!(
            err.code.map(latchkey_proto::ErrorCode::as_str),
            Some("PARAMETERS_INVALID")
        );
        assert_eq!(screaming("maxMachines"), "MAX_MACHINES");
    }

    #[test]
    fn type_mismatch_points_at_the_attribute() {
        let doc = json!({"data": {"type": "licenses", "attributes": {"name": 5}}});
        let mut input = Input::parse(&doc, "licenses").unwrap();
        let err = input.string("name", 255).unwrap_err();
        assert!(err.detail.contains("received integer expected string"));
    }
}
