//! The wire contract shared by the Latchkey server, SDK and CLI: JSON:API document
//! shapes, Keygen's validation and error codes, and the offline formats (license files,
//! machine files, signed keys, response signatures) with their verification.

pub mod codes;
pub mod error_code;
pub mod jsonapi;
pub mod offline;
pub mod time_format;

pub use error_code::ErrorCode;
