//! Distribution resources: `releases`, `artifacts`, `packages`, `constraints` and the
//! read-only `channels`, `platforms`, `arches`, `engines`.

use crate::account::Account;
use crate::api::v1::serialize::*;
use latchkey_store::artifacts::ArtifactRow;
use latchkey_store::packages::PackageRow;
use latchkey_store::releases::ReleaseRow;
use latchkey_store::releases::constraints::ConstraintRow;
use latchkey_store::releases::terms::TermRow;
use serde_json::{Value, json};

/// The `semver` object: major, minor, patch, prerelease, build.
fn semver(version: &str) -> Value {
    match latchkey_core::releases::parse_version(version) {
        Some(v) => json!({
            "major": v.major,
            "minor": v.minor,
            "patch": v.patch,
            "prerelease": (!v.pre.is_empty()).then(|| v.pre.to_string()),
            "build": (!v.build.is_empty()).then(|| v.build.to_string()),
        }),
        None => Value::Null,
    }
}

/// The release resource object.
pub fn release(account: &Account, row: &ReleaseRow) -> Value {
    let own = format!("releases/{}", row.id);
    resource(
        account,
        "releases",
        &row.id,
        json!({
            "name": row.name,
            "description": row.description,
            "channel": row.channel,
            "status": row.status,
            "tag": row.tag,
            "version": row.version,
            "semver": semver(&row.version),
            "metadata": json_text(&row.metadata),
            "created": ts1(row.created_at),
            "updated": ts1(row.updated_at),
            "yanked": ts(row.yanked_at),
            "backdated": ts(row.backdated_at),
        }),
        json!({
            "account": account_rel(account),
            "product": to_one(account, &own, "product", "products", Some(&row.product_id)),
            "package": to_one(account, &own, "package", "packages", row.package_id.as_deref()),
            "artifacts": to_many(account, &own, "artifacts"),
            "upgrade": { "links": { "related": format!("{}/{own}/upgrade", account.base()) } },
            "entitlements": to_many(account, &own, "entitlements"),
            "constraints": to_many(account, &own, "constraints"),
        }),
    )
}

/// The artifact resource object.
pub fn artifact(account: &Account, row: &ArtifactRow) -> Value {
    let own = format!("artifacts/{}", row.id);
    resource(
        account,
        "artifacts",
        &row.id,
        json!({
            "filename": row.filename,
            "filetype": row.filetype,
            "filesize": row.filesize,
            "platform": row.platform,
            "arch": row.arch,
            "signature": row.signature,
            "checksum": row.checksum,
            "status": row.status,
            "metadata": json_text(&row.metadata),
            "created": ts1(row.created_at),
            "updated": ts1(row.updated_at),
        }),
        json!({
            "account": account_rel(account),
            "release": to_one(account, &own, "release", "releases", Some(&row.release_id)),
        }),
    )
}

/// The package resource object.
pub fn package(account: &Account, row: &PackageRow) -> Value {
    let own = format!("packages/{}", row.id);
    resource(
        account,
        "packages",
        &row.id,
        json!({
            "name": row.name,
            "key": row.key,
            "engine": row.engine,
            "metadata": json_text(&row.metadata),
            "created": ts1(row.created_at),
            "updated": ts1(row.updated_at),
        }),
        json!({
            "account": account_rel(account),
            "product": to_one(account, &own, "product", "products", Some(&row.product_id)),
            "releases": to_many(account, &own, "releases"),
        }),
    )
}

/// The resource type of a term kind (`channel` → `channels`, …).
pub fn term_type(kind: &str) -> &'static str {
    match kind {
        "channel" => "channels",
        "platform" => "platforms",
        "arch" => "arches",
        "engine" => "engines",
        _ => "filetypes",
    }
}

/// A channel, platform, arch or engine resource object.
pub fn term(account: &Account, row: &TermRow) -> Value {
    resource(
        account,
        term_type(&row.kind),
        &row.id,
        json!({
            "name": row.key,
            "key": row.key,
            "created": ts1(row.created_at),
            "updated": ts1(row.updated_at),
        }),
        json!({ "account": account_rel(account) }),
    )
}

/// A release entitlement constraint resource object.
pub fn constraint(account: &Account, row: &ConstraintRow) -> Value {
    let own = format!("releases/{}/constraints/{}", row.release_id, row.id);
    resource(
        account,
        "constraints",
        &row.id,
        json!({ "created": ts1(row.created_at), "updated": ts1(row.updated_at) }),
        json!({
            "account": account_rel(account),
            "entitlement": {
                "links": { "related": format!("{}/{own}/entitlement", account.base()) },
                "data": { "type": "entitlements", "id": row.entitlement_id },
            },
            "release": {
                "links": { "related": format!("{}/releases/{}", account.base(), row.release_id) },
                "data": { "type": "releases", "id": row.release_id },
            },
        }),
    )
}
