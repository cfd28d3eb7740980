//! Who may do what to a license (Keygen's `LicensePolicy`), over an [`Actor`] and
//! the license's [`LicenseFacts`].

use super::{Actor, LicenseFacts, is_owner_or_licensee, is_owner_or_licensee_of_unprotected};

/// Whether the actor may read (and validate) the license: staff, its product, the
/// license itself, or a user owning or attached to it.
pub fn may_read(actor: &Actor<'_>, license: &LicenseFacts<'_>) -> bool {
    match actor {
        _ if actor.is_staff() => true,
        Actor::Product { id } => *id == license.product_id,
        Actor::License { id, .. } => *id == license.id,
        Actor::User { .. } => is_owner_or_licensee(actor, license),
    }
}

/// Whether the actor may create licenses at all (before the policy is known):
/// everyone but license bearers and staff below sales agent.
pub fn may_create(actor: &Actor<'_>) -> bool {
    match actor {
        Actor::License { .. } => false,
        _ if actor.is_staff() => actor.is_sales_or_above(),
        _ => true,
    }
}

/// Why a license may not be created under a given policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateDenial {
    /// A product creating a license for another product's policy.
    OtherProduct,
    /// An end user creating a license of a protected policy.
    PolicyProtected,
    /// An end user creating a license owned by someone else.
    NotOwnLicense,
}

