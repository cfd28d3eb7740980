//! Users (Keygen's `UserPolicy`): who reads, creates, updates, deletes and bans
//! users, and who reaches a user's credentials (tokens, password resets). Keygen's
//! role ranks apply: a developer may not manage admins; sales agents and product
//! tokens manage end users only.

use super::Actor;
use crate::roles::Role;

/// Read the user `target`: staff every user; a user itself; a product the users of
/// its licenses and a license its owner and attached users (`related`: the caller
/// looked that relation up).
pub fn may_read(actor: &Actor<'_>, target: &str, related: bool) -> bool {
    match actor {
        _ if actor.is_staff() => true,
        Actor::User { id, .. } => *id == target,
        Actor::Product { .. } => related,
        Actor::License { owner_id, .. } => *owner_id == Some(target) || related,
    }
}

/// Whether reading `target` needs the relation looked up (products and licenses
/// not owned by `target`); `false` means [`may_read`] decides without it.
pub fn read_needs_relation(actor: &Actor<'_>, target: &str) -> bool {
    match actor {
        _ if actor.is_staff() => false,
        Actor::User { .. } => false,
        Actor::Product { .. } => true,
        Actor::License { owner_id, .. } => *owner_id != Some(target),
    }
}

/// Create, update (or, if also admin/developer, delete) a user with `target_role`.
pub fn may_manage(actor: &Actor<'_>, target_role: &str) -> bool {
    match actor.role() {
        Some(Role::Admin) => true,
        Some(Role::Developer) => target_role != Role::Admin.as_str(),
        Some(Role::SalesAgent) => target_role == Role::User.as_str(),
        Some(_) => false,
        None => actor.product_id().is_some() && target_role == Role::User.as_str(),
    }
}

/// Act on a user's credentials (see, regenerate or revoke its tokens; obtain or
/// redeem a password reset): the user itself, or an actor that may manage a user of
/// that role (so only admins reach an admin's credentials).
pub fn may_manage_credentials(actor: &Actor<'_>, target: &str, target_role: &str) -> bool {
    actor.user_id() == Some(target) || may_manage(actor, target_role)
}

/// Create users at all (before the role is known).
pub fn may_create(actor: &Actor<'_>) -> bool {
    actor.is_admin() || actor.role() == Some(Role::SalesAgent) || actor.product_id().is_some()
}

/// Update the user `target` (with `target_role`): a manager of its role, or the end
/// user itself.
pub fn may_update(actor: &Actor<'_>, target: &str, target_role: &str) -> bool {
    may_manage(actor, target_role) || actor.end_user_id() == Some(target)
}

/// Give a user the role `new_role`: admins and developers who may manage it.
pub fn may_change_role(actor: &Actor<'_>, new_role: &str) -> bool {
    actor.is_admin() && may_manage(actor, new_role)
}

/// Delete a user with `target_role`.
pub fn may_delete(actor: &Actor<'_>, target_role: &str) -> bool {
    actor.is_admin() && may_manage(actor, target_role)
}

/// Ban or unban users at all: staff from support agent up, and products.
pub fn may_ban(actor: &Actor<'_>) -> bool {
    actor.is_support_or_above() || actor.product_id().is_some()
}

/// Only end users can be banned.
pub fn is_bannable(target_role: &str) -> bool {
    target_role == Role::User.as_str()
}

/// Update a password (proving the old one): only the user itself.
pub fn may_update_password(actor: &Actor<'_>, target: &str) -> bool {
    actor.user_id() == Some(target)
}

/// Receive a password-reset token in the response instead of by mail: admins and
/// developers who may manage the user's credentials.
pub fn may_receive_reset_token(actor: &Actor<'_>, target: &str, target_role: &str) -> bool {
    actor.is_admin() && may_manage_credentials(actor, target, target_role)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &'static str, role: Role) -> Actor<'static> {
        Actor::User { id, role }
    }

    #[test]
    fn reading() {
        assert!(may_read(&user("s", Role::ReadOnly), "u", false));
        assert!(may_read(&user("u", Role::User), "u", false));
        assert!(!may_read(&user("v", Role::User), "u", true));
        assert!(may_read(&Actor::Product { id: "p" }, "u", true));
        assert!(!may_read(&Actor::Product { id: "p" }, "u", false));
        let license = Actor::License {
            id: "l",
            product_id: "p",
            owner_id: Some("u"),
        };
        assert!(may_read(&license, "u", false));
        assert!(!read_needs_relation(&license, "u"));
        assert!(read_needs_relation(&license, "v"));
    }

    #[test]
    fn role_ranks() {
        let dev = user("d", Role::Developer);
        assert!(may_manage(&dev, "user") && !may_manage(&dev, "admin"));
        let sales = user("s", Role::SalesAgent);
        assert!(may_manage(&sales, "user") && !may_manage(&sales, "developer"));
        assert!(may_create(&sales) && !may_delete(&sales, "user"));
        assert!(may_manage(&Actor::Product { id: "p" }, "user"));
        assert!(!may_manage(&Actor::Product { id: "p" }, "admin"));
        assert!(may_manage_credentials(&dev, "d", "developer"));
        assert!(!may_manage_credentials(&dev, "a", "admin"));
        assert!(may_update(&user("u", Role::User), "u", "user"));
        assert!(!may_change_role(&sales, "user"));
        assert!(may_change_role(&dev, "sales-agent"));
        assert!(may_ban(&user("s", Role::SupportAgent)) && !may_ban(&user("r", Role::ReadOnly)));
        assert!(is_bannable("user") && !is_bannable("admin"));
        assert!(may_update_password(&user("a", Role::Admin), "a"));
        assert!(!may_update_password(&user("a", Role::Admin), "u"));
        assert!(may_receive_reset_token(
            &user("a", Role::Admin),
            "u",
            "admin"
        ));
        assert!(!may_receive_reset_token(&sales, "u", "user"));
    }
}
