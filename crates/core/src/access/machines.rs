//! Machines (Keygen's `MachinePolicy`): who reads, activates, updates, deactivates,
//! re-owns and pings a machine. Every rule looks at the machine's owner and the
//! facts of its license.

use super::{Actor, LicenseFacts, is_owner_or_licensee};

/// The end user acting, when the actor is a user without a staff role.
fn end_user<'a>(actor: &Actor<'a>) -> Option<&'a str> {
    actor.end_user_id()
}

/// The actor's own product or license matches the machine's license.
fn same_product_or_license(actor: &Actor<'_>, license: &LicenseFacts<'_>) -> Option<bool> {
    match actor {
        Actor::Product { id } => Some(*id == license.product_id),
        Actor::License { id, .. } => Some(*id == license.id),
        Actor::User { .. } => None,
    }
}

/// An end user owning the machine or the license.
fn owns_machine_or_license(
    user: &str,
    machine_owner: Option<&str>,
    license: &LicenseFacts<'_>,
) -> bool {
    machine_owner == Some(user) || license.is_owned_by(user)
}

/// Read: staff; the license's product; the license itself; a user owning the machine,
/// owning the license or attached to it.
pub fn may_read(
    actor: &Actor<'_>,
    machine_owner: Option<&str>,
    license: &LicenseFacts<'_>,
) -> bool {
    if actor.is_staff() {
        return true;
    }
    if let Some(same) = same_product_or_license(actor, license) {
        return same;
    }
    match actor.user_id() {
        Some(user) => machine_owner == Some(user) || is_owner_or_licensee(actor, license),
        None => false,
    }
}

/// Activate or deactivate (and manage components): the product; the license; an end
/// user owning the license or the machine while the license is unprotected; staff
/// from sales agent up.
pub fn may_manage(
    actor: &Actor<'_>,
    machine_owner: Option<&str>,
    license: &LicenseFacts<'_>,
) -> bool {
    if let Some(same) = same_product_or_license(actor, license) {
        return same;
    }
    match end_user(actor) {
        Some(user) => !license.protected && owns_machine_or_license(user, machine_owner, license),
        None => actor.is_sales_or_above(),
    }
}

/// Update: the product; the license while unprotected; an end user owning the machine
/// or the license while unprotected; staff from support agent up.
pub fn may_update(
    actor: &Actor<'_>,
    machine_owner: Option<&str>,
    license: &LicenseFacts<'_>,
) -> bool {
    match actor {
        Actor::Product { id } => *id == license.product_id,
        Actor::License { id, .. } => *id == license.id && !license.protected,
        Actor::User { .. } => match end_user(actor) {
            Some(user) => {
                !license.protected && owns_machine_or_license(user, machine_owner, license)
            }
            None => actor.is_support_or_above(),
        },
    }
}

/// Whether an update may set resources and metadata, and an activation may name a
/// group: staff from support agent up, and products.
pub fn is_privileged_writer(actor: &Actor<'_>) -> bool {
    actor.is_support_or_above() || actor.product_id().is_some()
}

/// Change the owner: staff from support agent up, and the license's product.
pub fn may_change_owner(actor: &Actor<'_>, license: &LicenseFacts<'_>) -> bool {
    actor.is_support_or_above() || actor.product_id() == Some(license.product_id)
}

/// Ping the heartbeat: the product; the license; an end user owning the machine or
/// the license while unprotected; admins and developers (never sales or support).
pub fn may_ping(
    actor: &Actor<'_>,
    machine_owner: Option<&str>,
    license: &LicenseFacts<'_>,
) -> bool {
    if let Some(same) = same_product_or_license(actor, license) {
        return same;
    }
    match end_user(actor) {
        Some(user) => !license.protected && owns_machine_or_license(user, machine_owner, license),
        None => actor.is_admin(),
    }
}

/// Reset the heartbeat: the product and staff from sales agent up; not users or
/// licenses.
pub fn may_reset_heartbeat(actor: &Actor<'_>, license: &LicenseFacts<'_>) -> bool {
    match actor {
        Actor::Product { id } => *id == license.product_id,
        Actor::License { .. } => false,
        Actor::User { .. } => actor.is_sales_or_above(),
    }
}

