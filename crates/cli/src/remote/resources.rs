//! Operator commands on resources: list, show, create (also in bulk), update, delete,
//! and the license and machine actions.

use clap::Subcommand;
use latchkey_sdk::Client;
use latchkey_sdk::client::Request;
use latchkey_sdk::offline::CheckOut;
use reqwest::Method;
use serde_json::{Map, Value, json};

use super::Connection;
use super::exit::{Failure, USAGE};
use super::output;

/// The commands every resource has.
#[derive(Subcommand, Debug, Clone)]
pub enum ResourceCommand {
    /// List resources, newest first.
    #[command(after_help = "Example:\n  latchkey licenses list --limit 50 --filter status=ACTIVE")]
    List {
        /// Page size (1–100).
        #[arg(long, default_value_t = 25)]
        limit: u32,
        /// Page number.
        #[arg(long, default_value_t = 1)]
        page: u32,
        /// A list filter (`policy=ID`, `status=EXPIRED`, `metadata[tier]=pro`, …).
        #[arg(long = "filter", value_name = "NAME=VALUE")]
        filters: Vec<String>,
    },
    /// Show one resource.
    #[command(after_help = "Example:\n  latchkey licenses show 5c4fd2ab-…")]
    Show {
        /// Id (or key, fingerprint, email, code where the API allows it).
        id: String,
    },
    /// Create a resource (`--count N` creates N, with a progress bar).
    #[command(
        after_help = "Examples:\n  latchkey products create --attr name=\"Desktop App\"\n  \
        latchkey policies create --attr name=Pro --attr maxMachines=3 --rel product=PRODUCT_ID\n  \
        latchkey licenses create --rel policy=POLICY_ID --count 500 --json > keys.json"
    )]
    Create {
        /// An attribute: NAME=VALUE, the value parsed as JSON when it is JSON (3, true,
        /// null, {"a":1}), else taken as text.
        #[arg(long = "attr", value_name = "NAME=VALUE")]
        attributes: Vec<String>,
        /// A relationship: NAME=ID (`policy=…`, `product=…`, `owner=…`, `group=…`).
        #[arg(long = "rel", value_name = "NAME=ID")]
        relationships: Vec<String>,
        /// How many to create.
        #[arg(long, default_value_t = 1)]
        count: u32,
    },
    /// Change attributes of a resource.
    #[command(
        after_help = "Example:\n  latchkey licenses update LICENSE_ID --attr name=\"ACME Corp\" --attr maxMachines=10"
    )]
    Update {
        /// Id.
        id: String,
        /// An attribute: NAME=VALUE (see `create`).
        #[arg(long = "attr", value_name = "NAME=VALUE", required = true)]
        attributes: Vec<String>,
    },
    /// Delete a resource.
    #[command(after_help = "Example:\n  latchkey machines delete MACHINE_ID")]
    Delete {
        /// Id.
        id: String,
    },
}

/// License commands: the common ones plus actions, check-out and export.
#[derive(Subcommand, Debug, Clone)]
pub enum LicenseCommand {
    #[command(flatten)]
    Common(ResourceCommand),
    /// Suspend a license (validations answer SUSPENDED).
    #[command(after_help = "Example:\n  latchkey licenses suspend LICENSE_ID")]
    Suspend {
        /// License id or key.
        id: String,
    },
    /// Lift a suspension.
    #[command(after_help = "Example:\n  latchkey licenses reinstate LICENSE_ID")]
    Reinstate {
        /// License id or key.
        id: String,
    },
    /// Extend the expiry by the policy's duration.
    #[command(after_help = "Example:\n  latchkey licenses renew LICENSE_ID")]
    Renew {
        /// License id or key.
        id: String,
    },
    /// Revoke (delete) a license and its machines.
    #[command(after_help = "Example:\n  latchkey licenses revoke LICENSE_ID")]
    Revoke {
        /// License id or key.
        id: String,
    },
    /// Check out a signed license file to disk.
    #[command(
        after_help = "Example:\n  latchkey licenses check-out LICENSE_ID --out license.lic --ttl 2592000 --include entitlements"
    )]
    CheckOut {
        /// License id or key.
        id: String,
        /// Where to write the file.
        #[arg(long)]
        out: std::path::PathBuf,
        /// Lifetime in seconds.
        #[arg(long)]
        ttl: Option<u64>,
        /// Related resources to embed, comma-separated.
        #[arg(long, value_delimiter = ',')]
        include: Vec<String>,
        /// Sign only, do not encrypt.
        #[arg(long)]
        no_encrypt: bool,
    },
    /// Export every license (all pages) as CSV or JSON.
    #[command(after_help = "Example:\n  latchkey licenses export --format csv --out licenses.csv")]
    Export(super::bulk::ExportArgs),
}

