//! Keep a machine alive with heartbeats (policies with `requireHeartbeat`), and stop
//! working when the server declares it dead.
//!
//! ```sh
//! LATCHKEY_URL=… LATCHKEY_PUBLIC_KEY=… LICENSE_KEY=… cargo run -p latchkey-sdk --example heartbeat
//! ```

use latchkey_sdk::fingerprint::Fingerprinter;
use latchkey_sdk::{Client, Config, Error, MachineInfo};

fn var(name: &str) -> Result<String, Error> {
    std::env::var(name).map_err(|_| Error::Config(format!("set {name}")))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let key = var("LICENSE_KEY")?;
    let config = Config::new(var("LATCHKEY_URL")?)
        .public_key(&var("LATCHKEY_PUBLIC_KEY")?)?
        .license_key(key.clone());
    let client = Client::new(config)?;
    let fingerprint = Fingerprinter::new("com.example.heartbeat").machine()?;
    client
        .activate_if_needed(&key, &MachineInfo::new(fingerprint.clone()))
        .await?;
    let machine = client.machine(&fingerprint).await?;
    let mut heartbeat = client.start_heartbeat(&machine);
    println!("pinging every {:?}; Ctrl-C to stop", heartbeat.interval());
    tokio::select! {
        reason = heartbeat.dead() => {
            eprintln!("machine is dead: {reason}");
            std::process::exit(1);
        }
        _ = tokio::signal::ctrl_c() => println!("stopping; the seat is released when the heartbeat lapses"),
    }
    Ok(())
}
