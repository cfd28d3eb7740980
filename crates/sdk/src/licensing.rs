//! The online licensing flow of an application: validate, activate when needed,
//! deactivate, list machines, check in, usage, entitlements.

use latchkey_proto::codes::ValidationCode;
use reqwest::Method;
use serde_json::{Value, json};

use crate::client::{Client, Request};
use crate::config::Credential;
use crate::error::{Error, TrustError};
use crate::resources::{Entitlement, License, Machine, data, resource};
use crate::validation::{Scope, Validation};

/// What an activation tells the server about this machine.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MachineInfo {
    /// The machine fingerprint (see [`crate::fingerprint`]).
    pub fingerprint: String,
    /// Component fingerprints, each `(name, fingerprint)` (e.g. `("disk", "…")`).
    pub components: Vec<(String, String)>,
    /// A display name.
    pub name: Option<String>,
    /// Hostname.
    pub hostname: Option<String>,
    /// Platform (`linux`, `macos`, `windows`, …).
    pub platform: Option<String>,
    /// CPU cores (for core-limited policies).
    pub cores: Option<i64>,
}

impl MachineInfo {
    /// Info with only a fingerprint.
    pub fn new(fingerprint: impl Into<String>) -> Self {
        MachineInfo {
            fingerprint: fingerprint.into(),
            ..MachineInfo::default()
        }
    }

    fn scope(&self) -> Scope {
        Scope::fingerprint(self.fingerprint.clone())
            .with_components(self.components.iter().map(|(_, fp)| fp.clone()))
    }
}

/// The outcome of [`Client::activate_if_needed`].
#[derive(Debug, Clone, PartialEq)]
pub struct Activation {
    /// The final, valid validation.
    pub validation: Validation,
    /// The machine this call created, `None` when the machine was already activated.
    pub activated: Option<Machine>,
}

impl Client {
    /// Validates a license key (`POST /licenses/actions/validate-key`). Sends a random
    /// nonce and refuses an answer that does not echo it. An unknown key is not an
    /// error: the verdict says `NOT_FOUND`.
    pub async fn validate_key(&self, key: &str, scope: &Scope) -> Result<Validation, Error> {
        let nonce: u32 = rand::random::<u32>() & 0x7fff_ffff;
        let body = json!({ "meta": {
            "key": key,
            "scope": scope.to_json(self.config().product.as_deref()),
            "nonce": nonce,
        }});
        let response = self
            .send(Request::new(Method::POST, "licenses/actions/validate-key").json(body))
            .await?;
        check_nonce(&response.body, nonce)?;
        Validation::from_body(&response.body)
    }

    /// Validates a license by id (`POST /licenses/{id}/actions/validate`); needs a
    /// credential that may read the license (its key, or a token).
    pub async fn validate(&self, license_id: &str, scope: &Scope) -> Result<Validation, Error> {
        let nonce: u32 = rand::random::<u32>() & 0x7fff_ffff;
        let body = json!({ "meta": {
            "scope": scope.to_json(self.config().product.as_deref()),
            "nonce": nonce,
        }});
        let path = format!("licenses/{}/actions/validate", segment(license_id)?);
        let response = self
            .send(Request::new(Method::POST, &path).json(body))
            .await?;
        check_nonce(&response.body, nonce)?;
        Validation::from_body(&response.body)
    }

    /// Activates this machine for a license (`POST /machines`), authenticated with the
    /// configured credential or, when none is configured, with `key` itself.
    pub async fn activate(
        &self,
        license: &License,
        key: &str,
        info: &MachineInfo,
    ) -> Result<Machine, Error> {
        let mut attributes = json!({ "fingerprint": info.fingerprint });
        for (name, value) in [
            ("name", &info.name),
            ("hostname", &info.hostname),
            ("platform", &info.platform),
        ] {
            if let Some(v) = value {
                attributes[name] = json!(v);
            }
        }
        if let Some(cores) = info.cores {
            attributes["cores"] = json!(cores);
        }
        let mut relationships =
            json!({ "license": { "data": { "type": "licenses", "id": license.id } } });
        if !info.components.is_empty() {
            let components: Vec<Value> = info
                .components
                .iter()
                .map(|(name, fp)| json!({ "type": "components", "attributes": { "name": name, "fingerprint": fp } }))
                .collect();
            relationships["components"] = json!({ "data": components });
        }
        let body = json!({ "data": { "type": "machines", "attributes": attributes, "relationships": relationships } });
        let fallback = Credential::LicenseKey(key.to_owned());
        let mut request = Request::new(Method::POST, "machines").json(body);
        if matches!(self.config().credential(), Credential::None) {
            request = request.credential(&fallback);
        }
        let response = self.send(request).await?;
        Ok(Machine::from_resource(data(&response.body, "machines")?))
    }

    /// The whole activation flow of an application start: validate the key for this
    /// machine; when the verdict is that the machine is not activated (`NO_MACHINE`,
    /// `NO_MACHINES`, `FINGERPRINT_SCOPE_MISMATCH`) activate it and validate again.
    /// Returns the valid verdict, or [`Error::Invalid`] with the verdict that refused
    /// the license. Calling it on an activated machine is a plain validation.
    pub async fn activate_if_needed(
        &self,
        key: &str,
        info: &MachineInfo,
    ) -> Result<Activation, Error> {
        let scope = info.scope();
        let first = self.validate_key(key, &scope).await?;
        if first.valid {
            return Ok(Activation {
                validation: first,
                activated: None,
            });
        }
        if !first.needs_activation() {
            return Err(Error::Invalid(Box::new(first)));
        }
        let license = first
            .license
            .clone()
            .ok_or_else(|| Error::Protocol("a not-activated verdict without its license".into()))?;
        let machine = self.activate(&license, key, info).await?;
        let second = self.validate_key(key, &scope).await?;
        if !second.valid {
            return Err(Error::Invalid(Box::new(second)));
        }
        Ok(Activation {
            validation: second,
            activated: Some(machine),
        })
    }

