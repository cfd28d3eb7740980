//! Processes (Keygen's `MachineProcessPolicy`): readers are the machine's readers;
//! writers (spawn, ping, update, kill) are the product, the license, an end user
//! owning the machine or the license while it is unprotected, and staff from
//! support agent up.

use super::{Actor, LicenseFacts};

/// Read a process of a machine: whoever may read the machine.
pub fn may_read(
    actor: &Actor<'_>,
    machine_owner: Option<&str>,
    license: &LicenseFacts<'_>,
) -> bool {
    super::machines::may_read(actor, machine_owner, license)
}

/// Spawn, ping, update or kill a process of a machine.
pub fn may_write(
    actor: &Actor<'_>,
    machine_owner: Option<&str>,
    license: &LicenseFacts<'_>,
) -> bool {
    match actor {
        Actor::Product { id } => *id == license.product_id,
        Actor::License { id, .. } => *id == license.id,
        Actor::User { .. } => match actor.end_user_id() {
            Some(user) => {
                !license.protected && (machine_owner == Some(user) || license.is_owned_by(user))
            }
            None => actor.is_support_or_above(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roles::Role;

    #[test]
    fn writers() {
        let facts = LicenseFacts {
            id: "l1",
            product_id: "p1",
            owner_id: Some("u1"),
            protected: true,
            actor_is_licensee: false,
        };
        let own_license = Actor::License {
            id: "l1",
            product_id: "p1",
            owner_id: None,
        };
        assert!(may_write(&own_license, None, &facts));
        let user = Actor::User {
            id: "u1",
            role: Role::User,
        };
        assert!(!may_write(&user, None, &facts));
        let open = LicenseFacts {
            protected: false,
            ..facts
        };
        assert!(may_write(&user, None, &open));
        assert!(may_read(&user, None, &facts));
        let support = Actor::User {
            id: "s",
            role: Role::SupportAgent,
        };
        assert!(may_write(&support, None, &facts));
        let read_only = Actor::User {
            id: "r",
            role: Role::ReadOnly,
        };
        assert!(!may_write(&read_only, None, &facts));
        assert!(may_read(&read_only, None, &facts));
    }
}
