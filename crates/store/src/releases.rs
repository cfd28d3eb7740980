//! `releases` (versions of a product, per channel and optional package), their
//! entitlement constraints and the `release_terms` lookup (channel, platform, arch,
//! filetype and engine keys with stable ids).

use crate::crud::Filter;
use crate::page::{Order, Page};
use crate::{Db, Result, StoreError, Tx, sql};
use latchkey_core::access::Actor;

crate::table!(
    /// A release. `version` is semver text, `channel` a channel key, `status`
    /// DRAFT/PUBLISHED/YANKED; `backdated_at` replaces `created_at` for expiry windows.
    ReleaseRow, "releases" {
        id: String,
        account_id: String,
        product_id: String,
        package_id: Option<String>,
        name: Option<String>,
        description: Option<String>,
        version: String,
        tag: Option<String>,
        channel: String,
        status: String,
        metadata: String,
        backdated_at: Option<i64>,
        yanked_at: Option<i64>,
        created_at: i64,
        updated_at: i64,
    }
);

impl ReleaseRow {
    /// The date expiry windows compare against: backdated, else created.
    pub fn released_at(&self) -> i64 {
        self.backdated_at.unwrap_or(self.created_at)
    }
}

/// Entitlements a license holds (its policy's and its own): two `{}` (license id).
const LICENSE_ENTITLEMENTS: &str = "SELECT entitlement_id FROM policy_entitlements WHERE policy_id IN \
     (SELECT policy_id FROM licenses WHERE id = {}) \
     UNION SELECT entitlement_id FROM license_entitlements WHERE license_id = {}";

/// Every constraint of the release is among `held` (a subquery of entitlement ids).
fn within_constraints(held: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM release_entitlement_constraints c WHERE c.release_id = releases.id \
         AND c.entitlement_id NOT IN ({held}))"
    )
}

const OPEN: &str = "product_id IN (SELECT id FROM products WHERE distribution_strategy = 'OPEN')";
const NOT_CLOSED: &str =
    "product_id IN (SELECT id FROM products WHERE distribution_strategy <> 'CLOSED')";

/// The releases a caller sees (Keygen's `ReleasePolicy` scope): every release for
/// staff, its own for a product; for a license, the published releases of its
/// (non-closed) product whose constraints it holds, and published open-distribution
/// releases; for a user the same over all their licenses; anonymous callers see
/// published open-distribution releases. Written over the `releases` table's columns.
pub fn visible_to(actor: Option<&Actor<'_>>) -> Option<Filter> {
    let Some(actor) = actor else {
        return Some(Filter::new(
            format!("status = 'PUBLISHED' AND {OPEN}"),
            vec![],
        ));
    };
    if actor.is_staff() {
        return None;
    }
    match actor {
        Actor::Product { id } => Some(Filter::eq("product_id", *id)),
        Actor::License { id, .. } => Some(Filter::new(
            format!(
                "status = 'PUBLISHED' AND ((product_id IN (SELECT product_id FROM licenses WHERE id = {{}}) \
                 AND {NOT_CLOSED} AND {}) OR {OPEN})",
                within_constraints(LICENSE_ENTITLEMENTS)
            ),
            vec![(*id).into(), (*id).into(), (*id).into()],
        )),
        Actor::User { id, .. } => {
            let user = crate::licenses::USER_LICENSES;
            let held = format!(
                "SELECT pe.entitlement_id FROM policy_entitlements pe JOIN licenses l ON l.policy_id = pe.policy_id \
                 WHERE l.id IN ({user}) \
                 UNION SELECT entitlement_id FROM license_entitlements WHERE license_id IN ({user})"
            );
            Some(Filter::new(
                format!(
                    "status = 'PUBLISHED' AND ((product_id IN (SELECT product_id FROM licenses WHERE id IN ({user})) \
                     AND {NOT_CLOSED} AND {}) OR {OPEN})",
                    within_constraints(&held)
                ),
                vec![(*id).into(); 6],
            ))
        }
    }
}

/// Finds by UUID, version or tag among the releases matching `scope`: an id match
/// first, then the oldest.
pub async fn find_visible(
    db: &Db,
    account: &str,
    id: &str,
    scope: Vec<Filter>,
) -> Result<Option<ReleaseRow>> {
    let mut q = sql(format!(
        "SELECT {COLUMNS} FROM {TABLE} WHERE account_id = $1 AND (id = $2 OR version = $3 OR tag = $4)"
    ))
    .bind(account)
    .bind(id)
    .bind(id)
    .bind(id);
    for filter in scope {
        q = filter.push_into(q);
    }
    let q = q.push(" ORDER BY CASE WHEN id = $2 THEN 0 ELSE 1 END, created_at, id LIMIT 1");
    db.fetch_optional(q).await
}

