//! Queries of the relationship routes (`/parents/{id}/children[/{id}]`) that no
//! table module answers: membership checks between two resources, the lists of
//! relationships the top-level lists do not filter by (a user's products, a group's
//! owners), group owners, and the attribute filters of `POST /search`.

use crate::crud::Filter;
use crate::page::{Order, Page};
use crate::products::ProductRow;
use crate::tokens::TokenRow;
use crate::users::UserRow;
use crate::{Arg, Db, Result, new_id, sql};
use latchkey_core::access::Actor;

/// Whether `user_id` owns or is attached to a license of `product_id`.
pub async fn product_has_user(db: &Db, product_id: &str, user_id: &str) -> Result<bool> {
    let q = sql(
        "SELECT id FROM licenses WHERE product_id = $1 AND (owner_id = $2 OR id IN \
         (SELECT license_id FROM license_users WHERE user_id = $2)) LIMIT 1",
    )
    .bind(product_id)
    .bind(user_id);
    Ok(db.fetch_optional::<(String,)>(q).await?.is_some())
}

/// The token `token_id` of the account if its bearer is `bearer` (`(type, id)`,
/// e.g. `("users", id)`).
pub async fn bearer_token(
    db: &Db,
    account: &str,
    bearer: (&str, &str),
    token_id: &str,
) -> Result<Option<TokenRow>> {
    db.fetch_optional(
        sql(format!(
            "SELECT {} FROM tokens WHERE account_id = $1 AND id = $2 \
             AND bearer_type = $3 AND bearer_id = $4",
            crate::tokens::COLUMNS
        ))
        .bind(account)
        .bind(token_id)
        .bind(bearer.0)
        .bind(bearer.1),
    )
    .await
}

/// Whether the entitlement is granted to the license: attached to it or to its policy.
pub async fn license_has_entitlement(
    db: &Db,
    license_id: &str,
    policy_id: &str,
    entitlement_id: &str,
) -> Result<bool> {
    let q = sql(
        "SELECT entitlement_id FROM policy_entitlements WHERE policy_id = $1 AND entitlement_id = $2 \
         UNION SELECT entitlement_id FROM license_entitlements WHERE license_id = $3 AND entitlement_id = $2",
    )
    .bind(policy_id)
    .bind(entitlement_id)
    .bind(license_id);
    Ok(db.fetch_optional::<(String,)>(q).await?.is_some())
}

/// One page of the products of the licenses `user_id` owns or is attached to
/// (`GET /users/{id}/products`), as `actor` may list them: a product only itself, a
/// license only its product, users and staff all of them (reading the user was
/// checked before).
pub async fn user_products(
    db: &Db,
    account: &str,
    user_id: &str,
    actor: &Actor<'_>,
    page: &Page,
    order: Order,
) -> Result<(Vec<ProductRow>, Option<i64>)> {
    let mut filters = vec![Filter::new(
        format!(
            "id IN (SELECT product_id FROM licenses WHERE id IN ({}))",
            crate::licenses::USER_LICENSES
        ),
        vec![user_id.into(), user_id.into()],
    )];
    match actor {
        Actor::Product { id } => filters.push(Filter::eq("id", *id)),
        Actor::License { product_id, .. } => filters.push(Filter::eq("id", *product_id)),
        Actor::User { .. } => {}
    }
    let (table, columns) = (crate::products::TABLE, crate::products::COLUMNS);
    crate::crud::list(db, table, columns, account, filters, page, order).await
}

/// One page of the owners of group `group_id` (`GET /groups/{id}/owners`) among the
/// users `actor` may see.
pub async fn group_owners(
    db: &Db,
    account: &str,
    group_id: &str,
    actor: &Actor<'_>,
    page: &Page,
    order: Order,
) -> Result<(Vec<UserRow>, Option<i64>)> {
    let mut filters = vec![Filter::new(
        "id IN (SELECT user_id FROM group_owners WHERE group_id = {})",
        vec![group_id.into()],
    )];
    filters.extend(crate::users::visible_to(actor));
    let (table, columns) = (crate::users::TABLE, crate::users::COLUMNS);
    crate::crud::list(db, table, columns, account, filters, page, order).await
}

/// Whether `user_id` owns group `group_id`.
pub async fn is_group_owner(db: &Db, group_id: &str, user_id: &str) -> Result<bool> {
    let q = sql("SELECT user_id FROM group_owners WHERE group_id = $1 AND user_id = $2")
        .bind(group_id)
        .bind(user_id);
    Ok(db.fetch_optional::<(String,)>(q).await?.is_some())
}

crate::table!(
    /// A group owner: a user owning an account group.
    GroupOwnerRow, "group_owners" {
        id: String,
        account_id: String,
        group_id: String,
        user_id: String,
        created_at: i64,
        updated_at: i64,
    }
);

/// Why attaching or detaching owners was refused, with the index of the offending
/// item in the request's `data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnersRefusal {
    /// No such user in the account.
    UnknownUser(usize),
    /// Attach: the user already owns the group.
    AlreadyOwner(usize),
    /// Detach: the user does not own the group.
    NotOwner(usize),
}

