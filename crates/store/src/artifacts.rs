//! `release_artifacts`: the files of a release (one per filename), uploaded to the
//! configured storage. Status WAITING until the bytes arrive and match, then
//! UPLOADED (or FAILED).

use crate::crud::Filter;
use crate::page::{Order, Page};
use crate::{Db, Result, StoreError, sql};
use latchkey_core::access::Actor;

crate::table!(
    /// An artifact. `checksum` is what the uploader declared (hex or base64
    /// SHA-256/512); `signature` the uploader's Ed25519ph signature, passed through.
    ArtifactRow, "release_artifacts" {
        id: String,
        account_id: String,
        product_id: String,
        release_id: String,
        filename: String,
        filetype: Option<String>,
        filesize: Option<i64>,
        platform: Option<String>,
        arch: Option<String>,
        signature: Option<String>,
        checksum: Option<String>,
        status: String,
        metadata: String,
        created_at: i64,
        updated_at: i64,
    }
);

/// Artifacts of releases the caller sees; only UPLOADED ones unless the caller
/// writes releases (admins, developers, the product) or reads everything (staff).
pub fn visible_to(actor: Option<&Actor<'_>>) -> Option<Filter> {
    if actor.is_some_and(|a| a.is_staff() || a.product_id().is_some()) {
        return of_releases_seen_by(actor);
    }
    let (text, args) = crate::releases::visible_to(actor)
        .map(Filter::into_parts)
        .unwrap_or_else(|| ("1 = 1".into(), vec![]));
    Some(Filter::new(
        format!("status = 'UPLOADED' AND release_id IN (SELECT id FROM releases WHERE {text})"),
        args,
    ))
}

/// Artifacts of releases the caller sees, whatever their status (`None`: all).
pub fn of_releases_seen_by(actor: Option<&Actor<'_>>) -> Option<Filter> {
    crate::releases::visible_to(actor).map(|f| {
        let (text, args) = f.into_parts();
        Filter::new(
            format!("release_id IN (SELECT id FROM releases WHERE {text})"),
            args,
        )
    })
}

/// An artifact by id among those matching `scope`.
pub async fn find_visible(
    db: &Db,
    account: &str,
    id: &str,
    scope: Vec<Filter>,
) -> Result<Option<ArtifactRow>> {
    let mut q = sql(format!(
        "SELECT {COLUMNS} FROM {TABLE} WHERE account_id = $1 AND id = $2"
    ))
    .bind(account)
    .bind(id);
    for filter in scope {
        q = filter.push_into(q);
    }
    db.fetch_optional(q).await
}

/// Up to `limit` artifacts matching `filters` whose bytes are not verified yet
/// (WAITING, or FAILED and perhaps uploaded again), newest first: what an S3-backed
/// list settles before it reads.
pub async fn unsettled(
    db: &Db,
    account: &str,
    filters: Vec<Filter>,
    limit: i64,
) -> Result<Vec<ArtifactRow>> {
    let mut q = sql(format!(
        "SELECT {COLUMNS} FROM {TABLE} WHERE account_id = $1 AND status IN ('WAITING', 'FAILED')"
    ))
    .bind(account);
    for filter in filters {
        q = filter.push_into(q);
    }
    let q = q.push_bind(" ORDER BY created_at DESC LIMIT {}", limit);
    db.fetch_all(q).await
}

/// An artifact of a release by id or filename among those matching `scope`.
pub async fn find_in_release(
    db: &Db,
    account: &str,
    release_id: &str,
    id_or_filename: &str,
    scope: Vec<Filter>,
) -> Result<Option<ArtifactRow>> {
    let mut q = sql(format!(
        "SELECT {COLUMNS} FROM {TABLE} WHERE account_id = $1 AND release_id = $2 AND (id = $3 OR filename = $4)"
    ))
    .bind(account)
    .bind(release_id)
    .bind(id_or_filename)
    .bind(id_or_filename);
    for filter in scope {
        q = filter.push_into(q);
    }
    let q = q.push(" ORDER BY CASE WHEN id = $3 THEN 0 ELSE 1 END, created_at LIMIT 1");
    db.fetch_optional(q).await
}

/// An account's artifacts matching `filters` that `actor` may see.
pub async fn list(
    db: &Db,
    account: &str,
    mut filters: Vec<Filter>,
    actor: Option<&Actor<'_>>,
    page: &Page,
    order: Order,
) -> Result<(Vec<ArtifactRow>, Option<i64>)> {
    filters.extend(visible_to(actor));
    crate::crud::list(db, TABLE, COLUMNS, account, filters, page, order).await
}

/// The release already has an artifact with this filename.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilenameTaken;

