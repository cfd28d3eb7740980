//! `licenses` and `license_users`: keys, expiry, overrides of policy limits.

use crate::{Db, Result, sql};

#[path = "license_lifecycle.rs"]
mod lifecycle;
pub use lifecycle::*;

crate::table!(
    /// A license. `max_*` columns are per-license overrides (None = policy value).
    LicenseRow, "licenses" {
        id: String,
        account_id: String,
        product_id: String,
        policy_id: String,
        owner_id: Option<String>,
        group_id: Option<String>,
        name: Option<String>,
        key: String,
        expiry: Option<i64>,
        suspended: bool,
        protected: Option<bool>,
        uses: i64,
        max_machines: Option<i64>,
        max_processes: Option<i64>,
        max_users: Option<i64>,
        max_cores: Option<i64>,
        max_memory: Option<i64>,
        max_disk: Option<i64>,
        max_uses: Option<i64>,
        last_validated_at: Option<i64>,
        last_validated_checksum: Option<String>,
        last_validated_version: Option<String>,
        last_check_in_at: Option<i64>,
        last_check_out_at: Option<i64>,
        metadata: String,
        created_at: i64,
        updated_at: i64,
    }
);

/// SQL for the ids of the licenses a user owns or is attached to, with two `{}`
/// placeholders (both the user id), for list-visibility filters.
pub const USER_LICENSES: &str = "SELECT id FROM licenses WHERE owner_id = {} UNION SELECT license_id FROM license_users WHERE user_id = {}";

/// Whether `user_id` is attached to the license as a licensee (`license_users`;
/// ownership is not attachment).
pub async fn is_licensee(db: &Db, license_id: &str, user_id: &str) -> Result<bool> {
    let q = licensee_query(license_id, user_id);
    Ok(db.fetch_optional::<(String,)>(q).await?.is_some())
}

/// Finds by UUID or key (exact match; the id match wins over a key that happens to
/// equal another license's id).
pub async fn find(db: &Db, account: &str, id_or_key: &str) -> Result<Option<LicenseRow>> {
    find_visible(db, account, id_or_key, Vec::new()).await
}

/// Finds by UUID or key among the licenses matching `scope` (the caller's visibility).
pub async fn find_visible(
    db: &Db,
    account: &str,
    id_or_key: &str,
    scope: Vec<crate::crud::Filter>,
) -> Result<Option<LicenseRow>> {
    crate::crud::find_by_alias(
        db,
        TABLE,
        COLUMNS,
        account,
        id_or_key,
        ("key", id_or_key),
        scope,
    )
    .await
}

/// A license's users as seen under its row lock (for `maxUsers`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedUsers {
    /// The owner, read under the lock.
    pub owner_id: Option<String>,
    /// Attached users (the owner is never attached).
    pub attached: i64,
    /// Whether `candidate` is among the attached users.
    pub candidate_attached: bool,
}

impl LockedUsers {
    /// Owner plus attached users: what `maxUsers` limits.
    pub fn count(&self) -> i64 {
        self.attached + i64::from(self.owner_id.is_some())
    }
}

/// Locks the license row (serialising every change of its users, so `maxUsers` holds
/// under races) and reads its owner and attached-user count, and whether `candidate`
/// is attached. `None` when the license is gone.
pub async fn lock_users(
    tx: &mut crate::Tx,
    license_id: &str,
    candidate: Option<&str>,
) -> Result<Option<LockedUsers>> {
    if !tx.lock_row(TABLE, license_id).await? {
        return Ok(None);
    }
    let Some((owner_id,)) = tx
        .fetch_optional::<(Option<String>,)>(
            sql("SELECT owner_id FROM licenses WHERE id = $1").bind(license_id),
        )
        .await?
    else {
        return Ok(None);
    };
    let (attached,): (i64,) = tx
        .fetch_optional(
            sql("SELECT COUNT(*) FROM license_users WHERE license_id = $1").bind(license_id),
        )
        .await?
        .unwrap_or((0,));
    let candidate_attached = match candidate {
        Some(user) => tx
            .fetch_optional::<(String,)>(licensee_query(license_id, user))
            .await?
            .is_some(),
        None => false,
    };
    Ok(Some(LockedUsers {
        owner_id,
        attached,
        candidate_attached,
    }))
}