/// Makes the users (ids) owners of the group, all or none, in one transaction.
pub async fn attach_owners(
    db: &Db,
    account: &str,
    group_id: &str,
    user_ids: &[String],
    now: i64,
) -> Result<std::result::Result<Vec<GroupOwnerRow>, OwnersRefusal>> {
    let mut tx = db.begin().await?;
    let mut rows = Vec::with_capacity(user_ids.len());
    for (i, user) in user_ids.iter().enumerate() {
        let exists: Option<(String,)> = tx
            .fetch_optional(
                sql("SELECT id FROM users WHERE account_id = $1 AND id = $2")
                    .bind(account)
                    .bind(user),
            )
            .await?;
        if exists.is_none() {
            return Ok(Err(OwnersRefusal::UnknownUser(i)));
        }
        let taken: Option<(String,)> = tx
            .fetch_optional(
                sql("SELECT id FROM group_owners WHERE group_id = $1 AND user_id = $2")
                    .bind(group_id)
                    .bind(user),
            )
            .await?;
        if taken.is_some() || rows.iter().any(|r: &GroupOwnerRow| r.user_id == *user) {
            return Ok(Err(OwnersRefusal::AlreadyOwner(i)));
        }
        let row = GroupOwnerRow {
            id: new_id(),
            account_id: account.to_owned(),
            group_id: group_id.to_owned(),
            user_id: user.clone(),
            created_at: now,
            updated_at: now,
        };
        insert(&mut tx, &row).await?;
        rows.push(row);
    }
    announce_group(&mut tx, group_id, "group.owners.attached", now).await?;
    tx.commit().await?;
    Ok(Ok(rows))
}

/// Removes the users (ids) from the group's owners, all or none, in one transaction.
pub async fn detach_owners(
    db: &Db,
    group_id: &str,
    user_ids: &[String],
    now: i64,
) -> Result<std::result::Result<(), OwnersRefusal>> {
    let mut tx = db.begin().await?;
    for (i, user) in user_ids.iter().enumerate() {
        let deleted = tx
            .execute(
                sql("DELETE FROM group_owners WHERE group_id = $1 AND user_id = $2")
                    .bind(group_id)
                    .bind(user),
            )
            .await?;
        if deleted == 0 {
            return Ok(Err(OwnersRefusal::NotOwner(i)));
        }
    }
    announce_group(&mut tx, group_id, "group.owners.detached", now).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

async fn announce_group(tx: &mut crate::Tx, group_id: &str, name: &str, now: i64) -> Result<()> {
    let table = (crate::groups::TABLE, crate::groups::COLUMNS);
    crate::outbox::emit_row::<crate::groups::GroupRow>(tx, table, group_id, name, now).await
}

/// Ids of the groups `user_id` owns.
pub async fn owned_groups(db: &Db, user_id: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = db
        .fetch_all(sql("SELECT group_id FROM group_owners WHERE user_id = $1").bind(user_id))
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// A searchable attribute: `(snake_case name in meta.query, column, exact)`.
pub type SearchAttribute = (&'static str, &'static str, bool);

/// A searchable resource type: `(type, table, attributes)`.
pub type Searchable = (&'static str, &'static str, &'static [SearchAttribute]);

/// The searchable resource types of `POST /search` (Keygen's list, less the ones
/// Latchkey has no table for): `(type, table, attributes)`, each attribute being
/// `(snake_case name in meta.query, column, exact)`. Exact attributes (keys, related
/// ids, roles) match whole values; the others case-insensitive substrings.
pub const SEARCHABLE: &[Searchable] = &[
    (
        "products",
        "products",
        &[("id", "id", false), ("name", "name", false)],
    ),
    (
        "policies",
        "policies",
        &[
            ("id", "id", false),
            ("name", "name", false),
            ("product", "product_id", true),
        ],
    ),
    (
        "licenses",
        "licenses",
        &[
            ("id", "id", false),
            ("key", "key", true),
            ("name", "name", false),
            ("product", "product_id", true),
            ("policy", "policy_id", true),
            ("owner", "owner_id", true),
            ("user", "owner_id", true),
        ],
    ),
    (
        "machines",
        "machines",
        &[
            ("id", "id", false),
            ("fingerprint", "fingerprint", false),
            ("name", "name", false),
            ("license", "license_id", true),
            ("owner", "owner_id", true),
        ],
    ),
    (
        "users",
        "users",
        &[
            ("id", "id", false),
            ("email", "email", false),
            ("first_name", "first_name", false),
            ("last_name", "last_name", false),
            ("role", "role", true),
        ],
    ),
    (
        "entitlements",
        "entitlements",
        &[
            ("id", "id", false),
            ("name", "name", false),
            ("code", "code", false),
        ],
    ),
    ("groups", "account_groups", &[("name", "name", false)]),
];

/// One search term: `column = value` for id columns, else a case-insensitive
/// substring match (`%` and `_` in the value match themselves).
fn search_term(column: &str, exact: bool, value: &str) -> (String, Arg) {
    if exact {
        return (format!("{column} = {{}}"), Arg::from(value));
    }
    let escaped = value
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    (
        format!("LOWER({column}) LIKE {{}} ESCAPE '\\'"),
        Arg::from(format!("%{}%", escaped.to_lowercase())),
    )
}

/// The filter of a search: `terms` (`(column, exact, value)`) joined by `AND`, or by
/// `OR` when `any`; `None` when there are no terms.
pub fn search_filter(terms: &[(&str, bool, &str)], any: bool) -> Option<Filter> {
    let mut clauses = Vec::with_capacity(terms.len());
    let mut args = Vec::with_capacity(terms.len());
    for (column, exact, value) in terms {
        let (clause, arg) = search_term(column, *exact, value);
        clauses.push(format!("({clause})"));
        args.push(arg);
    }
    if clauses.is_empty() {
        return None;
    }
    let op = if any { " OR " } else { " AND " };
    Some(Filter::new(clauses.join(op), args))
}

/// Stores a new token (for `POST /users/{id}/tokens`) in its own transaction.
pub async fn create_token(db: &Db, row: &TokenRow) -> Result<()> {
    let mut tx = db.begin().await?;
    crate::tokens::insert(&mut tx, row).await?;
    crate::outbox::emit(&mut tx, "token.generated", row, row.created_at).await?;
    tx.commit().await
}
