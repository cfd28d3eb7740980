//! `release_terms`: the channel, platform, arch, filetype and engine keys an account
//! uses, each with a stable id (Keygen's `release_channels`, `release_platforms`, …),
//! for the read-only `/channels`, `/platforms`, `/arches` and `/engines` routes.

use crate::crud::Filter;
use crate::page::{Order, Page};
use crate::{Db, Result};

crate::table!(
    /// One key of one kind.
    TermRow, "release_terms" {
        id: String,
        account_id: String,
        kind: String,
        key: String,
        created_at: i64,
        updated_at: i64,
    }
);

/// Which column of which table uses a kind's keys.
fn users_of(kind: &str) -> Option<(&'static str, &'static str)> {
    match kind {
        "channel" => Some(("releases", "channel")),
        "platform" => Some(("release_artifacts", "platform")),
        "arch" => Some(("release_artifacts", "arch")),
        "filetype" => Some(("release_artifacts", "filetype")),
        "engine" => Some(("release_packages", "engine")),
        _ => None,
    }
}

/// The terms of `kind` in use by rows the caller sees: `releases` is the caller's
/// visibility filter (`None`: all) over releases, or over packages for engines
/// (`packages::visible_to`); `product` narrows to one product.
fn scope(kind: &str, releases: Option<Filter>, product: Option<&str>) -> Vec<Filter> {
    let mut filters = vec![Filter::eq("kind", kind)];
    let Some((table, column)) = users_of(kind) else {
        return filters;
    };
    let (release_col, product_col, visible_in) = match table {
        "releases" => ("id", "product_id", "releases"),
        "release_artifacts" => ("release_id", "product_id", "releases"),
        _ => ("id", "product_id", "release_packages"),
    };
    let mut clause = format!(
        "key IN (SELECT {column} FROM {table} u WHERE u.account_id = release_terms.account_id"
    );
    let mut args = Vec::new();
    if let Some(product) = product {
        clause.push_str(&format!(" AND u.{product_col} = {{}}"));
        args.push(product.into());
    }
    if let Some(filter) = releases {
        let (text, mut more) = filter.into_parts();
        clause.push_str(&format!(
            " AND u.{release_col} IN (SELECT id FROM {visible_in} WHERE {text})"
        ));
        args.append(&mut more);
    }
    clause.push(')');
    filters.push(Filter::new(clause, args));
    filters
}

/// One page of an account's terms of `kind` in use by what the caller sees.
pub async fn list(
    db: &Db,
    account: &str,
    kind: &str,
    releases: Option<Filter>,
    product: Option<&str>,
    page: &Page,
    order: Order,
) -> Result<(Vec<TermRow>, Option<i64>)> {
    let filters = scope(kind, releases, product);
    crate::crud::list(db, TABLE, COLUMNS, account, filters, page, order).await
}

/// One term of `kind` by id or key, among those the caller sees.
pub async fn find(
    db: &Db,
    account: &str,
    kind: &str,
    id: &str,
    releases: Option<Filter>,
) -> Result<Option<TermRow>> {
    crate::crud::find_by_alias(
        db,
        TABLE,
        COLUMNS,
        account,
        id,
        ("key", id),
        scope(kind, releases, None),
    )
    .await
}
