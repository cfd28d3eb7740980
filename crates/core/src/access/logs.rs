//! Event logs and request logs (Keygen's `EventLogPolicy` and `RequestLogPolicy`):
//! admins, developers and read-only users read them; support and sales agents, end
//! users, products and licenses do not. Keygen's permission list grants products
//! `event-log.read` and `request-log.read`, but its policies then allow only those
//! three roles, so a product token is refused there too (and a product's logs
//! would not be scoped to it).

use super::Actor;
use crate::roles::Role;

/// List or read event logs and request logs.
pub fn may_read(actor: &Actor<'_>) -> bool {
    matches!(
        actor.role(),
        Some(Role::Admin | Role::Developer | Role::ReadOnly)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admins_developers_and_read_only_read_logs() {
        for role in [Role::Admin, Role::Developer, Role::ReadOnly] {
            assert!(may_read(&Actor::User { id: "u", role }));
        }
        for role in [Role::SupportAgent, Role::SalesAgent, Role::User] {
            assert!(!may_read(&Actor::User { id: "u", role }));
        }
        assert!(!may_read(&Actor::Product { id: "p" }));
    }
}
