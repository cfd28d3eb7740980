//! `account_groups`: Keygen groups (users, licenses and machines with shared limits).

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

/// Locks the group row and answers its limit when one more `member` would exceed it
/// (`None` when there is room). Call inside the transaction that sets `group_id`.
pub async fn full(
    tx: &mut crate::Tx,
    group_id: &str,
    member: Member,
) -> crate::Result<Option<i64>> {
    tx.lock_row(TABLE, group_id).await?;
    let (limit, table) = match member {
        Member::User => ("max_users", "users"),
        Member::License => ("max_licenses", "licenses"),
        Member::Machine => ("max_machines", "machines"),
    };
    let row: Option<(Option<i64>, i64)> = tx
        .fetch_optional(
            crate::sql(format!(
                "SELECT {limit}, (SELECT COUNT(*) FROM {table} WHERE group_id = $1) \
                 FROM account_groups WHERE id = $1"
            ))
            .bind(group_id),
        )
        .await?;
    Ok(match row {
        Some((Some(max), count)) if count >= max => Some(max),
        _ => None,
    })
}
