//! Loads the [`Snapshot`] validation needs: the license with its policy, owner and
//! machines in one query and, only when asked for, users and entitlements.

use crate::licenses::LicenseRow;
use crate::machines::MachineRow;
use crate::policies::PolicyRow;
use crate::snapshot_cache::Change;
use crate::{Db, Result};
use latchkey_core::check_in::next_check_in;
use latchkey_core::validation::{LicenseFacts, MachineFacts, Snapshot, UserRef};
use latchkey_proto::time_format::from_millis;
use std::sync::Arc;

/// The rows behind a validation, kept for rendering the response.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The license row.
    pub license: LicenseRow,
    /// Its policy row.
    pub policy: PolicyRow,
    /// Its machines.
    pub machines: Vec<MachineRow>,
    /// The pure snapshot.
    pub snapshot: Snapshot,
}

/// What the scope needs beyond license, policy and machines.
#[derive(Debug, Clone, Copy, Default)]
pub struct Needs {
    /// Attached users (user scope, maxUsers).
    pub users: bool,
    /// Entitlement codes.
    pub entitlements: bool,
    /// Now, unix ms: processes whose heartbeat is older than one duration are dead
    /// and do not count towards TOO_MANY_PROCESSES.
    pub now_ms: i64,
    /// Component fingerprints per machine (components scope).
    pub components: bool,
}

/// The rows behind a validation as cached: the head, the machines and, once a
/// request needed them, attached users, entitlement codes and component fingerprints.
/// Process counts are never cached (they depend on the time of the request).
#[derive(Debug, Clone)]
pub struct Parts {
    /// License, policy, owner.
    pub head: Head,
    /// The license's machines.
    pub machines: Vec<MachineRow>,
    /// Attached users (id, email), when loaded.
    pub users: Option<Vec<(String, String)>>,
    /// Entitlement codes, when loaded.
    pub entitlements: Option<Vec<String>>,
    /// (machine id, component fingerprint), when loaded.
    pub components: Option<Vec<(String, String)>>,
}

impl Parts {
    /// Whether a committed `change` could alter these rows.
    pub fn depends_on(&self, change: &Change) -> bool {
        match change {
            Change::License(id) => self.head.license.id == *id,
            Change::Policy(id) => self.head.policy.id == *id,
            Change::User(id) => {
                self.head.license.owner_id.as_deref() == Some(id.as_str())
                    || self.users.iter().flatten().any(|(user, _)| user == id)
            }
            Change::Token(_) | Change::Product(_) | Change::Endpoints => false,
            Change::All => true,
        }
    }

    fn wants_users(&self, needs: Needs) -> bool {
        needs.users
            || self
                .head
                .policy
                .effective_limits(&self.head.license)
                .max_users
                .is_some()
    }

    /// Whether `needs` asks for a part not loaded yet.
    fn lacks(&self, needs: Needs) -> bool {
        (self.wants_users(needs) && self.users.is_none())
            || (needs.entitlements && self.entitlements.is_none())
            || (needs.components && self.components.is_none())
    }

    /// Loads the parts `needs` asks for that are missing.
    async fn complete(&mut self, db: &Db, needs: Needs) -> Result<()> {
        let id = self.head.license.id.clone();
        if self.wants_users(needs) && self.users.is_none() {
            self.users = Some(crate::licenses::attached_users(db, &id).await?);
        }
        if needs.entitlements && self.entitlements.is_none() {
            let policy = self.head.policy.id.clone();
            self.entitlements =
                Some(crate::entitlements::codes_for_license(db, &id, &policy).await?);
        }
        if needs.components && self.components.is_none() {
            self.components = Some(crate::components::fingerprints_for_license(db, &id).await?);
        }
        Ok(())
    }

    async fn read(db: &Db, head: Head, needs: Needs) -> Result<Self> {
        let machines = crate::machines::for_license(db, &head.license.id).await?;
        let mut parts = Parts {
            head,
            machines,
            users: None,
            entitlements: None,
            components: None,
        };
        parts.complete(db, needs).await?;
        Ok(parts)
    }
}

