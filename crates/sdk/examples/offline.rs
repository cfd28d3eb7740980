//! Work offline: while online, check out a machine file and cache it; when the server
//! is unreachable, verify the cached file (signature, decryption with the license key
//! and fingerprint, expiry, clock tampering) and keep working until it expires.
//!
//! ```sh
//! LATCHKEY_URL=… LATCHKEY_PUBLIC_KEY=… LICENSE_KEY=… cargo run -p latchkey-sdk --example offline
//! ```

use latchkey_sdk::fingerprint::Fingerprinter;
use latchkey_sdk::offline::{CheckOut, OfflineCache};
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
    let fingerprint = Fingerprinter::new("com.example.offline").machine()?;
    let cache = OfflineCache::open(std::env::temp_dir().join("latchkey-example-cache"))?;

    match client
        .activate_if_needed(&key, &MachineInfo::new(fingerprint.clone()))
        .await
    {
        Ok(_) => {
            let options = CheckOut {
                ttl: Some(7 * 24 * 3600),
                include: vec!["license".into(), "license.entitlements".into()],
                ..CheckOut::default()
            };
            let file = client.check_out_machine(&fingerprint, &options).await?;
            cache.save_machine_file(&fingerprint, &file)?;
            println!("online: license valid; machine file cached for a week");
        }
        Err(Error::Network(e)) => {
            let file = cache.verify_machine(
                client.config().public_keys(),
                &key,
                &fingerprint,
                client.config().now(),
            )?;
            println!("offline ({e}); cached file valid until {:?}", file.expiry);
        }
        Err(e) => return Err(e),
    }
    Ok(())
}
