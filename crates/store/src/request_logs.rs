//! `request_logs` (Keygen's request logs): one row per API request, recorded by the
//! server's batched writer (many rows per transaction, off the request path).

use crate::crud::Filter;
use crate::page::{Order, Page};
use crate::{Db, Result};

crate::table!(
    /// One logged request.
    RequestLogRow, "request_logs" {
        id: String,
        account_id: String,
        request_id: String,
        method: String,
        url: String,
        status: i64,
        ip: Option<String>,
        user_agent: Option<String>,
        requestor_type: Option<String>,
        requestor_id: Option<String>,
        resource_type: Option<String>,
        resource_id: Option<String>,
        duration_ms: i64,
        created_at: i64,
        updated_at: i64,
        request_body: Option<String>,
        response_body: Option<String>,
    }
);

/// Inserts a batch in one transaction.
pub async fn insert_batch(db: &Db, rows: &[RequestLogRow]) -> Result<()> {
    let mut tx = db.begin().await?;
    insert_many(&mut tx, rows).await?;
    tx.commit().await
}

/// `GET /request-logs` filters.
#[derive(Debug, Clone, Default)]
pub struct RequestLogQuery {
    /// Only by this requestor: `(type, id)`; the id may be absent.
    pub requestor: Option<(String, Option<String>)>,
    /// Only about this resource: `(type, id)`; the id may be absent.
    pub resource: Option<(String, Option<String>)>,
    /// Only from this IP.
    pub ip: Option<String>,
    /// Only this method (upper case).
    pub method: Option<String>,
    /// Only this status.
    pub status: Option<i64>,
    /// Only this request id.
    pub request: Option<String>,
    /// Only at or after (unix ms).
    pub start: Option<i64>,
    /// Only at or before (unix ms).
    pub end: Option<i64>,
}

fn pair(filters: &mut Vec<Filter>, (kind, id): &(String, Option<String>), columns: [&str; 2]) {
    filters.push(Filter::eq(columns[0], kind.as_str()));
    if let Some(id) = id {
        filters.push(Filter::eq(columns[1], id.as_str()));
    }
}

/// One page of an account's request logs.
pub async fn list(
    db: &Db,
    account: &str,
    query: &RequestLogQuery,
    page: &Page,
    order: Order,
) -> Result<(Vec<RequestLogRow>, Option<i64>)> {
    let mut filters = Vec::new();
    if let Some(requestor) = &query.requestor {
        pair(&mut filters, requestor, ["requestor_type", "requestor_id"]);
    }
    if let Some(resource) = &query.resource {
        pair(&mut filters, resource, ["resource_type", "resource_id"]);
    }
    for (column, value) in [
        ("ip", &query.ip),
        ("method", &query.method),
        ("request_id", &query.request),
    ] {
        if let Some(value) = value {
            filters.push(Filter::eq(column, value.as_str()));
        }
    }
    if let Some(status) = query.status {
        filters.push(Filter::eq("status", status));
    }
    if let Some(start) = query.start {
        filters.push(Filter::new("created_at >= {}", vec![start.into()]));
    }
    if let Some(end) = query.end {
        filters.push(Filter::new("created_at <= {}", vec![end.into()]));
    }
    crate::crud::list(db, TABLE, COLUMNS, account, filters, page, order).await
}

/// A request log of an account by id.
pub async fn find(db: &Db, account: &str, id: &str) -> Result<Option<RequestLogRow>> {
    crate::crud::find(db, TABLE, COLUMNS, account, id).await
}

/// Deletes request logs created before `before` (unix ms); how many.
pub async fn prune(db: &Db, before: i64) -> Result<u64> {
    crate::retention::delete_chunked(db, TABLE, "created_at < $1", before).await
}
