//! `event_logs` (Keygen's event logs, spec §2.14): every event the outbox records,
//! with who did it — the whodunnit bearer and the request id — gathered by the
//! transaction of the change and written once it commits, in batches
//! ([`crate::event_log_writer`]); [`list`] and [`find`] wait for what this process
//! has queued. Validation events are not logged (they go through the
//! batched writer only while an endpoint subscribes; logging each one would put a
//! write on validate-key).
//!
//! Who is acting is carried by a task-local [`Context`]: the server opens it for
//! each request ([`scope`]) with the request id and fills in the bearer once it has
//! authenticated ([`set_whodunnit`]), so no store write needs an extra parameter.
//! Writes outside a request (jobs) log no whodunnit.

use crate::crud::Filter;
use crate::page::{Order, Page};
use crate::{Db, Result, Tx};
use std::sync::{Arc, Mutex};

crate::table!(
    /// One logged event.
    EventLogRow, "event_logs" {
        id: String,
        account_id: String,
        event: String,
        resource_type: String,
        resource_id: String,
        whodunnit_type: Option<String>,
        whodunnit_id: Option<String>,
        request_id: Option<String>,
        created_at: i64,
        updated_at: i64,
    }
);

/// Who is acting in the current request.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The request id (`X-Request-Id`).
    pub request_id: Option<String>,
    /// The bearer: `(type, id)`, e.g. `("users", id)`.
    pub whodunnit: Option<(String, String)>,
}

tokio::task_local! {
    static CONTEXT: Arc<Mutex<Context>>;
}

/// Runs `future` (one request) with a context holding `request_id`.
pub async fn scope<F: Future>(request_id: String, future: F) -> F::Output {
    let context = Context {
        request_id: Some(request_id),
        whodunnit: None,
    };
    CONTEXT.scope(Arc::new(Mutex::new(context)), future).await
}

/// Records the authenticated bearer of the current request (no-op outside one).
pub fn set_whodunnit(kind: &str, id: &str) {
    let _ = CONTEXT.try_with(|cell| {
        if let Ok(mut context) = cell.lock() {
            context.whodunnit = Some((kind.to_owned(), id.to_owned()));
        }
    });
}

/// The current context (empty outside a request).
pub fn current() -> Context {
    CONTEXT
        .try_with(|cell| cell.lock().map(|c| c.clone()).unwrap_or_default())
        .unwrap_or_default()
}

/// Logs `event` in `tx` with the current context.
pub(crate) async fn record(tx: &mut Tx, event: &crate::outbox::Event) -> Result<()> {
    let row = log_row(
        &event.name,
        &event.account_id,
        (&event.resource_type, &event.resource_id),
        event.at,
    );
    match row {
        Some(row) => tx.log_event(row).await,
        None => Ok(()),
    }
}

/// The log of the event `name` about `resource` (`(type, id)`) with the current
/// context; none for validation events.
pub(crate) fn log_row(
    name: &str,
    account: &str,
    (resource_type, resource_id): (&str, &str),
    at: i64,
) -> Option<EventLogRow> {
    if latchkey_core::webhooks::VALIDATION_EVENTS.contains(&name) {
        return None;
    }
    let context = current();
    let (whodunnit_type, whodunnit_id) = context.whodunnit.unzip();
    Some(EventLogRow {
        id: crate::ordered_id(at),
        account_id: account.to_owned(),
        event: name.to_owned(),
        resource_type: resource_type.to_owned(),
        resource_id: resource_id.to_owned(),
        whodunnit_type,
        whodunnit_id,
        request_id: context.request_id,
        created_at: at,
        updated_at: at,
    })
}

/// `GET /event-logs` filters.
#[derive(Debug, Clone, Default)]
pub struct EventLogQuery {
    /// Only these event types (empty: all).
    pub events: Vec<String>,
    /// Only about this resource: `(type, id)`; the id may be absent.
    pub resource: Option<(String, Option<String>)>,
    /// Only by this bearer: `(type, id)`; the id may be absent.
    pub whodunnit: Option<(String, Option<String>)>,
    /// Only of this request id.
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

/// One page of an account's event logs.
pub async fn list(
    db: &Db,
    account: &str,
    query: &EventLogQuery,
    page: &Page,
    order: Order,
) -> Result<(Vec<EventLogRow>, Option<i64>)> {
    db.flush_event_logs().await;
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
    if let Some(resource) = &query.resource {
        pair(&mut filters, resource, ["resource_type", "resource_id"]);
    }
    if let Some(whodunnit) = &query.whodunnit {
        pair(&mut filters, whodunnit, ["whodunnit_type", "whodunnit_id"]);
    }
    if let Some(request) = &query.request {
        filters.push(Filter::eq("request_id", request.as_str()));
    }
    if let Some(start) = query.start {
        filters.push(Filter::new("created_at >= {}", vec![start.into()]));
    }
    if let Some(end) = query.end {
        filters.push(Filter::new("created_at <= {}", vec![end.into()]));
    }
    crate::crud::list(db, TABLE, COLUMNS, account, filters, page, order).await
}

/// An event log of an account by id.
pub async fn find(db: &Db, account: &str, id: &str) -> Result<Option<EventLogRow>> {
    db.flush_event_logs().await;
    crate::crud::find(db, TABLE, COLUMNS, account, id).await
}

/// Deletes event logs created before `before` (unix ms); how many. Logs still
/// queued on this process are written first, so none of them outlives a pass.
pub async fn prune(db: &Db, before: i64) -> Result<u64> {
    db.flush_event_logs().await;
    crate::retention::delete_chunked(db, TABLE, "created_at < $1", before).await
}