/// Ids and emails of users attached to a license (owner excluded).
pub async fn attached_users(db: &Db, license_id: &str) -> Result<Vec<(String, String)>> {
    db.fetch_all(
        sql(
            "SELECT u.id, u.email FROM users u JOIN license_users lu ON lu.user_id = u.id \
             WHERE lu.license_id = $1 ORDER BY lu.created_at",
        )
        .bind(license_id),
    )
    .await
}

/// Counts used by the license serializer: machines and their summed resources,
/// and users (attached + owner).
#[derive(Debug, Clone, Copy, Default, sqlx::FromRow)]
pub struct LicenseCounts {
    /// Machines.
    pub machines: i64,
    /// Sum of cores.
    pub cores: i64,
    /// Sum of memory.
    pub memory: i64,
    /// Sum of disk.
    pub disk: i64,
    /// Attached users.
    pub users: i64,
}

impl crate::fast::FromSqlite for LicenseCounts {
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            machines: row.get(0)?,
            cores: row.get(1)?,
            memory: row.get(2)?,
            disk: row.get(3)?,
            users: row.get(4)?,
        })
    }
}

/// Machine and user counts of a license (resource sums capped, see `sums`).
pub async fn counts(db: &Db, license_id: &str) -> Result<LicenseCounts> {
    let row: Option<LicenseCounts> = db
        .fetch_optional(
            sql(format!(
                "SELECT COUNT(*) AS machines, {} AS cores, {} AS memory, {} AS disk, \
                 (SELECT COUNT(*) FROM license_users WHERE license_id = $1) AS users \
                 FROM machines WHERE license_id = $1",
                crate::sums::capped_sum("cores"),
                crate::sums::capped_sum("memory"),
                crate::sums::capped_sum("disk"),
            ))
            .bind(license_id),
        )
        .await?;
    Ok(row.unwrap_or_default())
}

/// One license's batched validation bookkeeping: the time, and the release scopes
/// the validation matched (Keygen's touches; `None` leaves the column as it is).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationTouch {
    /// The license.
    pub license_id: String,
    /// `last_validated_at`.
    pub at: i64,
    /// `last_validated_checksum`, when a checksum scope matched.
    pub checksum: Option<String>,
    /// `last_validated_version`, when a checksum or version scope matched.
    pub version: Option<String>,
}

/// Records validation times (and matched release scopes). Called off the request
/// path, batched. A touch without release scopes is the one-column UPDATE the
/// validation cache ignores; with them, the columns change only when the values
/// do (an unchanged value keeps the cache, migration 0010).
///
/// Every process updates the rows in license-id order, so two server processes'
/// batches on one PostgreSQL database take their row locks in the same order and
/// never deadlock; each transaction holds at most [`TOUCH_CHUNK`] rows, so the writes
/// that wait for a license row (activation, suspension) wait briefly.
pub async fn touch_validated(db: &Db, touches: &[ValidationTouch]) -> Result<()> {
    let mut sorted: Vec<&ValidationTouch> = touches.iter().collect();
    sorted.sort_by(|a, b| a.license_id.cmp(&b.license_id));
    for chunk in sorted.chunks(TOUCH_CHUNK) {
        touch_chunk(db, chunk).await?;
    }
    Ok(())
}

/// License rows one validation-touch transaction updates at most.
pub const TOUCH_CHUNK: usize = 100;

async fn touch_chunk(db: &Db, touches: &[&ValidationTouch]) -> Result<()> {
    let mut tx = db.begin().await?;
    for touch in touches {
        let q = if touch.checksum.is_none() && touch.version.is_none() {
            sql("UPDATE licenses SET last_validated_at = $1 WHERE id = $2")
                .bind(touch.at)
                .bind(&touch.license_id)
        } else {
            sql("UPDATE licenses SET last_validated_at = $1, \
                 last_validated_checksum = COALESCE($2, last_validated_checksum), \
                 last_validated_version = COALESCE($3, last_validated_version) WHERE id = $4")
            .bind(touch.at)
            .bind(&touch.checksum)
            .bind(&touch.version)
            .bind(&touch.license_id)
        };
        tx.execute(q).await?;
    }
    tx.commit().await
}

/// Sets the expiry only if there is none yet (first-event expiry bases); true when written.
pub async fn set_expiry_once(db: &Db, id: &str, expiry: i64, now: i64) -> Result<bool> {
    let n = db
        .execute(
            sql(
                "UPDATE licenses SET expiry = $1, updated_at = $2 WHERE id = $3 AND expiry IS NULL",
            )
            .bind(expiry)
            .bind(now)
            .bind(id),
        )
        .await?;
    Ok(n > 0)
}

