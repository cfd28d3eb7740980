//! `GET /licenses` in SQL: the caller's visibility, Keygen's list filters (§5.4) as
//! typed values (the server parses and validates the query string), and the
//! per-page facts the serializer needs, loaded for the whole page at once.

use crate::crud::Filter;
use crate::licenses::{COLUMNS, LicenseCounts, LicenseRow, TABLE, USER_LICENSES};
use crate::page::{Order, Page};
use crate::{Arg, Db, Result, sql};
use latchkey_core::access::Actor;
use latchkey_core::licensing::{Status, activity_cutoff, expiring_before};
use std::collections::HashMap;

/// The licenses `actor` may see (lists and id/key lookups); `None` for staff, who
/// see every license of the account.
pub fn visible_to(actor: &Actor<'_>) -> Option<Filter> {
    match actor {
        _ if actor.is_staff() => None,
        Actor::Product { id } => Some(Filter::eq("product_id", *id)),
        Actor::License { id, .. } => Some(Filter::eq("id", *id)),
        Actor::User { id, .. } => Some(Filter::new(
            format!("id IN ({USER_LICENSES})"),
            vec![(*id).into(), (*id).into()],
        )),
    }
}

/// An `expires[…]` filter, as instants (unix ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expires {
    /// `from <= expiry <= to` (`within`).
    Within {
        /// Start (inclusive).
        from: i64,
        /// End (inclusive).
        to: i64,
    },
    /// `start <= expiry < end` (`in`, `on`: one UTC day).
    Day {
        /// Start (inclusive).
        start: i64,
        /// End (exclusive).
        end: i64,
    },
    /// `expiry < at`.
    Before(i64),
    /// `expiry > at`.
    After(i64),
}

/// An `activity[…]` filter: any activity (creation, validation, check-in,
/// check-out) at or after the instant, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    /// Some activity at or after the instant.
    Since(i64),
    /// No activity at or after the instant.
    NotSince(i64),
}

/// A comparison of the machine count (`activations[…]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    /// `=`
    Eq,
    /// `>`
    Gt,
    /// `>=`
    Gte,
    /// `<`
    Lt,
    /// `<=`
    Lte,
}

impl Cmp {
    fn sql(self) -> &'static str {
        match self {
            Cmp::Eq => "=",
            Cmp::Gt => ">",
            Cmp::Gte => ">=",
            Cmp::Lt => "<",
            Cmp::Lte => "<=",
        }
    }
}

/// Every filter of `GET /licenses`, parsed.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// `product`.
    pub product: Option<String>,
    /// `policy`.
    pub policy: Option<String>,
    /// `owner`.
    pub owner: Option<String>,
    /// `group`.
    pub group: Option<String>,
    /// `user`: id of an owner or licensee, or the owner's email.
    pub user: Option<String>,
    /// `machine`: id or fingerprint of one of its machines.
    pub machine: Option<String>,
    /// `suspended`.
    pub suspended: Option<bool>,
    /// `status`.
    pub status: Option<Status>,
    /// `expired`.
    pub expired: Option<bool>,
    /// `unassigned=true`.
    pub unassigned: bool,
    /// `assigned=true`.
    pub assigned: bool,
    /// `activated`.
    pub activated: Option<bool>,
    /// `expires[…]`.
    pub expires: Vec<Expires>,
    /// `activity[…]`.
    pub activity: Vec<Activity>,
    /// `activations[…]`.
    pub activations: Vec<(Cmp, i64)>,
    /// `metadata[key]=value` (keys already camelCased).
    pub metadata: Vec<(String, String)>,
}

/// Any activity at or after `{}` (four placeholders, the same instant).
const ACTIVE_SINCE: &str = "(created_at >= {} OR COALESCE(last_validated_at, 0) >= {} \
     OR COALESCE(last_check_in_at, 0) >= {} OR COALESCE(last_check_out_at, 0) >= {})";

