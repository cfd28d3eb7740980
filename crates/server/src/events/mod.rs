//! Webhooks, server side: the store records events in the writing transaction
//! (`latchkey_store::outbox`); here they are rendered ([`render`]) and delivered
//! ([`deliver`]) to URLs that pass [`target`]'s checks.

pub mod deliver;
pub mod render;
pub mod target;
pub mod validations;
