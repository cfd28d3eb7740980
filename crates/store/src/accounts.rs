//! `accounts`: the tenant, with its signing keypairs (private halves sealed with the
//! server secret before they reach this module).

use crate::{Db, Result, sql};

crate::table!(
    /// An account. Public keys: Ed25519 as 64 hex chars, ECDSA and RSA as PEM.
    AccountRow, "accounts" {
        id: String,
        slug: String,
        name: String,
        protected: bool,
        ed25519_public: String,
        ed25519_private: String,
        ecdsa_public: String,
        ecdsa_private: String,
        rsa_public: String,
        rsa_private: String,
        created_at: i64,
        updated_at: i64,
    }
);

/// Finds by UUID or slug.
pub async fn find(db: &Db, id_or_slug: &str) -> Result<Option<AccountRow>> {
    db.fetch_optional(
        sql(format!(
            "SELECT {COLUMNS} FROM accounts WHERE id = $1 OR slug = $1 ORDER BY created_at LIMIT 1"
        ))
        .bind(id_or_slug),
    )
    .await
}

/// The oldest account (the default for account-less `/v1/…` routes).
pub async fn first(db: &Db) -> Result<Option<AccountRow>> {
    db.fetch_optional(sql(format!(
        "SELECT {COLUMNS} FROM accounts ORDER BY created_at, id LIMIT 1"
    )))
    .await
}

/// Every account, oldest first.
pub async fn all(db: &Db) -> Result<Vec<AccountRow>> {
    db.fetch_all(sql(format!(
        "SELECT {COLUMNS} FROM accounts ORDER BY created_at, id"
    )))
    .await
}

/// Replaces the sealed private keys of an account (re-sealing at rest; the keys
/// themselves never change).
pub async fn replace_sealed_keys(
    db: &Db,
    id: &str,
    ed25519_private: &str,
    ecdsa_private: &str,
    rsa_private: &str,
) -> Result<()> {
    db.execute(
        sql(
            "UPDATE accounts SET ed25519_private = $2, ecdsa_private = $3, rsa_private = $4 \
             WHERE id = $1",
        )
        .bind(id)
        .bind(ed25519_private)
        .bind(ecdsa_private)
        .bind(rsa_private),
    )
    .await
    .map(|_| ())
}

/// Inserts the first account of an empty database with its first admin, in one
/// transaction; returns false (writing nothing) when an account already exists.
/// Server processes starting together on one empty PostgreSQL database serialise
/// on a transaction-scoped lock, so exactly one of them creates the account.
pub async fn insert_first(
    db: &Db,
    account: &AccountRow,
    admin: &crate::users::UserRow,
) -> Result<bool> {
    let mut tx = db.begin().await?;
    tx.lock_key("accounts:first-start").await?;
    let existing: Option<(String,)> = tx
        .fetch_optional(sql("SELECT id FROM accounts LIMIT 1"))
        .await?;
    if existing.is_some() {
        return Ok(false);
    }
    insert(&mut tx, account).await?;
    crate::users::insert(&mut tx, admin).await?;
    tx.commit().await?;
    Ok(true)
}
