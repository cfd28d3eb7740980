//! JSON:API resource objects, one module per resource type. A leaf layer: it
//! depends on store rows and core rules, never on the resource folders, so any
//! handler may render any resource (includes, relationship routes) without an
//! import circle.

pub mod components;
pub mod entitlements;
pub mod groups;
pub mod keys;
pub mod licenses;
pub mod logs;
pub mod machines;
pub mod policies;
pub mod processes;
pub mod products;
pub mod releases;
pub mod second_factors;
pub mod tokens;
pub mod users;
pub mod webhooks;
