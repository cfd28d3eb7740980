//! Components named in an activation (`relationships.components.data`) and the
//! answer to a refused component fingerprint, shared by activation and
//! `POST /components`.

use crate::error::{ApiError, ApiResult, Source};
use crate::jsonapi::input::{Field, Input, missing};
use latchkey_proto::ErrorCode;
use latchkey_store::components::{ComponentError, ComponentRow};
use latchkey_store::machines::MachineRow;
use latchkey_store::new_id;
use serde_json::{Value, json};

/// Most components a machine may be activated with in one request (Keygen: 20).
pub const MAX_NESTED: usize = 20;

/// `fingerprint` (required, ≤ 4 KiB) and `name` (required, ≤ 255) of a component.
pub(crate) fn required(field: Field<String>, name: &str) -> ApiResult<String> {
    match field {
        Field::Value(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(missing(name)),
    }
}

/// Parses the nested `relationships.components.data` of an activation into rows for
/// `machine` (fingerprints checked for uniqueness later, inside the activation tx).
pub fn nested(data: Option<Value>, machine: &MachineRow) -> ApiResult<Vec<ComponentRow>> {
    let pointer = "/data/relationships/components";
    let items = match data {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(
                ApiError::bad_request("type mismatch (received object expected array)")
                    .code(ErrorCode::ParametersInvalid)
                    .pointer(format!("{pointer}/data")),
            );
        }
    };
    if items.len() > MAX_NESTED {
        return Err(
            ApiError::unprocessable(ErrorCode::ComponentsTooMany, "too many records")
                .pointer(pointer),
        );
    }
    let mut rows = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        // Errors inside a nested component point into the array and, like Keygen's
        // nested validations, carry a COMPONENTS_ prefix.
        let at = |e: ApiError| {
            let suffix = match &e.source {
                Some(Source::Pointer(p)) => p.strip_prefix("/data").unwrap_or(p).to_owned(),
                _ => String::new(),
            };
            let code = e.code.filter(|c| *c != ErrorCode::ParametersInvalid);
            let e = e.pointer(format!("{pointer}/data/{index}{suffix}"));
            match code {
                Some(code) => e.code(ErrorCode::composed(
                    &format!("COMPONENTS_{code}"),
                    ErrorCode::ParametersInvalid,
                )),
                None => e,
            }
        };
        let mut input = Input::parse(&json!({ "data": item }), "components").map_err(at)?;
        let fingerprint = required(
            input.string("fingerprint", 4096).map_err(at)?,
            "fingerprint",
        )
        .map_err(at)?;
        let name = required(input.string("name", 255).map_err(at)?, "name").map_err(at)?;
        let metadata = input.metadata().map_err(at)?;
        input.finish().map_err(at)?;
        rows.push(ComponentRow {
            id: new_id(),
            account_id: machine.account_id.clone(),
            license_id: machine.license_id.clone(),
            machine_id: machine.id.clone(),
            fingerprint,
            name,
            metadata: metadata.value().unwrap_or_else(|| "{}".into()),
            created_at: machine.created_at,
            updated_at: machine.created_at,
        });
    }
    Ok(rows)
}

/// Maps a refused component to Keygen's error; `nested` for activation payloads.
pub fn component_error(error: ComponentError, nested: bool) -> ApiError {
    let (code, detail, index) = match error {
        ComponentError::Taken(i) => (
            (
                ErrorCode::FingerprintTaken,
                ErrorCode::ComponentsFingerprintTaken,
            ),
            "has already been taken",
            i,
        ),
        ComponentError::Duplicate(i) => (
            (
                ErrorCode::FingerprintConflict,
                ErrorCode::ComponentsFingerprintConflict,
            ),
            "is duplicated",
            i,
        ),
        ComponentError::Store(e) => return e.into(),
    };
    if nested {
        ApiError::unprocessable(code.1, detail).pointer(format!(
            "/data/relationships/components/data/{index}/attributes/fingerprint"
        ))
    } else {
        ApiError::unprocessable(code.0, detail).pointer("/data/attributes/fingerprint")
    }
}
