//! Entitlements attached to policies (`policy_entitlements`) and licenses
//! (`license_entitlements`). Each attach or detach is one transaction.

use crate::entitlements::{COLUMNS, EntitlementRow};
use crate::{Db, Result, StoreError, sql};

/// What entitlements attach to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder<'a> {
    /// A license (by id): its own entitlements, not its policy's.
    License(&'a str),
    /// A policy (by id).
    Policy(&'a str),
}

impl Holder<'_> {
    fn table_column(&self) -> (&'static str, &'static str) {
        match self {
            Holder::License(_) => ("license_entitlements", "license_id"),
            Holder::Policy(_) => ("policy_entitlements", "policy_id"),
        }
    }

    fn id(&self) -> &str {
        match self {
            Holder::License(id) | Holder::Policy(id) => id,
        }
    }

    /// Records `license.entitlements.{verb}` or `policy.entitlements.{verb}` about
    /// the holder as it is now, in `tx`.
    async fn announce(&self, tx: &mut crate::Tx, verb: &str, now: i64) -> Result<()> {
        match self {
            Holder::License(id) => {
                let table = (crate::licenses::TABLE, crate::licenses::COLUMNS);
                let name = format!("license.entitlements.{verb}");
                crate::outbox::emit_row::<crate::licenses::LicenseRow>(tx, table, id, &name, now)
                    .await
            }
            Holder::Policy(id) => {
                let table = (crate::policies::TABLE, crate::policies::COLUMNS);
                let name = format!("policy.entitlements.{verb}");
                crate::outbox::emit_row::<crate::policies::PolicyRow>(tx, table, id, &name, now)
                    .await
            }
        }
    }
}

/// The entitlements attached directly to `holder`, oldest first.
pub async fn attached(db: &Db, holder: Holder<'_>) -> Result<Vec<EntitlementRow>> {
    let (table, column) = holder.table_column();
    db.fetch_all(
        sql(format!(
            "SELECT {COLUMNS} FROM entitlements WHERE id IN \
             (SELECT entitlement_id FROM {table} WHERE {column} = $1) ORDER BY created_at, id"
        ))
        .bind(holder.id()),
    )
    .await
}

/// Attaches the entitlements (ids, distinct) to `holder` in one transaction.
/// `Some(i)` (nothing attached) when entitlement `i` is already attached.
pub async fn attach(
    db: &Db,
    account: &str,
    holder: Holder<'_>,
    entitlements: &[String],
    now: i64,
) -> Result<Option<usize>> {
    let (table, column) = holder.table_column();
    let mut tx = db.begin().await?;
    for (i, entitlement) in entitlements.iter().enumerate() {
        let exists: Option<(String,)> = tx
            .fetch_optional(
                sql(format!(
                    "SELECT entitlement_id FROM {table} WHERE {column} = $1 AND entitlement_id = $2"
                ))
                .bind(holder.id())
                .bind(entitlement),
            )
            .await?;
        if exists.is_some() {
            return Ok(Some(i));
        }
        let inserted = tx
            .execute(
                sql(format!(
                    "INSERT INTO {table} (account_id, {column}, entitlement_id, created_at) \
                     VALUES ($1, $2, $3, $4)"
                ))
                .bind(account)
                .bind(holder.id())
                .bind(entitlement)
                .bind(now),
            )
            .await;
        match inserted {
            Err(StoreError::Conflict(_)) => return Ok(Some(i)),
            other => other?,
        };
    }
    holder.announce(&mut tx, "attached", now).await?;
    tx.commit().await?;
    Ok(None)
}

/// Detaches the entitlements from `holder` in one transaction (`None` items are
/// entitlements that do not exist). `Some(i)` (nothing detached) when entitlement
/// `i` is missing or not attached.
pub async fn detach(
    db: &Db,
    holder: Holder<'_>,
    entitlements: &[Option<String>],
    now: i64,
) -> Result<Option<usize>> {
    let (table, column) = holder.table_column();
    let mut tx = db.begin().await?;
    for (i, entitlement) in entitlements.iter().enumerate() {
        let Some(entitlement) = entitlement else {
            return Ok(Some(i));
        };
        let removed = tx
            .execute(
                sql(format!(
                    "DELETE FROM {table} WHERE {column} = $1 AND entitlement_id = $2"
                ))
                .bind(holder.id())
                .bind(entitlement),
            )
            .await?;
        if removed == 0 {
            return Ok(Some(i));
        }
    }
    holder.announce(&mut tx, "detached", now).await?;
    tx.commit().await?;
    Ok(None)
}
