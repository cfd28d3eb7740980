//! `webhook_events`: the outbox rows ([`crate::outbox`] inserts them) and their
//! delivery state. The worker [`claim`]s due rows — counting the attempt and pushing
//! `next_attempt_at` past a lease *before* it posts, in one statement (`FOR UPDATE
//! SKIP LOCKED` on PostgreSQL, so several server processes never claim the same
//! row) — and then [`finish`]es them. A process that dies mid-post leaves the row
//! to be claimed again when the lease runs out: the repeat carries the same id.

crate::table!(
    /// A webhook event: one event for one endpoint.
    WebhookEventRow, "webhook_events" {
        id: String,
        account_id: String,
        endpoint_id: Option<String>,
        product_id: Option<String>,
        endpoint_url: String,
        api_version: String,
        signature_algorithm: String,
        event: String,
        resource_type: String,
        resource_id: String,
        snapshot: String,
        status: String,
        attempts: i64,
        next_attempt_at: Option<i64>,
        last_response_code: Option<i64>,
        last_response_body: Option<String>,
        created_at: i64,
        updated_at: i64,
    }
);

use crate::crud::Filter;
use crate::page::{Order, Page};
use crate::{Backend, Db, Result, sql};

/// A webhook event of an account by id.
pub async fn find(db: &Db, account: &str, id: &str) -> Result<Option<WebhookEventRow>> {
    crate::crud::find(db, TABLE, COLUMNS, account, id).await
}

/// `GET /webhook-events` filters.
#[derive(Debug, Clone, Default)]
pub struct WebhookEventQuery {
    /// Only these event types (empty: all).
    pub events: Vec<String>,
    /// Only events of endpoints scoped to this product (a product bearer).
    pub product: Option<String>,
    /// Only events for this endpoint.
    pub endpoint: Option<String>,
    /// Only events with this status.
    pub status: Option<String>,
}

/// One page of an account's webhook events.
pub async fn list(
    db: &Db,
    account: &str,
    query: &WebhookEventQuery,
    page: &Page,
    order: Order,
) -> Result<(Vec<WebhookEventRow>, Option<i64>)> {
    let mut filters = Vec::new();
    if !query.events.is_empty() {
        let clause = format!(
            "event IN ({})",
            crate::edits::placeholders(query.events.len())
        );
        filters.push(Filter::new(
            clause,
            query.events.iter().map(crate::Arg::from).collect(),
        ));
    }
    if let Some(product) = &query.product {
        filters.push(Filter::eq("product_id", product));
    }
    if let Some(endpoint) = &query.endpoint {
        filters.push(Filter::eq("endpoint_id", endpoint));
    }
    if let Some(status) = &query.status {
        filters.push(Filter::eq("status", status));
    }
    crate::crud::list(db, TABLE, COLUMNS, account, filters, page, order).await
}

/// Deletes a webhook event; true when it existed.
pub async fn delete(db: &Db, account: &str, id: &str) -> Result<bool> {
    crate::edits::delete(db, TABLE, account, id).await
}

/// `actions/retry`: a new event (new id) for the same endpoint, resource snapshot and
/// type, due now. `None` when its endpoint is gone.
pub async fn retry(
    db: &Db,
    original: &WebhookEventRow,
    now: i64,
) -> Result<Option<WebhookEventRow>> {
    let Some(endpoint_id) = &original.endpoint_id else {
        return Ok(None);
    };
    let mut tx = db.begin().await?;
    let Some(endpoint) = crate::crud::find_tx::<crate::webhooks::WebhookEndpointRow>(
        &mut tx,
        crate::webhooks::TABLE,
        crate::webhooks::COLUMNS,
        &original.account_id,
        endpoint_id,
    )
    .await?
    else {
        return Ok(None);
    };
    let row = WebhookEventRow {
        id: crate::new_id(),
        endpoint_url: endpoint.url,
        api_version: endpoint.api_version,
        signature_algorithm: endpoint.signature_algorithm,
        product_id: endpoint.product_id,
        status: "DELIVERING".into(),
        attempts: 0,
        next_attempt_at: Some(now),
        last_response_code: None,
        last_response_body: None,
        created_at: now,
        updated_at: now,
        ..original.clone()
    };
    insert(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(Some(row))
}

/// A claimed event and when its attempt had been due (unix ms), so the worker can
/// tell how late it runs.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// The event, as claimed (`attempts` counted, `next_attempt_at` at the lease end).
    pub row: WebhookEventRow,
    /// Its `next_attempt_at` before the claim.
    pub due_at: i64,
}

