//! The license lifecycle writes: suspend and reinstate, renew, check in and out,
//! usage resets, transfers and the first-event expiry start. Each is one guarded
//! statement (or transaction) that records its event with it.

use super::*;

/// Suspends (or reinstates) only if the license is not (or is) suspended, so two
/// racing suspends cannot both succeed; true when changed.
pub async fn set_suspended(db: &Db, id: &str, suspended: bool, now: i64) -> Result<bool> {
    let mut tx = db.begin().await?;
    let row: Option<LicenseRow> = tx
        .fetch_optional(
            sql(format!(
                "UPDATE licenses SET suspended = $1, updated_at = $2 \
                 WHERE id = $3 AND suspended = $4 RETURNING {COLUMNS}"
            ))
            .bind(suspended)
            .bind(now)
            .bind(id)
            .bind(!suspended),
        )
        .await?;
    if let Some(row) = &row {
        let name = if suspended {
            "license.suspended"
        } else {
            "license.reinstated"
        };
        crate::outbox::emit(&mut tx, name, row, now).await?;
    }
    tx.commit().await?;
    Ok(row.is_some())
}

/// Renews under the license row lock (two renewals add two durations): the new
/// expiry is [`latchkey_core::lifecycle::renewed_expiry`] of the expiry read under
/// the lock. False when the license is gone.
pub async fn renew(
    db: &Db,
    account: &str,
    id: &str,
    basis: latchkey_core::policy::RenewalBasis,
    duration: i64,
    now: i64,
) -> Result<bool> {
    let mut tx = db.begin().await?;
    tx.lock_row(TABLE, id).await?;
    let Some(current) =
        crate::crud::find_tx::<LicenseRow>(&mut tx, TABLE, COLUMNS, account, id).await?
    else {
        return Ok(false);
    };
    let expiry = latchkey_core::lifecycle::renewed_expiry(basis, current.expiry, now, duration);
    tx.execute(
        sql("UPDATE licenses SET expiry = $1, updated_at = $2 WHERE id = $3")
            .bind(expiry)
            .bind(now)
            .bind(id),
    )
    .await?;
    crate::outbox::emit_current::<LicenseRow>(
        &mut tx,
        TABLE,
        COLUMNS,
        account,
        id,
        "license.renewed",
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Records a check-in at `now`.
pub async fn check_in(db: &Db, id: &str, now: i64) -> Result<()> {
    let q = sql("UPDATE licenses SET last_check_in_at = $1, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id);
    crate::outbox::execute_announced::<LicenseRow>(
        db,
        q,
        COLUMNS,
        ("license.checked-in", crate::Durability::Full),
        now,
    )
    .await
    .map(|_| ())
}

/// Records a check-out (license file) at `at`.
pub async fn checked_out(db: &Db, id: &str, at: i64) -> Result<()> {
    let q = sql("UPDATE licenses SET last_check_out_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id);
    crate::outbox::execute_announced::<LicenseRow>(
        db,
        q,
        COLUMNS,
        ("license.checked-out", crate::Durability::Relaxed),
        at,
    )
    .await
    .map(|_| ())
}

/// Sets `uses` back to zero.
pub async fn reset_uses(db: &Db, id: &str, now: i64) -> Result<()> {
    let q = sql("UPDATE licenses SET uses = 0, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id);
    crate::outbox::execute_announced::<LicenseRow>(
        db,
        q,
        COLUMNS,
        ("license.usage.reset", crate::Durability::Full),
        now,
    )
    .await
    .map(|_| ())
}

/// Moves a license to another policy (and that policy's product) with its new expiry.
pub async fn transfer(
    db: &Db,
    id: &str,
    policy: &crate::policies::PolicyRow,
    expiry: Option<i64>,
    now: i64,
) -> Result<()> {
    let q = sql(
        "UPDATE licenses SET policy_id = $1, product_id = $2, expiry = $3, updated_at = $4 \
         WHERE id = $5",
    )
    .bind(&policy.id)
    .bind(&policy.product_id)
    .bind(expiry)
    .bind(now)
    .bind(id);
    crate::outbox::execute_announced::<LicenseRow>(
        db,
        q,
        COLUMNS,
        ("license.policy.updated", crate::Durability::Full),
        now,
    )
    .await
    .map(|_| ())
}

/// Starts the expiry clock when `event` is the policy's expirationBasis and the
/// license has no expiry yet: expiry = now + duration, written once (`WHERE expiry
/// IS NULL`, see [`set_expiry_once`]). Updates `license.expiry` when written. No
/// query when there is nothing to do.
pub async fn start_expiry(
    db: &Db,
    license: &mut LicenseRow,
    policy: &crate::policies::PolicyRow,
    event: latchkey_core::lifecycle::FirstEvent,
    now: i64,
) -> Result<()> {
    if license.expiry.is_some() || policy.duration.is_none() {
        return Ok(());
    }
    let basis = policy.expiration_basis;
    if let Some(expiry) = latchkey_core::lifecycle::first_event_expiry(
        basis,
        event,
        license.expiry,
        policy.duration,
        now,
    ) && set_expiry_once(db, &license.id, expiry, now).await?
    {
        license.expiry = Some(expiry);
    }
    Ok(())
}
