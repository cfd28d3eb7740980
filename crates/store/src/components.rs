//! `components`: hardware parts of a machine (CPU, board, disk, MAC…), each with its
//! own fingerprint. Uniqueness follows the policy's componentUniquenessStrategy and is
//! checked inside the caller's transaction, which holds the license lock and, for
//! scopes beyond the license, a lock on each fingerprint within the account.

use crate::{Db, Result, StoreError, Tx, sql};
use latchkey_core::policy::UniquenessStrategy;

crate::table!(
    /// A machine component.
    ComponentRow, "components" {
        id: String,
        account_id: String,
        license_id: String,
        machine_id: String,
        fingerprint: String,
        name: String,
        metadata: String,
        created_at: i64,
        updated_at: i64,
    }
);

/// Where a component fingerprint must be unique, with the ids the scope needs.
#[derive(Debug, Clone)]
pub struct Uniqueness {
    /// The policy's componentUniquenessStrategy.
    pub strategy: UniquenessStrategy,
    /// The license's policy.
    pub policy_id: String,
    /// The license's product.
    pub product_id: String,
}

/// Why components were refused.
#[derive(Debug)]
pub enum ComponentError {
    /// The fingerprint at this index is already used within the uniqueness scope.
    Taken(usize),
    /// The fingerprint at this index repeats an earlier one of the same request.
    Duplicate(usize),
    /// Storage failure.
    Store(StoreError),
}

impl From<StoreError> for ComponentError {
    fn from(e: StoreError) -> Self {
        ComponentError::Store(e)
    }
}

async fn taken(tx: &mut Tx, row: &ComponentRow, rules: &Uniqueness) -> Result<bool> {
    let base = "SELECT c.id FROM components c JOIN licenses l ON l.id = c.license_id \
                WHERE c.account_id = $1 AND c.fingerprint = $2 AND c.id <> $3";
    let q = sql(base)
        .bind(&row.account_id)
        .bind(&row.fingerprint)
        .bind(&row.id);
    let q = match rules.strategy {
        UniquenessStrategy::PerAccount => q,
        UniquenessStrategy::PerProduct => q.push_bind(" AND l.product_id = {}", &rules.product_id),
        UniquenessStrategy::PerPolicy => q.push_bind(" AND l.policy_id = {}", &rules.policy_id),
        UniquenessStrategy::PerLicense => q.push_bind(" AND c.license_id = {}", &row.license_id),
        UniquenessStrategy::PerMachine => q.push_bind(" AND c.machine_id = {}", &row.machine_id),
    };
    Ok(tx
        .fetch_optional::<(String,)>(q.push(" LIMIT 1"))
        .await?
        .is_some())
}

/// Inserts components inside `tx` (the caller holds the license lock), checking that
/// no fingerprint repeats within the request or is taken within the uniqueness scope.
pub async fn insert_checked(
    tx: &mut Tx,
    rows: &[ComponentRow],
    rules: &Uniqueness,
) -> std::result::Result<(), ComponentError> {
    if crate::machines::crosses_licenses(rules.strategy) {
        // The license lock covers only this license: hold each fingerprint within the
        // account (in sorted order, so two requests never wait on each other in a cycle).
        let mut keys: Vec<String> = rows
            .iter()
            .map(|row| {
                format!(
                    "component-fingerprint:{}:{}",
                    row.account_id, row.fingerprint
                )
            })
            .collect();
        keys.sort();
        keys.dedup();
        for key in &keys {
            tx.lock_key(key).await?;
        }
    }
    for (index, row) in rows.iter().enumerate() {
        if rows[..index]
            .iter()
            .any(|earlier| earlier.fingerprint == row.fingerprint)
        {
            return Err(ComponentError::Duplicate(index));
        }
        if taken(tx, row, rules).await? {
            return Err(ComponentError::Taken(index));
        }
        match insert(tx, row).await {
            Err(StoreError::Conflict(_)) => return Err(ComponentError::Taken(index)),
            other => other?,
        }
    }
    Ok(())
}

/// Creates one component under the license lock (`POST /components`).
pub async fn create(
    db: &Db,
    row: &ComponentRow,
    rules: &Uniqueness,
) -> std::result::Result<(), ComponentError> {
    let mut tx = db.begin().await?;
    tx.lock_row("licenses", &row.license_id).await?;
    insert_checked(&mut tx, std::slice::from_ref(row), rules).await?;
    tx.commit().await?;
    Ok(())
}

/// Component fingerprints of a license's machines as `(machine_id, fingerprint)`:
/// one query, run only when a validation scope or policy needs components.
pub async fn fingerprints_for_license(db: &Db, license_id: &str) -> Result<Vec<(String, String)>> {
    db.fetch_all(
        sql("SELECT machine_id, fingerprint FROM components WHERE license_id = $1")
            .bind(license_id),
    )
    .await
}

/// Components of one machine, oldest first.
pub async fn for_machine(db: &Db, machine_id: &str) -> Result<Vec<ComponentRow>> {
    db.fetch_all(
        sql(format!(
            "SELECT {COLUMNS} FROM components WHERE machine_id = $1 ORDER BY created_at, id"
        ))
        .bind(machine_id),
    )
    .await
}
