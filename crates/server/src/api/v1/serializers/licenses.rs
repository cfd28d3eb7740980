//! License resource rendering (`licenses`), including Keygen's derived `status`.

use crate::account::Account;
use crate::api::v1::serialize::*;
use latchkey_store::licenses::{LicenseCounts, LicenseRow};
use latchkey_store::policies::PolicyRow;
use serde::Serialize;
use serde_json::Value;

/// What rendering a license needs besides its row.
#[derive(Debug, Clone)]
pub struct LicenseView<'a> {
    /// The license.
    pub license: &'a LicenseRow,
    /// Its policy.
    pub policy: &'a PolicyRow,
    /// Whether its owner is banned.
    pub owner_banned: bool,
    /// Machine and user counts.
    pub counts: LicenseCounts,
    /// Now, unix ms.
    pub now_ms: i64,
}

/// Keygen's status (`latchkey_core::licensing::status`).
pub fn status(view: &LicenseView<'_>) -> &'static str {
    latchkey_core::licensing::status(&view.license.status_facts(view.owner_banned), view.now_ms)
        .as_str()
}

/// The license resource object.
pub fn license(account: &Account, view: &LicenseView<'_>) -> Value {
    serde_json::to_value(license_doc(account, view)).unwrap_or_default()
}

/// Machine totals a license's `machines` relationship carries in `meta`.
#[derive(Debug, Serialize)]
pub struct MachineTotals {
    count: i64,
    cores: i64,
    memory: i64,
    disk: i64,
}

/// `{ "count": n }`.
#[derive(Debug, Serialize)]
pub struct Count {
    count: i64,
}

/// The license's attributes, in Keygen's order.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenseAttributes<'a> {
    name: Option<&'a str>,
    key: &'a str,
    expiry: Time,
    status: &'static str,
    uses: i64,
    suspended: bool,
    scheme: Option<&'a str>,
    encrypted: bool,
    strict: bool,
    floating: bool,
    protected: bool,
    version: Option<&'a str>,
    require_heartbeat: bool,
    require_check_in: bool,
    last_validated: Time,
    last_check_in: Time,
    next_check_in: Time,
    last_check_out: Time,
    max_machines: Option<i64>,
    max_processes: Option<i64>,
    max_users: Option<i64>,
    max_cores: Option<i64>,
    max_memory: Option<i64>,
    max_disk: Option<i64>,
    max_uses: Option<i64>,
    metadata: StoredJson<'a>,
    created: Time,
    updated: Time,
}

/// The license's relationships.
#[derive(Debug, Serialize)]
pub struct LicenseRelationships<'a> {
    account: AccountRel<'a>,
    product: Relation<'a>,
    policy: Relation<'a>,
    group: Relation<'a>,
    owner: Relation<'a>,
    users: Relation<'a, Count>,
    machines: Relation<'a, MachineTotals>,
    tokens: Relation<'a>,
    entitlements: Relation<'a>,
}

/// The typed license resource ([`license`] is its `Value`).
pub type LicenseDoc<'a> = Resource<'a, LicenseAttributes<'a>, LicenseRelationships<'a>>;

/// The license resource, serialized without an intermediate `Value`.
pub fn license_doc<'a>(account: &'a Account, view: &LicenseView<'a>) -> LicenseDoc<'a> {
    let l = view.license;
    let p = view.policy;
    let next_check_in = if p.require_check_in {
        let rules = p.rules();
        latchkey_core::check_in::next_check_in(
            l.last_check_in_at
                .and_then(latchkey_proto::time_format::from_millis),
            rules.check_in_interval,
            rules.check_in_interval_count,
        )
        .map(latchkey_proto::time_format::to_millis)
    } else {
        None
    };
    let counts = view.counts;
    let limits = l.limits(p);
    let a = account.id();
    let own = ("licenses", l.id.as_str());
    Resource {
        account: a,
        kind: "licenses",
        id: &l.id,
        attributes: LicenseAttributes {
            name: l.name.as_deref(),
            key: &l.key,
            expiry: Time(l.expiry),
            status: status(view),
            uses: l.uses,
            suspended: l.suspended,
            scheme: p.scheme.as_deref(),
            encrypted: p.encrypted,
            strict: p.strict,
            floating: p.floating,
            protected: l.is_protected(p),
            version: l.last_validated_version.as_deref(),
            require_heartbeat: p.require_heartbeat,
            require_check_in: p.require_check_in,
            last_validated: Time(l.last_validated_at),
            last_check_in: Time(l.last_check_in_at),
            next_check_in: Time(next_check_in),
            last_check_out: Time(l.last_check_out_at),
            max_machines: limits.max_machines,
            max_processes: limits.max_processes,
            max_users: limits.max_users,
            max_cores: limits.max_cores,
            max_memory: limits.max_memory,
            max_disk: limits.max_disk,
            max_uses: limits.max_uses,
            metadata: StoredJson(&l.metadata),
            created: Time(Some(l.created_at)),
            updated: Time(Some(l.updated_at)),
        },
        relationships: LicenseRelationships {
            account: AccountRel(a),
            product: Relation::to_one(a, own, "product", "products", Some(&l.product_id)),
            policy: Relation::to_one(a, own, "policy", "policies", Some(&l.policy_id)),
            group: Relation::to_one(a, own, "group", "groups", l.group_id.as_deref()),
            owner: Relation::to_one(a, own, "owner", "users", l.owner_id.as_deref()),
            users: Relation::counted(
                a,
                own,
                "users",
                Count {
                    count: counts.users + i64::from(l.owner_id.is_some()),
                },
            ),
            machines: Relation::counted(
                a,
                own,
                "machines",
                MachineTotals {
                    count: counts.machines,
                    cores: counts.cores,
                    memory: counts.memory,
                    disk: counts.disk,
                },
            ),
            tokens: Relation::to_many(a, own, "tokens"),
            entitlements: Relation::to_many(a, own, "entitlements"),
        },
    }
}
