//! End-user commands, run on the licensed machine: print its fingerprint, activate
//! it, deactivate it, validate a key, verify a license or machine file offline.

use std::path::PathBuf;

use clap::Args;
use latchkey_sdk::fingerprint::{self, Fingerprinter};
use latchkey_sdk::offline::verify_file;
use latchkey_sdk::{Client, Error, ErrorCode, MachineInfo, OfflineError, Scope, VerifyingKey};
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::Connection;
use super::exit::{Failure, INVALID, REFUSED, USAGE};

/// How this machine is identified.
#[derive(Args, Debug, Clone)]
pub struct MachineArgs {
    /// The machine fingerprint (default: computed from the OS machine id).
    #[arg(long, env = "LATCHKEY_FINGERPRINT")]
    pub fingerprint: Option<String>,
    /// The application id that keys the fingerprint hash.
    #[arg(long, env = "LATCHKEY_APP_ID", default_value = "latchkey")]
    pub app_id: String,
}

impl MachineArgs {
    fn fingerprint(&self) -> Result<String, Failure> {
        match &self.fingerprint {
            Some(fp) if !fp.trim().is_empty() => Ok(fp.trim().to_owned()),
            _ => Ok(Fingerprinter::new(&self.app_id).machine()?),
        }
    }
}

/// `latchkey fingerprint`.
#[derive(Args, Debug, Clone)]
pub struct FingerprintArgs {
    #[command(flatten)]
    pub machine: MachineArgs,
    /// Also print the component fingerprints and the detected environment.
    #[arg(long)]
    pub components: bool,
}

/// `latchkey activate` / `deactivate` / `validate`.
#[derive(Args, Debug, Clone)]
pub struct KeyArgs {
    /// The license key.
    #[arg(long, env = "LATCHKEY_LICENSE_KEY", hide_env_values = true)]
    pub key: String,
    #[command(flatten)]
    pub machine: MachineArgs,
}

/// `latchkey validate`.
#[derive(Args, Debug, Clone)]
pub struct ValidateArgs {
    /// The license key.
    #[arg(long, env = "LATCHKEY_LICENSE_KEY", hide_env_values = true)]
    pub key: String,
    /// Validate for this machine fingerprint (without it, only the license is checked).
    #[arg(long, env = "LATCHKEY_FINGERPRINT")]
    pub fingerprint: Option<String>,
    /// Entitlement codes the license must hold (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub entitlements: Vec<String>,
}

/// `latchkey verify`.
#[derive(Args, Debug, Clone)]
pub struct VerifyArgs {
    /// The license or machine file (`.lic`).
    pub file: PathBuf,
    /// The license key: decrypts encrypted files.
    #[arg(long, env = "LATCHKEY_LICENSE_KEY", hide_env_values = true)]
    pub key: Option<String>,
    /// The machine fingerprint: machine files are encrypted with key + fingerprint.
    #[arg(long)]
    pub fingerprint: Option<String>,
    /// Check expiry at this time instead of now (RFC 3339), e.g. for an old file.
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
}

