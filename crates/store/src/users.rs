//! `users`: account staff (admin, developer, sales-agent, support-agent, read-only)
//! and end users; emails unique per account, stored lowercase; passwords hashed.

use crate::crud::Filter;
use crate::groups::{Admission, Member, admit};
use crate::page::{Order, Page};
use crate::{Arg, Db, Result, sql};
use latchkey_core::access::Actor;

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
    crate::outbox::emit(&mut tx, "user.created", row, row.created_at).await?;
    tx.commit().await?;
    Ok(Admission::Room)
}

/// Users owning or attached to a license of a product (two placeholders, both the
/// product id).
const PRODUCT_USERS: &str = "id IN (SELECT owner_id FROM licenses WHERE product_id = {} \
     UNION SELECT lu.user_id FROM license_users lu JOIN licenses l ON l.id = lu.license_id WHERE l.product_id = {})";

/// The users `actor` may see (lists and id/email lookups); `None` for staff, who see
/// every user of the account.
pub fn visible_to(actor: &Actor<'_>) -> Option<Filter> {
    match actor {
        _ if actor.is_staff() => None,
        Actor::Product { id } => Some(Filter::new(PRODUCT_USERS, vec![(*id).into(), (*id).into()])),
        Actor::User { id, .. } => Some(Filter::eq("id", *id)),
        Actor::License { id, .. } => Some(Filter::new(
            "id IN (SELECT owner_id FROM licenses WHERE id = {} UNION SELECT user_id FROM license_users WHERE license_id = {})",
            vec![(*id).into(), (*id).into()],
        )),
    }
}

/// Whether `user_id` is related to a product or license actor: owns or is attached
/// to a license of the product, or is attached to the license (ownership of the
/// actor license itself is in the actor). False for user actors.
pub async fn is_related(db: &Db, actor: &Actor<'_>, user_id: &str) -> Result<bool> {
    match actor {
        Actor::Product { id } => {
            let q = sql(
                "SELECT id FROM licenses WHERE product_id = $1 AND (owner_id = $2 OR id IN \
                 (SELECT license_id FROM license_users WHERE user_id = $2)) LIMIT 1",
            )
            .bind(*id)
            .bind(user_id);
            Ok(db.fetch_optional::<(String,)>(q).await?.is_some())
        }
        Actor::License { id, .. } => crate::licenses::is_licensee(db, id, user_id).await,
        Actor::User { .. } => Ok(false),
    }
}

/// The `status` filter of `GET /users`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    /// Not banned.
    Active,
    /// Banned.
    Banned,
    /// Keygen's inactive users (none here).
    Inactive,
}

/// The filters of `GET /users`, parsed from the query string.
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    /// Roles to include (Keygen's spelling; `user` alone by default).
    pub roles: Vec<&'static str>,
    /// Users of a product's licenses.
    pub product: Option<String>,
    /// Users of a license (id or key).
    pub license: Option<String>,
    /// Group id.
    pub group: Option<String>,
    /// Banned or not.
    pub status: Option<UserStatus>,
    /// With (true) or without (false) any license.
    pub assigned: Option<bool>,
    /// `metadata[key]=value` pairs (keys in stored camelCase form).
    pub metadata: Vec<(String, String)>,
}

impl UserQuery {
    fn filters(&self, backend: crate::Backend, account: &str) -> Vec<Filter> {
        let mut filters = vec![Filter::new(
            format!("role IN ({})", crate::edits::placeholders(self.roles.len())),
            self.roles.iter().map(|r| Arg::from(*r)).collect(),
        )];
        if self.roles.is_empty() {
            filters = vec![Filter::new("1 = 0", vec![])];
        }
        if let Some(product) = &self.product {
            filters.push(Filter::new(
                PRODUCT_USERS,
                vec![product.into(), product.into()],
            ));
        }
        if let Some(license) = &self.license {
            filters.push(Filter::new(
                "id IN (SELECT owner_id FROM licenses WHERE account_id = {} AND (id = {} OR key = {}) \
                 UNION SELECT lu.user_id FROM license_users lu JOIN licenses l ON l.id = lu.license_id \
                 WHERE l.account_id = {} AND (l.id = {} OR l.key = {}))",
                vec![
                    account.into(),
                    license.into(),
                    license.into(),
                    account.into(),
                    license.into(),
                    license.into(),
                ],
            ));
        }
        if let Some(group) = &self.group {
            filters.push(Filter::eq("group_id", group.as_str()));
        }
        if let Some(status) = self.status {
            let clause = match status {
                UserStatus::Active => "banned_at IS NULL",
                UserStatus::Banned => "banned_at IS NOT NULL",
                UserStatus::Inactive => "1 = 0",
            };
            filters.push(Filter::new(clause, vec![]));
        }
        if let Some(assigned) = self.assigned {
            let exists = if assigned { "" } else { "NOT " };
            filters.push(Filter::new(
                format!(
                    "{exists}(EXISTS (SELECT 1 FROM licenses l WHERE l.owner_id = users.id) \
                     OR EXISTS (SELECT 1 FROM license_users lu WHERE lu.user_id = users.id))"
                ),
                vec![],
            ));
        }
        for (key, value) in &self.metadata {
            filters.push(crate::metadata::query_filter(backend, key, value));
        }
        filters
    }
}

/// One page of the users `actor` may see matching `query`.
pub async fn list(
    db: &Db,
    account: &str,
    query: &UserQuery,
    actor: &Actor<'_>,
    page: &Page,
    order: Order,
) -> Result<(Vec<UserRow>, Option<i64>)> {
    let mut filters = query.filters(db.backend(), account);
    filters.extend(visible_to(actor));
    crate::crud::list(db, TABLE, COLUMNS, account, filters, page, order).await
}

