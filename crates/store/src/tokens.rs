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
    db.execute(delete_for_bearer_sql(account, bearer_id)).await
}

fn delete_for_bearer_sql(account: &str, bearer_id: &str) -> crate::Sql {
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

/// [`delete_for_bearer`] inside a transaction (a bearer deleted with its tokens).
pub async fn delete_for_bearer_tx(
    tx: &mut crate::Tx,
    account: &str,
    bearer_id: &str,
) -> Result<u64> {
    tx.execute(delete_for_bearer_sql(account, bearer_id)).await
}

/// A token of an account by id.
pub async fn find(db: &Db, account: &str, id: &str) -> Result<Option<TokenRow>> {
    crate::crud::find(db, TABLE, COLUMNS, account, id).await
}

/// Stores a new token.
pub async fn create(db: &Db, row: &TokenRow) -> Result<()> {
    let mut tx = db.begin().await?;
    insert(&mut tx, row).await?;
    crate::outbox::emit(&mut tx, "token.generated", row, row.created_at).await?;
    tx.commit().await
}

/// Replaces a token's digest and expiry; the token as written (`None` when gone).
pub async fn regenerate(
    db: &Db,
    account: &str,
    id: &str,
    digest: &str,
    expiry: Option<i64>,
    now: i64,
) -> Result<Option<TokenRow>> {
    let changes = vec![("digest", digest.into()), ("expiry", expiry.into())];
    crate::edits::update_returning(
        db,
        TABLE,
        COLUMNS,
        account,
        id,
        changes,
        now,
        "token.regenerated",
    )
    .await
}

/// Revokes (deletes) a token; true when it existed.
pub async fn revoke(db: &Db, account: &str, id: &str, now: i64) -> Result<bool> {
    crate::edits::delete_announced::<TokenRow>(
        db,
        (TABLE, COLUMNS),
        account,
        id,
        "token.revoked",
        now,
    )
    .await
}

/// Which tokens a list shows.
#[derive(Debug, Clone)]
pub enum TokenScope<'a> {
    /// What a bearer may see (`GET /tokens`): see [`visible_to`].
    Visible {
        /// The bearer's own (type, id).
        own: (&'a str, &'a str),
        /// Whether it sees other bearers' tokens.
        others: bool,
        /// Roles of users whose tokens stay hidden.
        hidden_user_roles: &'a [&'a str],
        /// `bearer[type]` (plural form) filter.
        bearer_type: Option<&'a str>,
        /// `bearer[id]` filter.
        bearer_id: Option<&'a str>,
    },
    /// Exactly the tokens of one bearer (type, id).
    Bearer(&'a str, &'a str),
}

/// One page of tokens of an account.
pub async fn list(
    db: &Db,
    account: &str,
    scope: &TokenScope<'_>,
    page: &crate::page::Page,
    order: crate::page::Order,
) -> Result<(Vec<TokenRow>, Option<i64>)> {
    use crate::crud::Filter;
    let filters = match scope {
        TokenScope::Visible {
            own,
            others,
            hidden_user_roles,
            bearer_type,
            bearer_id,
        } => {
            let mut filters = Vec::new();
            if let Some(kind) = bearer_type {
                filters.push(Filter::eq("bearer_type", *kind));
            }
            if let Some(id) = bearer_id {
                filters.push(Filter::eq("bearer_id", *id));
            }
            filters.push(visible_to(*own, *others, hidden_user_roles));
            filters
        }
        TokenScope::Bearer(kind, id) => vec![Filter::new(
            "bearer_type = {} AND bearer_id = {}",
            vec![(*kind).into(), (*id).into()],
        )],
    };
    crate::crud::list(db, TABLE, COLUMNS, account, filters, page, order).await
}
