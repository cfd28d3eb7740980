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