/// Adds `delta` (may be negative) to `uses` in one conditional statement, so racing
/// requests can never pass the limit (license override, else the policy's maxUses)
/// nor go below zero. False when the change was refused.
pub async fn add_uses(db: &Db, id: &str, delta: i64, now: i64) -> Result<bool> {
    let event = if delta < 0 {
        "license.usage.decremented"
    } else {
        "license.usage.incremented"
    };
    let n = crate::outbox::execute_announced::<LicenseRow>(
        db,
        sql(
            "UPDATE licenses SET uses = uses + $1, updated_at = $2 WHERE id = $3 \
                 AND uses + $1 >= 0 AND ($1 <= 0 OR COALESCE(max_uses, \
                 (SELECT p.max_uses FROM policies p WHERE p.id = licenses.policy_id)) IS NULL \
                 OR uses + $1 <= COALESCE(max_uses, \
                 (SELECT p.max_uses FROM policies p WHERE p.id = licenses.policy_id)))",
        )
        .bind(delta)
        .bind(now)
        .bind(id),
        COLUMNS,
        (event, crate::Durability::Full),
        now,
    )
    .await?;
    Ok(n > 0)
}

/// The licensee check (`license_users`), the one statement behind [`is_licensee`],
/// [`lock_users`] and the attach path.
pub(crate) fn licensee_query(license_id: &str, user_id: &str) -> crate::Sql {
    sql("SELECT user_id FROM license_users WHERE license_id = $1 AND user_id = $2")
        .bind(license_id)
        .bind(user_id)
}

impl LicenseRow {
    /// The limits this license obeys under `policy` (its overrides, else the policy's).
    pub fn limits(
        &self,
        policy: &crate::policies::PolicyRow,
    ) -> latchkey_core::limits::EffectiveLimits {
        policy.effective_limits(self)
    }

    /// Effective protection under `policy`.
    pub fn is_protected(&self, policy: &crate::policies::PolicyRow) -> bool {
        latchkey_core::licensing::effective_protected(self.protected, policy.protected)
    }

    /// What the license's status depends on.
    pub fn status_facts(&self, owner_banned: bool) -> latchkey_core::licensing::StatusFacts {
        latchkey_core::licensing::StatusFacts {
            owner_banned,
            suspended: self.suspended,
            expiry: self.expiry,
            created_at: self.created_at,
            last_validated_at: self.last_validated_at,
            last_check_in_at: self.last_check_in_at,
            last_check_out_at: self.last_check_out_at,
        }
    }
}

/// Whether the license's owner (if any) is banned.
pub async fn owner_banned(db: &Db, owner_id: Option<&str>) -> Result<bool> {
    let Some(owner) = owner_id else {
        return Ok(false);
    };
    let row: Option<(Option<i64>,)> = db
        .fetch_optional(sql("SELECT banned_at FROM users WHERE id = $1").bind(owner))
        .await?;
    Ok(row.is_some_and(|r| r.0.is_some()))
}

/// Why a license was not created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateRefusal {
    /// The requested id is taken.
    IdTaken,
    /// The key is taken (or a racing insert took the id).
    KeyTaken,
    /// The group refused the license.
    Group(crate::groups::Admission),
    /// The policy's key pool is empty.
    PoolEmpty,
}

/// Creates a license in one transaction: refuses a taken id, admits it to its group
/// (counted under the group-row lock), takes its key from the policy's pool when
/// `from_pool` (the key is consumed only if the license is inserted), and inserts it.
/// Returns the inserted row.
pub async fn create(
    db: &Db,
    mut row: LicenseRow,
    from_pool: bool,
) -> Result<std::result::Result<LicenseRow, CreateRefusal>> {
    let mut tx = db.begin().await?;
    let account = row.account_id.clone();
    if crate::crud::find_tx::<LicenseRow>(&mut tx, TABLE, COLUMNS, &account, &row.id)
        .await?
        .is_some()
    {
        return Ok(Err(CreateRefusal::IdTaken));
    }
    if let Some(group) = &row.group_id {
        use crate::groups::{Admission, Member, admit};
        match admit(&mut tx, &account, group, Member::License).await? {
            Admission::Room => {}
            refused => return Ok(Err(CreateRefusal::Group(refused))),
        }
    }
    if from_pool {
        match crate::pool_keys::pop(&mut tx, &account, &row.policy_id).await? {
            Some(pooled) => row.key = pooled.key,
            None => return Ok(Err(CreateRefusal::PoolEmpty)),
        }
    }
    match insert(&mut tx, &row).await {
        Err(crate::StoreError::Conflict(_)) => return Ok(Err(CreateRefusal::KeyTaken)),
        other => other?,
    }
    crate::outbox::emit(&mut tx, "license.created", &row, row.created_at).await?;
    tx.commit().await?;
    Ok(Ok(row))
}

