//! Second factors (Keygen's `Users::SecondFactorPolicy`): a user's TOTP factors are
//! reached by the user itself and by admins (role `admin` only: developers, sales
//! and support agents reach only their own). Read-only users may read their own but
//! not create, change or delete it. Products and licenses hold none of the
//! `user.second-factors.*` permissions, so they are always refused.
//!
//! Which users a bearer can name in `/users/{id}/second-factors` at all is the users
//! list scope (404 outside it); these rules decide the 403s inside it.

use super::Actor;
use crate::roles::Role;

/// Read the second factors of the user `owner` (show).
pub fn may_read(actor: &Actor<'_>, owner: &str) -> bool {
    match actor.role() {
        Some(Role::Admin) => true,
        Some(_) => actor.user_id() == Some(owner),
        None => false,
    }
}

/// List the second factors of `owner`. Keygen authorizes the listed rows one by one
/// (`record.all? { user_id == bearer.id }`), so any user may list an empty list.
pub fn may_list(actor: &Actor<'_>, owner: &str, empty: bool) -> bool {
    may_read(actor, owner) || (actor.role().is_some() && empty)
}

/// Create, enable, disable or delete a second factor of `owner`.
pub fn may_change(actor: &Actor<'_>, owner: &str) -> bool {
    match actor.role() {
        Some(Role::Admin) => true,
        Some(Role::ReadOnly) | None => false,
        Some(_) => actor.user_id() == Some(owner),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &'static str, role: Role) -> Actor<'static> {
        Actor::User { id, role }
    }

    #[test]
    fn admins_reach_everyone_others_themselves() {
        let admin = user("a", Role::Admin);
        assert!(may_read(&admin, "u") && may_change(&admin, "u"));
        for role in [
            Role::Developer,
            Role::SalesAgent,
            Role::SupportAgent,
            Role::User,
        ] {
            let me = user("m", role);
            assert!(may_read(&me, "m") && may_change(&me, "m"), "{role:?}");
            assert!(!may_read(&me, "u") && !may_change(&me, "u"), "{role:?}");
            assert!(may_list(&me, "u", true) && !may_list(&me, "u", false));
        }
    }

    #[test]
    fn read_only_reads_its_own_and_changes_nothing() {
        let ro = user("r", Role::ReadOnly);
        assert!(may_read(&ro, "r") && may_list(&ro, "r", false));
        assert!(!may_change(&ro, "r") && !may_read(&ro, "u"));
    }

    #[test]
    fn products_and_licenses_are_refused() {
        let product = Actor::Product { id: "p" };
        let license = Actor::License {
            id: "l",
            product_id: "p",
            owner_id: Some("u"),
        };
        for actor in [product, license] {
            assert!(!may_read(&actor, "u") && !may_change(&actor, "u"));
            assert!(!may_list(&actor, "u", true));
        }
    }
}
