//! The saved connection (`latchkey login`): a TOML file private to its owner, at
//! `$LATCHKEY_PROFILE`, else `$XDG_CONFIG_HOME/latchkey/profile.toml`, else
//! `~/.config/latchkey/profile.toml`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::exit::{FAILURE, Failure};

/// What `latchkey login` saves.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Profile {
    /// Server base URL.
    pub url: Option<String>,
    /// Account id or slug.
    pub account: Option<String>,
    /// The token `login` created.
    pub token: Option<String>,
    /// The account's Ed25519 public key (hex), for verifying answers.
    pub public_key: Option<String>,
}

/// Where the profile lives.
pub fn path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("LATCHKEY_PROFILE") {
        return Some(PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("latchkey").join("profile.toml"))
}

impl Profile {
    /// The saved profile, if there is one.
    pub fn load() -> Result<Option<Profile>, Failure> {
        let Some(path) = path() else { return Ok(None) };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Failure::new(
                    FAILURE,
                    format!("{}: {e}", path.display()),
                    None,
                ));
            }
        };
        toml::from_str(&text).map(Some).map_err(|e| {
            Failure::new(
                FAILURE,
                format!("{}: {e}", path.display()),
                Some("fix or delete the file, then run `latchkey login` again"),
            )
        })
    }

    /// Writes the profile with mode 0600 (its folder 0700); returns where.
    pub fn save(&self) -> Result<PathBuf, Failure> {
        let path = path().ok_or_else(|| {
            Failure::usage("no place for the profile", "set HOME or LATCHKEY_PROFILE")
        })?;
        let text = toml::to_string(self).map_err(|e| Failure::new(FAILURE, e.to_string(), None))?;
        if let Some(parent) = path.parent() {
            latchkey_store::files::create_private_dir(parent)?;
        }
        // A fresh private file renamed over the old one: never readable by others,
        // never half-written.
        let tmp = path.with_extension("toml.tmp");
        let _ = std::fs::remove_file(&tmp);
        crate::write_private(&tmp, &text)
            .map_err(|e| Failure::new(FAILURE, format!("{e:#}"), None))?;
        std::fs::rename(&tmp, &path)?;
        Ok(path)
    }

    /// Deletes the saved profile; true when there was one.
    pub fn remove() -> Result<bool, Failure> {
        let Some(path) = path() else { return Ok(false) };
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}
