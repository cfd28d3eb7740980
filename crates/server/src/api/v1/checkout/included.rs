//! The `included` resources of a checked-out file. Each resource appears once, in the
//! order its include was asked for.

use crate::account::Account;
use crate::api::v1::licenses;
use crate::error::ApiResult;
use crate::state::AppState;
use latchkey_store::crud;
use latchkey_store::groups::GroupRow;
use latchkey_store::licenses::LicenseRow;
use latchkey_store::policies::PolicyRow;
use latchkey_store::products::ProductRow;
use latchkey_store::users::UserRow;
use serde_json::Value;

/// Collected resources, deduplicated by `(type, id)`.
#[derive(Default)]
pub struct Included {
    resources: Vec<Value>,
}

impl Included {
    /// Adds `resource` unless it is already there.
    pub fn push(&mut self, resource: Value) {
        let same = |r: &Value| r["type"] == resource["type"] && r["id"] == resource["id"];
        if !self.resources.iter().any(same) {
            self.resources.push(resource);
        }
    }

    /// Whether `(kind, id)` is already included.
    pub fn contains(&self, kind: &str, id: &str) -> bool {
        self.resources
            .iter()
            .any(|r| r["type"] == kind && r["id"] == id)
    }

    /// The `included` array.
    pub fn into_value(self) -> Value {
        Value::Array(self.resources)
    }
}

async fn group(state: &AppState, account: &Account, id: Option<&str>) -> ApiResult<Option<Value>> {
    let Some(id) = id else { return Ok(None) };
    let row: Option<GroupRow> = crud::find(
        &state.db,
        latchkey_store::groups::TABLE,
        latchkey_store::groups::COLUMNS,
        account.id(),
        id,
    )
    .await?;
    Ok(row.map(|g| crate::api::v1::serializers::groups::group(account, &g)))
}

/// A user resource by id, if it exists.
pub async fn user(
    state: &AppState,
    account: &Account,
    id: Option<&str>,
) -> ApiResult<Option<Value>> {
    let Some(id) = id else { return Ok(None) };
    let row: Option<UserRow> = latchkey_store::users::find(&state.db, account.id(), id).await?;
    Ok(row.map(|u| crate::api::v1::serializers::users::user(account, &u)))
}

/// Adds the license-relative includes (`entitlements`, `product`, `policy`, `group`,
/// `owner`, `users`; `environment` has nothing to add) for `license`.
pub async fn add_for_license(
    included: &mut Included,
    state: &AppState,
    account: &Account,
    license: &LicenseRow,
    policy: &PolicyRow,
    names: &[&str],
) -> ApiResult<()> {
    for name in names {
        match *name {
            "entitlements" => {
                let rows =
                    latchkey_store::entitlements::of_license(&state.db, &license.id, &policy.id)
                        .await?;
                for row in rows {
                    included.push(crate::api::v1::serializers::entitlements::entitlement(
                        account, &row,
                    ));
                }
            }
            "product" => {
                let row: Option<ProductRow> = crud::find(
                    &state.db,
                    latchkey_store::products::TABLE,
                    latchkey_store::products::COLUMNS,
                    account.id(),
                    &license.product_id,
                )
                .await?;
                if let Some(row) = row {
                    included.push(crate::api::v1::serializers::products::product(
                        account, &row,
                    ));
                }
            }
            "policy" => included.push(crate::api::v1::serializers::policies::policy(
                account, policy,
            )),
            "group" => {
                if let Some(g) = group(state, account, license.group_id.as_deref()).await? {
                    included.push(g);
                }
            }
            "owner" => {
                if let Some(u) = user(state, account, license.owner_id.as_deref()).await? {
                    included.push(u);
                }
            }
            "users" => {
                if let Some(u) = user(state, account, license.owner_id.as_deref()).await? {
                    included.push(u);
                }
                let rows = latchkey_store::license_users::attached(&state.db, &license.id).await?;
                for row in rows {
                    included.push(crate::api::v1::serializers::users::user(account, &row));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Adds the rendered license itself.
pub async fn add_license(
    included: &mut Included,
    state: &AppState,
    account: &Account,
    license: &LicenseRow,
    policy: &PolicyRow,
) -> ApiResult<()> {
    if !included.contains("licenses", &license.id) {
        included.push(licenses::render(state, account, license, policy).await?);
    }
    Ok(())
}

/// Adds a group by id (machine files' `group`).
pub async fn add_group(
    included: &mut Included,
    state: &AppState,
    account: &Account,
    id: Option<&str>,
) -> ApiResult<()> {
    if let Some(g) = group(state, account, id).await? {
        included.push(g);
    }
    Ok(())
}
