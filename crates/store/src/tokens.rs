//! `tokens`: API tokens, stored only as HMAC digests, with their bearer.

use crate::{Db, Result, sql};

crate::table!(
    /// A token. `bearer_type` is `users`, `products` or `licenses`.
    TokenRow, "tokens" {
        id: String,
        account_id: String,
        bearer_type: String,
        bearer_id: String,
        kind: String,
        digest: String,
        name: Option<String>,
        expiry: Option<i64>,
        max_activations: Option<i64>,
        activations: i64,
        max_deactivations: Option<i64>,
        deactivations: i64,
        created_at: i64,
        updated_at: i64,
    }
);

/// Finds a token of an account by its digest.
pub async fn find_by_digest(db: &Db, account: &str, digest: &str) -> Result<Option<TokenRow>> {
    db.fetch_optional(
        sql(format!(
            "SELECT {COLUMNS} FROM tokens WHERE account_id = $1 AND digest = $2"
        ))
        .bind(account)
        .bind(digest),
    )
    .await
}

/// Deletes every token of a bearer (user, product or license id) in an account;
/// returns how many were deleted.
pub async fn delete_for_bearer(db: &Db, account: &str, bearer_id: &str) -> Result<u64> {
    db.execute(delete_for_bearer_query(account, bearer_id))
        .await
}

/// [`delete_for_bearer`] inside the caller's transaction.
pub async fn delete_for_bearer_tx(
    tx: &mut crate::Tx,
    account: &str,
    bearer_id: &str,
) -> Result<u64> {
    tx.execute(delete_for_bearer_query(account, bearer_id))
        .await
}

fn delete_for_bearer_query(account: &str, bearer_id: &str) -> crate::Sql {
    sql("DELETE FROM tokens WHERE account_id = $1 AND bearer_id = $2")
        .bind(account)
        .bind(bearer_id)
}

/// The tokens a bearer may see in lists: its own, plus — when `others` — every other
/// token except those of users whose role is in `hidden_user_roles`.
pub fn visible_to(
    own: (&str, &str),
    others: bool,
    hidden_user_roles: &[&str],
) -> crate::crud::Filter {
    use crate::Arg;
    let mut args: Vec<Arg> = vec![own.0.into(), own.1.into()];
    let mut clause = String::from("(bearer_type = {} AND bearer_id = {})");
    if others {
        if hidden_user_roles.is_empty() {
            clause.push_str(" OR 1 = 1");
        } else {
            let placeholders = vec!["{}"; hidden_user_roles.len()].join(", ");
            clause.push_str(&format!(
                " OR NOT (bearer_type = 'users' AND bearer_id IN \
                 (SELECT id FROM users WHERE role IN ({placeholders})))"
            ));
            args.extend(hidden_user_roles.iter().map(|r| Arg::from(*r)));
        }
    }
    crate::crud::Filter::new(clause, args)
}
