//! `pool_keys`: pre-made license keys of a pooled policy (`/keys`). Licenses of a
//! `usePool` policy take the oldest key; [`pop`] locks the policy row first so two
//! concurrent pops can never hand out the same key.

use crate::{Result, Tx, sql};

crate::table!(
    /// A key waiting in a policy's pool.
    PoolKeyRow, "pool_keys" {
        id: String,
        account_id: String,
        product_id: String,
        policy_id: String,
        key: String,
        created_at: i64,
        updated_at: i64,
    }
);

/// Removes and returns the policy's oldest key, or None when the pool is empty.
/// Runs inside the caller's transaction so the key is only consumed if the caller
/// commits (e.g. the license that receives it is inserted).
pub async fn pop(tx: &mut Tx, account: &str, policy_id: &str) -> Result<Option<PoolKeyRow>> {
    // Serialises pops per policy on PostgreSQL (SQLite has a single writer already).
    tx.lock_row("policies", policy_id).await?;
    let oldest: Option<PoolKeyRow> = tx
        .fetch_optional(
            sql(format!(
                "SELECT {COLUMNS} FROM pool_keys WHERE account_id = $1 AND policy_id = $2 \
                 ORDER BY created_at, id LIMIT 1"
            ))
            .bind(account)
            .bind(policy_id),
        )
        .await?;
    if let Some(row) = &oldest {
        crate::crud::delete(tx, TABLE, account, &row.id).await?;
    }
    Ok(oldest)
}

/// Whether a key is already used by a license or another pool key of the account.
pub async fn key_in_use(tx: &mut Tx, account: &str, key: &str) -> Result<bool> {
    let row: Option<(String,)> = tx
        .fetch_optional(
            sql(
                "SELECT id FROM licenses WHERE account_id = $1 AND key = $2 \
                 UNION ALL SELECT id FROM pool_keys WHERE account_id = $1 AND key = $2 LIMIT 1",
            )
            .bind(account)
            .bind(key),
        )
        .await?;
    Ok(row.is_some())
}

/// Finds a key of an account by id.
pub async fn find(db: &crate::Db, account: &str, id: &str) -> Result<Option<PoolKeyRow>> {
    crate::crud::find(db, TABLE, COLUMNS, account, id).await
}

/// Which keys a list shows.
#[derive(Debug, Clone, Default)]
pub struct ListQuery<'a> {
    /// The policy of `/policies/{id}/pool`.
    pub pool: Option<&'a str>,
    /// `policy`.
    pub policy: Option<&'a str>,
    /// `product`.
    pub product: Option<&'a str>,
    /// The caller's product, when a product lists: only its keys.
    pub visible_product: Option<&'a str>,
}

/// One page of an account's keys matching `query`.
pub async fn list(
    db: &crate::Db,
    account: &str,
    query: &ListQuery<'_>,
    page: &crate::page::Page,
    order: crate::page::Order,
) -> Result<(Vec<PoolKeyRow>, Option<i64>)> {
    use crate::crud::Filter;
    let mut filters = Vec::new();
    if let Some(pool) = query.pool {
        filters.push(Filter::eq("policy_id", pool));
    }
    if let Some(policy) = query.policy {
        filters.push(Filter::eq("policy_id", policy));
    }
    if let Some(product) = query.product {
        filters.push(Filter::eq("product_id", product));
    }
    if let Some(product) = query.visible_product {
        filters.push(Filter::eq("product_id", product));
    }
    crate::crud::list(db, TABLE, COLUMNS, account, filters, page, order).await
}

/// The key is already used by a license or another pool key of the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyTaken;

/// Adds a key to a pool unless the key is in use.
pub async fn create(db: &crate::Db, row: &PoolKeyRow) -> Result<std::result::Result<(), KeyTaken>> {
    let mut tx = db.begin().await?;
    if key_in_use(&mut tx, &row.account_id, &row.key).await? {
        return Ok(Err(KeyTaken));
    }
    match insert(&mut tx, row).await {
        Err(crate::StoreError::Conflict(_)) => return Ok(Err(KeyTaken)),
        other => other?,
    }
    crate::outbox::emit(&mut tx, "key.created", row, row.created_at).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Changes a key's value (when `key` differs from the current one and is free);
/// returns the row after the change, `None` when gone.
pub async fn update_key(
    db: &crate::Db,
    account: &str,
    id: &str,
    key: Option<String>,
    now: i64,
) -> Result<std::result::Result<Option<PoolKeyRow>, KeyTaken>> {
    let mut tx = db.begin().await?;
    if let Some(key) = key {
        if key_in_use(&mut tx, account, &key).await? {
            return Ok(Err(KeyTaken));
        }
        let changes = vec![("key", key.into())];
        match crate::crud::update(&mut tx, TABLE, account, id, changes, now).await {
            Err(crate::StoreError::Conflict(_)) => return Ok(Err(KeyTaken)),
            other => other?,
        };
    }
    let row: Option<PoolKeyRow> =
        crate::crud::find_tx(&mut tx, TABLE, COLUMNS, account, id).await?;
    if let Some(row) = &row {
        crate::outbox::emit(&mut tx, "key.updated", row, now).await?;
    }
    tx.commit().await?;
    Ok(Ok(row))
}

/// Deletes a key.
pub async fn delete(db: &crate::Db, account: &str, id: &str, now: i64) -> Result<()> {
    let mut tx = db.begin().await?;
    crate::outbox::emit_current::<PoolKeyRow>(
        &mut tx,
        TABLE,
        COLUMNS,
        account,
        id,
        "key.deleted",
        now,
    )
    .await?;
    crate::crud::delete(&mut tx, TABLE, account, id).await?;
    tx.commit().await
}

/// [`pop`] in its own transaction (`DELETE /policies/{id}/pool`).
/// Records `policy.pool.popped` (carrying the key) in the same transaction.
pub async fn pop_one(
    db: &crate::Db,
    account: &str,
    policy_id: &str,
    now: i64,
) -> Result<Option<PoolKeyRow>> {
    let mut tx = db.begin().await?;
    let row = pop(&mut tx, account, policy_id).await?;
    if let Some(row) = &row {
        crate::outbox::emit(&mut tx, "policy.pool.popped", row, now).await?;
        tx.commit().await?;
    }
    Ok(row)
}