/// An account's releases matching `filters` that `actor` may see.
pub async fn list(
    db: &Db,
    account: &str,
    mut filters: Vec<Filter>,
    actor: Option<&Actor<'_>>,
    page: &Page,
    order: Order,
) -> Result<(Vec<ReleaseRow>, Option<i64>)> {
    filters.extend(visible_to(actor));
    crate::crud::list(db, TABLE, COLUMNS, account, filters, page, order).await
}

/// Gives `key` of `kind` (channel, platform, arch, filetype, engine) an id in the
/// account, once.
pub async fn ensure_term(
    tx: &mut Tx,
    account: &str,
    kind: &str,
    key: &str,
    now: i64,
) -> Result<()> {
    tx.execute(
        sql(
            "INSERT INTO release_terms (id, account_id, kind, key, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (account_id, kind, key) DO NOTHING",
        )
        .bind(crate::new_id())
        .bind(account)
        .bind(kind)
        .bind(key)
        .bind(now)
        .bind(now),
    )
    .await?;
    Ok(())
}

/// Why a release cannot be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// Another release of the product and package has the version.
    Version,
    /// Another release of the account has the tag.
    Tag,
}

async fn taken(tx: &mut Tx, row: &ReleaseRow) -> Result<Option<Taken>> {
    let q = sql(format!(
        "SELECT id FROM {TABLE} WHERE account_id = $1 AND product_id = $2 \
         AND COALESCE(package_id, '') = $3 AND version = $4 AND id <> $5 LIMIT 1"
    ))
    .bind(row.account_id.as_str())
    .bind(row.product_id.as_str())
    .bind(row.package_id.clone().unwrap_or_default())
    .bind(row.version.as_str())
    .bind(row.id.as_str());
    if tx.fetch_optional::<(String,)>(q).await?.is_some() {
        return Ok(Some(Taken::Version));
    }
    if let Some(tag) = &row.tag {
        let q = sql(format!(
            "SELECT id FROM {TABLE} WHERE account_id = $1 AND tag = $2 AND id <> $3 LIMIT 1"
        ))
        .bind(row.account_id.as_str())
        .bind(tag.as_str())
        .bind(row.id.as_str());
        if tx.fetch_optional::<(String,)>(q).await?.is_some() {
            return Ok(Some(Taken::Tag));
        }
    }
    Ok(None)
}