/// Claims up to `limit` due events (`next_attempt_at <= now`), oldest due first: each
/// claimed row's `attempts` grows by one and `next_attempt_at` moves to
/// `lease_until`, committed before the caller posts anything.
pub async fn claim(db: &Db, now: i64, lease_until: i64, limit: i64) -> Result<Vec<Claimed>> {
    let lock = match db.backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let mut tx = db.begin().await?;
    let due: Vec<(String, i64)> = tx
        .fetch_all(
            sql(format!(
                "SELECT id, next_attempt_at FROM webhook_events WHERE next_attempt_at IS NOT NULL \
                 AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $2{lock}"
            ))
            .bind(now)
            .bind(limit),
        )
        .await?;
    if due.is_empty() {
        tx.commit().await?;
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (2..due.len() + 2).map(|n| format!("${n}")).collect();
    let mut q = sql(format!(
        "UPDATE webhook_events SET attempts = attempts + 1, next_attempt_at = $1 \
         WHERE id IN ({}) RETURNING {COLUMNS}",
        placeholders.join(", ")
    ))
    .bind(lease_until);
    for (id, _) in &due {
        q = q.bind(id.as_str());
    }
    let rows: Vec<WebhookEventRow> = tx.fetch_all(q).await?;
    tx.commit().await?;
    let due_at: std::collections::HashMap<String, i64> = due.into_iter().collect();
    let mut claimed: Vec<Claimed> = rows
        .into_iter()
        .map(|row| Claimed {
            due_at: due_at.get(&row.id).copied().unwrap_or(now),
            row,
        })
        .collect();
    claimed.sort_by_key(|c| c.due_at);
    Ok(claimed)
}

/// An attempt's result.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The new status.
    pub status: &'static str,
    /// When to try again (`None`: never).
    pub next_attempt_at: Option<i64>,
    /// The HTTP status, when there was one.
    pub response_code: Option<i64>,
    /// The (truncated) response body, or an error tag (`REQ_TIMEOUT`).
    pub response_body: Option<String>,
}

/// Records the result of the attempt numbered `attempts` (as claimed). A row claimed
/// again since (its lease ran out) is left to the newer attempt: false.
pub async fn finish(db: &Db, id: &str, attempts: i64, attempt: &Attempt, now: i64) -> Result<bool> {
    Ok(db.execute(finish_query(id, attempts, attempt, now)).await? > 0)
}

/// [`finish`] for an answer that also disables the event's endpoint (410 Gone): the
/// event's status and the endpoint's emptied subscriptions commit together, so whoever
/// reads the one reads the other.
pub async fn finish_disabling(
    db: &Db,
    id: &str,
    attempts: i64,
    attempt: &Attempt,
    endpoint: &str,
    now: i64,
) -> Result<bool> {
    let mut tx = db.begin().await?;
    let finished = tx.execute(finish_query(id, attempts, attempt, now)).await? > 0;
    tx.execute(crate::webhooks::disable_query(endpoint, now))
        .await?;
    tx.commit().await?;
    Ok(finished)
}

fn finish_query(id: &str, attempts: i64, attempt: &Attempt, now: i64) -> crate::Sql {
    sql(
        "UPDATE webhook_events SET status = $1, next_attempt_at = $2, last_response_code = $3, \
         last_response_body = $4, updated_at = $5 WHERE id = $6 AND attempts = $7",
    )
    .bind(attempt.status)
    .bind(attempt.next_attempt_at)
    .bind(attempt.response_code)
    .bind(attempt.response_body.clone())
    .bind(now)
    .bind(id)
    .bind(attempts)
}

/// Deletes an account's delivered or failed events created before `before` (the
/// retention job); how many.
pub async fn prune(db: &Db, before: i64) -> Result<u64> {
    db.execute(
        sql("DELETE FROM webhook_events WHERE next_attempt_at IS NULL AND created_at < $1")
            .bind(before),
    )
    .await
}
