//! The outbox: every store write that changes a resource calls [`emit`] inside its
//! own transaction, so a change and its webhook events commit together or not at
//! all. `emit` selects the account's endpoints subscribed to the event (a
//! product-scoped endpoint only when the resource belongs to its product) and inserts
//! one `webhook_events` row per endpoint, holding a snapshot of the row: the server
//! renders the JSON:API document from the snapshot at delivery, so a deleted
//! resource still delivers its last state and the store never depends on the
//! server's serializers. With no endpoint subscribed an event costs one indexed
//! SELECT.

use crate::webhook_events::WebhookEventRow;
use crate::webhooks::WebhookEndpointRow;
use crate::{Result, Tx, sql};
use serde::Serialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// Which product a resource belongs to, for product-scoped endpoints.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// The resource belongs to this product.
    Product(&'a str),
    /// The resource belongs to this license's product.
    License(&'a str),
    /// Account-wide (users, groups, entitlements): only account-wide endpoints.
    Account,
}

/// A row that webhook events can carry.
pub trait Resource: Serialize {
    /// The JSON:API type (`licenses`).
    const KIND: &'static str;
    /// The row id.
    fn id(&self) -> &str;
    /// The owning account.
    fn account(&self) -> &str;
    /// The product scope.
    fn scope(&self) -> Scope<'_>;
}

macro_rules! resource {
    ($row:ty, $kind:literal, |$r:ident| $scope:expr) => {
        impl Resource for $row {
            const KIND: &'static str = $kind;
            fn id(&self) -> &str {
                &self.id
            }
            fn account(&self) -> &str {
                &self.account_id
            }
            fn scope(&self) -> Scope<'_> {
                let $r = self;
                $scope
            }
        }
    };
}

resource!(crate::products::ProductRow, "products", |r| Scope::Product(
    &r.id
));
resource!(crate::policies::PolicyRow, "policies", |r| Scope::Product(
    &r.product_id
));
resource!(crate::licenses::LicenseRow, "licenses", |r| Scope::Product(
    &r.product_id
));
resource!(crate::machines::MachineRow, "machines", |r| Scope::License(
    &r.license_id
));
resource!(crate::components::ComponentRow, "components", |r| {
    Scope::License(&r.license_id)
});
resource!(crate::processes::ProcessRow, "processes", |r| {
    Scope::License(&r.license_id)
});
resource!(crate::pool_keys::PoolKeyRow, "keys", |r| Scope::Product(
    &r.product_id
));
resource!(crate::users::UserRow, "users", |_r| Scope::Account);
resource!(crate::releases::ReleaseRow, "releases", |r| Scope::Product(
    &r.product_id
));
resource!(crate::artifacts::ArtifactRow, "artifacts", |r| {
    Scope::Product(&r.product_id)
});
resource!(crate::packages::PackageRow, "packages", |r| Scope::Product(
    &r.product_id
));
resource!(crate::groups::GroupRow, "groups", |_r| Scope::Account);
resource!(
    crate::second_factors::SecondFactorRow,
    "second-factors",
    |_r| Scope::Account
);
resource!(crate::entitlements::EntitlementRow, "entitlements", |_r| {
    Scope::Account
});
resource!(
    crate::tokens::TokenRow,
    "tokens",
    |r| if r.bearer_type == "product" {
        Scope::Product(&r.bearer_id)
    } else {
        Scope::Account
    }
);

/// One event to record.
#[derive(Debug, Clone)]
pub struct Event {
    /// The account.
    pub account_id: String,
    /// The event type (`license.created`).
    pub name: String,
    /// The resource's JSON:API type.
    pub resource_type: String,
    /// The resource id.
    pub resource_id: String,
    /// The resource's product, when it has one (resolved for license-scoped rows).
    pub scope: OwnedScope,
    /// `{"row": …, "meta": …}`: what the server renders the payload from.
    pub snapshot: Value,
    /// When it happened (unix ms).
    pub at: i64,
}

/// A [`Scope`] that owns its id.
#[derive(Debug, Clone)]
pub enum OwnedScope {
    /// A product id.
    Product(String),
    /// A license id (its product is looked up when an endpoint is product-scoped).
    License(String),
    /// Account-wide.
    Account,
}

impl Event {
    /// The event `name` about `row`, with optional document `meta` (a validation's
    /// `{valid, detail, code}`).
    pub fn new<R: Resource>(name: &str, row: &R, meta: Option<Value>, at: i64) -> Self {
        Self {
            account_id: row.account().to_owned(),
            name: name.to_owned(),
            resource_type: R::KIND.to_owned(),
            resource_id: row.id().to_owned(),
            scope: match row.scope() {
                Scope::Product(p) => OwnedScope::Product(p.to_owned()),
                Scope::License(l) => OwnedScope::License(l.to_owned()),
                Scope::Account => OwnedScope::Account,
            },
            snapshot: json!({ "row": redacted(json!(row)), "meta": meta }),
            at,
        }
    }
}

