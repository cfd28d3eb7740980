//! `release_packages`: named groups of a product's releases (a package per
//! installable thing), optionally served by an engine (`pypi`, `tauri`, `raw`, …).

use crate::crud::Filter;
use crate::page::{Order, Page};
use crate::{Db, Result, StoreError, sql};
use latchkey_core::access::Actor;

crate::table!(
    /// A package; `key` unique per account.
    PackageRow, "release_packages" {
        id: String,
        account_id: String,
        product_id: String,
        name: String,
        key: String,
        engine: Option<String>,
        metadata: String,
        created_at: i64,
        updated_at: i64,
    }
);

/// Packages the caller sees: all for staff, its own for a product, packages of
/// products with a release the caller sees otherwise.
pub fn visible_to(actor: Option<&Actor<'_>>) -> Option<Filter> {
    if actor.is_some_and(|a| a.is_staff()) {
        return None;
    }
    if let Some(product) = actor.and_then(|a| a.product_id()) {
        return Some(Filter::eq("product_id", product));
    }
    let (text, args) = crate::releases::visible_to(actor)
        .map(Filter::into_parts)
        .unwrap_or_else(|| ("1 = 1".into(), vec![]));
    Some(Filter::new(
        format!("product_id IN (SELECT product_id FROM releases WHERE {text})"),
        args,
    ))
}

/// By id or key among those matching `scope`.
pub async fn find_visible(
    db: &Db,
    account: &str,
    id: &str,
    scope: Vec<Filter>,
) -> Result<Option<PackageRow>> {
    crate::crud::find_by_alias(db, TABLE, COLUMNS, account, id, ("key", id), scope).await
}

/// An account's packages matching `filters` that `actor` may see.
pub async fn list(
    db: &Db,
    account: &str,
    mut filters: Vec<Filter>,
    actor: Option<&Actor<'_>>,
    page: &Page,
    order: Order,
) -> Result<(Vec<PackageRow>, Option<i64>)> {
    filters.extend(visible_to(actor));
    crate::crud::list(db, TABLE, COLUMNS, account, filters, page, order).await
}

/// The key is taken in the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyTaken;

/// Inserts or rewrites a package (its engine term too) unless its key is taken.
pub async fn save(
    db: &Db,
    row: &PackageRow,
    new: bool,
) -> Result<std::result::Result<(), KeyTaken>> {
    let mut tx = db.begin().await?;
    let taken = tx
        .fetch_optional::<(String,)>(
            sql(format!(
                "SELECT id FROM {TABLE} WHERE account_id = $1 AND key = $2 AND id <> $3"
            ))
            .bind(row.account_id.as_str())
            .bind(row.key.as_str())
            .bind(row.id.as_str()),
        )
        .await?;
    if taken.is_some() {
        return Ok(Err(KeyTaken));
    }
    if let Some(engine) = &row.engine {
        crate::releases::ensure_term(&mut tx, &row.account_id, "engine", engine, row.updated_at)
            .await?;
    }
    let written = if new {
        insert(&mut tx, row).await
    } else {
        let changes = crate::edits::Columns::default()
            .set("name", Some(row.name.clone()))
            .set("key", Some(row.key.clone()))
            .set("engine", Some(row.engine.clone()))
            .set("metadata", Some(row.metadata.clone()))
            .into_vec();
        crate::crud::update(
            &mut tx,
            TABLE,
            &row.account_id,
            &row.id,
            changes,
            row.updated_at,
        )
        .await
        .map(|_| ())
    };
    match written {
        Err(StoreError::Conflict(_)) => return Ok(Err(KeyTaken)),
        other => other?,
    }
    let event = if new {
        "package.created"
    } else {
        "package.updated"
    };
    crate::outbox::emit(&mut tx, event, row, row.updated_at).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Deletes a package (its releases keep existing without one).
pub async fn delete(db: &Db, account: &str, id: &str, now: i64) -> Result<bool> {
    let table = (TABLE, COLUMNS);
    crate::edits::delete_announced::<PackageRow>(db, table, account, id, "package.deleted", now)
        .await
}