/// Inserts an artifact (and its platform, arch and filetype terms).
pub async fn create(db: &Db, row: &ArtifactRow) -> Result<std::result::Result<(), FilenameTaken>> {
    let mut tx = db.begin().await?;
    let taken = tx
        .fetch_optional::<(String,)>(
            sql(format!(
                "SELECT id FROM {TABLE} WHERE release_id = $1 AND filename = $2"
            ))
            .bind(row.release_id.as_str())
            .bind(row.filename.as_str()),
        )
        .await?;
    if taken.is_some() {
        return Ok(Err(FilenameTaken));
    }
    for (kind, key) in [
        ("platform", &row.platform),
        ("arch", &row.arch),
        ("filetype", &row.filetype),
    ] {
        if let Some(key) = key {
            crate::releases::ensure_term(&mut tx, &row.account_id, kind, key, row.created_at)
                .await?;
        }
    }
    match insert(&mut tx, row).await {
        Err(StoreError::Conflict(_)) => return Ok(Err(FilenameTaken)),
        other => other?,
    }
    crate::outbox::emit(&mut tx, "artifact.created", row, row.created_at).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Moves an artifact from `from` to `to` status (and records the stored size);
/// false when it was not in `from` (a concurrent upload finished first). Records
/// Keygen's `artifact.upload.succeeded` (UPLOADED) or `artifact.upload.failed`.
pub async fn transition(
    db: &Db,
    id: &str,
    from: &str,
    to: &str,
    filesize: Option<i64>,
    now: i64,
) -> Result<bool> {
    let q = sql(format!(
        "UPDATE {TABLE} SET status = $1, filesize = COALESCE($2, filesize), updated_at = $3 \
         WHERE id = $4 AND status = $5"
    ))
    .bind(to)
    .bind(filesize)
    .bind(now)
    .bind(id)
    .bind(from);
    let event = if to == "UPLOADED" {
        "artifact.upload.succeeded"
    } else {
        "artifact.upload.failed"
    };
    let n = crate::outbox::execute_announced::<ArtifactRow>(
        db,
        q,
        COLUMNS,
        (event, crate::Durability::Full),
        now,
    )
    .await?;
    Ok(n > 0)
}

/// Saves an artifact's editable attributes (`PATCH /artifacts/{id}`): filesize,
/// checksum, signature, metadata, recording `artifact.updated` in the same
/// transaction. False when it is gone.
pub async fn save(db: &Db, row: &ArtifactRow) -> Result<bool> {
    let mut tx = db.begin().await?;
    let n = tx
        .execute(
            sql(format!(
                "UPDATE {TABLE} SET filesize = $1, checksum = $2, signature = $3, metadata = $4, \
                 updated_at = $5 WHERE account_id = $6 AND id = $7"
            ))
            .bind(row.filesize)
            .bind(row.checksum.as_deref())
            .bind(row.signature.as_deref())
            .bind(row.metadata.as_str())
            .bind(row.updated_at)
            .bind(row.account_id.as_str())
            .bind(row.id.as_str()),
        )
        .await?;
    if n > 0 {
        crate::outbox::emit(&mut tx, "artifact.updated", row, row.updated_at).await?;
    }
    tx.commit().await?;
    Ok(n > 0)
}

/// Records `artifact.downloaded` (a download link was handed out).
pub async fn announce_download(db: &Db, row: &ArtifactRow, now: i64) -> Result<()> {
    let mut tx = db.begin().await?;
    crate::outbox::emit(&mut tx, "artifact.downloaded", row, now).await?;
    tx.commit().await
}

/// Deletes an artifact row.
pub async fn delete(db: &Db, account: &str, id: &str, now: i64) -> Result<bool> {
    let table = (TABLE, COLUMNS);
    crate::edits::delete_announced::<ArtifactRow>(db, table, account, id, "artifact.deleted", now)
        .await
}

/// Whether an UPLOADED artifact of a PUBLISHED release of `product_id` visible to
/// the license has `checksum` (the `checksum` validation scope); returns the release
/// version on a match.
pub async fn checksum_match(
    db: &Db,
    product_id: &str,
    license: &Actor<'_>,
    checksum: &str,
) -> Result<Option<String>> {
    let (text, args) = crate::releases::visible_to(Some(license))
        .map(Filter::into_parts)
        .unwrap_or_else(|| ("1 = 1".into(), vec![]));
    let q = sql(
        "SELECT r.version FROM release_artifacts a JOIN releases r ON r.id = a.release_id \
         WHERE a.product_id = $1 AND a.checksum = $2 AND a.status = 'UPLOADED' AND r.status = 'PUBLISHED' \
         AND r.id IN (SELECT id FROM releases WHERE ",
    )
    .bind(product_id)
    .bind(checksum)
    .push_clause(&text, args)
    .push(") ORDER BY r.created_at LIMIT 1");
    Ok(db.fetch_optional::<(String,)>(q).await?.map(|r| r.0))
}

/// The ids of a product's artifacts (their files are removed with it).
pub async fn ids_of_product(db: &Db, product_id: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = db
        .fetch_all(sql(format!("SELECT id FROM {TABLE} WHERE product_id = $1")).bind(product_id))
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// The ids of a release's artifacts (their files are removed with it).
pub async fn ids_of_release(db: &Db, release_id: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = db
        .fetch_all(sql(format!("SELECT id FROM {TABLE} WHERE release_id = $1")).bind(release_id))
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}
