//! `products`: what a vendor sells; policies and licenses belong to one.

crate::table!(
    /// A product. `platforms` is a JSON array, `metadata` a JSON object.
    ProductRow, "products" {
        id: String,
        account_id: String,
        name: String,
        code: Option<String>,
        distribution_strategy: String,
        url: Option<String>,
        platforms: String,
        metadata: String,
        created_at: i64,
        updated_at: i64,
    }
);

use crate::page::{Order, Page};
use crate::{Db, Result};

/// A product of an account by id.
pub async fn find(db: &Db, account: &str, id: &str) -> Result<Option<ProductRow>> {
    crate::crud::find(db, TABLE, COLUMNS, account, id).await
}

/// One page of the products of an account (`only`: just this product, for a
/// product bearer).
pub async fn list(
    db: &Db,
    account: &str,
    only: Option<&str>,
    page: &Page,
    order: Order,
) -> Result<(Vec<ProductRow>, Option<i64>)> {
    let filters = only
        .map(|id| crate::crud::Filter::eq("id", id))
        .into_iter()
        .collect();
    crate::crud::list(db, TABLE, COLUMNS, account, filters, page, order).await
}

/// Creates a product (a taken code is `StoreError::Conflict`).
pub async fn create(db: &Db, row: &ProductRow) -> Result<()> {
    let mut tx = db.begin().await?;
    insert(&mut tx, row).await?;
    tx.commit().await
}

/// Updates a product's attributes; the row as written (`None` when gone). A taken
/// code is `StoreError::Conflict`.
pub async fn update(
    db: &Db,
    account: &str,
    id: &str,
    changes: Vec<(&str, crate::Arg)>,
    now: i64,
) -> Result<Option<ProductRow>> {
    crate::edits::update_returning(db, TABLE, COLUMNS, account, id, changes, now).await
}

/// Deletes a product with its tokens in one transaction (policies, licenses and
/// machines cascade).
pub async fn delete(db: &Db, account: &str, id: &str) -> Result<()> {
    let mut tx = db.begin().await?;
    crate::tokens::delete_for_bearer_tx(&mut tx, account, id).await?;
    crate::crud::delete(&mut tx, TABLE, account, id).await?;
    tx.commit().await
}