/// The outcome of a user write guarded by the last-admin rule.
#[derive(Debug)]
pub enum UserWrite {
    /// Written; the user as stored (for updates).
    Done(Option<Box<UserRow>>),
    /// Refused: the account would be left without an admin.
    LastAdmin,
}

async fn admin_count(tx: &mut crate::Tx, account: &str) -> Result<i64> {
    let q = sql("SELECT COUNT(*) FROM users WHERE account_id = $1 AND role = $2")
        .bind(account)
        .bind("admin");
    Ok(tx.fetch_optional::<(i64,)>(q).await?.map_or(0, |r| r.0))
}

/// What `PATCH /users/{id}` changes; a field left `None` keeps its column, an inner
/// `None` sets a nullable column to NULL.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    /// The role (`admin`, `developer`, …).
    pub role: Option<String>,
    /// The email, normalized.
    pub email: Option<String>,
    /// The first name.
    pub first_name: Option<Option<String>>,
    /// The last name.
    pub last_name: Option<Option<String>>,
    /// The metadata object, as JSON text.
    pub metadata: Option<String>,
    /// The digest of a new password.
    pub password_digest: Option<String>,
}

impl UserChanges {
    fn columns(self) -> Vec<(&'static str, Arg)> {
        crate::edits::Columns::default()
            .set("role", self.role)
            .set("email", self.email)
            .set("first_name", self.first_name)
            .set("last_name", self.last_name)
            .set("metadata", self.metadata)
            .set("password_digest", self.password_digest)
            .into_vec()
    }
}

/// Updates a user's attributes in one transaction; with `keep_an_admin` (an admin
/// losing the admin role) refuses when no other admin would remain. A taken email is
/// `StoreError::Conflict`.
pub async fn update(
    db: &Db,
    account: &str,
    id: &str,
    changes: UserChanges,
    keep_an_admin: bool,
    now: i64,
) -> Result<UserWrite> {
    let changes = changes.columns();
    let mut tx = db.begin().await?;
    if keep_an_admin && admin_count(&mut tx, account).await? <= 1 {
        return Ok(UserWrite::LastAdmin);
    }
    crate::crud::update(&mut tx, TABLE, account, id, changes, now).await?;
    let row = crate::crud::find_tx(&mut tx, TABLE, COLUMNS, account, id).await?;
    tx.commit().await?;
    Ok(UserWrite::Done(row.map(Box::new)))
}

/// Deletes a user with its tokens in one transaction (licenses and machines it
/// owned become ownerless, attachments go); with `keep_an_admin` (the user is an
/// admin) refuses when it is the last admin.
pub async fn delete(
    db: &Db,
    account: &str,
    id: &str,
    keep_an_admin: bool,
    now: i64,
) -> Result<UserWrite> {
    let mut tx = db.begin().await?;
    if keep_an_admin && admin_count(&mut tx, account).await? <= 1 {
        return Ok(UserWrite::LastAdmin);
    }
    crate::outbox::emit_current::<UserRow>(
        &mut tx,
        TABLE,
        COLUMNS,
        account,
        id,
        "user.deleted",
        now,
    )
    .await?;
    crate::tokens::delete_for_bearer_tx(&mut tx, account, id).await?;
    crate::crud::delete(&mut tx, TABLE, account, id).await?;
    tx.commit().await?;
    Ok(UserWrite::Done(None))
}

/// Sets (`Some(now)`) or clears `banned_at`; the user as written.
pub async fn set_banned(
    db: &Db,
    account: &str,
    id: &str,
    banned_at: Option<i64>,
    now: i64,
) -> Result<Option<UserRow>> {
    let changes = vec![("banned_at", banned_at.into())];
    let event = if banned_at.is_some() {
        "user.banned"
    } else {
        "user.unbanned"
    };
    crate::edits::update_returning(db, TABLE, COLUMNS, account, id, changes, now, event).await
}

/// Stores a new password digest and voids any pending reset; the user as written.
pub async fn set_password(
    db: &Db,
    account: &str,
    id: &str,
    digest: &str,
    now: i64,
) -> Result<Option<UserRow>> {
    let changes = vec![
        ("password_digest", Some(digest.to_owned()).into()),
        ("password_reset_digest", None::<String>.into()),
        ("password_reset_expiry", None::<i64>.into()),
    ];
    crate::edits::update_returning(
        db,
        TABLE,
        COLUMNS,
        account,
        id,
        changes,
        now,
        "user.updated",
    )
    .await
}

/// Stores a password-reset token digest and its expiry, recording
/// `user.password-reset` with `meta` (Keygen's `{passwordResetToken}`, so a vendor
/// can send its own mail).
pub async fn set_password_reset(
    db: &Db,
    account: &str,
    id: &str,
    (digest, expiry): (&str, i64),
    meta: serde_json::Value,
    now: i64,
) -> Result<()> {
    let changes = vec![
        ("password_reset_digest", Some(digest.to_owned()).into()),
        ("password_reset_expiry", Some(expiry).into()),
    ];
    let mut tx = db.begin().await?;
    crate::crud::update(&mut tx, TABLE, account, id, changes, now).await?;
    let row: Option<UserRow> = crate::crud::find_tx(&mut tx, TABLE, COLUMNS, account, id).await?;
    if let Some(row) = &row {
        crate::outbox::emit_meta(&mut tx, "user.password-reset", row, meta, now).await?;
    }
    tx.commit().await
}

/// A user of an account by exact id (no email alias).
pub async fn find_by_id(db: &Db, account: &str, id: &str) -> Result<Option<UserRow>> {
    crate::crud::find(db, TABLE, COLUMNS, account, id).await
}
