//! `release_entitlement_constraints`: entitlements a license must hold to see and
//! download a release.

use crate::{Db, Result, sql};

crate::table!(
    /// One constraint: the release requires the entitlement.
    ConstraintRow, "release_entitlement_constraints" {
        id: String,
        account_id: String,
        release_id: String,
        entitlement_id: String,
        created_at: i64,
        updated_at: i64,
    }
);

/// A release's constraints, oldest first.
pub async fn of_release(db: &Db, release_id: &str) -> Result<Vec<ConstraintRow>> {
    db.fetch_all(
        sql(format!(
            "SELECT {COLUMNS} FROM {TABLE} WHERE release_id = $1 ORDER BY created_at, id"
        ))
        .bind(release_id),
    )
    .await
}

/// The entitlements a release requires, oldest constraint first.
pub async fn entitlements(
    db: &Db,
    release_id: &str,
) -> Result<Vec<crate::entitlements::EntitlementRow>> {
    db.fetch_all(
        sql(format!(
            "SELECT {} FROM entitlements e JOIN {TABLE} c ON c.entitlement_id = e.id \
             WHERE c.release_id = $1 ORDER BY c.created_at, c.id",
            prefixed("e.", crate::entitlements::COLUMNS)
        ))
        .bind(release_id),
    )
    .await
}

fn prefixed(prefix: &str, columns: &str) -> String {
    columns
        .split(", ")
        .map(|c| format!("{prefix}{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The entitlement is already a constraint of the release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlreadyAttached(pub String);

/// Attaches entitlements (ids of the account, checked by the caller) as constraints,
/// all or none; returns the new rows.
pub async fn attach(
    db: &Db,
    account: &str,
    release_id: &str,
    entitlement_ids: &[String],
    now: i64,
) -> Result<std::result::Result<Vec<ConstraintRow>, AlreadyAttached>> {
    let mut tx = db.begin().await?;
    let mut rows = Vec::with_capacity(entitlement_ids.len());
    for entitlement_id in entitlement_ids {
        let exists = tx
            .fetch_optional::<(String,)>(
                sql(format!(
                    "SELECT id FROM {TABLE} WHERE release_id = $1 AND entitlement_id = $2"
                ))
                .bind(release_id)
                .bind(entitlement_id.as_str()),
            )
            .await?;
        if exists.is_some()
            || rows
                .iter()
                .any(|r: &ConstraintRow| &r.entitlement_id == entitlement_id)
        {
            return Ok(Err(AlreadyAttached(entitlement_id.clone())));
        }
        let row = ConstraintRow {
            id: crate::new_id(),
            account_id: account.to_owned(),
            release_id: release_id.to_owned(),
            entitlement_id: entitlement_id.clone(),
            created_at: now,
            updated_at: now,
        };
        insert(&mut tx, &row).await?;
        rows.push(row);
    }
    announce(&mut tx, release_id, "release.constraints.attached", now).await?;
    tx.commit().await?;
    Ok(Ok(rows))
}

async fn announce(tx: &mut crate::Tx, release_id: &str, name: &str, now: i64) -> Result<()> {
    let table = (crate::releases::TABLE, crate::releases::COLUMNS);
    crate::outbox::emit_row::<crate::releases::ReleaseRow>(tx, table, release_id, name, now).await
}

/// Detaches the constraints on `entitlement_ids`; `Err(id)` (and nothing removed)
/// when one is not a constraint of the release.
pub async fn detach(
    db: &Db,
    release_id: &str,
    entitlement_ids: &[String],
    now: i64,
) -> Result<std::result::Result<(), String>> {
    let mut tx = db.begin().await?;
    for entitlement_id in entitlement_ids {
        let n = tx
            .execute(
                sql(format!(
                    "DELETE FROM {TABLE} WHERE release_id = $1 AND entitlement_id = $2"
                ))
                .bind(release_id)
                .bind(entitlement_id.as_str()),
            )
            .await?;
        if n == 0 {
            tx.rollback().await?;
            return Ok(Err(entitlement_id.clone()));
        }
    }
    announce(&mut tx, release_id, "release.constraints.detached", now).await?;
    tx.commit().await?;
    Ok(Ok(()))
}
