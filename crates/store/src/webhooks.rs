//! `webhook_endpoints`: where an account's events are posted. `subscriptions` is a
//! JSON array of event types (`["*"]` for all; empty when disabled).

crate::table!(
    /// A webhook endpoint. `product_id` scopes it to one product's resources.
    WebhookEndpointRow, "webhook_endpoints" {
        id: String,
        account_id: String,
        product_id: Option<String>,
        url: String,
        subscriptions: String,
        signature_algorithm: String,
        api_version: String,
        created_at: i64,
        updated_at: i64,
    }
);

use crate::page::{Order, Page};
use crate::{Db, Result, sql};

impl WebhookEndpointRow {
    /// The subscriptions as a list (an unreadable column reads as none: disabled).
    pub fn subscription_list(&self) -> Vec<String> {
        serde_json::from_str(&self.subscriptions).unwrap_or_default()
    }
}

/// An endpoint of an account by id.
pub async fn find(db: &Db, account: &str, id: &str) -> Result<Option<WebhookEndpointRow>> {
    crate::crud::find(db, TABLE, COLUMNS, account, id).await
}

/// One page of an account's endpoints (`product`: only that product's, for a
/// product bearer).
pub async fn list(
    db: &Db,
    account: &str,
    product: Option<&str>,
    page: &Page,
    order: Order,
) -> Result<(Vec<WebhookEndpointRow>, Option<i64>)> {
    let filters = product
        .map(|p| crate::crud::Filter::eq("product_id", p))
        .into_iter()
        .collect();
    crate::crud::list(db, TABLE, COLUMNS, account, filters, page, order).await
}

/// Creates an endpoint.
pub async fn create(db: &Db, row: &WebhookEndpointRow) -> Result<()> {
    let mut tx = db.begin().await?;
    insert(&mut tx, row).await?;
    tx.commit().await
}

/// What `PATCH /webhook-endpoints/{id}` changes (`None` keeps the column).
#[derive(Debug, Clone, Default)]
pub struct WebhookEndpointChanges {
    /// The URL.
    pub url: Option<String>,
    /// The subscriptions, as a JSON array text.
    pub subscriptions: Option<String>,
    /// The signature algorithm.
    pub signature_algorithm: Option<String>,
    /// The API version payloads are rendered at.
    pub api_version: Option<String>,
    /// The product scope (inner `None`: account-wide).
    pub product_id: Option<Option<String>>,
}

/// Updates an endpoint; the row as written (`None` when gone).
pub async fn update(
    db: &Db,
    account: &str,
    id: &str,
    changes: WebhookEndpointChanges,
    now: i64,
) -> Result<Option<WebhookEndpointRow>> {
    let columns = crate::edits::Columns::default()
        .set("url", changes.url)
        .set("subscriptions", changes.subscriptions)
        .set("signature_algorithm", changes.signature_algorithm)
        .set("api_version", changes.api_version)
        .set("product_id", changes.product_id)
        .into_vec();
    let mut tx = db.begin().await?;
    crate::crud::update(&mut tx, TABLE, account, id, columns, now).await?;
    let row = crate::crud::find_tx(&mut tx, TABLE, COLUMNS, account, id).await?;
    tx.commit().await?;
    Ok(row)
}

/// Deletes an endpoint (its events stay, with the endpoint unset).
pub async fn delete(db: &Db, account: &str, id: &str) -> Result<bool> {
    crate::edits::delete(db, TABLE, account, id).await
}

/// Disables an endpoint by emptying its subscriptions (a 410 Gone from it; written with
/// the event's status: [`crate::webhook_events::finish_disabling`]).
pub(crate) fn disable_query(id: &str, now: i64) -> crate::Sql {
    sql("UPDATE webhook_endpoints SET subscriptions = '[]', updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
}

/// The accounts with an endpoint subscribed to any of `events` (or `*`): the
/// validation-event writer records validations only for these.
pub async fn accounts_subscribed(db: &Db, events: &[&str]) -> Result<Vec<String>> {
    let rows: Vec<(String, String)> = db
        .fetch_all(sql(
            "SELECT account_id, subscriptions FROM webhook_endpoints",
        ))
        .await?;
    let mut accounts: Vec<String> = rows
        .into_iter()
        .filter(|(_, subs)| {
            let subs: Vec<String> = serde_json::from_str(subs).unwrap_or_default();
            events
                .iter()
                .any(|e| latchkey_core::webhooks::subscribes(&subs, e))
        })
        .map(|(account, _)| account)
        .collect();
    accounts.sort();
    accounts.dedup();
    Ok(accounts)
}
