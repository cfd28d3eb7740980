//! Tables for people, JSON for scripts.

use comfy_table::{ContentArrangement, Table, presets};
use serde_json::Value;

/// The columns shown for a resource type (attribute names; `id` always first).
pub fn columns(kind: &str) -> &'static [&'static str] {
    match kind {
        "products" => &["name", "code", "distributionStrategy"],
        "policies" => &[
            "name",
            "floating",
            "maxMachines",
            "duration",
            "authenticationStrategy",
        ],
        "licenses" => &["key", "name", "status", "expiry", "uses"],
        "machines" => &["fingerprint", "name", "heartbeatStatus", "lastHeartbeat"],
        "users" => &["email", "fullName", "role", "status"],
        "groups" => &["name", "maxUsers", "maxLicenses", "maxMachines"],
        "entitlements" => &["code", "name"],
        "tokens" => &["kind", "name", "expiry"],
        "processes" => &["pid", "status"],
        "components" => &["fingerprint", "name"],
        "releases" => &["version", "channel", "status", "name"],
        "artifacts" => &["filename", "platform", "arch", "filesize", "status"],
        _ => &["name"],
    }
}

fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A table of resources.
pub fn table(kind: &str, resources: &[Value]) -> String {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_BORDERS_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic);
    let columns = columns(kind);
    let mut header = vec!["id".to_owned()];
    header.extend(columns.iter().map(|c| (*c).to_owned()));
    table.set_header(header);
    for r in resources {
        let mut row = vec![cell(&r["id"])];
        row.extend(columns.iter().map(|c| cell(&r["attributes"][*c])));
        table.add_row(row);
    }
    table.to_string()
}

/// One resource as `name: value` lines (every attribute).
pub fn detail(resource: &Value) -> String {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    table.add_row(vec!["id".to_owned(), cell(&resource["id"])]);
    table.add_row(vec!["type".to_owned(), cell(&resource["type"])]);
    if let Some(attributes) = resource["attributes"].as_object() {
        for (name, value) in attributes {
            table.add_row(vec![name.clone(), cell(value)]);
        }
    }
    if let Some(relationships) = resource["relationships"].as_object() {
        for (name, rel) in relationships {
            if let Some(id) = rel["data"]["id"].as_str() {
                table.add_row(vec![name.clone(), id.to_owned()]);
            }
        }
    }
    table.to_string()
}

/// Prints a document: JSON when asked, else a table (lists) or details (one).
pub fn print(document: &Value, kind: &str, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(document).unwrap_or_default()
        );
        return;
    }
    match &document["data"] {
        Value::Array(items) => println!("{}", table(kind, items)),
        Value::Null => println!("(none)"),
        one => println!("{}", detail(one)),
    }
}