fn four(at: i64) -> Vec<Arg> {
    vec![at.into(), at.into(), at.into(), at.into()]
}

/// `status=…`: the status rule of `latchkey_core::licensing::status` in SQL, with the
/// same precedence and thresholds, so every license matches exactly one status.
pub fn status_filter(status: Status, now: i64) -> Filter {
    let banned = "owner_id IN (SELECT id FROM users WHERE banned_at IS NOT NULL)";
    let not_banned = format!("(owner_id IS NULL OR NOT ({banned}))");
    let usable = format!("{not_banned} AND suspended = FALSE");
    let current = format!("{usable} AND (expiry IS NULL OR expiry >= {{}})");
    let cutoff = activity_cutoff(now);
    let expiring = expiring_before(now);
    match status {
        Status::Banned => Filter::new(banned, vec![]),
        Status::Suspended => Filter::new(format!("{not_banned} AND suspended = TRUE"), vec![]),
        Status::Expired => Filter::new(
            format!("{usable} AND expiry IS NOT NULL AND expiry < {{}}"),
            vec![now.into()],
        ),
        Status::Expiring => Filter::new(
            format!("{usable} AND expiry IS NOT NULL AND expiry >= {{}} AND expiry < {{}}"),
            vec![now.into(), expiring.into()],
        ),
        Status::Inactive => Filter::new(
            format!("{current} AND NOT {ACTIVE_SINCE}"),
            [vec![expiring.into()], four(cutoff)].concat(),
        ),
        Status::Active => Filter::new(
            format!("{current} AND {ACTIVE_SINCE}"),
            [vec![expiring.into()], four(cutoff)].concat(),
        ),
    }
}

fn expires_filter(expires: Expires) -> Filter {
    match expires {
        Expires::Within { from, to } => Filter::new(
            "expiry IS NOT NULL AND expiry >= {} AND expiry <= {}",
            vec![from.into(), to.into()],
        ),
        Expires::Day { start, end } => Filter::new(
            "expiry IS NOT NULL AND expiry >= {} AND expiry < {}",
            vec![start.into(), end.into()],
        ),
        Expires::Before(at) => Filter::new("expiry IS NOT NULL AND expiry < {}", vec![at.into()]),
        Expires::After(at) => Filter::new("expiry IS NOT NULL AND expiry > {}", vec![at.into()]),
    }
}

fn activity_filter(activity: Activity) -> Filter {
    match activity {
        Activity::Since(at) => Filter::new(ACTIVE_SINCE, four(at)),
        Activity::NotSince(at) => Filter::new(format!("NOT {ACTIVE_SINCE}"), four(at)),
    }
}

/// The SQL filters of `query` at `now` on `db`'s backend.
pub fn filters(db: &Db, query: &ListQuery, now: i64) -> Vec<Filter> {
    let mut filters = Vec::new();
    for (value, column) in [
        (&query.product, "product_id"),
        (&query.policy, "policy_id"),
        (&query.owner, "owner_id"),
        (&query.group, "group_id"),
    ] {
        if let Some(value) = value {
            filters.push(Filter::eq(column, value));
        }
    }
    if let Some(user) = &query.user {
        filters.push(Filter::new(
            format!(
                "id IN ({USER_LICENSES}) OR owner_id IN (SELECT id FROM users WHERE email = {{}})"
            ),
            vec![user.into(), user.into(), user.to_lowercase().into()],
        ));
    }
    if let Some(machine) = &query.machine {
        filters.push(Filter::new(
            "id IN (SELECT license_id FROM machines WHERE id = {} OR fingerprint = {})",
            vec![machine.into(), machine.into()],
        ));
    }
    if let Some(suspended) = query.suspended {
        filters.push(Filter::eq("suspended", suspended));
    }
    if let Some(status) = query.status {
        filters.push(status_filter(status, now));
    }
    match query.expired {
        Some(true) => filters.push(Filter::new(
            "expiry IS NOT NULL AND expiry < {}",
            vec![now.into()],
        )),
        Some(false) => filters.push(Filter::new(
            "expiry IS NULL OR expiry >= {}",
            vec![now.into()],
        )),
        None => {}
    }
    if query.unassigned {
        filters.push(Filter::new("owner_id IS NULL", vec![]));
    }
    if query.assigned {
        filters.push(Filter::new("owner_id IS NOT NULL", vec![]));
    }
    if let Some(activated) = query.activated {
        let exists = if activated { "EXISTS" } else { "NOT EXISTS" };
        filters.push(Filter::new(
            format!("{exists} (SELECT 1 FROM machines m WHERE m.license_id = licenses.id)"),
            vec![],
        ));
    }
    filters.extend(query.expires.iter().copied().map(expires_filter));
    filters.extend(query.activity.iter().copied().map(activity_filter));
    for (cmp, count) in &query.activations {
        filters.push(Filter::new(
            format!(
                "(SELECT COUNT(*) FROM machines m WHERE m.license_id = licenses.id) {} {{}}",
                cmp.sql()
            ),
            vec![(*count).into()],
        ));
    }
    for (key, value) in &query.metadata {
        filters.push(crate::metadata::query_filter(db.backend(), key, value));
    }
    filters
}