/// Builds the snapshot from a license head, reading the database (no cache): one
/// more query for the machines, and only when the scope or policy needs them, for
/// attached users and entitlements.
pub async fn load(db: &Db, head: Head, needs: Needs) -> Result<Loaded> {
    let parts = Parts::read(db, head, needs).await?;
    assemble(db, &parts, needs).await
}

/// The snapshot of the license with this key, from the cache when it holds it (and
/// then without touching the database unless a process limit applies), else read
/// and remembered.
pub async fn load_by_key(
    db: &Db,
    account: &str,
    key: &str,
    needs: Needs,
) -> Result<Option<Loaded>> {
    let cache = db.snapshot_cache();
    let (cached, ticket) = cache.get(account, key);
    let parts = match cached {
        Some(parts) if !parts.lacks(needs) => parts,
        Some(parts) => {
            let mut parts = (*parts).clone();
            parts.complete(db, needs).await?;
            let parts = Arc::new(parts);
            cache.put(ticket, account, key, parts.clone());
            parts
        }
        None => {
            let Some((head, machines)) = head_with_machines_by_key(db, account, key).await? else {
                return Ok(None);
            };
            let mut parts = Parts {
                head,
                machines,
                users: None,
                entitlements: None,
                components: None,
            };
            parts.complete(db, needs).await?;
            let parts = Arc::new(parts);
            cache.put(ticket, account, key, parts.clone());
            parts
        }
    };
    assemble(db, &parts, needs).await.map(Some)
}

/// The pure snapshot (and rows for rendering) from `parts`; reads the live process
/// counts when a process limit applies.
async fn assemble(db: &Db, parts: &Parts, needs: Needs) -> Result<Loaded> {
    let Head {
        license,
        policy,
        owner_email,
        owner_banned_at,
    } = &parts.head;
    let machines = &parts.machines;
    let rules = policy.rules();
    let limits = policy.effective_limits(license);
    let users = parts.users.clone().unwrap_or_default();
    let entitlements = parts.entitlements.clone().unwrap_or_default();
    // Only when a process limit applies, so the hot path stays free of queries.
    let processes: std::collections::HashMap<String, i64> =
        if limits.max_processes.is_some() || machines.iter().any(|m| m.max_processes.is_some()) {
            let cutoff = needs.now_ms - rules.heartbeat_duration * 1000;
            crate::processes::alive_counts(db, &license.id, cutoff)
                .await?
                .into_iter()
                .collect()
        } else {
            std::collections::HashMap::new()
        };
    let mut components = parts.components.clone().unwrap_or_default();
    let at = |ms: i64| from_millis(ms).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let facts = LicenseFacts {
        id: license.id.clone(),
        product_id: license.product_id.clone(),
        policy_id: license.policy_id.clone(),
        owner: license.owner_id.clone().map(|id| UserRef {
            id,
            email: owner_email.clone().unwrap_or_default(),
        }),
        owner_banned: owner_banned_at.is_some(),
        users: users
            .into_iter()
            .map(|(id, email)| UserRef { id, email })
            .collect(),
        suspended: license.suspended,
        expiry: license.expiry.map(at),
        next_check_in: next_check_in(
            license.last_check_in_at.map(at),
            rules.check_in_interval,
            rules.check_in_interval_count,
        ),
        max_machines: limits.max_machines,
        max_cores: limits.max_cores,
        max_memory: limits.max_memory,
        max_disk: limits.max_disk,
        max_processes: limits.max_processes,
        max_users: limits.max_users,
        entitlements,
    };
    let machine_facts = machines
        .iter()
        .map(|m| MachineFacts {
            id: m.id.clone(),
            fingerprint: m.fingerprint.clone(),
            owner_id: m.owner_id.clone(),
            created: at(m.created_at),
            last_heartbeat: m.last_heartbeat_at.map(at),
            cores: m.cores,
            memory: m.memory,
            disk: m.disk,
            processes: processes.get(&m.id).copied().unwrap_or(0),
            components: take_components(&mut components, &m.id),
        })
        .collect();
    Ok(Loaded {
        license: license.clone(),
        policy: policy.clone(),
        machines: machines.clone(),
        snapshot: Snapshot {
            license: facts,
            policy: rules,
            machines: machine_facts,
        },
    })
}

