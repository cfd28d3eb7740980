//! Latchkey's licensing rules, free of I/O: time is always an argument.
//!
//! - [`access`]: who may do what, one module per resource (pure predicates).
//! - [`validation`]: Keygen's ordered license-validation checks, one rule per code.
//! - [`activation`]: machine limits, overage allowances and fingerprint uniqueness.
//! - [`heartbeat`], [`check_in`]: time arithmetic for heartbeats, expiry and check-ins.
//! - [`licensing`]: license status and effective limits.
//! - [`lifecycle`]: renewal, policy transfer and first-event expiry.
//! - [`policy`]: the policy strategies as typed enums.
//! - [`keys`], [`tokens`], [`password`], [`secret`]: license keys, API tokens, passwords, the server secret.
//! - [`second_factor`]: TOTP second factors (codes, drift, reuse, sealed secrets).
//! - [`crypto`]: signing and encryption of Keygen artefacts.

pub mod access;
pub mod activation;
pub mod check_in;
pub mod clock;
pub mod crypto;
pub mod duration_param;
pub mod heartbeat;
pub mod key_dataset;
pub mod keys;
pub mod licensing;
pub mod lifecycle;
pub mod limits;
pub mod notices;
pub mod password;
pub mod policy;
pub mod releases;
pub mod roles;
pub mod second_factor;
pub mod secret;
pub mod tokens;
pub mod validation;
pub mod webhooks;

pub use time::OffsetDateTime;
