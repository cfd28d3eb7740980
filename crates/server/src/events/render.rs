//! Renders an event's payload — the JSON:API document of the resource it is about —
//! from the snapshot the store took in the writing transaction, at the endpoint's
//! API version. Facts a serializer needs besides the row (a license's policy and
//! counts, a machine's license) are read now; when they are gone too (a cascade),
//! the document falls back to the snapshot's columns as attributes, so a deleted
//! resource still delivers its last state.

use crate::account::Account;
use crate::api::v1::serializers as s;
use crate::state::AppState;
use crate::version::{ApiVersion, CURRENT, migrate};
use latchkey_store::webhook_events::WebhookEventRow;
use latchkey_store::{StoreError, licenses, policies};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn row<T: DeserializeOwned>(snapshot: &Value) -> Option<T> {
    serde_json::from_value(snapshot.get("row")?.clone()).ok()
}

async fn license_parts(
    state: &AppState,
    account: &Account,
    license_id: &str,
) -> Result<Option<(licenses::LicenseRow, policies::PolicyRow)>, StoreError> {
    let Some(license) = licenses::find(&state.db, account.id(), license_id).await? else {
        return Ok(None);
    };
    let policy = policies::find(&state.db, account.id(), &license.policy_id).await?;
    Ok(policy.map(|policy| (license, policy)))
}

/// The resource object for `kind` from `snapshot`, or `None` when a fact it needs
/// is gone.
async fn resource(
    state: &AppState,
    account: &Account,
    kind: &str,
    snapshot: &Value,
) -> Result<Option<Value>, StoreError> {
    let now = state.now_ms();
    Ok(match kind {
        "products" => row(snapshot).map(|r| s::products::product(account, &r)),
        "policies" => row(snapshot).map(|r| s::policies::policy(account, &r)),
        "users" => row(snapshot).map(|r| s::users::user(account, &r)),
        "groups" => row(snapshot).map(|r| s::groups::group(account, &r)),
        "entitlements" => row(snapshot).map(|r| s::entitlements::entitlement(account, &r)),
        "keys" => row(snapshot).map(|r| s::keys::key(account, &r)),
        "releases" => row(snapshot).map(|r| s::releases::release(account, &r)),
        "artifacts" => row(snapshot).map(|r| s::releases::artifact(account, &r)),
        "packages" => row(snapshot).map(|r| s::releases::package(account, &r)),
        // Webhooks never carry a token's secret.
        "tokens" => row(snapshot).map(|r| s::tokens::token(account, &r, None)),
        // Nor a second factor's secret (Keygen's webhook context).
        "second-factors" => {
            row(snapshot).map(|r| s::second_factors::second_factor(account, &r, None))
        }
        "licenses" => {
            let Some(license) = row::<licenses::LicenseRow>(snapshot) else {
                return Ok(None);
            };
            let Some(policy) = policies::find(&state.db, account.id(), &license.policy_id).await?
            else {
                return Ok(None);
            };
            let view = s::licenses::LicenseView {
                license: &license,
                policy: &policy,
                owner_banned: licenses::owner_banned(&state.db, license.owner_id.as_deref())
                    .await?,
                counts: licenses::counts(&state.db, &license.id).await?,
                now_ms: now,
            };
            Some(s::licenses::license(account, &view))
        }
        "machines" => {
            let Some(m) = row::<latchkey_store::machines::MachineRow>(snapshot) else {
                return Ok(None);
            };
            license_parts(state, account, &m.license_id)
                .await?
                .map(|(l, p)| s::machines::machine(account, &m, &l, &p, now))
        }
        "processes" => {
            let Some(p) = row::<latchkey_store::processes::ProcessRow>(snapshot) else {
                return Ok(None);
            };
            license_parts(state, account, &p.license_id)
                .await?
                .map(|(l, policy)| s::processes::process(account, &p, &l, &policy, now, None))
        }
        "components" => {
            let Some(c) = row::<latchkey_store::components::ComponentRow>(snapshot) else {
                return Ok(None);
            };
            licenses::find(&state.db, account.id(), &c.license_id)
                .await?
                .map(|l| s::components::component(account, &c, &l.product_id))
        }
        _ => None,
    })
}

/// The payload text of `event` (the resource document, with the event's `meta`).
pub async fn payload(
    state: &AppState,
    account: &Account,
    event: &WebhookEventRow,
) -> Result<String, StoreError> {
    let snapshot: Value = serde_json::from_str(&event.snapshot).unwrap_or(Value::Null);
    let data = match resource(state, account, &event.resource_type, &snapshot).await? {
        Some(data) => data,
        None => json!({
            "id": event.resource_id,
            "type": event.resource_type,
            "attributes": snapshot.get("row").cloned().unwrap_or(Value::Null),
        }),
    };
    let mut document = json!({ "data": data });
    if let Some(meta) = snapshot.get("meta").filter(|m| !m.is_null()) {
        document["meta"] = meta.clone();
    }
    let version = ApiVersion::parse(&event.api_version).unwrap_or(CURRENT);
    migrate(&mut document, version, 200);
    Ok(document.to_string())
}
