//! `users`: account staff (admin, developer, sales-agent, support-agent, read-only)
//! and end users; emails unique per account, stored lowercase; passwords hashed.

use crate::groups::{Admission, Member, admit};
use crate::{Db, Result, sql};

crate::table!(
    /// A user. `password_digest` is an Argon2 PHC string (None for managed users).
    UserRow, "users" {
        id: String,
        account_id: String,
        email: String,
        first_name: Option<String>,
        last_name: Option<String>,
        password_digest: Option<String>,
        role: String,
        banned_at: Option<i64>,
        group_id: Option<String>,
        metadata: String,
        created_at: i64,
        updated_at: i64,
        password_reset_digest: Option<String>,
        password_reset_expiry: Option<i64>,
    }
);

/// Finds by UUID or (case-insensitive) email.
pub async fn find(db: &Db, account: &str, id_or_email: &str) -> Result<Option<UserRow>> {
    find_visible(db, account, id_or_email, Vec::new()).await
}

/// Finds by UUID or (case-insensitive) email among the users matching `scope` (the
/// caller's visibility).
pub async fn find_visible(
    db: &Db,
    account: &str,
    id_or_email: &str,
    scope: Vec<crate::crud::Filter>,
) -> Result<Option<UserRow>> {
    let email = id_or_email.to_lowercase();
    crate::crud::find_by_alias(
        db,
        TABLE,
        COLUMNS,
        account,
        id_or_email,
        ("email", &email),
        scope,
    )
    .await
}

/// How many users have staff roles (used by bootstrap).
pub async fn count_in_account(db: &Db, account: &str) -> Result<i64> {
    let row: Option<(i64,)> = db
        .fetch_optional(sql("SELECT COUNT(*) FROM users WHERE account_id = $1").bind(account))
        .await?;
    Ok(row.map_or(0, |r| r.0))
}

/// Creates a user in one transaction; a user joining a group is admitted under
/// the group-row lock first (anything but `Room` means nothing was written). A
/// taken email is `StoreError::Conflict`.
pub async fn create(db: &Db, row: &UserRow) -> Result<Admission> {
    let mut tx = db.begin().await?;
    if let Some(group) = &row.group_id {
        let admission = admit(&mut tx, &row.account_id, group, Member::User).await?;
        if admission != Admission::Room {
            return Ok(admission);
        }
    }
    insert(&mut tx, row).await?;
    tx.commit().await?;
    Ok(Admission::Room)
}
