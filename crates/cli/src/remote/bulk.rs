//! Bulk work with progress bars: creating many resources, exporting every license.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use latchkey_sdk::Client;
use latchkey_sdk::client::Request;
use reqwest::Method;
use serde_json::Value;

use super::exit::{FAILURE, Failure};

/// Export formats.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One row per license: id, key, name, status, expiry, uses, policy, owner, created.
    Csv,
    /// A JSON array of the license resources.
    Json,
}

/// `latchkey licenses export`.
#[derive(Args, Debug, Clone)]
pub struct ExportArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
    /// Output file (standard output when absent).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// A list filter, as for `list`.
    #[arg(long = "filter", value_name = "NAME=VALUE")]
    pub filters: Vec<String>,
}

fn bar(total: Option<u64>) -> ProgressBar {
    let bar = match total {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::new_spinner(),
    };
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {bar:40} {pos}/{len} {msg} [{elapsed}]")
    {
        bar.set_style(style);
    }
    bar
}

/// Creates `count` copies of `body`; prints the created resources (JSON array with
/// `--json`, else a table). Stops at the first refusal, reporting how many were made.
pub async fn create_many(
    client: &Client,
    kind: &str,
    body: &Value,
    count: u32,
    json: bool,
) -> Result<(), Failure> {
    let progress = bar(Some(u64::from(count)));
    progress.set_message(format!("creating {kind}"));
    let mut created = Vec::with_capacity(count as usize);
    for _ in 0..count {
        match client.post(kind, body.clone()).await {
            Ok(doc) => created.push(doc["data"].clone()),
            Err(e) => {
                progress.abandon();
                let mut failure = Failure::from(e);
                failure.message = format!(
                    "{} (after creating {} of {count})",
                    failure.message,
                    created.len()
                );
                print_created(kind, &created, json);
                return Err(failure);
            }
        }
        progress.inc(1);
    }
    progress.finish_and_clear();
    print_created(kind, &created, json);
    Ok(())
}

fn print_created(kind: &str, created: &[Value], json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(created).unwrap_or_default()
        );
    } else if !created.is_empty() {
        println!("{}", super::output::table(kind, created));
    }
}

/// Pages through every license and writes them out.
pub async fn export(client: &Client, args: &ExportArgs) -> Result<(), Failure> {
    const PAGE: usize = 100;
    let progress = bar(None);
    progress.set_message("exporting licenses");
    let mut licenses: Vec<Value> = Vec::new();
    for page in 1u32.. {
        let mut request = Request::new(Method::GET, "licenses")
            .query("page[size]", PAGE.to_string())
            .query("page[number]", page.to_string());
        for filter in &args.filters {
            let (name, value) = filter.split_once('=').ok_or_else(|| {
                Failure::usage(
                    format!("'{filter}' is not NAME=VALUE"),
                    "for example --filter status=ACTIVE",
                )
            })?;
            request = request.query(name, value.to_owned());
        }
        let response = client.send(request).await?;
        if let Some(count) = response.body["links"]["meta"]["count"].as_u64() {
            progress.set_length(count);
        }
        let items = response.body["data"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let done = items.len() < PAGE;
        progress.inc(items.len() as u64);
        licenses.extend(items);
        if done {
            break;
        }
    }
    progress.finish_and_clear();
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&licenses).unwrap_or_default() + "\n",
        Format::Csv => csv(&licenses)?,
    };
    match &args.out {
        Some(path) => {
            std::fs::write(path, text)
                .map_err(|e| Failure::new(FAILURE, format!("{}: {e}", path.display()), None))?;
            eprintln!("exported {} licenses to {}", licenses.len(), path.display());
        }
        None => {
            std::io::stdout().write_all(text.as_bytes())?;
        }
    }
    Ok(())
}

const CSV_COLUMNS: [&str; 9] = [
    "id", "key", "name", "status", "expiry", "uses", "policy", "owner", "created",
];

fn csv(licenses: &[Value]) -> Result<String, Failure> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let failed = |e: csv::Error| Failure::new(FAILURE, e.to_string(), None);
    writer.write_record(CSV_COLUMNS).map_err(failed)?;
    for l in licenses {
        let text = |v: &Value| match v {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let a = &l["attributes"];
        let r = &l["relationships"];
        writer
            .write_record([
                text(&l["id"]),
                text(&a["key"]),
                text(&a["name"]),
                text(&a["status"]),
                text(&a["expiry"]),
                text(&a["uses"]),
                text(&r["policy"]["data"]["id"]),
                text(&r["owner"]["data"]["id"]),
                text(&a["created"]),
            ])
            .map_err(failed)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| Failure::new(FAILURE, e.to_string(), None))?;
    String::from_utf8(bytes).map_err(|e| Failure::new(FAILURE, e.to_string(), None))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let text = csv(&[
            json!({"id": "1", "attributes": {"key": "K", "name": "ACME, \"Inc\"", "uses": 2},
            "relationships": {"policy": {"data": {"id": "P"}}}}),
        ])
        .unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("id,key,name,status,expiry,uses,policy,owner,created")
        );
        assert_eq!(lines.next(), Some("1,K,\"ACME, \"\"Inc\"\"\",,,2,P,,"));
    }
}