/// One page of the licenses `actor` may see matching `query` (and the total count
/// for offset pages).
pub async fn list(
    db: &Db,
    account: &str,
    actor: &Actor<'_>,
    query: &ListQuery,
    now: i64,
    page: &Page,
    order: Order,
) -> Result<(Vec<LicenseRow>, Option<i64>)> {
    let mut filters = filters(db, query, now);
    filters.extend(visible_to(actor));
    crate::crud::list(db, TABLE, COLUMNS, account, filters, page, order).await
}

/// What the serializer needs about a license besides its row and policy.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderFacts {
    /// Whether its owner is banned.
    pub owner_banned: bool,
    /// Machine and user counts.
    pub counts: LicenseCounts,
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct FactsRow {
    id: String,
    owner_banned: bool,
    machines: i64,
    cores: i64,
    memory: i64,
    disk: i64,
    users: i64,
}

impl crate::fast::FromSqlite for FactsRow {
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            owner_banned: row.get(1)?,
            machines: row.get(2)?,
            cores: row.get(3)?,
            memory: row.get(4)?,
            disk: row.get(5)?,
            users: row.get(6)?,
        })
    }
}

/// Owner state and counts of many licenses in one query (a list page), by id.
pub async fn render_facts(db: &Db, ids: &[&str]) -> Result<HashMap<String, RenderFacts>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sum = |column: &str| {
        format!(
            "(SELECT {} FROM machines m WHERE m.license_id = l.id)",
            crate::sums::capped_sum(column)
        )
    };
    let mut q = sql(format!(
        "SELECT l.id, \
         CASE WHEN EXISTS (SELECT 1 FROM users u WHERE u.id = l.owner_id AND u.banned_at IS NOT NULL) \
         THEN TRUE ELSE FALSE END AS owner_banned, \
         (SELECT COUNT(*) FROM machines m WHERE m.license_id = l.id) AS machines, \
         {} AS cores, {} AS memory, {} AS disk, \
         (SELECT COUNT(*) FROM license_users lu WHERE lu.license_id = l.id) AS users \
         FROM licenses l WHERE l.id IN (",
        sum("cores"),
        sum("memory"),
        sum("disk"),
    ));
    for (i, id) in ids.iter().enumerate() {
        q = q.push_bind(if i == 0 { "{}" } else { ", {}" }, *id);
    }
    let rows: Vec<FactsRow> = db.fetch_all(q.push(")")).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let facts = RenderFacts {
                owner_banned: r.owner_banned,
                counts: LicenseCounts {
                    machines: r.machines,
                    cores: r.cores,
                    memory: r.memory,
                    disk: r.disk,
                    users: r.users,
                },
            };
            (r.id, facts)
        })
        .collect())
}
