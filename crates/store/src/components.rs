//! `components`: hardware parts of a machine (CPU, board, disk, MAC…), each with its
//! own fingerprint. Uniqueness follows the policy's componentUniquenessStrategy and is
//! checked inside the caller's transaction, which holds the license lock and, for
//! scopes beyond the license, a lock on each fingerprint within the account.

use crate::crud::Filter;
use crate::page::{Order, Page};
use crate::{Db, Result, StoreError, Tx, sql};
use latchkey_core::access::Actor;
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
        crate::outbox::emit(tx, "component.created", row, row.created_at).await?;
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

impl Uniqueness {
    /// The policy's component uniqueness for a license of it.
    pub fn of(license: &crate::licenses::LicenseRow, policy: &crate::policies::PolicyRow) -> Self {
        Self {
            strategy: policy.component_uniqueness_strategy,
            policy_id: policy.id.clone(),
            product_id: license.product_id.clone(),
        }
    }
}

/// The machines a user owns or that belong to licenses the user owns or is attached
/// to (three placeholders, all the user id).
const USER_MACHINES: &str = "machine_id IN (SELECT id FROM machines WHERE owner_id = {} OR license_id IN \
     (SELECT id FROM licenses WHERE owner_id = {} UNION SELECT license_id FROM license_users WHERE user_id = {}))";

/// The components `actor` may see; `None` for staff, who see all of the account.
pub fn visible_to(actor: &Actor<'_>) -> Option<Filter> {
    match actor {
        _ if actor.is_staff() => None,
        Actor::Product { id } => Some(Filter::new(
            "license_id IN (SELECT id FROM licenses WHERE product_id = {})",
            vec![(*id).into()],
        )),
        Actor::License { id, .. } => Some(Filter::eq("license_id", *id)),
        Actor::User { id, .. } => Some(Filter::new(
            USER_MACHINES,
            vec![(*id).into(), (*id).into(), (*id).into()],
        )),
    }
}

/// The filters of `GET /components`, parsed from the query string.
#[derive(Debug, Clone, Default)]
pub struct ComponentQuery {
    /// Exactly this machine (the `/machines/{id}/components` route).
    pub machine_id: Option<String>,
    /// Machine id or fingerprint.
    pub machine: Option<String>,
    /// License id or key.
    pub license: Option<String>,
    /// Product id.
    pub product: Option<String>,
    /// A user owning the machine, or owning or attached to its license.
    pub user: Option<String>,
}

impl ComponentQuery {
    fn filters(&self, account: &str) -> Vec<Filter> {
        let mut filters = Vec::new();
        if let Some(machine) = &self.machine_id {
            filters.push(Filter::eq("machine_id", machine.as_str()));
        }
        if let Some(machine) = &self.machine {
            filters.push(Filter::new(
                "machine_id IN (SELECT id FROM machines WHERE account_id = {} AND (id = {} OR fingerprint = {}))",
                vec![account.into(), machine.into(), machine.into()],
            ));
        }
        if let Some(license) = &self.license {
            filters.push(Filter::new(
                "license_id IN (SELECT id FROM licenses WHERE account_id = {} AND (id = {} OR key = {}))",
                vec![account.into(), license.into(), license.into()],
            ));
        }
        if let Some(product) = &self.product {
            filters.push(Filter::new(
                "license_id IN (SELECT id FROM licenses WHERE product_id = {})",
                vec![product.into()],
            ));
        }
        if let Some(user) = &self.user {
            filters.push(Filter::new(
                USER_MACHINES,
                vec![user.into(), user.into(), user.into()],
            ));
        }
        filters
    }
}

/// One page of the components `actor` may see matching `query`, each with its
/// license's product id (two queries per page, plus the count for offset pages).
pub async fn list(
    db: &Db,
    account: &str,
    query: &ComponentQuery,
    actor: &Actor<'_>,
    page: &Page,
    order: Order,
) -> Result<(Vec<(ComponentRow, String)>, Option<i64>)> {
    let mut filters = query.filters(account);
    filters.extend(visible_to(actor));
    let (rows, count) =
        crate::crud::list::<ComponentRow>(db, TABLE, COLUMNS, account, filters, page, order)
            .await?;
    let mut ids: Vec<&str> = rows.iter().map(|c| c.license_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let products: Vec<(String, String)> = if ids.is_empty() {
        Vec::new()
    } else {
        let q = sql("SELECT id, product_id FROM licenses WHERE account_id = $1")
            .bind(account)
            .push_clause(
                &format!(" AND id IN ({})", crate::edits::placeholders(ids.len())),
                ids.into_iter().map(crate::Arg::from).collect(),
            );
        db.fetch_all(q).await?
    };
    let listed = rows
        .into_iter()
        .map(|row| {
            let product = products
                .iter()
                .find(|(license, _)| *license == row.license_id)
                .map(|(_, p)| p.clone())
                .unwrap_or_default();
            (row, product)
        })
        .collect();
    Ok((listed, count))
}

/// A component of an account by id.
pub async fn find(db: &Db, account: &str, id: &str) -> Result<Option<ComponentRow>> {
    crate::crud::find(db, TABLE, COLUMNS, account, id).await
}

/// What `PATCH /components/{id}` changes; a field left `None` keeps its column.
#[derive(Debug, Clone, Default)]
pub struct ComponentChanges {
    /// The name.
    pub name: Option<String>,
    /// The metadata object, as JSON text.
    pub metadata: Option<String>,
}

impl ComponentChanges {
    fn columns(self) -> Vec<(&'static str, crate::Arg)> {
        crate::edits::Columns::default()
            .set("name", self.name)
            .set("metadata", self.metadata)
            .into_vec()
    }
}

/// Updates a component's attributes; the row as written (`None` when gone).
pub async fn update(
    db: &Db,
    account: &str,
    id: &str,
    changes: ComponentChanges,
    now: i64,
) -> Result<Option<ComponentRow>> {
    let changes = changes.columns();
    crate::edits::update_returning(
        db,
        TABLE,
        COLUMNS,
        account,
        id,
        changes,
        now,
        "component.updated",
    )
    .await
}

/// Deletes a component; true when it existed.
pub async fn delete(db: &Db, account: &str, id: &str, now: i64) -> Result<bool> {
    crate::edits::delete_announced::<ComponentRow>(
        db,
        (TABLE, COLUMNS),
        account,
        id,
        "component.deleted",
        now,
    )
    .await
}
