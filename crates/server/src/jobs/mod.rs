//! Background work that must not sit on the request path.

pub mod cull;
pub mod notices;
pub mod prune;
pub mod scheduled;
pub mod touch;
