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
