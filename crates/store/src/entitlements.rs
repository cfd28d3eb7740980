//! `entitlements` (feature flags by code) and their attachment to policies and licenses.

use crate::crud::Filter;
use crate::{Db, Result, StoreError, Tx, sql};

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

/// The entitlements of a license: its policy's and its own, oldest first. The one
/// query behind `GET /licenses/{id}/entitlements`, license-file includes and the
/// validation snapshot's codes.
pub async fn of_license(db: &Db, license_id: &str, policy_id: &str) -> Result<Vec<EntitlementRow>> {
    db.fetch_all(
        sql(format!(
            "SELECT {COLUMNS} FROM entitlements WHERE \
             id IN (SELECT entitlement_id FROM policy_entitlements WHERE policy_id = $1) \
             OR id IN (SELECT entitlement_id FROM license_entitlements WHERE license_id = $2) \
             ORDER BY created_at, id"
        ))
        .bind(policy_id)
        .bind(license_id),
    )
    .await
}

/// Codes granted to a license: its policy's entitlements plus its own.
pub async fn codes_for_license(db: &Db, license_id: &str, policy_id: &str) -> Result<Vec<String>> {
    let rows = of_license(db, license_id, policy_id).await?;
    Ok(rows.into_iter().map(|r| r.code).collect())
}

/// Finds by UUID or code among the entitlements matching `scope` (the caller's
/// visibility; empty for the whole account).
pub async fn find_visible(
    db: &Db,
    account: &str,
    id_or_code: &str,
    scope: Vec<Filter>,
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

/// The entitlements `actor` may see: all for staff and products (`None`); for a
/// license, its policy's and its own; for a user, those of their licenses.
pub fn visible_to(actor: &latchkey_core::access::Actor<'_>) -> Option<Filter> {
    use latchkey_core::access::Actor;
    if latchkey_core::access::entitlements::sees_all(actor) {
        return None;
    }
    match actor {
        Actor::License { id, .. } => Some(Filter::new(
            "id IN (SELECT entitlement_id FROM policy_entitlements WHERE policy_id IN \
             (SELECT policy_id FROM licenses WHERE id = {}) \
             UNION SELECT entitlement_id FROM license_entitlements WHERE license_id = {})",
            vec![(*id).into(), (*id).into()],
        )),
        Actor::User { id, .. } => {
            let user = crate::licenses::USER_LICENSES;
            Some(Filter::new(
                format!(
                    "id IN (SELECT pe.entitlement_id FROM policy_entitlements pe JOIN licenses l ON l.policy_id = pe.policy_id \
                     WHERE l.id IN ({user}) \
                     UNION SELECT entitlement_id FROM license_entitlements WHERE license_id IN ({user}))"
                ),
                vec![(*id).into(), (*id).into(), (*id).into(), (*id).into()],
            ))
        }
        Actor::Product { .. } => None,
    }
}

/// An account's entitlements matching `filters` (e.g. metadata) that `actor` may see.
pub async fn list(
    db: &Db,
    account: &str,
    mut filters: Vec<Filter>,
    actor: &latchkey_core::access::Actor<'_>,
    page: &crate::page::Page,
    order: crate::page::Order,
) -> Result<(Vec<EntitlementRow>, Option<i64>)> {
    filters.extend(visible_to(actor));
    crate::crud::list(db, TABLE, COLUMNS, account, filters, page, order).await
}

/// Codes are unique per account regardless of case: whether another entitlement
/// than `except` has `code`.
async fn code_taken(tx: &mut Tx, account: &str, code: &str, except: &str) -> Result<bool> {
    let q = sql(format!(
        "SELECT id FROM {TABLE} WHERE account_id = $1 AND LOWER(code) = LOWER($2) AND id <> $3 LIMIT 1"
    ))
    .bind(account)
    .bind(code)
    .bind(except);
    Ok(tx.fetch_optional::<(String,)>(q).await?.is_some())
}

/// The code is taken (case-insensitively) in the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeTaken;

/// Inserts an entitlement unless its code is taken.
pub async fn create(db: &Db, row: &EntitlementRow) -> Result<std::result::Result<(), CodeTaken>> {
    let mut tx = db.begin().await?;
    if code_taken(&mut tx, &row.account_id, &row.code, &row.id).await? {
        return Ok(Err(CodeTaken));
    }
    match insert(&mut tx, row).await {
        Err(StoreError::Conflict(_)) => return Ok(Err(CodeTaken)),
        other => other?,
    }
    crate::outbox::emit(&mut tx, "entitlement.created", row, row.created_at).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// What `PATCH /entitlements/{id}` changes; a field left `None` keeps its column.
#[derive(Debug, Clone, Default)]
pub struct EntitlementChanges {
    /// The name.
    pub name: Option<String>,
    /// The code, unless another entitlement of the account has it.
    pub code: Option<String>,
    /// The metadata object, as JSON text.
    pub metadata: Option<String>,
}

/// Applies `changes`, the new code only if no other entitlement has it; returns the
/// updated row, `None` when gone.
pub async fn update(
    db: &Db,
    account: &str,
    id: &str,
    changes: EntitlementChanges,
    now: i64,
) -> Result<std::result::Result<Option<EntitlementRow>, CodeTaken>> {
    let mut tx = db.begin().await?;
    if let Some(code) = &changes.code
        && code_taken(&mut tx, account, code, id).await?
    {
        return Ok(Err(CodeTaken));
    }
    let changes = crate::edits::Columns::default()
        .set("name", changes.name)
        .set("metadata", changes.metadata)
        .set("code", changes.code)
        .into_vec();
    match crate::crud::update(&mut tx, TABLE, account, id, changes, now).await {
        Err(StoreError::Conflict(_)) => return Ok(Err(CodeTaken)),
        other => other?,
    };
    let updated: Option<EntitlementRow> =
        crate::crud::find_tx(&mut tx, TABLE, COLUMNS, account, id).await?;
    if let Some(row) = &updated {
        crate::outbox::emit(&mut tx, "entitlement.updated", row, now).await?;
    }
    tx.commit().await?;
    Ok(Ok(updated))
}

/// Deletes an entitlement (detached from every policy and license by cascade).
pub async fn delete(db: &Db, account: &str, id: &str, now: i64) -> Result<()> {
    let mut tx = db.begin().await?;
    crate::outbox::emit_current::<EntitlementRow>(
        &mut tx,
        TABLE,
        COLUMNS,
        account,
        id,
        "entitlement.deleted",
        now,
    )
    .await?;
    crate::crud::delete(&mut tx, TABLE, account, id).await?;
    tx.commit().await
}