/// A row's JSON with secret columns (digests, private keys, secrets) blanked: the
/// outbox keeps no copy of them, and no serializer renders them.
fn redacted(mut row: Value) -> Value {
    if let Some(fields) = row.as_object_mut() {
        for (name, value) in fields.iter_mut() {
            let secret = ["digest", "private", "secret"]
                .iter()
                .any(|s| name.contains(s));
            if secret && value.is_string() {
                *value = Value::String(String::new());
            }
        }
    }
    row
}

/// Records `name` about `row` in the transaction `tx`.
pub async fn emit<R: Resource>(tx: &mut Tx, name: &str, row: &R, at: i64) -> Result<()> {
    record(tx, &Event::new(name, row, None, at)).await
}

/// [`emit`] with document `meta`.
pub async fn emit_meta<R: Resource>(
    tx: &mut Tx,
    name: &str,
    row: &R,
    meta: Value,
    at: i64,
) -> Result<()> {
    record(tx, &Event::new(name, row, Some(meta), at)).await
}

/// Every webhook endpoint of the database, from memory unless one changed since it
/// was last read (the `endpoints` cache key: migration 0013). Read from committed
/// rows, never through a transaction, so a rolled-back endpoint write is never held.
async fn all_endpoints(db: &crate::Db) -> Result<Arc<Vec<WebhookEndpointRow>>> {
    let cache = db.snapshot_cache();
    let (held, ticket) = cache.endpoints();
    if let Some(held) = held {
        return Ok(held);
    }
    let rows: Vec<WebhookEndpointRow> = db.fetch_all(endpoints_query()).await?;
    let rows = Arc::new(rows);
    cache.put_endpoints(ticket, rows.clone());
    Ok(rows)
}

fn endpoints_query() -> crate::Sql {
    sql(format!(
        "SELECT {} FROM webhook_endpoints",
        crate::webhooks::COLUMNS
    ))
}

/// [`all_endpoints`] for a transaction, which holds a pooled connection: when the
/// list is not held and no other connection is free, it is read through the
/// transaction itself and not kept (it may see the transaction's own writes).
async fn all_endpoints_in(tx: &mut Tx) -> Result<Arc<Vec<WebhookEndpointRow>>> {
    let cache = tx.db().snapshot_cache();
    let (held, ticket) = cache.endpoints();
    if let Some(held) = held {
        return Ok(held);
    }
    if let Some(rows) = tx.db().fetch_all_if_free(endpoints_query()).await? {
        let rows = Arc::new(rows);
        cache.put_endpoints(ticket, rows.clone());
        return Ok(rows);
    }
    Ok(Arc::new(tx.fetch_all(endpoints_query()).await?))
}

async fn endpoints_of(tx: &mut Tx, account: &str) -> Result<Vec<WebhookEndpointRow>> {
    let all = all_endpoints_in(tx).await?;
    Ok(all
        .iter()
        .filter(|endpoint| endpoint.account_id == account)
        .cloned()
        .collect())
}

/// Whether any endpoint (of any account) subscribes to `event`.
async fn delivered(db: &crate::Db, event: &str) -> Result<bool> {
    let all = all_endpoints(db).await?;
    Ok(all
        .iter()
        .any(|endpoint| latchkey_core::webhooks::subscribes(&endpoint.subscription_list(), event)))
}

/// Records one event in `tx`: its event log, and one `webhook_events` row per
/// selected endpoint.
pub async fn record(tx: &mut Tx, event: &Event) -> Result<()> {
    crate::event_logs::record(tx, event).await?;
    let endpoints = endpoints_of(tx, &event.account_id).await?;
    let mut rows = Vec::new();
    rows_for(tx, event, endpoints, &mut rows).await?;
    crate::webhook_events::insert_many(tx, &rows).await
}

/// Appends to `rows` one webhook event per endpoint of `endpoints` that receives `event`.
async fn rows_for(
    tx: &mut Tx,
    event: &Event,
    endpoints: Vec<WebhookEndpointRow>,
    rows: &mut Vec<WebhookEventRow>,
) -> Result<()> {
    let mut product: Option<Option<String>> = None;
    for endpoint in endpoints {
        if !latchkey_core::webhooks::subscribes(&endpoint.subscription_list(), &event.name) {
            continue;
        }
        if let Some(scoped) = &endpoint.product_id {
            if product.is_none() {
                product = Some(product_of(tx, &event.scope).await?);
            }
            if product.as_ref().and_then(|p| p.as_deref()) != Some(scoped.as_str()) {
                continue;
            }
        }
        rows.push(WebhookEventRow {
            id: crate::new_id(),
            account_id: event.account_id.clone(),
            endpoint_id: Some(endpoint.id.clone()),
            product_id: endpoint.product_id.clone(),
            endpoint_url: endpoint.url.clone(),
            api_version: endpoint.api_version.clone(),
            signature_algorithm: endpoint.signature_algorithm.clone(),
            event: event.name.clone(),
            resource_type: event.resource_type.clone(),
            resource_id: event.resource_id.clone(),
            snapshot: event.snapshot.to_string(),
            status: "DELIVERING".into(),
            attempts: 0,
            next_attempt_at: Some(event.at),
            last_response_code: None,
            last_response_body: None,
            created_at: event.at,
            updated_at: event.at,
        });
    }
    Ok(())
}

