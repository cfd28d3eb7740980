//! Signing and encryption of Keygen artefacts, the server's half of the offline formats
//! whose verification lives in `latchkey_proto::offline`:
//!
//! * [`keys`]: an account's Ed25519, ECDSA P-256 and RSA-2048 key pairs and the [`Signer`];
//! * [`license_file`]: license and machine file certificates (check-out);
//! * [`signed_key`]: cryptographic license keys for every policy scheme;
//! * [`response_signature`]: `Date`, `Digest` and `Keygen-Signature` on responses/webhooks;
//! * [`sealed`]: AES-256-GCM encryption at rest of account secrets.
//!
//! Nothing here reads the clock; times are arguments.

mod error;
pub mod keys;
pub mod license_file;
pub mod response_signature;
pub mod sealed;
pub mod signed_key;

pub use error::CryptoError;
pub use keys::{AccountKeys, PublicKeyForms, Signer};
