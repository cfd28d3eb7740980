//! List filters of `/releases` and `/artifacts` (Keygen §5.4), as store filters.

use crate::error::{ApiError, ApiResult};
use crate::jsonapi::query::QueryParams;
use crate::state::AppState;
use latchkey_core::releases::Channel;
use latchkey_proto::ErrorCode;
use latchkey_store::crud::Filter;

fn bad(name: &str) -> ApiError {
    ApiError::bad_request(format!("{name} is invalid"))
        .code(ErrorCode::ParameterInvalid)
        .parameter(name)
}

/// `channel=beta`: releases the channel sees (stable, rc and beta).
fn channel(value: &str, column: &str) -> ApiResult<Filter> {
    let channel: Channel = value.parse().map_err(|_| bad("channel"))?;
    let keys: Vec<String> = channel
        .sees()
        .iter()
        .map(|c| format!("'{}'", c.as_str()))
        .collect();
    Ok(Filter::new(
        format!("{column} IN ({})", keys.join(", ")),
        vec![],
    ))
}

fn metadata(state: &AppState, query: &QueryParams) -> Vec<Filter> {
    query
        .prefixed("metadata")
        .into_iter()
        .map(|(key, value)| {
            let key = crate::jsonapi::input::camel_case(key);
            latchkey_store::metadata::query_filter(state.db.backend(), &key, value)
        })
        .collect()
}

/// Filters of `GET /releases` (columns of `releases`).
pub fn releases(state: &AppState, query: &QueryParams) -> ApiResult<Vec<Filter>> {
    let mut filters = metadata(state, query);
    if let Some(product) = query.get("product") {
        filters.push(Filter::eq("product_id", product));
    }
    if let Some(package) = query.get("package") {
        filters.push(Filter::new(
            "package_id IN (SELECT id FROM release_packages WHERE id = {} OR key = {})",
            vec![package.into(), package.into()],
        ));
    }
    if let Some(engine) = query.get("engine") {
        filters.push(Filter::new(
            "package_id IN (SELECT id FROM release_packages WHERE engine = {})",
            vec![engine.into()],
        ));
    }
    if let Some(value) = query.get("channel") {
        filters.push(channel(value, "channel")?);
    }
    if let Some(status) = query.get("status") {
        filters.push(Filter::eq("status", status.to_ascii_uppercase()));
    }
    if let Some(version) = query.get("version") {
        filters.push(Filter::eq("version", version));
    }
    match query.get("yanked") {
        Some("true") => filters.push(Filter::new("status = 'YANKED'", vec![])),
        Some("false") => filters.push(Filter::new("status <> 'YANKED'", vec![])),
        Some(_) => return Err(bad("yanked")),
        None => {}
    }
    for name in ["entitlements", "constraints"] {
        let codes = query.all(&format!("{name}[]"));
        for code in codes {
            filters.push(Filter::new(
                "id IN (SELECT c.release_id FROM release_entitlement_constraints c \
                 JOIN entitlements e ON e.id = c.entitlement_id WHERE e.code = {} OR e.id = {})",
                vec![code.into(), code.into()],
            ));
        }
    }
    for (param, column) in [
        ("filetype", "filetype"),
        ("platform", "platform"),
        ("arch", "arch"),
    ] {
        if let Some(value) = query.get(param) {
            filters.push(Filter::new(
                format!("id IN (SELECT release_id FROM release_artifacts WHERE {column} = {{}})"),
                vec![value.into()],
            ));
        }
    }
    Ok(filters)
}

/// Filters of `GET /artifacts` (columns of `release_artifacts`).
pub fn artifacts(query: &QueryParams) -> ApiResult<Vec<Filter>> {
    let mut filters = Vec::new();
    if let Some(product) = query.get("product") {
        filters.push(Filter::eq("product_id", product));
    }
    if let Some(release) = query.get("release") {
        filters.push(Filter::new(
            "release_id IN (SELECT id FROM releases WHERE id = {} OR version = {} OR tag = {})",
            vec![release.into(), release.into(), release.into()],
        ));
    }
    if let Some(value) = query.get("channel") {
        let (clause, args) = channel(value, "channel")?.into_parts();
        filters.push(Filter::new(
            format!("release_id IN (SELECT id FROM releases WHERE {clause})"),
            args,
        ));
    }
    if let Some(package) = query.get("package") {
        filters.push(Filter::new(
            "release_id IN (SELECT id FROM releases WHERE package_id IN \
             (SELECT id FROM release_packages WHERE id = {} OR key = {}))",
            vec![package.into(), package.into()],
        ));
    }
    if let Some(engine) = query.get("engine") {
        filters.push(Filter::new(
            "release_id IN (SELECT id FROM releases WHERE package_id IN \
             (SELECT id FROM release_packages WHERE engine = {}))",
            vec![engine.into()],
        ));
    }
    if let Some(status) = query.get("status") {
        filters.push(Filter::eq("status", status.to_ascii_uppercase()));
    }
    for name in ["filetype", "platform", "arch"] {
        if let Some(value) = query.get(name) {
            filters.push(Filter::eq(name, value));
        }
    }
    Ok(filters)
}