/// Machine commands: the common ones plus deactivation and check-out.
#[derive(Subcommand, Debug, Clone)]
pub enum MachineCommand {
    #[command(flatten)]
    Common(ResourceCommand),
    /// Deactivate a machine (frees its seat, e.g. a stuck floating seat).
    #[command(after_help = "Example:\n  latchkey machines deactivate MACHINE_ID")]
    Deactivate {
        /// Machine id (or fingerprint).
        id: String,
    },
    /// Check out a signed machine file to disk.
    #[command(
        after_help = "Example:\n  latchkey machines check-out MACHINE_ID --out machine.lic --include license"
    )]
    CheckOut {
        /// Machine id or fingerprint.
        id: String,
        /// Where to write the file.
        #[arg(long)]
        out: std::path::PathBuf,
        /// Lifetime in seconds.
        #[arg(long)]
        ttl: Option<u64>,
        /// Related resources to embed, comma-separated.
        #[arg(long, value_delimiter = ',')]
        include: Vec<String>,
    },
}

/// `NAME=VALUE` → (name, JSON value).
pub fn attribute(pair: &str) -> Result<(String, Value), Failure> {
    let (name, value) = pair
        .split_once('=')
        .filter(|(n, _)| !n.is_empty())
        .ok_or_else(|| {
            Failure::usage(
                format!("'{pair}' is not NAME=VALUE"),
                "for example --attr maxMachines=3",
            )
        })?;
    let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()));
    Ok((name.to_owned(), value))
}

/// The JSON:API type a relationship name points to.
fn related_type(name: &str) -> &str {
    match name {
        "policy" => "policies",
        "product" => "products",
        "owner" | "user" => "users",
        "group" => "groups",
        "license" => "licenses",
        "machine" => "machines",
        "entitlement" => "entitlements",
        other => other,
    }
}

/// The `data` object of a create or update.
pub fn document(
    kind: &str,
    attributes: &[String],
    relationships: &[String],
) -> Result<Value, Failure> {
    let mut attrs = Map::new();
    for pair in attributes {
        let (name, value) = attribute(pair)?;
        attrs.insert(name, value);
    }
    let mut rels = Map::new();
    for pair in relationships {
        let (name, id) = pair
            .split_once('=')
            .filter(|(n, i)| !n.is_empty() && !i.is_empty())
            .ok_or_else(|| {
                Failure::usage(
                    format!("'{pair}' is not NAME=ID"),
                    "for example --rel policy=POLICY_ID",
                )
            })?;
        rels.insert(
            name.to_owned(),
            json!({ "data": { "type": related_type(name), "id": id } }),
        );
    }
    let mut data = json!({ "type": kind, "attributes": attrs });
    if !rels.is_empty() {
        data["relationships"] = Value::Object(rels);
    }
    Ok(json!({ "data": data }))
}

/// Characters escaped in a path segment: everything but RFC 3986's unreserved ones.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// An id as a path segment. `.` and `..` (also percent-encoded) are dot segments that
/// URL parsing resolves away, so they name no resource: refused.
pub(crate) fn path_id(id: &str) -> Result<String, Failure> {
    if id.is_empty() || id == "." || id == ".." {
        return Err(Failure::usage(
            format!("'{id}' is not an id"),
            "pass the resource's id",
        ));
    }
    Ok(percent_encoding::utf8_percent_encode(id, SEGMENT).to_string())
}

/// Runs a common command on resource type `kind` (its URL segment).
pub async fn run(
    connection: &Connection,
    kind: &str,
    command: &ResourceCommand,
) -> Result<(), Failure> {
    let client = connection.operator()?;
    let json = connection.json;
    match command {
        ResourceCommand::List {
            limit,
            page,
            filters,
        } => {
            if !(1..=100).contains(limit) {
                return Err(Failure::new(
                    USAGE,
                    "--limit must be between 1 and 100",
                    None,
                ));
            }
            let mut request = Request::new(Method::GET, kind)
                .query("page[size]", limit.to_string())
                .query("page[number]", page.to_string());
            for filter in filters {
                let (name, value) = filter.split_once('=').ok_or_else(|| {
                    Failure::usage(
                        format!("'{filter}' is not NAME=VALUE"),
                        "for example --filter status=ACTIVE",
                    )
                })?;
                request = request.query(name, value.to_owned());
            }
            let response = client.send(request).await?;
            output::print(&response.body, kind, json);
        }
        ResourceCommand::Show { id } => {
            let body = client.get(&format!("{kind}/{}", path_id(id)?)).await?;
            output::print(&body, kind, json);
        }
        ResourceCommand::Create {
            attributes,
            relationships,
            count,
        } => {
            let body = document(kind, attributes, relationships)?;
            if *count > 1 {
                return super::bulk::create_many(&client, kind, &body, *count, json).await;
            }
            let created = client.post(kind, body).await?;
            output::print(&created, kind, json);
        }
        ResourceCommand::Update { id, attributes } => {
            let mut body = document(kind, attributes, &[])?;
            body["data"]["id"] = json!(id);
            let updated = client
                .patch(&format!("{kind}/{}", path_id(id)?), body)
                .await?;
            output::print(&updated, kind, json);
        }
        ResourceCommand::Delete { id } => {
            client.delete(&format!("{kind}/{}", path_id(id)?)).await?;
            if !json {
                println!("deleted {kind}/{id}");
            }
        }
    }
    Ok(())
}