    /// Deactivates a machine (`DELETE /machines/{id}`; id or fingerprint), freeing
    /// its seat.
    pub async fn deactivate(&self, machine: &str) -> Result<(), Error> {
        self.delete(&format!("machines/{}", segment(machine)?))
            .await
    }

    /// One machine by id or fingerprint.
    pub async fn machine(&self, machine: &str) -> Result<Machine, Error> {
        let body = self.get(&format!("machines/{}", segment(machine)?)).await?;
        Ok(Machine::from_resource(data(&body, "machines")?))
    }

    /// Every machine of a license, all pages.
    pub async fn machines(&self, license_id: &str) -> Result<Vec<Machine>, Error> {
        let path = format!("licenses/{}/machines", segment(license_id)?);
        let mut machines = Vec::new();
        for page in 1.. {
            let response = self
                .send(
                    Request::new(Method::GET, &path)
                        .query("page[size]", "100")
                        .query("page[number]", page.to_string()),
                )
                .await?;
            let items = list(&response.body, "machines")?;
            let done = items.len() < 100;
            machines.extend(items.into_iter().map(Machine::from_resource));
            if done {
                break;
            }
        }
        Ok(machines)
    }

    /// The license by id or key.
    pub async fn license(&self, license: &str) -> Result<License, Error> {
        let body = self.get(&format!("licenses/{}", segment(license)?)).await?;
        Ok(License::from_resource(data(&body, "licenses")?))
    }

    /// Every entitlement the license holds (its own and its policy's).
    pub async fn entitlements(&self, license_id: &str) -> Result<Vec<Entitlement>, Error> {
        let path = format!("licenses/{}/entitlements", segment(license_id)?);
        let response = self
            .send(Request::new(Method::GET, &path).query("page[size]", "100"))
            .await?;
        Ok(list(&response.body, "entitlements")?
            .iter()
            .map(Entitlement::from_resource)
            .collect())
    }

    /// Whether the license holds every entitlement in `codes`, asked of the server as
    /// a validation with an entitlements scope (so the answer is signed): `false` for
    /// `ENTITLEMENTS_MISSING`, [`Error::Invalid`] when the license fails for another
    /// reason first (expired, suspended, …).
    pub async fn has_entitlements(
        &self,
        key: &str,
        scope: &Scope,
        codes: &[&str],
    ) -> Result<bool, Error> {
        let scope = scope.clone().with_entitlements(codes.iter().copied());
        let v = self.validate_key(key, &scope).await?;
        match v.code {
            _ if v.valid => Ok(true),
            ValidationCode::EntitlementsMissing => Ok(false),
            _ => Err(Error::Invalid(Box::new(v))),
        }
    }

    /// Checks a license in (`POST /licenses/{id}/actions/check-in`), for policies that
    /// require periodic check-ins.
    pub async fn check_in(&self, license_id: &str) -> Result<License, Error> {
        let body = self
            .post(
                &format!("licenses/{}/actions/check-in", segment(license_id)?),
                Value::Null,
            )
            .await?;
        Ok(License::from_resource(data(&body, "licenses")?))
    }

    /// Adds `by` to the license's usage counter; refused with `USAGE_EXCEEDED`-style
    /// errors past the policy's `maxUses`.
    pub async fn increment_usage(&self, license_id: &str, by: u32) -> Result<License, Error> {
        self.usage(license_id, "increment-usage", by).await
    }

    /// Subtracts `by` from the license's usage counter.
    pub async fn decrement_usage(&self, license_id: &str, by: u32) -> Result<License, Error> {
        self.usage(license_id, "decrement-usage", by).await
    }

    async fn usage(&self, license_id: &str, action: &str, by: u32) -> Result<License, Error> {
        let key = if action == "increment-usage" {
            "increment"
        } else {
            "decrement"
        };
        let body = self
            .post(
                &format!("licenses/{}/actions/{action}", segment(license_id)?),
                json!({ "meta": { key: by } }),
            )
            .await?;
        Ok(License::from_resource(data(&body, "licenses")?))
    }
}

/// One path segment from an id, key or fingerprint, percent-encoded.
pub(crate) fn segment(value: &str) -> Result<String, Error> {
    if value.is_empty() || value == "." || value == ".." {
        // URL parsing would resolve dot segments and address another path.
        return Err(Error::Config(format!("'{value}' cannot name a resource")));
    }
    Ok(percent_encoding::utf8_percent_encode(value, crate::client::SEGMENT).to_string())
}

pub(crate) fn list(
    body: &Value,
    kind: &str,
) -> Result<Vec<latchkey_proto::jsonapi::Resource>, Error> {
    body["data"]
        .as_array()
        .ok_or_else(|| Error::Protocol(format!("expected a list of {kind}")))?
        .iter()
        .map(|item| resource(item, kind))
        .collect()
}

fn check_nonce(body: &Value, nonce: u32) -> Result<(), Error> {
    match body["meta"].get("nonce") {
        Some(echoed) if echoed.as_u64() == Some(u64::from(nonce)) => Ok(()),
        _ => Err(TrustError::NonceMismatch.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_keep_keys_readable_and_escape_the_rest() {
        assert_eq!(segment("ABC123-DEF456-V3").unwrap(), "ABC123-DEF456-V3");
        assert_eq!(segment("a/b?c#d e").unwrap(), "a%2Fb%3Fc%23d%20e");
        assert_eq!(segment("...").unwrap(), "...");
        for bad in ["", ".", ".."] {
            assert!(segment(bad).is_err(), "{bad:?}");
        }
    }
}