/// Keygen's `Machines::V1x0::ProofPolicy#create?` (offline proofs): admins, developers
/// and sales agents; the license's product; the license itself; the license's owner
/// while the license is unprotected.
pub fn may_generate_proof(actor: &Actor<'_>, license: &LicenseFacts<'_>) -> bool {
    match actor {
        Actor::User { .. } if actor.is_staff() => actor.is_sales_or_above(),
        Actor::User { id, .. } => license.is_owned_by(id) && !license.protected,
        Actor::Product { id } => *id == license.product_id,
        Actor::License { id, .. } => *id == license.id,
    }
}

/// Whether the actor may choose the proof's `meta.dataset` (staff and products).
pub fn may_choose_proof_dataset(actor: &Actor<'_>) -> bool {
    actor.is_staff() || actor.product_id().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roles::Role;

    fn license(
        owner: Option<&'static str>,
        protected: bool,
        licensee: bool,
    ) -> LicenseFacts<'static> {
        LicenseFacts {
            id: "l1",
            product_id: "p1",
            owner_id: owner,
            protected,
            actor_is_licensee: licensee,
        }
    }

    fn user(role: Role) -> Actor<'static> {
        Actor::User { id: "u1", role }
    }

    #[test]
    fn readers() {
        let free = license(None, false, false);
        assert!(may_read(&user(Role::ReadOnly), None, &free));
        assert!(may_read(&Actor::Product { id: "p1" }, None, &free));
        assert!(!may_read(&Actor::Product { id: "p2" }, None, &free));
        assert!(may_read(&user(Role::User), Some("u1"), &free));
        assert!(!may_read(&user(Role::User), Some("u2"), &free));
        assert!(may_read(
            &user(Role::User),
            None,
            &license(None, true, true)
        ));
        let other = Actor::License {
            id: "l2",
            product_id: "p1",
            owner_id: None,
        };
        assert!(!may_read(&other, None, &free));
    }

    #[test]
    fn managers_and_writers() {
        let owned = license(Some("u1"), false, false);
        let protected = license(Some("u1"), true, false);
        let end_user = user(Role::User);
        assert!(may_manage(&end_user, None, &owned));
        assert!(!may_manage(&end_user, None, &protected));
        assert!(may_manage(
            &end_user,
            Some("u1"),
            &license(None, false, false)
        ));
        // A licensee who owns neither may not activate.
        assert!(!may_manage(&end_user, None, &license(None, false, true)));
        assert!(may_manage(&user(Role::SalesAgent), None, &protected));
        assert!(!may_manage(&user(Role::SupportAgent), None, &protected));
        assert!(may_update(&user(Role::SupportAgent), None, &protected));
        let own_license = Actor::License {
            id: "l1",
            product_id: "p1",
            owner_id: None,
        };
        assert!(may_update(&own_license, None, &owned));
        assert!(!may_update(&own_license, None, &protected));
        assert!(may_manage(&own_license, None, &protected));
        assert!(is_privileged_writer(&Actor::Product { id: "p9" }));
        assert!(!is_privileged_writer(&end_user));
        assert!(may_change_owner(&Actor::Product { id: "p1" }, &owned));
        assert!(!may_change_owner(&end_user, &owned));
    }

    #[test]
    fn heartbeats() {
        let owned = license(Some("u1"), false, false);
        assert!(may_ping(&user(Role::User), None, &owned));
        assert!(may_ping(&user(Role::Developer), None, &owned));
        assert!(!may_ping(&user(Role::SalesAgent), None, &owned));
        assert!(may_reset_heartbeat(&user(Role::SalesAgent), &owned));
        assert!(!may_reset_heartbeat(&user(Role::User), &owned));
        let own_license = Actor::License {
            id: "l1",
            product_id: "p1",
            owner_id: None,
        };
        assert!(!may_reset_heartbeat(&own_license, &owned));
        assert!(may_ping(&own_license, None, &owned));
    }
}
