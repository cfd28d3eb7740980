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

/// Inserts a batch in one transaction. On PostgreSQL that is one statement whatever
/// the batch size: every column travels as one array and `UNNEST` turns them back
/// into rows, so the server parses and plans one prepared statement instead of a
/// multi-row `VALUES` text per chunk.
pub async fn insert_batch(db: &Db, rows: &[RequestLogRow]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    match db {
        Db::Postgres { pool, .. } => insert_unnest(pool, rows).await,
        Db::Sqlite { .. } => {
            let mut tx = db.begin().await?;
            insert_many(&mut tx, rows).await?;
            tx.commit().await
        }
    }
}

const INSERT_UNNEST: &str = "INSERT INTO request_logs (id, account_id, request_id, method, url, \
     status, ip, user_agent, requestor_type, requestor_id, resource_type, resource_id, \
     duration_ms, created_at, updated_at, request_body, response_body) \
     SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], \
     $6::bigint[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], \
     $12::text[], $13::bigint[], $14::bigint[], $15::bigint[], $16::text[], $17::text[])";

async fn insert_unnest(pool: &sqlx::PgPool, rows: &[RequestLogRow]) -> Result<()> {
    fn text(rows: &[RequestLogRow], f: impl Fn(&RequestLogRow) -> &String) -> Vec<String> {
        rows.iter().map(|r| f(r).clone()).collect()
    }
    fn opt(
        rows: &[RequestLogRow],
        f: impl Fn(&RequestLogRow) -> &Option<String>,
    ) -> Vec<Option<String>> {
        rows.iter().map(|r| f(r).clone()).collect()
    }
    fn int(rows: &[RequestLogRow], f: impl Fn(&RequestLogRow) -> i64) -> Vec<i64> {
        rows.iter().map(f).collect()
    }
    sqlx::query(INSERT_UNNEST)
        .bind(text(rows, |r| &r.id))
        .bind(text(rows, |r| &r.account_id))
        .bind(text(rows, |r| &r.request_id))
        .bind(text(rows, |r| &r.method))
        .bind(text(rows, |r| &r.url))
        .bind(int(rows, |r| r.status))
        .bind(opt(rows, |r| &r.ip))
        .bind(opt(rows, |r| &r.user_agent))
        .bind(opt(rows, |r| &r.requestor_type))
        .bind(opt(rows, |r| &r.requestor_id))
        .bind(opt(rows, |r| &r.resource_type))
        .bind(opt(rows, |r| &r.resource_id))
        .bind(int(rows, |r| r.duration_ms))
        .bind(int(rows, |r| r.created_at))
        .bind(int(rows, |r| r.updated_at))
        .bind(opt(rows, |r| &r.request_body))
        .bind(opt(rows, |r| &r.response_body))
        .execute(pool)
        .await?;
    Ok(())
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

/// One UTC day of an account's traffic (the admin dashboard's chart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DayCounts {
    /// Days since the epoch (UTC).
    pub day: i64,
    /// License validations (`…/actions/validate-key`, `…/{id}/actions/validate`).
    pub validations: i64,
    /// Machine activations (`POST …/machines` answered 201).
    pub activations: i64,
}

/// Validations and activations per UTC day from `from_day` (days since the epoch)
/// on, from the account's request logs; days without traffic are left out.
pub async fn daily_counts(db: &Db, account: &str, from_day: i64) -> Result<Vec<DayCounts>> {
    let rows: Vec<(i64, i64, i64)> = db
        .fetch_all(
            crate::sql(
                "SELECT created_at / 86400000 AS day, \
                 SUM(CASE WHEN url LIKE '%/actions/validate%' THEN 1 ELSE 0 END), \
                 SUM(CASE WHEN method = 'POST' AND status = 201 \
                     AND (url LIKE '%/machines' OR url LIKE '%/machines?%') THEN 1 ELSE 0 END) \
                 FROM request_logs WHERE account_id = $1 AND created_at >= $2 \
                 GROUP BY created_at / 86400000 ORDER BY 1",
            )
            .bind(account)
            .bind(from_day.saturating_mul(86_400_000)),
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|(day, validations, activations)| DayCounts {
            day,
            validations,
            activations,
        })
        .collect())
}
