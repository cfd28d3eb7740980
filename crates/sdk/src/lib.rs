//! # latchkey-sdk
//!
//! License a Rust application with Latchkey (or Keygen itself: the API is the same).
//! The SDK fingerprints the machine, validates the license key, activates the machine
//! when needed, keeps a heartbeat, and works offline from a signed machine file. Every
//! response is verified against the account's public key before it is used.
//!
//! ```no_run
//! # async fn start() -> Result<(), latchkey_sdk::Error> {
//! use latchkey_sdk::{Client, Config, fingerprint::Fingerprinter, licensing::MachineInfo};
//!
//! let config = Config::new("https://licensing.example.com")
//!     .public_key_hex("e8601e48b69383ba520245fd07971e983d06d22c4257cfd82304601479cee788")?;
//! let client = Client::new(config)?;
//! let fingerprint = Fingerprinter::new("com.example.app").machine()?;
//! let activation = client
//!     .activate_if_needed("C1B6DE-39A6E3-DE1529-8559A0-4AF593-V3", &MachineInfo::new(fingerprint))
//!     .await?;
//! println!("licensed: {}", activation.validation.detail);
//! # Ok(()) }
//! ```
//!
//! Modules: [`config`] (where and who), [`client`] (signed HTTP), [`licensing`]
//! (validate, activate, machines, usage, entitlements), [`heartbeat`], [`process`],
//! [`offline`] (check-out, cache, verification, clock tampering), [`fingerprint`],
//! and [`blocking`] (a synchronous wrapper, feature `blocking`, on by default).

#[cfg(feature = "blocking")]
pub mod blocking;
pub mod client;
pub mod config;
pub mod error;
pub mod fingerprint;
pub mod heartbeat;
pub mod licensing;
pub mod offline;
pub mod process;
pub mod resources;
pub mod validation;

pub use client::Client;
pub use config::Config;
pub use error::{Error, TrustError};
pub use latchkey_proto::ErrorCode;
pub use latchkey_proto::codes::ValidationCode;
pub use latchkey_proto::offline::{KeyType, OfflineError, PublicKeys, VerifyingKey};
pub use licensing::{Activation, MachineInfo};
pub use resources::{Entitlement, License, Machine, Process};
pub use validation::{Scope, Validation};