async fn product_of(tx: &mut Tx, scope: &OwnedScope) -> Result<Option<String>> {
    Ok(match scope {
        OwnedScope::Product(p) => Some(p.clone()),
        OwnedScope::Account => None,
        OwnedScope::License(l) => tx
            .fetch_optional::<(String,)>(
                sql("SELECT product_id FROM licenses WHERE id = $1").bind(l),
            )
            .await?
            .map(|(p,)| p),
    })
}

/// Records a batch of events in one transaction (the validation-event writer).
pub async fn record_batch(db: &crate::Db, events: &[Event]) -> Result<()> {
    let mut tx = db.begin().await?;
    let mut rows = Vec::new();
    let mut endpoints: std::collections::HashMap<String, Vec<WebhookEndpointRow>> =
        std::collections::HashMap::new();
    for event in events {
        if !endpoints.contains_key(&event.account_id) {
            let found = endpoints_of(&mut tx, &event.account_id).await?;
            endpoints.insert(event.account_id.clone(), found);
        }
        let of_account = endpoints
            .get(&event.account_id)
            .cloned()
            .unwrap_or_default();
        rows_for(&mut tx, event, of_account, &mut rows).await?;
    }
    crate::webhook_events::insert_many(&mut tx, &rows).await?;
    tx.commit().await
}

/// Records `name` about the row `id` of `table` as it is now (call before deleting
/// it: the event carries its last state).
pub async fn emit_current<R: crate::db::Row + Resource>(
    tx: &mut Tx,
    table: &str,
    columns: &str,
    account: &str,
    id: &str,
    name: &str,
    at: i64,
) -> Result<()> {
    if let Some(row) = crate::crud::find_tx::<R>(tx, table, columns, account, id).await? {
        emit(tx, name, &row, at).await?;
    }
    Ok(())
}

/// Runs `q`, an `UPDATE` of at most one row, and, when it changed the row, records
/// `name` about it as written (`q` gets a `RETURNING` clause: one statement, not a
/// write and a read); rows affected.
///
/// When no endpoint subscribes to `name` (the heartbeat's usual case), the
/// statement returns only the row's account and id, no event document is built,
/// and only its event log follows, after the commit. On PostgreSQL the statement
/// runs alone, without `BEGIN` and `COMMIT` round trips, with the given
/// durability. An endpoint created while the statement runs (on another node:
/// within its notification delay, milliseconds) misses that event.
pub async fn execute_announced<R: crate::db::Row + Resource>(
    db: &crate::Db,
    q: crate::Sql,
    columns: &str,
    (name, durability): (&str, crate::Durability),
    at: i64,
) -> Result<u64> {
    if !delivered(db, name).await? {
        // The event log names the row only: returning two columns rather than all
        // of them makes a heartbeat's update a seventh cheaper for PostgreSQL.
        let q = q.push(" RETURNING account_id, id");
        let row: Option<(String, String)> = db.write_returning(q, durability).await?;
        if let Some((account, id)) = &row
            && let Some(log) = crate::event_logs::log_row(name, account, (R::KIND, id), at)
        {
            db.log_events(vec![log]).await?;
        }
        return Ok(u64::from(row.is_some()));
    }
    let q = q.push(&format!(" RETURNING {columns}"));
    let mut tx = db.begin().await?;
    let row: Option<R> = tx.fetch_optional(q).await?;
    if let Some(row) = &row {
        emit(&mut tx, name, row, at).await?;
    }
    tx.commit().await?;
    Ok(u64::from(row.is_some()))
}

/// Records `name` about the row `id` of `table` as it is now, in `tx` (the
/// attach/detach and relationship events, which carry the holder's document).
pub async fn emit_row<R: crate::db::Row + Resource>(
    tx: &mut Tx,
    (table, columns): (&str, &str),
    id: &str,
    name: &str,
    at: i64,
) -> Result<()> {
    let row: Option<R> = tx
        .fetch_optional(sql(format!("SELECT {columns} FROM {table} WHERE id = $1")).bind(id))
        .await?;
    if let Some(row) = row {
        emit(tx, name, &row, at).await?;
    }
    Ok(())
}