/// Moves the fingerprints belonging to `machine` out of `all`.
fn take_components(all: &mut Vec<(String, String)>, machine: &str) -> Vec<String> {
    let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(all)
        .into_iter()
        .partition(|(m, _)| m == machine);
    *all = rest;
    mine.into_iter().map(|(_, f)| f).collect()
}

/// A license with its policy and owner, loaded in one round trip.
#[derive(Debug, Clone)]
pub struct Head {
    /// The license.
    pub license: LicenseRow,
    /// Its policy.
    pub policy: PolicyRow,
    /// Owner email (lowercase), if owned.
    pub owner_email: Option<String>,
    /// When the owner was banned.
    pub owner_banned_at: Option<i64>,
}

impl Head {
    /// Decodes the [`HEAD_COLUMNS`] starting at column `at` (advanced past them).
    pub(crate) fn from_sqlx_at<R: crate::column::SqlxRow>(
        row: &R,
        at: &mut usize,
    ) -> std::result::Result<Self, sqlx::Error> {
        let license = LicenseRow::from_sqlx_at(row, at)?;
        let policy = PolicyRow::from_sqlx_at(row, at)?;
        let head = Self {
            license,
            policy,
            owner_email: row.column(*at)?,
            owner_banned_at: row.column(*at + 1)?,
        };
        *at += 2;
        Ok(head)
    }

    /// Decodes the [`HEAD_COLUMNS`] starting at column `at` (advanced past them).
    pub(crate) fn from_sqlite_at(
        row: &rusqlite::Row<'_>,
        at: &mut usize,
    ) -> rusqlite::Result<Self> {
        let license = LicenseRow::from_sqlite_at(row, at)?;
        let policy = PolicyRow::from_sqlite_at(row, at)?;
        let head = Self {
            license,
            policy,
            owner_email: row.get(*at)?,
            owner_banned_at: row.get(*at + 1)?,
        };
        *at += 2;
        Ok(head)
    }
}

impl<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> for Head {
    fn from_row(row: &'r sqlx::postgres::PgRow) -> std::result::Result<Self, sqlx::Error> {
        Self::from_sqlx_at(row, &mut 0)
    }
}

impl crate::fast::FromSqlite for Head {
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Self::from_sqlite_at(row, &mut 0)
    }
}

pub(crate) fn prefixed(columns: &str, alias: &str) -> String {
    columns
        .split(", ")
        .map(|c| format!("{alias}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A head's columns, from `licenses l`, `policies p` and `users o` joined as in
/// [`HEAD_JOINS`].
pub(crate) static HEAD_COLUMNS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "{}, {}, o.email, o.banned_at",
        prefixed(crate::licenses::COLUMNS, "l"),
        prefixed(crate::policies::COLUMNS, "p"),
    )
});

/// Joins a license `l` to its policy `p` and owner `o`.
pub(crate) const HEAD_JOINS: &str =
    "JOIN policies p ON p.id = l.policy_id LEFT JOIN users o ON o.id = l.owner_id";

static HEAD: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {} FROM licenses l {HEAD_JOINS} WHERE l.account_id = $1",
        HEAD_COLUMNS.as_str(),
    )
});

/// The license with this key, its policy and owner: validate-key's one lookup.
pub async fn head_by_key(db: &Db, account: &str, key: &str) -> Result<Option<Head>> {
    static Q: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| format!("{} AND l.key = $2", HEAD.as_str()));
    db.fetch_optional(crate::sql(Q.as_str()).bind(account).bind(key))
        .await
}

/// One row of [`HEAD_WITH_MACHINES`]: the head (first row) or one machine.
enum HeadOrMachine {
    Head(Box<Head>),
    Machine(Box<MachineRow>),
}

impl<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> for HeadOrMachine {
    fn from_row(row: &'r sqlx::postgres::PgRow) -> std::result::Result<Self, sqlx::Error> {
        use crate::column::SqlxRow;
        let part: i64 = row.column(0)?;
        let mut at = 1;
        if part == 0 {
            return Ok(Self::Head(Box::new(Head::from_sqlx_at(row, &mut at)?)));
        }
        at += *HEAD_WIDTH;
        Ok(Self::Machine(Box::new(MachineRow::from_sqlx_at(
            row, &mut at,
        )?)))
    }
}

