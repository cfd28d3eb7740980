//! Loads the [`Snapshot`] validation needs: the license with its policy and owner in
//! one query, then its machines and, only when asked for, users and entitlements.

use crate::licenses::LicenseRow;
use crate::machines::MachineRow;
use crate::policies::PolicyRow;
use crate::{Db, Result};
use latchkey_core::check_in::next_check_in;
use latchkey_core::validation::{LicenseFacts, MachineFacts, Snapshot, UserRef};
use latchkey_proto::time_format::from_millis;

/// The rows behind a validation, kept for rendering the response.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The license row.
    pub license: LicenseRow,
    /// Its policy row.
    pub policy: PolicyRow,
    /// Its machines.
    pub machines: Vec<MachineRow>,
    /// The pure snapshot.
    pub snapshot: Snapshot,
}

/// What the scope needs beyond license, policy and machines.
#[derive(Debug, Clone, Copy, Default)]
pub struct Needs {
    /// Attached users (user scope, maxUsers).
    pub users: bool,
    /// Entitlement codes.
    pub entitlements: bool,
}

/// Builds the snapshot for an already-loaded license.
pub async fn load(db: &Db, license: LicenseRow, policy: PolicyRow, needs: Needs) -> Result<Loaded> {
    let machines = crate::machines::for_license(db, &license.id).await?;
    let owner = match &license.owner_id {
        Some(owner_id) => {
            crate::crud::find::<crate::users::UserRow>(
                db,
                crate::users::TABLE,
                crate::users::COLUMNS,
                &license.account_id,
                owner_id,
            )
            .await?
        }
        None => None,
    };
    let rules = policy.rules();
    let users = if needs.users || license.max_users.or(policy.max_users).is_some() {
        crate::licenses::attached_users(db, &license.id).await?
    } else {
        Vec::new()
    };
    let entitlements = if needs.entitlements {
        crate::entitlements::codes_for_license(db, &license.id, &policy.id).await?
    } else {
        Vec::new()
    };
    let at = |ms: i64| from_millis(ms).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let facts = LicenseFacts {
        id: license.id.clone(),
        product_id: license.product_id.clone(),
        policy_id: license.policy_id.clone(),
        owner: owner.as_ref().map(|o| UserRef {
            id: o.id.clone(),
            email: o.email.clone(),
        }),
        owner_banned: owner.as_ref().is_some_and(|o| o.banned_at.is_some()),
        users: users
            .into_iter()
            .map(|(id, email)| UserRef { id, email })
            .collect(),
        suspended: license.suspended,
        expiry: license.expiry.map(at),
        next_check_in: next_check_in(
            license.last_check_in_at.map(at),
            rules.check_in_interval,
            rules.check_in_interval_count,
        ),
        max_machines: license.max_machines.or(policy.max_machines),
        max_cores: license.max_cores.or(policy.max_cores),
        max_memory: license.max_memory.or(policy.max_memory),
        max_disk: license.max_disk.or(policy.max_disk),
        max_processes: license.max_processes.or(policy.max_processes),
        max_users: license.max_users.or(policy.max_users),
        entitlements,
    };
    let machine_facts = machines
        .iter()
        .map(|m| MachineFacts {
            id: m.id.clone(),
            fingerprint: m.fingerprint.clone(),
            owner_id: m.owner_id.clone(),
            created: at(m.created_at),
            last_heartbeat: m.last_heartbeat_at.map(at),
            cores: m.cores,
            memory: m.memory,
            disk: m.disk,
            processes: 0,
            components: Vec::new(),
        })
        .collect();
    Ok(Loaded {
        license,
        policy,
        machines,
        snapshot: Snapshot {
            license: facts,
            policy: rules,
            machines: machine_facts,
        },
    })
}
