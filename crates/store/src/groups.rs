//! `account_groups`: Keygen groups (users, licenses and machines with shared limits).
//! Every way into a group counts its members under the group-row lock ([`admit`]),
//! taken after any license or member row lock, so limits hold across processes.

crate::table!(
    /// A group.
    GroupRow, "account_groups" {
        id: String,
        account_id: String,
        name: String,
        max_users: Option<i64>,
        max_licenses: Option<i64>,
        max_machines: Option<i64>,
        metadata: String,
        created_at: i64,
        updated_at: i64,
    }
);

/// What joins a group; each kind has its own limit column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Member {
    /// `users.group_id` against `max_users`.
    User,
    /// `licenses.group_id` against `max_licenses`.
    License,
    /// `machines.group_id` against `max_machines`.
    Machine,
}

/// Whether one more member fits in a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// There is room (or no limit).
    Room,
    /// The group is at its limit for this kind of member (the limit).
    Full(i64),
    /// No such group in the account.
    Missing,
}

impl Member {
    /// The limit column and the member table.
    fn columns(self) -> (&'static str, &'static str) {
        match self {
            Member::User => ("max_users", "users"),
            Member::License => ("max_licenses", "licenses"),
            Member::Machine => ("max_machines", "machines"),
        }
    }
}

/// Locks the group row (`FOR UPDATE` on PostgreSQL; SQLite's single writer already
/// serialises) and answers whether one more `member` fits. Call inside the
/// transaction that sets `group_id`, after any license or member row lock it takes,
/// so concurrent joins, on any server process, are counted one after the other.
pub async fn admit(
    tx: &mut crate::Tx,
    account: &str,
    group_id: &str,
    member: Member,
) -> crate::Result<Admission> {
    if !tx.lock_row(TABLE, group_id).await? {
        return Ok(Admission::Missing);
    }
    let (limit, table) = member.columns();
    let row: Option<(Option<i64>, i64)> = tx
        .fetch_optional(
            crate::sql(format!(
                "SELECT {limit}, (SELECT COUNT(*) FROM {table} WHERE group_id = $1) \
                 FROM account_groups WHERE id = $1 AND account_id = $2"
            ))
            .bind(group_id)
            .bind(account),
        )
        .await?;
    Ok(match row {
        None => Admission::Missing,
        Some((Some(max), count)) if count >= max => Admission::Full(max),
        Some(_) => Admission::Room,
    })
}

/// Moves an existing user, license or machine into `group` (or out of any group
/// with `None`) in one transaction: the member row is locked first (the order an
/// activation takes the license and then the group), then the new group is
/// admitted under its row lock (staying in the same group always fits).
/// Returns `Missing` also when the member itself is gone.
pub async fn join(
    db: &crate::Db,
    account: &str,
    member: Member,
    member_id: &str,
    group: Option<&str>,
    now: i64,
) -> crate::Result<Admission> {
    let (_, table) = member.columns();
    let mut tx = db.begin().await?;
    // Touching the row locks it like the final UPDATE will (PostgreSQL's
    // FOR NO KEY UPDATE: a license created for this user meanwhile is not blocked)
    // and reads its group under that lock.
    let current: Option<(Option<String>,)> = tx
        .fetch_optional(
            crate::sql(format!(
                "UPDATE {table} SET updated_at = $1 WHERE id = $2 AND account_id = $3 \
                 RETURNING group_id"
            ))
            .bind(now)
            .bind(member_id)
            .bind(account),
        )
        .await?;
    let Some((current,)) = current else {
        return Ok(Admission::Missing);
    };
    if let Some(group) = group.filter(|g| current.as_deref() != Some(*g)) {
        match admit(&mut tx, account, group, member).await? {
            Admission::Room => {}
            refused => return Ok(refused),
        }
    }
    tx.execute(
        crate::sql(format!(
            "UPDATE {table} SET group_id = $1, updated_at = $2 WHERE id = $3 AND account_id = $4"
        ))
        .bind(group)
        .bind(now)
        .bind(member_id)
        .bind(account),
    )
    .await?;
    tx.commit().await?;
    Ok(Admission::Room)
}

/// A group of an account by id.
pub async fn find(db: &crate::Db, account: &str, id: &str) -> crate::Result<Option<GroupRow>> {
    crate::crud::find(db, TABLE, COLUMNS, account, id).await
}

/// One page of the groups of an account: only `visible` when it is `Some` (the one
/// group a user or license sees, `Some(None)` for none), with `metadata[key]=value`
/// pairs (keys in stored camelCase form).
pub async fn list(
    db: &crate::Db,
    account: &str,
    metadata: &[(String, String)],
    visible: Option<Option<&str>>,
    page: &crate::page::Page,
    order: crate::page::Order,
) -> crate::Result<(Vec<GroupRow>, Option<i64>)> {
    use crate::crud::Filter;
    let mut filters: Vec<Filter> = metadata
        .iter()
        .map(|(key, value)| crate::metadata::query_filter(db.backend(), key, value))
        .collect();
    match visible {
        None => {}
        Some(Some(group)) => filters.push(Filter::eq("id", group)),
        Some(None) => filters.push(Filter::new("1 = 0", vec![])),
    }
    crate::crud::list(db, TABLE, COLUMNS, account, filters, page, order).await
}

/// Creates a group.
pub async fn create(db: &crate::Db, row: &GroupRow) -> crate::Result<()> {
    let mut tx = db.begin().await?;
    insert(&mut tx, row).await?;
    crate::outbox::emit(&mut tx, "group.created", row, row.created_at).await?;
    tx.commit().await
}

/// What `PATCH /groups/{id}` changes; a field left `None` keeps its column, an
/// inner `None` clears a limit.
#[derive(Debug, Clone, Default)]
pub struct GroupChanges {
    /// The name.
    pub name: Option<String>,
    /// At most this many users.
    pub max_users: Option<Option<i64>>,
    /// At most this many licenses.
    pub max_licenses: Option<Option<i64>>,
    /// At most this many machines.
    pub max_machines: Option<Option<i64>>,
    /// The metadata object, as JSON text.
    pub metadata: Option<String>,
}

impl GroupChanges {
    fn columns(self) -> Vec<(&'static str, crate::Arg)> {
        crate::edits::Columns::default()
            .set("name", self.name)
            .set("max_users", self.max_users)
            .set("max_licenses", self.max_licenses)
            .set("max_machines", self.max_machines)
            .set("metadata", self.metadata)
            .into_vec()
    }
}

/// Updates a group's attributes; the row as written (`None` when gone).
pub async fn update(
    db: &crate::Db,
    account: &str,
    id: &str,
    changes: GroupChanges,
    now: i64,
) -> crate::Result<Option<GroupRow>> {
    let changes = changes.columns();
    crate::edits::update_returning(
        db,
        TABLE,
        COLUMNS,
        account,
        id,
        changes,
        now,
        "group.updated",
    )
    .await
}

/// Deletes a group (its members stay, without a group); true when it existed.
pub async fn delete(db: &crate::Db, account: &str, id: &str, now: i64) -> crate::Result<bool> {
    crate::edits::delete_announced::<GroupRow>(
        db,
        (TABLE, COLUMNS),
        account,
        id,
        "group.deleted",
        now,
    )
    .await
}
