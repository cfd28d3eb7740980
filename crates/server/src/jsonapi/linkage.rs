//! Relationship documents (JSON:API resource linkage) in request bodies: a to-one
//! `data: {type, id} | null` and a to-many `data: [{type, id}, …]` (1..100 items).

use crate::error::{ApiError, ApiResult};
use latchkey_proto::ErrorCode;
use serde_json::Value;

fn bad(pointer: &str, detail: &str) -> ApiError {
    ApiError::bad_request(detail)
        .code(ErrorCode::ParametersInvalid)
        .pointer(pointer)
}

/// The `data` of a to-one relationship document: `Some(id)`, or `None` for `data: null`.
/// `kinds` are the accepted `type`s.
pub fn to_one_id(body: &Value, kinds: &[&str]) -> ApiResult<Option<String>> {
    let Some(object) = body.as_object() else {
        return Err(bad("/data", "is missing"));
    };
    if let Some(other) = object
        .keys()
        .find(|k| !matches!(k.as_str(), "data" | "meta"))
    {
        return Err(bad(&format!("/{other}"), "unpermitted parameter"));
    }
    match object.get("data") {
        None => Err(bad("/data", "is missing")),
        Some(Value::Null) => Ok(None),
        Some(Value::Object(data)) => {
            if let Some(other) = data.keys().find(|k| !matches!(k.as_str(), "type" | "id")) {
                return Err(bad(&format!("/data/{other}"), "unpermitted parameter"));
            }
            match data.get("type") {
                Some(Value::String(t)) if kinds.contains(&t.as_str()) => {}
                Some(Value::String(_)) => return Err(bad("/data/type", "type mismatch")),
                _ => return Err(bad("/data/type", "is missing")),
            }
            match data.get("id") {
                Some(Value::String(id)) if !id.is_empty() => Ok(Some(id.clone())),
                None => Err(bad("/data/id", "is missing")),
                _ => Err(bad("/data/id", "type mismatch (expected string)")),
            }
        }
        Some(_) => Err(bad("/data", "type mismatch (expected object)")),
    }
}

/// The ids of a to-many `data: [{type, id}]` document (1..100 items of one of `kinds`).
pub fn to_many_ids(body: &Value, kinds: &[&str]) -> ApiResult<Vec<String>> {
    let object = body.as_object().ok_or_else(|| bad("/data", "is missing"))?;
    if let Some(other) = object
        .keys()
        .find(|k| !matches!(k.as_str(), "data" | "meta"))
    {
        return Err(bad(&format!("/{other}"), "unpermitted parameter"));
    }
    let items = match object.get("data") {
        Some(Value::Array(items)) => items,
        None | Some(Value::Null) => return Err(bad("/data", "is missing")),
        Some(_) => return Err(bad("/data", "type mismatch (expected array)")),
    };
    if items.is_empty() || items.len() > 100 {
        return Err(bad("/data", "length must be between 1 and 100 (inclusive)"));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Some(item) = item.as_object() else {
            return Err(bad(
                &format!("/data/{i}"),
                "type mismatch (expected object)",
            ));
        };
        if let Some(other) = item.keys().find(|k| !matches!(k.as_str(), "type" | "id")) {
            return Err(bad(&format!("/data/{i}/{other}"), "unpermitted parameter"));
        }
        match item.get("type") {
            Some(Value::String(t)) if kinds.contains(&t.as_str()) => {}
            Some(Value::String(_)) => return Err(bad(&format!("/data/{i}/type"), "type mismatch")),
            _ => return Err(bad(&format!("/data/{i}/type"), "is missing")),
        }
        match item.get("id") {
            Some(Value::String(id)) if !id.is_empty() => out.push(id.clone()),
            None => return Err(bad(&format!("/data/{i}/id"), "is missing")),
            _ => {
                return Err(bad(
                    &format!("/data/{i}/id"),
                    "type mismatch (expected string)",
                ));
            }
        }
    }
    Ok(out)
}