/// Whether the actor may create a license of the policy (`policy_product`,
/// `policy_protected`) owned by `requested_owner` (the owner named in the request).
pub fn create_denial(
    actor: &Actor<'_>,
    policy_product: &str,
    policy_protected: bool,
    requested_owner: Option<&str>,
) -> Option<CreateDenial> {
    match actor {
        Actor::Product { id } if *id != policy_product => Some(CreateDenial::OtherProduct),
        Actor::User { id, .. } if !actor.is_staff() => {
            if policy_protected {
                Some(CreateDenial::PolicyProtected)
            } else if requested_owner.is_some_and(|owner| owner != *id) {
                Some(CreateDenial::NotOwnLicense)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Whether the actor may update the license (attributes, owner, group, policy as a
/// manager): support agents and above, and the license's product.
pub fn may_update(actor: &Actor<'_>, license: &LicenseFacts<'_>) -> bool {
    actor.is_support_or_above() || actor.product_id() == Some(license.product_id)
}

/// Whether the actor may delete the license: its product, sales agents and above,
/// and its owner while the license is unprotected.
pub fn may_delete(actor: &Actor<'_>, license: &LicenseFacts<'_>) -> bool {
    match actor {
        Actor::Product { id } => *id == license.product_id,
        Actor::License { .. } => false,
        Actor::User { id, .. } if !actor.is_staff() => {
            license.is_owned_by(id) && !license.protected
        }
        _ => actor.is_sales_or_above(),
    }
}

/// How the actor may move the license to another policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyChanger {
    /// Staff or the product: any compatible policy.
    Manager,
    /// The owner of an unprotected license: only to an unprotected policy.
    Owner,
}

/// Whether (and as whom) the actor may change the license's policy.
pub fn policy_changer(actor: &Actor<'_>, license: &LicenseFacts<'_>) -> Option<PolicyChanger> {
    if may_update(actor, license) {
        return Some(PolicyChanger::Manager);
    }
    match actor {
        Actor::User { id, .. }
            if !actor.is_staff() && license.is_owned_by(id) && !license.protected =>
        {
            Some(PolicyChanger::Owner)
        }
        _ => None,
    }
}

/// Whether the actor may attach or detach the license's users (spec §6.5: end users'
/// default permissions leave out `license.users.attach/detach`).
pub fn may_manage_users(actor: &Actor<'_>, license: &LicenseFacts<'_>) -> bool {
    match actor {
        Actor::Product { id } => *id == license.product_id,
        Actor::License { .. } => false,
        Actor::User { .. } if !actor.is_staff() => false,
        _ => actor.is_support_or_above(),
    }
}

/// A license permit (Keygen `permits`), each with its own role rule (§6.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// Suspend or reinstate.
    Suspend,
    /// Renew or revoke.
    Renew,
    /// Check in.
    CheckIn,
    /// Increment usage.
    Increment,
    /// Decrement or reset usage.
    Adjust,
}

/// Whether the actor may perform `act` on the license.
pub fn may_act(actor: &Actor<'_>, license: &LicenseFacts<'_>, act: Act) -> bool {
    match actor {
        Actor::Product { id } => *id == license.product_id,
        Actor::License { id, .. } => {
            *id == license.id && matches!(act, Act::CheckIn | Act::Increment)
        }
        Actor::User { id, .. } if !actor.is_staff() => {
            license.is_owned_by(id)
                && !license.protected
                && matches!(act, Act::Renew | Act::CheckIn | Act::Increment)
        }
        _ => match act {
            Act::Renew => actor.is_sales_or_above(),
            _ => actor.is_support_or_above(),
        },
    }
}

/// Whether the actor may check out a license file (§6.6): staff except read-only,
/// the product, the license itself, and its owner or licensees while unprotected.
pub fn may_check_out(actor: &Actor<'_>, license: &LicenseFacts<'_>) -> bool {
    match actor {
        _ if actor.is_staff() => actor.is_support_or_above(),
        Actor::Product { id } => *id == license.product_id,
        Actor::License { id, .. } => *id == license.id,
        Actor::User { .. } => is_owner_or_licensee_of_unprotected(actor, license),
    }
}

/// Whether the actor may check out a machine file of a machine under the license
/// (§6.6): as [`may_check_out`], except that end users must own the machine
/// (`machine_owner`) or the license; attachment is not enough.
pub fn may_check_out_machine(
    actor: &Actor<'_>,
    license: &LicenseFacts<'_>,
    machine_owner: Option<&str>,
) -> bool {
    match actor {
        Actor::User { id, .. } if !actor.is_staff() => {
            !license.protected && (machine_owner == Some(*id) || license.is_owned_by(id))
        }
        _ => may_check_out(actor, license),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roles::Role;

    fn facts(
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

    const OWNER: Actor<'static> = Actor::User {
        id: "u1",
        role: Role::User,
    };
    const PRODUCT: Actor<'static> = Actor::Product { id: "p1" };
    const OTHER_PRODUCT: Actor<'static> = Actor::Product { id: "p2" };
    const LICENSE: Actor<'static> = Actor::License {
        id: "l1",
        product_id: "p1",
        owner_id: None,
    };
    const SUPPORT: Actor<'static> = Actor::User {
        id: "s",
        role: Role::SupportAgent,
    };
    const SALES: Actor<'static> = Actor::User {
        id: "s",
        role: Role::SalesAgent,
    };
    const READ_ONLY: Actor<'static> = Actor::User {
        id: "r",
        role: Role::ReadOnly,
    };

    #[test]
    fn read() {
        assert!(may_read(&READ_ONLY, &facts(None, true, false)));
        assert!(may_read(&PRODUCT, &facts(None, false, false)));
        assert!(!may_read(&OTHER_PRODUCT, &facts(None, false, false)));
        assert!(may_read(&LICENSE, &facts(None, false, false)));
        assert!(may_read(&OWNER, &facts(Some("u1"), true, false)));
        assert!(may_read(&OWNER, &facts(None, true, true)));
        assert!(!may_read(&OWNER, &facts(Some("u2"), false, false)));
    }

    #[test]
    fn create() {
        assert!(!may_create(&LICENSE));
        assert!(!may_create(&SUPPORT));
        assert!(may_create(&SALES) && may_create(&OWNER) && may_create(&PRODUCT));
        assert_eq!(
            create_denial(&OTHER_PRODUCT, "p1", false, None),
            Some(CreateDenial::OtherProduct)
        );
        assert_eq!(
            create_denial(&OWNER, "p1", true, None),
            Some(CreateDenial::PolicyProtected)
        );
        assert_eq!(
            create_denial(&OWNER, "p1", false, Some("u2")),
            Some(CreateDenial::NotOwnLicense)
        );
        assert_eq!(create_denial(&OWNER, "p1", false, Some("u1")), None);
        assert_eq!(create_denial(&SALES, "p9", true, Some("u2")), None);
    }

    #[test]
    fn update_delete_and_users() {
        let f = facts(Some("u1"), false, false);
        assert!(may_update(&SUPPORT, &f) && may_update(&PRODUCT, &f));
        assert!(!may_update(&OWNER, &f) && !may_update(&READ_ONLY, &f));
        assert!(may_delete(&OWNER, &f));
        assert!(!may_delete(&OWNER, &facts(Some("u1"), true, false)));
        assert!(!may_delete(&SUPPORT, &f) && may_delete(&SALES, &f));
        assert!(!may_delete(&LICENSE, &f));
        assert_eq!(policy_changer(&SUPPORT, &f), Some(PolicyChanger::Manager));
        assert_eq!(policy_changer(&OWNER, &f), Some(PolicyChanger::Owner));
        assert_eq!(
            policy_changer(&OWNER, &facts(Some("u1"), true, false)),
            None
        );
        assert!(may_manage_users(&SUPPORT, &f) && may_manage_users(&PRODUCT, &f));
        assert!(!may_manage_users(&OWNER, &f) && !may_manage_users(&READ_ONLY, &f));
    }

    #[test]
    fn acts() {
        let f = facts(Some("u1"), false, false);
        assert!(may_act(&LICENSE, &f, Act::CheckIn) && !may_act(&LICENSE, &f, Act::Renew));
        assert!(may_act(&OWNER, &f, Act::Renew) && !may_act(&OWNER, &f, Act::Suspend));
        assert!(!may_act(
            &OWNER,
            &facts(Some("u1"), true, false),
            Act::Renew
        ));
        assert!(may_act(&SUPPORT, &f, Act::Suspend) && !may_act(&SUPPORT, &f, Act::Renew));
        assert!(may_act(&SALES, &f, Act::Renew));
    }

    #[test]
    fn check_out() {
        assert!(!may_check_out(&READ_ONLY, &facts(None, false, false)));
        assert!(may_check_out(&SUPPORT, &facts(None, true, false)));
        assert!(may_check_out(&OWNER, &facts(None, false, true)));
        assert!(!may_check_out(&OWNER, &facts(None, true, true)));
        assert!(!may_check_out_machine(
            &OWNER,
            &facts(None, false, true),
            None
        ));
        assert!(may_check_out_machine(
            &OWNER,
            &facts(None, false, false),
            Some("u1")
        ));
        assert!(may_check_out_machine(
            &OWNER,
            &facts(Some("u1"), false, false),
            None
        ));
    }
}
