//! The `metadata[key]=value` list filter (Keygen §5.4) for any table with a JSON
//! `metadata` column. The key and the value are bound parameters, never part of the
//! SQL text or of a JSON path, so any key works: quotes, dots, brackets, `$`, unicode.
//! It matches a top-level scalar exactly: a string, a number (integers and floats
//! compare numerically), `true`, `false` or `null`.
//!
//! PostgreSQL tests JSONB containment. JSONB cannot hold U+0000, so a row whose
//! stored text contains the escape `\u0000` (written before NUL was refused at the
//! input boundary) never matches instead of failing the whole query. SQLite walks
//! the top-level members with `json_each` and compares the key as plain text.

use crate::Backend;
use crate::crud::Filter;
use serde_json::{Value, json};

/// `metadata[key]=value` from a query string: Keygen's coercion of `true`, `false`,
/// `null` and numbers, then [`filter`]. `key` is already in the stored (camelCase) form.
pub fn query_filter(backend: Backend, key: &str, raw: &str) -> Filter {
    let typed: Value = match raw {
        "true" => json!(true),
        "false" => json!(false),
        "null" => Value::Null,
        v => v
            .parse::<i64>()
            .map(Value::from)
            .ok()
            .or_else(|| {
                v.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
            })
            .unwrap_or_else(|| json!(v)),
    };
    filter(backend, key, &typed)
}

/// A filter matching rows whose `metadata` has `key` set to the scalar `value`.
/// Arrays and objects never match; neither do keys or values containing NUL.
pub fn filter(backend: Backend, key: &str, value: &Value) -> Filter {
    let has_nul = key.contains('\0') || value.as_str().is_some_and(|s| s.contains('\0'));
    if has_nul || value.is_array() || value.is_object() {
        return Filter::new("1 = 0", vec![]);
    }
    match backend {
        Backend::Postgres => Filter::new(
            "CASE WHEN strpos(metadata, '\\u0000') > 0 THEN FALSE \
             ELSE CAST(metadata AS JSONB) @> CAST({} AS JSONB) END",
            vec![json!({ key: value }).to_string().into()],
        ),
        Backend::Sqlite => {
            let (test, args) = match value {
                Value::Bool(true) => ("m.type = 'true'", vec![]),
                Value::Bool(false) => ("m.type = 'false'", vec![]),
                Value::Number(n) => match n.as_i64() {
                    Some(i) => (
                        "m.type IN ('integer', 'real') AND m.value = {}",
                        vec![i.into()],
                    ),
                    None => (
                        "m.type IN ('integer', 'real') AND m.value = CAST({} AS REAL)",
                        vec![n.to_string().into()],
                    ),
                },
                Value::String(s) => ("m.type = 'text' AND m.value = {}", vec![s.into()]),
                _ => ("m.type = 'null'", vec![]),
            };
            let mut all = vec![key.into()];
            all.extend(args);
            Filter::new(
                format!(
                    "EXISTS (SELECT 1 FROM json_each(metadata) m WHERE m.key = {{}} AND {test})"
                ),
                all,
            )
        }
    }
}
