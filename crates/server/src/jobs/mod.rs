//! Background work that must not sit on the request path.

pub mod touch;
