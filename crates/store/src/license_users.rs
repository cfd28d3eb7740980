//! A license's users: the owner and the attached licensees (`license_users`).
//! Every change of them locks the license row first ([`crate::licenses::lock_users`]),
//! so `maxUsers` (which counts the owner) holds under races.

use crate::licenses::{licensee_query, lock_users};
use crate::users::{COLUMNS as USER_COLUMNS, UserRow};
use crate::{Db, Result, sql};

/// The owner first, then the attached users (oldest first).
pub async fn all(db: &Db, owner_id: Option<&str>, license_id: &str) -> Result<Vec<UserRow>> {
    db.fetch_all(
        sql(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id = $1 OR id IN \
             (SELECT user_id FROM license_users WHERE license_id = $2) \
             ORDER BY CASE WHEN id = $1 THEN 0 ELSE 1 END, created_at, id"
        ))
        .bind(owner_id.unwrap_or_default())
        .bind(license_id),
    )
    .await
}

/// The attached users only (owner excluded), oldest first.
pub async fn attached(db: &Db, license_id: &str) -> Result<Vec<UserRow>> {
    db.fetch_all(
        sql(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id IN \
             (SELECT user_id FROM license_users WHERE license_id = $1) ORDER BY created_at, id"
        ))
        .bind(license_id),
    )
    .await
}

/// Why users were not attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachRefusal {
    /// The license is gone.
    Gone,
    /// One of the users is the owner (read under the lock).
    OwnerListed,
    /// User `i` is already attached.
    Taken(usize),
    /// Owner and users would exceed `maxUsers` (the limit).
    LimitExceeded(i64),
}

/// Attaches `users` (ids, distinct, none of them the owner as last read) to the
/// license under its row lock, refusing past `max_users`. Nothing is attached on
/// refusal.
pub async fn attach(
    db: &Db,
    account: &str,
    license_id: &str,
    users: &[String],
    max_users: Option<i64>,
    now: i64,
) -> Result<std::result::Result<(), AttachRefusal>> {
    let mut tx = db.begin().await?;
    let Some(locked) = lock_users(&mut tx, license_id, None).await? else {
        return Ok(Err(AttachRefusal::Gone));
    };
    if locked
        .owner_id
        .as_deref()
        .is_some_and(|owner| users.iter().any(|u| u == owner))
    {
        return Ok(Err(AttachRefusal::OwnerListed));
    }
    if let Some(max) = max_users
        && locked.count() + users.len() as i64 > max
    {
        return Ok(Err(AttachRefusal::LimitExceeded(max)));
    }
    for (i, user) in users.iter().enumerate() {
        let exists: Option<(String,)> = tx.fetch_optional(licensee_query(license_id, user)).await?;
        if exists.is_some() {
            return Ok(Err(AttachRefusal::Taken(i)));
        }
        tx.execute(
            sql(
                "INSERT INTO license_users (account_id, license_id, user_id, created_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(account)
            .bind(license_id)
            .bind(user)
            .bind(now),
        )
        .await?;
    }
    announce(&mut tx, license_id, "license.users.attached", now).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Records `name` about the license as it is now, in `tx`.
async fn announce(tx: &mut crate::Tx, license_id: &str, name: &str, now: i64) -> Result<()> {
    let table = (crate::licenses::TABLE, crate::licenses::COLUMNS);
    crate::outbox::emit_row::<crate::licenses::LicenseRow>(tx, table, license_id, name, now).await
}

fn detach_query(license_id: &str, user: &str) -> crate::Sql {
    sql("DELETE FROM license_users WHERE license_id = $1 AND user_id = $2")
        .bind(license_id)
        .bind(user)
}

/// Detaches `users` in one transaction; `Some(i)` (nothing detached) when user `i`
/// is not attached.
pub async fn detach(
    db: &Db,
    license_id: &str,
    users: &[String],
    now: i64,
) -> Result<Option<usize>> {
    let mut tx = db.begin().await?;
    for (i, user) in users.iter().enumerate() {
        if tx.execute(detach_query(license_id, user)).await? == 0 {
            return Ok(Some(i));
        }
    }
    announce(&mut tx, license_id, "license.users.detached", now).await?;
    tx.commit().await?;
    Ok(None)
}

/// Why the owner was not changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerRefusal {
    /// The license is gone.
    Gone,
    /// The new owner would push the users past `maxUsers` (the limit).
    LimitExceeded(i64),
}

/// Sets (or, with `None`, removes) the owner. A new owner counts towards
/// `max_users` (checked under the license row lock, like attaching) and stops being
/// an attached licensee.
pub async fn set_owner(
    db: &Db,
    license_id: &str,
    owner: Option<&str>,
    max_users: Option<i64>,
    now: i64,
) -> Result<std::result::Result<(), OwnerRefusal>> {
    let mut tx = db.begin().await?;
    if let Some(owner) = owner {
        let Some(locked) = lock_users(&mut tx, license_id, Some(owner)).await? else {
            return Ok(Err(OwnerRefusal::Gone));
        };
        let after = locked.attached - i64::from(locked.candidate_attached) + 1;
        if let Some(max) = max_users
            && after > locked.count()
            && after > max
        {
            return Ok(Err(OwnerRefusal::LimitExceeded(max)));
        }
        tx.execute(detach_query(license_id, owner)).await?;
    }
    tx.execute(
        sql("UPDATE licenses SET owner_id = $1, updated_at = $2 WHERE id = $3")
            .bind(owner)
            .bind(now)
            .bind(license_id),
    )
    .await?;
    announce(&mut tx, license_id, "license.owner.updated", now).await?;
    tx.commit().await?;
    Ok(Ok(()))
}
