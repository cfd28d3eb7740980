//! Exit codes scripts can rely on (0 is success), and the one-line-plus-hint error
//! report.

use std::fmt;
use std::process::ExitCode;

use latchkey_sdk::Error;

/// Anything not covered below.
pub const FAILURE: u8 = 1;
/// Bad command line or missing configuration.
pub const USAGE: u8 = 2;
/// The license is not valid (validate, activate).
pub const INVALID: u8 = 3;
/// The server refused the request (a 4xx error).
pub const REFUSED: u8 = 4;
/// The server could not be reached or failed (network error, 5xx).
pub const UNAVAILABLE: u8 = 5;
/// A signature, digest, file or clock check failed: nothing was trusted.
pub const UNTRUSTED: u8 = 6;

/// A failed command: what went wrong, what to do about it, and the exit code.
#[derive(Debug)]
pub struct Failure {
    /// Exit code.
    pub code: u8,
    /// One line.
    pub message: String,
    /// What to try.
    pub hint: Option<String>,
}

impl Failure {
    /// A failure with a code.
    pub fn new(code: u8, message: impl Into<String>, hint: Option<&str>) -> Self {
        Failure {
            code,
            message: message.into(),
            hint: hint.map(str::to_owned),
        }
    }

    /// A usage or configuration problem.
    pub fn usage(message: impl Into<String>, hint: &str) -> Self {
        Failure::new(USAGE, message, Some(hint))
    }

    /// Prints the report to stderr and returns the exit code.
    pub fn report(&self) -> ExitCode {
        eprintln!("error: {}", self.message);
        if let Some(hint) = &self.hint {
            eprintln!("hint: {hint}");
        }
        ExitCode::from(self.code)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let message = error.to_string();
        match &error {
            Error::Config(_) => Failure::new(
                USAGE,
                message,
                Some("check the flags and LATCHKEY_* variables"),
            ),
            Error::Network(_) => Failure::new(
                UNAVAILABLE,
                message,
                Some("is the server running and the URL right?"),
            ),
            Error::Api { status, .. } if *status >= 500 => Failure::new(
                UNAVAILABLE,
                message,
                Some("the server failed; try again later"),
            ),
            Error::Api { status: 401, .. } => Failure::new(
                REFUSED,
                message,
                Some("check the token (or run `latchkey login`)"),
            ),
            Error::Api { status: 403, .. } => {
                Failure::new(REFUSED, message, Some("this credential may not do that"))
            }
            Error::Api { status: 404, .. } => {
                Failure::new(REFUSED, message, Some("check the id, and the --account"))
            }
            Error::Api { .. } => Failure::new(REFUSED, message, None),
            Error::Invalid(_) => Failure::new(INVALID, message, None),
            Error::Untrusted(_) => Failure::new(
                UNTRUSTED,
                message,
                Some("check --public-key and the system clock; a proxy may be altering responses"),
            ),
            Error::Offline(_) | Error::ClockTampered { .. } => {
                Failure::new(UNTRUSTED, message, None)
            }
            Error::Protocol(_) | Error::Io(_) => Failure::new(FAILURE, message, None),
        }
    }
}

impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Self {
        Failure::new(FAILURE, error.to_string(), None)
    }
}