/// Inserts a release (and its channel term) unless its version or tag is taken.
pub async fn create(db: &Db, row: &ReleaseRow) -> Result<std::result::Result<(), Taken>> {
    let mut tx = db.begin().await?;
    tx.lock_key(&format!("releases:{}", row.account_id)).await?;
    if let Some(taken) = taken(&mut tx, row).await? {
        return Ok(Err(taken));
    }
    ensure_term(
        &mut tx,
        &row.account_id,
        "channel",
        &row.channel,
        row.created_at,
    )
    .await?;
    match insert(&mut tx, row).await {
        Err(StoreError::Conflict(_)) => return Ok(Err(Taken::Tag)),
        other => other?,
    }
    crate::outbox::emit(&mut tx, "release.created", row, row.created_at).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Writes every column of `row` but its ids and creation time (the handler merged
/// the changes into the loaded row and checked them); re-checks version and tag.
/// Records `event` (`release.updated`, `.published`, `.yanked`) with the row.
pub async fn save(
    db: &Db,
    row: &ReleaseRow,
    event: &str,
) -> Result<std::result::Result<(), Taken>> {
    let mut tx = db.begin().await?;
    tx.lock_key(&format!("releases:{}", row.account_id)).await?;
    if let Some(taken) = taken(&mut tx, row).await? {
        return Ok(Err(taken));
    }
    ensure_term(
        &mut tx,
        &row.account_id,
        "channel",
        &row.channel,
        row.updated_at,
    )
    .await?;
    let changes = crate::edits::Columns::default()
        .set("package_id", Some(row.package_id.clone()))
        .set("name", Some(row.name.clone()))
        .set("description", Some(row.description.clone()))
        .set("version", Some(row.version.clone()))
        .set("tag", Some(row.tag.clone()))
        .set("channel", Some(row.channel.clone()))
        .set("status", Some(row.status.clone()))
        .set("metadata", Some(row.metadata.clone()))
        .set("backdated_at", Some(row.backdated_at))
        .set("yanked_at", Some(row.yanked_at))
        .into_vec();
    match crate::crud::update(
        &mut tx,
        TABLE,
        &row.account_id,
        &row.id,
        changes,
        row.updated_at,
    )
    .await
    {
        Err(StoreError::Conflict(_)) => return Ok(Err(Taken::Tag)),
        other => other?,
    };
    crate::outbox::emit(&mut tx, event, row, row.updated_at).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Deletes a release (its constraints and artifacts cascade).
pub async fn delete(db: &Db, account: &str, id: &str, now: i64) -> Result<bool> {
    let table = (TABLE, COLUMNS);
    crate::edits::delete_announced::<ReleaseRow>(db, table, account, id, "release.deleted", now)
        .await
}

/// Published releases of `product_id` and `package_id` (none: releases without a
/// package) that `actor` may see: the upgrade candidates.
pub async fn published_for(
    db: &Db,
    account: &str,
    product_id: &str,
    package_id: Option<&str>,
    actor: Option<&Actor<'_>>,
) -> Result<Vec<ReleaseRow>> {
    let mut q = sql(format!(
        "SELECT {COLUMNS} FROM {TABLE} WHERE account_id = $1 AND product_id = $2 \
         AND COALESCE(package_id, '') = $3 AND status = 'PUBLISHED'"
    ))
    .bind(account)
    .bind(product_id)
    .bind(package_id.unwrap_or_default());
    if let Some(filter) = visible_to(actor) {
        q = filter.push_into(q);
    }
    db.fetch_all(q).await
}

/// Whether the license (with `policy_id`) holds every constraint entitlement of the
/// release.
pub async fn license_satisfies(
    db: &Db,
    release_id: &str,
    license_id: &str,
    policy_id: &str,
) -> Result<bool> {
    let q = sql(
        "SELECT c.id FROM release_entitlement_constraints c WHERE c.release_id = $1 \
         AND c.entitlement_id NOT IN (SELECT entitlement_id FROM policy_entitlements WHERE policy_id = $2 \
         UNION SELECT entitlement_id FROM license_entitlements WHERE license_id = $3) LIMIT 1",
    )
    .bind(release_id)
    .bind(policy_id)
    .bind(license_id);
    Ok(db.fetch_optional::<(String,)>(q).await?.is_none())
}

#[path = "release_constraints.rs"]
pub mod constraints;
#[path = "release_terms.rs"]
pub mod terms;

/// The licenses of `product_id` a user owns or is attached to, with their policies
/// (for the download gate of user bearers).
pub async fn user_licenses_for_product(
    db: &Db,
    account: &str,
    user_id: &str,
    product_id: &str,
) -> Result<Vec<(crate::licenses::LicenseRow, crate::policies::PolicyRow)>> {
    let licenses: Vec<crate::licenses::LicenseRow> = db
        .fetch_all(
            sql(format!(
                "SELECT {} FROM licenses WHERE account_id = $1 AND product_id = $2 AND id IN \
                 (SELECT id FROM licenses WHERE owner_id = $3 UNION SELECT license_id FROM license_users WHERE user_id = $4) \
                 ORDER BY created_at, id",
                crate::licenses::COLUMNS
            ))
            .bind(account)
            .bind(product_id)
            .bind(user_id)
            .bind(user_id),
        )
        .await?;
    let policy_ids: Vec<&str> = licenses.iter().map(|l| l.policy_id.as_str()).collect();
    let policies = crate::policies::find_many(db, account, &policy_ids).await?;
    Ok(licenses
        .into_iter()
        .filter_map(|l| {
            let policy = policies.iter().find(|p| p.id == l.policy_id)?.clone();
            Some((l, policy))
        })
        .collect())
}

/// Whether a PUBLISHED release of `product_id` that `license` sees has `version`
/// (the `version` validation scope).
pub async fn version_match(
    db: &Db,
    product_id: &str,
    license: &Actor<'_>,
    version: &str,
) -> Result<bool> {
    let mut q = sql(format!(
        "SELECT id FROM {TABLE} WHERE product_id = $1 AND version = $2 AND status = 'PUBLISHED'"
    ))
    .bind(product_id)
    .bind(version);
    if let Some(filter) = visible_to(Some(license)) {
        q = filter.push_into(q);
    }
    Ok(db
        .fetch_optional::<(String,)>(q.push(" LIMIT 1"))
        .await?
        .is_some())
}