pub(crate) async fn action(
    client: &Client,
    path: String,
    json: bool,
    kind: &str,
) -> Result<(), Failure> {
    let response = client.send(Request::new(Method::POST, &path)).await?;
    output::print(&response.body, kind, json);
    Ok(())
}

/// `latchkey licenses …`.
pub async fn licenses(connection: &Connection, command: &LicenseCommand) -> Result<(), Failure> {
    let json = connection.json;
    match command {
        LicenseCommand::Common(common) => return run(connection, "licenses", common).await,
        LicenseCommand::Export(args) => {
            return super::bulk::export(&connection.operator()?, args).await;
        }
        _ => {}
    }
    let client = connection.operator()?;
    match command {
        LicenseCommand::Suspend { id } => {
            action(
                &client,
                format!("licenses/{}/actions/suspend", path_id(id)?),
                json,
                "licenses",
            )
            .await
        }
        LicenseCommand::Reinstate { id } => {
            action(
                &client,
                format!("licenses/{}/actions/reinstate", path_id(id)?),
                json,
                "licenses",
            )
            .await
        }
        LicenseCommand::Renew { id } => {
            action(
                &client,
                format!("licenses/{}/actions/renew", path_id(id)?),
                json,
                "licenses",
            )
            .await
        }
        LicenseCommand::Revoke { id } => {
            client
                .delete(&format!("licenses/{}/actions/revoke", path_id(id)?))
                .await?;
            if !json {
                println!("revoked license {id}");
            }
            Ok(())
        }
        LicenseCommand::CheckOut {
            id,
            out,
            ttl,
            include,
            no_encrypt,
        } => {
            let options = CheckOut {
                ttl: *ttl,
                include: include.clone(),
                encrypt: !no_encrypt,
            };
            let certificate = client.check_out_license(id, &options).await?;
            write_file(out, &certificate)
        }
        LicenseCommand::Common(_) | LicenseCommand::Export(_) => Ok(()),
    }
}

/// `latchkey machines …`.
pub async fn machines(connection: &Connection, command: &MachineCommand) -> Result<(), Failure> {
    match command {
        MachineCommand::Common(common) => run(connection, "machines", common).await,
        MachineCommand::Deactivate { id } => {
            connection.operator()?.deactivate(id).await?;
            if !connection.json {
                println!("deactivated machine {id}");
            }
            Ok(())
        }
        MachineCommand::CheckOut {
            id,
            out,
            ttl,
            include,
        } => {
            let options = CheckOut {
                ttl: *ttl,
                include: include.clone(),
                encrypt: true,
            };
            let certificate = connection
                .operator()?
                .check_out_machine(id, &options)
                .await?;
            write_file(out, &certificate)
        }
    }
}

fn write_file(path: &std::path::Path, text: &str) -> Result<(), Failure> {
    std::fs::write(path, text).map_err(|e| {
        Failure::new(
            super::exit::FAILURE,
            format!("{}: {e}", path.display()),
            None,
        )
    })?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_parse_json_values_and_fall_back_to_text() {
        assert_eq!(
            attribute("maxMachines=3").unwrap(),
            ("maxMachines".into(), json!(3))
        );
        assert_eq!(
            attribute("floating=true").unwrap(),
            ("floating".into(), json!(true))
        );
        assert_eq!(
            attribute("name=Desktop App").unwrap(),
            ("name".into(), json!("Desktop App"))
        );
        assert_eq!(
            attribute("expiry=null").unwrap(),
            ("expiry".into(), Value::Null)
        );
        assert_eq!(attribute("a=b=c").unwrap(), ("a".into(), json!("b=c")));
        assert!(attribute("=x").is_err());
        assert!(attribute("novalue").is_err());
    }

    #[test]
    fn relationships_name_their_types() {
        let doc = document("licenses", &[], &["policy=P".into(), "owner=U".into()]).unwrap();
        assert_eq!(
            doc["data"]["relationships"]["policy"]["data"],
            json!({"type": "policies", "id": "P"})
        );
        assert_eq!(
            doc["data"]["relationships"]["owner"]["data"],
            json!({"type": "users", "id": "U"})
        );
        assert!(document("licenses", &[], &["policy=".into()]).is_err());
    }
}
