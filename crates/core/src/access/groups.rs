//! Groups (Keygen's `GroupPolicy`): staff and products read every group; a user
//! reads its own group and a license its license's group. Admins, developers and
//! products write.

use super::Actor;

/// The only group an actor may see: `None` when it sees every group (staff,
/// products), `Some(None)` when it sees none, `Some(Some(id))` for its own group.
/// `own_group` is the actor's group (the user's or the license's).
pub fn visible_group<'a>(actor: &Actor<'_>, own_group: Option<&'a str>) -> Option<Option<&'a str>> {
    match actor {
        _ if actor.is_staff() => None,
        Actor::Product { .. } => None,
        Actor::User { .. } | Actor::License { .. } => Some(own_group),
    }
}

/// Read the group `group_id`.
pub fn may_read(actor: &Actor<'_>, own_group: Option<&str>, group_id: &str) -> bool {
    match visible_group(actor, own_group) {
        None => true,
        Some(own) => own == Some(group_id),
    }
}

/// Create, update or delete groups.
pub fn may_write(actor: &Actor<'_>) -> bool {
    actor.is_admin() || actor.product_id().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roles::Role;

    #[test]
    fn own_group_only() {
        let user = Actor::User {
            id: "u",
            role: Role::User,
        };
        assert!(may_read(&user, Some("g1"), "g1"));
        assert!(!may_read(&user, Some("g1"), "g2"));
        assert!(!may_read(&user, None, "g1"));
        assert!(may_read(&Actor::Product { id: "p" }, None, "g1"));
        let staff = Actor::User {
            id: "s",
            role: Role::ReadOnly,
        };
        assert!(may_read(&staff, None, "g1"));
        assert!(!may_write(&staff));
        assert!(may_write(&Actor::Product { id: "p" }));
        assert_eq!(visible_group(&user, None), Some(None));
    }
}
