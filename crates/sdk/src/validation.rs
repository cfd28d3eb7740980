//! License validation: the verdict, its scope, and the request that asks for it.

use latchkey_proto::codes::ValidationCode;
use serde_json::{Map, Value, json};

use crate::resources::{License, resource};

/// What a validation checks beyond the key itself (Keygen's `meta.scope`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scope {
    /// This machine's fingerprint: the license must be activated on it.
    pub fingerprint: Option<String>,
    /// Component fingerprints of this machine (matched per the policy's
    /// `componentMatchingStrategy`, so a replaced disk can keep a machine valid).
    pub components: Vec<String>,
    /// Entitlement codes the license must hold.
    pub entitlements: Vec<String>,
    /// Product id the license must belong to (defaults to the configured product).
    pub product: Option<String>,
    /// Policy id the license must belong to.
    pub policy: Option<String>,
    /// User id or email the license must belong to.
    pub user: Option<String>,
    /// Machine id the license must be activated on.
    pub machine: Option<String>,
    /// Checksum of the running release artifact (policies with
    /// `requireChecksumScope`): the license must be entitled to that artifact.
    pub checksum: Option<String>,
    /// Version of the running release (policies with `requireVersionScope`).
    pub version: Option<String>,
}

impl Scope {
    /// A scope with only a fingerprint.
    pub fn fingerprint(fingerprint: impl Into<String>) -> Self {
        Scope {
            fingerprint: Some(fingerprint.into()),
            ..Scope::default()
        }
    }

    /// Adds component fingerprints.
    pub fn with_components(mut self, components: impl IntoIterator<Item = String>) -> Self {
        self.components = components.into_iter().collect();
        self
    }

    /// Adds required entitlement codes.
    pub fn with_entitlements<S: Into<String>>(
        mut self,
        codes: impl IntoIterator<Item = S>,
    ) -> Self {
        self.entitlements = codes.into_iter().map(Into::into).collect();
        self
    }

    pub(crate) fn to_json(&self, default_product: Option<&str>) -> Value {
        let mut scope = Map::new();
        let mut put = |name: &str, value: Option<&str>| {
            if let Some(v) = value {
                scope.insert(name.to_owned(), json!(v));
            }
        };
        put("fingerprint", self.fingerprint.as_deref());
        put("product", self.product.as_deref().or(default_product));
        put("policy", self.policy.as_deref());
        put("user", self.user.as_deref());
        put("machine", self.machine.as_deref());
        put("checksum", self.checksum.as_deref());
        put("version", self.version.as_deref());
        if !self.components.is_empty() {
            scope.insert("components".into(), json!(self.components));
        }
        if !self.entitlements.is_empty() {
            scope.insert("entitlements".into(), json!(self.entitlements));
        }
        Value::Object(scope)
    }
}

/// The verdict of a validation.
#[derive(Debug, Clone, PartialEq)]
pub struct Validation {
    /// Whether the license is valid within the scope.
    pub valid: bool,
    /// Why (Keygen's validation code).
    pub code: ValidationCode,
    /// A human sentence from the server.
    pub detail: String,
    /// The server's timestamp of the validation (RFC 3339).
    pub timestamp: Option<String>,
    /// The scope the server checked (echoed).
    pub scope: Value,
    /// The license, `None` when the key was not found.
    pub license: Option<License>,
}

impl Validation {
    /// True when the code says this machine is simply not activated yet, so an
    /// activation followed by another validation can make the license valid.
    pub fn needs_activation(&self) -> bool {
        matches!(
            self.code,
            ValidationCode::NoMachine
                | ValidationCode::NoMachines
                | ValidationCode::FingerprintScopeMismatch
        )
    }

    pub(crate) fn from_body(body: &Value) -> Result<Self, crate::Error> {
        let meta = &body["meta"];
        let code: ValidationCode = serde_json::from_value(meta["code"].clone()).map_err(|_| {
            crate::Error::Protocol(format!("unknown validation code {}", meta["code"]))
        })?;
        let valid = meta["valid"]
            .as_bool()
            .ok_or_else(|| crate::Error::Protocol("validation without meta.valid".into()))?;
        let license = match &body["data"] {
            Value::Null => None,
            data => Some(License::from_resource(resource(data, "licenses")?)),
        };
        Ok(Validation {
            valid,
            code,
            detail: meta["detail"].as_str().unwrap_or_default().to_owned(),
            timestamp: meta["ts"].as_str().map(str::to_owned),
            scope: meta.get("scope").cloned().unwrap_or(Value::Null),
            license,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_json_names_every_set_field_and_omits_the_rest() {
        let scope = Scope {
            checksum: Some("abc".into()),
            version: Some("1.0.0".into()),
            ..Scope::fingerprint("fp")
        };
        assert_eq!(
            scope.to_json(Some("product-id")),
            json!({"fingerprint": "fp", "product": "product-id",
                   "checksum": "abc", "version": "1.0.0"})
        );
        assert_eq!(Scope::default().to_json(None), json!({}));
    }
}