/// What `PATCH /licenses/{id}` changes; a field left `None` keeps its column, an
/// inner `None` sets a nullable column to NULL (a limit then falls back to the
/// policy's).
#[derive(Debug, Clone, Default)]
pub struct LicenseChanges {
    /// The name.
    pub name: Option<Option<String>>,
    /// The expiry (unix ms).
    pub expiry: Option<Option<i64>>,
    /// Suspended or not.
    pub suspended: Option<bool>,
    /// Protected, or NULL for the policy's setting.
    pub protected: Option<Option<bool>>,
    /// The metadata object, as JSON text.
    pub metadata: Option<String>,
    /// Machine limit override.
    pub max_machines: Option<Option<i64>>,
    /// Process limit override.
    pub max_processes: Option<Option<i64>>,
    /// User limit override.
    pub max_users: Option<Option<i64>>,
    /// Core limit override.
    pub max_cores: Option<Option<i64>>,
    /// Memory limit override.
    pub max_memory: Option<Option<i64>>,
    /// Disk limit override.
    pub max_disk: Option<Option<i64>>,
    /// Use limit override.
    pub max_uses: Option<Option<i64>>,
}

impl LicenseChanges {
    fn columns(self) -> Vec<(&'static str, crate::Arg)> {
        crate::edits::Columns::default()
            .set("name", self.name)
            .set("expiry", self.expiry)
            .set("suspended", self.suspended)
            .set("protected", self.protected)
            .set("metadata", self.metadata)
            .set("max_machines", self.max_machines)
            .set("max_processes", self.max_processes)
            .set("max_users", self.max_users)
            .set("max_cores", self.max_cores)
            .set("max_memory", self.max_memory)
            .set("max_disk", self.max_disk)
            .set("max_uses", self.max_uses)
            .into_vec()
    }
}

/// Applies `changes` and returns the updated row; `None` when gone.
pub async fn update(
    db: &Db,
    account: &str,
    id: &str,
    changes: LicenseChanges,
    now: i64,
) -> Result<Option<LicenseRow>> {
    let changes = changes.columns();
    let mut tx = db.begin().await?;
    crate::crud::update(&mut tx, TABLE, account, id, changes, now).await?;
    let updated: Option<LicenseRow> =
        crate::crud::find_tx(&mut tx, TABLE, COLUMNS, account, id).await?;
    if let Some(row) = &updated {
        crate::outbox::emit(&mut tx, "license.updated", row, now).await?;
    }
    tx.commit().await?;
    Ok(updated)
}

/// Deletes (`revoked`: revokes) a license and its tokens in one transaction (machines, processes and
/// attachments cascade).
pub async fn delete(db: &Db, account: &str, id: &str, revoked: bool, now: i64) -> Result<()> {
    let mut tx = db.begin().await?;
    let event = if revoked {
        "license.revoked"
    } else {
        "license.deleted"
    };
    crate::outbox::emit_current::<LicenseRow>(&mut tx, TABLE, COLUMNS, account, id, event, now)
        .await?;
    crate::tokens::delete_for_bearer_tx(&mut tx, account, id).await?;
    crate::crud::delete(&mut tx, TABLE, account, id).await?;
    tx.commit().await
}

/// One page of a license's machines.
pub async fn machines(
    db: &Db,
    account: &str,
    license_id: &str,
    page: &crate::page::Page,
    order: crate::page::Order,
) -> Result<(Vec<crate::machines::MachineRow>, Option<i64>)> {
    crate::crud::list(
        db,
        crate::machines::TABLE,
        crate::machines::COLUMNS,
        account,
        vec![crate::crud::Filter::eq("license_id", license_id)],
        page,
        order,
    )
    .await
}
