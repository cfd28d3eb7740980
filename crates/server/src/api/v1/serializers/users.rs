//! User resource rendering (`users`). The password digest is never rendered.

use crate::account::Account;
use crate::api::v1::serialize::*;
use latchkey_store::users::UserRow;
use serde_json::{Value, json};

/// Keygen's `fullName`: first and last name joined by a space, or null when either is missing.
pub fn full_name(first: Option<&str>, last: Option<&str>) -> Option<String> {
    match (first, last) {
        (Some(first), Some(last)) => Some(format!("{first} {last}")),
        _ => None,
    }
}

/// `BANNED` when banned, else `ACTIVE`.
pub fn status(row: &UserRow) -> &'static str {
    if row.banned_at.is_some() {
        "BANNED"
    } else {
        "ACTIVE"
    }
}

/// The user resource object.
pub fn user(account: &Account, row: &UserRow) -> Value {
    let own = format!("users/{}", row.id);
    resource(
        account,
        "users",
        &row.id,
        json!({
            "fullName": full_name(row.first_name.as_deref(), row.last_name.as_deref()),
            "firstName": row.first_name,
            "lastName": row.last_name,
            "email": row.email,
            "status": status(row),
            "role": row.role,
            "metadata": json_text(&row.metadata),
            "created": ts1(row.created_at),
            "updated": ts1(row.updated_at),
        }),
        json!({
            "account": account_rel(account),
            "group": to_one(account, &own, "group", "groups", row.group_id.as_deref()),
            "products": to_many(account, &own, "products"),
            "licenses": to_many(account, &own, "licenses"),
            "machines": to_many(account, &own, "machines"),
            "tokens": to_many(account, &own, "tokens"),
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::full_name;

    #[test]
    fn full_name_needs_both_parts() {
        assert_eq!(
            full_name(Some("Ada"), Some("Lovelace")).as_deref(),
            Some("Ada Lovelace")
        );
        assert_eq!(full_name(Some("Ada"), None), None);
        assert_eq!(full_name(None, Some("Lovelace")), None);
        assert_eq!(full_name(None, None), None);
    }
}
