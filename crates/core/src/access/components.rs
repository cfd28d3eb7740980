//! Components (Keygen's `MachineComponentPolicy`): access follows the machine.
//! Whoever may read the machine reads its components; whoever may activate or
//! deactivate it creates, updates and deletes them.

use super::{Actor, LicenseFacts};

/// Read a component of a machine.
pub fn may_read(
    actor: &Actor<'_>,
    machine_owner: Option<&str>,
    license: &LicenseFacts<'_>,
) -> bool {
    super::machines::may_read(actor, machine_owner, license)
}

/// Create, update or delete a component of a machine.
pub fn may_manage(
    actor: &Actor<'_>,
    machine_owner: Option<&str>,
    license: &LicenseFacts<'_>,
) -> bool {
    super::machines::may_manage(actor, machine_owner, license)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roles::Role;

    #[test]
    fn follows_the_machine() {
        let facts = LicenseFacts {
            id: "l1",
            product_id: "p1",
            owner_id: None,
            protected: false,
            actor_is_licensee: false,
        };
        let user = Actor::User {
            id: "u1",
            role: Role::User,
        };
        assert!(may_read(&user, Some("u1"), &facts));
        assert!(may_manage(&user, Some("u1"), &facts));
        assert!(!may_manage(&user, Some("u2"), &facts));
        let read_only = Actor::User {
            id: "r",
            role: Role::ReadOnly,
        };
        assert!(may_read(&read_only, None, &facts));
        assert!(!may_manage(&read_only, None, &facts));
    }
}