pub fn fingerprint_command(args: &FingerprintArgs, json: bool) -> Result<(), Failure> {
    let fp = args.machine.fingerprint()?;
    if !args.components && !json {
        println!("{fp}");
        return Ok(());
    }
    let fingerprinter = Fingerprinter::new(&args.machine.app_id);
    let components: Vec<_> = fingerprinter
        .components()
        .into_iter()
        .map(|c| (c.name, c.fingerprint))
        .collect();
    let environment = fingerprint::environment();
    if json {
        let components: serde_json::Map<_, _> = components
            .into_iter()
            .map(|(n, f)| (n.to_owned(), json!(f)))
            .collect();
        let doc = json!({
            "fingerprint": fp,
            "components": components,
            "container": environment.container,
            "virtualMachine": environment.virtual_machine,
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        println!("{fp}");
        for (name, value) in components {
            println!("{name:12} {value}");
        }
        println!(
            "container    {}",
            environment.container.as_deref().unwrap_or("no")
        );
        println!(
            "vm           {}",
            environment.virtual_machine.as_deref().unwrap_or("no")
        );
    }
    Ok(())
}

/// The client of an end-user command: answers must verify against the public key.
fn end_user_client(connection: &Connection, key: &str) -> Result<Client, Failure> {
    let resolved = connection.resolve()?;
    let mut config = resolved.config(true)?;
    if resolved.token.is_none() {
        config = config.license_key(key.to_owned());
    }
    Ok(Client::new(config)?)
}

fn machine_info(args: &MachineArgs) -> Result<MachineInfo, Failure> {
    let hostname = gethostname();
    let mut info = MachineInfo::new(args.fingerprint()?);
    info.name = hostname.clone();
    info.hostname = hostname;
    info.platform = Some(std::env::consts::OS.to_owned());
    info.cores = std::thread::available_parallelism()
        .ok()
        .and_then(|n| i64::try_from(n.get()).ok());
    Ok(info)
}

fn gethostname() -> Option<String> {
    Some(
        gethostname::gethostname()
            .to_string_lossy()
            .trim()
            .to_owned(),
    )
    .filter(|h| !h.is_empty())
}

pub async fn activate(connection: &Connection, args: &KeyArgs) -> Result<(), Failure> {
    let client = end_user_client(connection, &args.key)?;
    let info = machine_info(&args.machine)?;
    let activation = client
        .activate_if_needed(&args.key, &info)
        .await
        .map_err(activation_failure)?;
    if connection.json {
        let doc = json!({
            "valid": activation.validation.valid,
            "code": activation.validation.code.as_str(),
            "detail": activation.validation.detail,
            "activated": activation.activated.as_ref().map(|m| &m.id),
            "fingerprint": info.fingerprint,
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else if let Some(machine) = &activation.activated {
        println!(
            "activated this machine ({}) as {}: {}",
            info.fingerprint, machine.id, activation.validation.detail
        );
    } else {
        println!(
            "this machine ({}) is already activated: {}",
            info.fingerprint, activation.validation.detail
        );
    }
    Ok(())
}

/// Clear words for the refusals a user meets when activating.
fn activation_failure(error: Error) -> Failure {
    let code = error.code();
    let mut failure = Failure::from(error);
    match code {
        Some(ErrorCode::MachineLimitExceeded) => {
            failure.message = format!(
                "this license has no free machine seat ({})",
                failure.message
            );
            failure.hint = Some("deactivate the license on another machine (`latchkey deactivate` there), or ask the vendor for more seats".into());
        }
        Some(ErrorCode::FingerprintTaken) => {
            failure.hint = Some("this fingerprint is activated on another license".into());
        }
        _ => {}
    }
    failure
}

pub async fn deactivate(connection: &Connection, args: &KeyArgs) -> Result<(), Failure> {
    let client = end_user_client(connection, &args.key)?;
    let fp = args.machine.fingerprint()?;
    client.deactivate(&fp).await.map_err(|e| {
        let not_found = e.status() == Some(404);
        let mut failure = Failure::from(e);
        if not_found {
            failure.code = REFUSED;
            failure.message = format!("this machine ({fp}) is not activated for this license");
            failure.hint = None;
        }
        failure
    })?;
    if !connection.json {
        println!("deactivated this machine ({fp})");
    }
    Ok(())
}

pub async fn validate(connection: &Connection, args: &ValidateArgs) -> Result<(), Failure> {
    let client = end_user_client(connection, &args.key)?;
    let scope = Scope {
        fingerprint: args.fingerprint.clone(),
        ..Scope::default()
    }
    .with_entitlements(args.entitlements.iter().cloned());
    let v = client.validate_key(&args.key, &scope).await?;
    if connection.json {
        let doc = json!({ "valid": v.valid, "code": v.code.as_str(), "detail": v.detail,
            "license": v.license.as_ref().map(|l| &l.id) });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        println!("{}: {}", v.code.as_str(), v.detail);
    }
    if v.valid {
        Ok(())
    } else {
        // Already printed; the exit code says the rest.
        Err(Failure::new(
            INVALID,
            format!("license not valid ({})", v.code.as_str()),
            None,
        ))
    }
}

pub fn verify(connection: &Connection, args: &VerifyArgs) -> Result<(), Failure> {
    let resolved = connection.resolve()?;
    let key_text = resolved.public_key.ok_or_else(|| {
        Failure::usage(
            "no public key",
            "pass --public-key HEX (the account's Ed25519 key, or a PEM key)",
        )
    })?;
    let key = VerifyingKey::parse(key_text.trim()).map_err(|e| {
        Failure::usage(
            format!("the public key is not usable: {e}"),
            "pass the hex Ed25519 key or a PEM file's text",
        )
    })?;
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| Failure::new(USAGE, format!("{}: {e}", args.file.display()), None))?;
    let now = match &args.at {
        Some(at) => OffsetDateTime::parse(at, &Rfc3339)
            .map_err(|_| {
                Failure::usage(
                    format!("'{at}' is not an RFC 3339 time"),
                    "for example 2026-01-31T12:00:00Z",
                )
            })?
            .into(),
        None => latchkey_sdk::config::Clock::now(&latchkey_sdk::config::SystemClock),
    };
    let file = verify_file(
        &text,
        &key,
        args.key.as_deref(),
        args.fingerprint.as_deref(),
        now,
    )
    .map_err(|e| {
        if let Error::Offline(OfflineError::SecretRequired) = e {
            return Failure::usage(
                "the signature is good but the file is encrypted",
                "pass --key (and --fingerprint for a machine file) to decrypt it",
            );
        }
        Failure::from(e)
    })?;
    println!(
        "{}",
        serde_json::to_string_pretty(file.contents.document()).unwrap_or_default()
    );
    eprintln!(
        "verified: signature good, {}",
        match file.expiry {
            Some(expiry) => format!(
                "valid until {}",
                expiry.format(&Rfc3339).unwrap_or_default()
            ),
            None => "no expiry".into(),
        }
    );
    Ok(())
}
