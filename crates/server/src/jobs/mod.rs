//! Background work that must not sit on the request path.

pub mod cull;
pub mod prune;
pub mod touch;
