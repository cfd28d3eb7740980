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
    crate::outbox::emit(&mut tx, "product.created", row, row.created_at).await?;
    tx.commit().await
}

/// What `PATCH /products/{id}` changes; a field left `None` keeps its column, an
/// inner `None` sets a nullable column to NULL.
#[derive(Debug, Clone, Default)]
pub struct ProductChanges {
    /// The name.
    pub name: Option<String>,
    /// The code (unique within the account).
    pub code: Option<Option<String>>,
    /// `LICENSED`, `OPEN` or `CLOSED`.
    pub distribution_strategy: Option<String>,
    /// The URL.
    pub url: Option<Option<String>>,
    /// The platforms, as a JSON array text.
    pub platforms: Option<String>,
    /// The metadata object, as JSON text.
    pub metadata: Option<String>,
}

impl ProductChanges {
    fn columns(self) -> Vec<(&'static str, crate::Arg)> {
        crate::edits::Columns::default()
            .set("name", self.name)
            .set("code", self.code)
            .set("distribution_strategy", self.distribution_strategy)
            .set("url", self.url)
            .set("platforms", self.platforms)
            .set("metadata", self.metadata)
            .into_vec()
    }
}

/// Updates a product's attributes; the row as written (`None` when gone). A taken
/// code is `StoreError::Conflict`.
pub async fn update(
    db: &Db,
    account: &str,
    id: &str,
    changes: ProductChanges,
    now: i64,
) -> Result<Option<ProductRow>> {
    let changes = changes.columns();
    crate::edits::update_returning(
        db,
        TABLE,
        COLUMNS,
        account,
        id,
        changes,
        now,
        "product.updated",
    )
    .await
}

/// Deletes a product with its tokens in one transaction (policies, licenses and
/// machines cascade).
pub async fn delete(db: &Db, account: &str, id: &str, now: i64) -> Result<()> {
    let mut tx = db.begin().await?;
    crate::outbox::emit_current::<ProductRow>(
        &mut tx,
        TABLE,
        COLUMNS,
        account,
        id,
        "product.deleted",
        now,
    )
    .await?;
    crate::tokens::delete_for_bearer_tx(&mut tx, account, id).await?;
    crate::crud::delete(&mut tx, TABLE, account, id).await?;
    tx.commit().await
}