impl crate::fast::FromSqlite for HeadOrMachine {
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        let part: i64 = row.get(0)?;
        let mut at = 1;
        if part == 0 {
            return Ok(Self::Head(Box::new(Head::from_sqlite_at(row, &mut at)?)));
        }
        at += *HEAD_WIDTH;
        Ok(Self::Machine(Box::new(MachineRow::from_sqlite_at(
            row, &mut at,
        )?)))
    }
}

/// How many columns [`HEAD_COLUMNS`] has.
static HEAD_WIDTH: std::sync::LazyLock<usize> =
    std::sync::LazyLock::new(|| HEAD_COLUMNS.split(", ").count());

/// `n` NULL columns.
fn nulls(n: usize) -> String {
    vec!["NULL"; n].join(", ")
}

/// The head as a first row (part 0, machine columns NULL), then the license's
/// machines oldest first (part 1, head columns NULL): a cache miss's one round trip,
/// carrying the head once however many machines the license has.
static HEAD_WITH_MACHINES: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let machine_columns = crate::machines::COLUMNS.split(", ").collect::<Vec<_>>();
    // 1-based output positions of the machine's created_at and id, for ORDER BY.
    let position = |name: &str| {
        machine_columns
            .iter()
            .position(|c| *c == name)
            .map_or(0, |i| 2 + *HEAD_WIDTH + i)
    };
    format!(
        "SELECT CAST(0 AS BIGINT), {head}, {no_machine} FROM licenses l {HEAD_JOINS} \
         WHERE l.account_id = $1 AND l.key = $2 \
         UNION ALL \
         SELECT CAST(1 AS BIGINT), {no_head}, {machine} FROM machines m \
         WHERE m.license_id = (SELECT id FROM licenses WHERE account_id = $1 AND key = $2) \
         ORDER BY 1, {created}, {id}",
        head = HEAD_COLUMNS.as_str(),
        no_machine = nulls(machine_columns.len()),
        no_head = nulls(*HEAD_WIDTH),
        machine = prefixed(crate::machines::COLUMNS, "m"),
        created = position("created_at"),
        id = position("id"),
    )
});

/// The license with this key, its policy, owner and machines (oldest first), in one
/// query.
pub async fn head_with_machines_by_key(
    db: &Db,
    account: &str,
    key: &str,
) -> Result<Option<(Head, Vec<MachineRow>)>> {
    let rows: Vec<HeadOrMachine> = db
        .fetch_all(
            crate::sql(HEAD_WITH_MACHINES.as_str())
                .bind(account)
                .bind(key),
        )
        .await?;
    let mut rows = rows.into_iter();
    let Some(HeadOrMachine::Head(head)) = rows.next() else {
        return Ok(None);
    };
    let machines = rows
        .filter_map(|row| match row {
            HeadOrMachine::Machine(machine) => Some(*machine),
            HeadOrMachine::Head(_) => None,
        })
        .collect();
    Ok(Some((*head, machines)))
}

/// The license with this id or key (an id match first, then the oldest key match, as
/// [`crate::licenses::find`]), its policy and owner: one query when the id matches,
/// two otherwise (each an index lookup; cheaper than one `id OR key` query, as in
/// [`crate::machines::find_with_head`]).
pub async fn head_by_id_or_key(db: &Db, account: &str, id_or_key: &str) -> Result<Option<Head>> {
    if let Some(head) = head_by_id(db, account, id_or_key).await? {
        return Ok(Some(head));
    }
    head_by_key(db, account, id_or_key).await
}

/// The license with this id, its policy and owner.
pub async fn head_by_id(db: &Db, account: &str, id: &str) -> Result<Option<Head>> {
    static Q: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| format!("{} AND l.id = $2", HEAD.as_str()));
    db.fetch_optional(crate::sql(Q.as_str()).bind(account).bind(id))
        .await
}
