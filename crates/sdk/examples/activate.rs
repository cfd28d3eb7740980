//! The activation flow of an application start (Keygen's seed example): fingerprint
//! this machine, validate the key, activate when this machine is new, validate again.
//!
//! ```sh
//! LATCHKEY_URL=http://127.0.0.1:3000 LATCHKEY_PUBLIC_KEY=<hex> LICENSE_KEY=<key> \
//!   cargo run -p latchkey-sdk --example activate
//! ```

use latchkey_sdk::fingerprint::Fingerprinter;
use latchkey_sdk::{Client, Config, Error, MachineInfo};

fn var(name: &str) -> Result<String, Error> {
    std::env::var(name).map_err(|_| Error::Config(format!("set {name}")))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = Config::new(var("LATCHKEY_URL")?).public_key(&var("LATCHKEY_PUBLIC_KEY")?)?;
    let client = Client::new(config)?;
    let fingerprinter = Fingerprinter::new("com.example.activate");
    let mut info = MachineInfo::new(fingerprinter.machine()?);
    info.components = fingerprinter
        .components()
        .into_iter()
        .map(|c| (c.name.to_owned(), c.fingerprint))
        .collect();
    match client.activate_if_needed(&var("LICENSE_KEY")?, &info).await {
        Ok(activation) if activation.activated.is_some() => {
            println!("activated this machine: {}", activation.validation.detail)
        }
        Ok(activation) => println!("license valid: {}", activation.validation.detail),
        Err(Error::Invalid(verdict)) => {
            eprintln!("license not valid: {} ({:?})", verdict.detail, verdict.code);
            std::process::exit(1);
        }
        Err(e) => return Err(e),
    }
    Ok(())
}
