//! `entitlements` (feature flags by code) and their attachment to policies and licenses.

use crate::{Db, Result, sql};

crate::table!(
    /// An entitlement; `code` unique per account.
    EntitlementRow, "entitlements" {
        id: String,
        account_id: String,
        name: String,
        code: String,
        metadata: String,
        created_at: i64,
        updated_at: i64,
    }
);

/// Codes granted to a license: its policy's entitlements plus its own.
pub async fn codes_for_license(db: &Db, license_id: &str, policy_id: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = db
        .fetch_all(
            sql("SELECT e.code FROM entitlements e JOIN policy_entitlements pe ON pe.entitlement_id = e.id \
                 WHERE pe.policy_id = $1 \
                 UNION SELECT e.code FROM entitlements e JOIN license_entitlements le ON le.entitlement_id = e.id \
                 WHERE le.license_id = $2")
            .bind(policy_id)
            .bind(license_id),
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Finds by UUID or code among the entitlements matching `scope` (the caller's
/// visibility; empty for the whole account).
pub async fn find_visible(
    db: &Db,
    account: &str,
    id_or_code: &str,
    scope: Vec<crate::crud::Filter>,
) -> Result<Option<EntitlementRow>> {
    crate::crud::find_by_alias(
        db,
        TABLE,
        COLUMNS,
        account,
        id_or_code,
        ("code", id_or_code),
        scope,
    )
    .await
}
