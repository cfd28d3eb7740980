//! `second_factors`: users' TOTP factors (Keygen's `second_factors`), at most one per
//! user (a unique index: a second enrolment is a [`crate::StoreError::Conflict`]).
//! The secret column holds the sealed secret only; the outbox blanks it in event
//! snapshots. Rows go with their user and their account (foreign-key cascades).
//!
//! Enrolment is [`create`]; [`enabled_for_user`] tells whether a login needs a code;
//! [`claim_step`] records an accepted code so that it is never accepted again;
//! [`set_enabled`] and [`delete`] finish the update and delete routes.

use crate::page::{Order, Page};
use crate::{Db, Result, sql};

crate::table!(
    /// A second factor. `secret` is sealed; `last_verified_at` is the start of the
    /// last step whose code was accepted (unix ms).
    SecondFactorRow, "second_factors" {
        id: String,
        account_id: String,
        user_id: String,
        secret: String,
        enabled: bool,
        last_verified_at: Option<i64>,
        created_at: i64,
        updated_at: i64,
    }
);

/// Enrols a new (disabled) second factor and records `second-factor.created`; a user
/// who already has one makes this a conflict.
pub async fn create(db: &Db, row: &SecondFactorRow) -> Result<()> {
    let mut tx = db.begin().await?;
    insert(&mut tx, row).await?;
    crate::outbox::emit(&mut tx, "second-factor.created", row, row.created_at).await?;
    tx.commit().await
}

/// The second factor `id` of the user `user_id` (`None` when it belongs to another
/// user or does not exist).
pub async fn find_for_user(
    db: &Db,
    account: &str,
    user_id: &str,
    id: &str,
) -> Result<Option<SecondFactorRow>> {
    db.fetch_optional(
        sql(format!(
            "SELECT {COLUMNS} FROM second_factors WHERE account_id = $1 AND user_id = $2 AND id = $3"
        ))
        .bind(account)
        .bind(user_id)
        .bind(id),
    )
    .await
}

/// The user's enabled second factor, if any: when there is one, a login needs a code.
pub async fn enabled_for_user(
    db: &Db,
    account: &str,
    user_id: &str,
) -> Result<Option<SecondFactorRow>> {
    db.fetch_optional(
        sql(format!(
            "SELECT {COLUMNS} FROM second_factors \
             WHERE account_id = $1 AND user_id = $2 AND enabled = $3 \
             ORDER BY created_at DESC, id DESC LIMIT 1"
        ))
        .bind(account)
        .bind(user_id)
        .bind(true),
    )
    .await
}

/// One page of a user's second factors.
pub async fn list_for_user(
    db: &Db,
    account: &str,
    user_id: &str,
    page: &Page,
    order: Order,
) -> Result<(Vec<SecondFactorRow>, Option<i64>)> {
    let filters = vec![crate::crud::Filter::eq("user_id", user_id)];
    crate::crud::list(db, TABLE, COLUMNS, account, filters, page, order).await
}

/// Records that the code of the step starting at `step_ms` was accepted: true when
/// this call claimed it, false when that step (or a later one) was already used, by
/// an earlier request or a concurrent one. One conditional UPDATE, so two requests
/// carrying the same code cannot both succeed.
pub async fn claim_step(db: &Db, account: &str, id: &str, step_ms: i64) -> Result<bool> {
    let q = sql("UPDATE second_factors SET last_verified_at = $1 \
         WHERE account_id = $2 AND id = $3 \
         AND (last_verified_at IS NULL OR last_verified_at < $1)")
    .bind(step_ms)
    .bind(account)
    .bind(id);
    Ok(db.execute(q).await? > 0)
}

/// Enables or disables a second factor and records `second-factor.enabled` or
/// `second-factor.disabled`; the row as written (`None` when it is gone).
pub async fn set_enabled(
    db: &Db,
    account: &str,
    id: &str,
    enabled: bool,
    now: i64,
) -> Result<Option<SecondFactorRow>> {
    let event = if enabled {
        "second-factor.enabled"
    } else {
        "second-factor.disabled"
    };
    crate::edits::update_returning(
        db,
        TABLE,
        COLUMNS,
        account,
        id,
        vec![("enabled", enabled.into())],
        now,
        event,
    )
    .await
}

/// Deletes a second factor, recording `second-factor.deleted` with its last state;
/// true when it existed.
pub async fn delete(db: &Db, account: &str, id: &str, now: i64) -> Result<bool> {
    crate::edits::delete_announced::<SecondFactorRow>(
        db,
        (TABLE, COLUMNS),
        account,
        id,
        "second-factor.deleted",
        now,
    )
    .await
}
