//! Event logs and request logs (Keygen's `EventLogPolicy` and `RequestLogPolicy`):
//! admins, developers, read-only and support staff read them; sales agents, end
//! users, products and licenses do not (a product's logs are not scoped to it).

use super::Actor;
use crate::roles::Role;

/// List or read event logs and request logs.
pub fn may_read(actor: &Actor<'_>) -> bool {
    matches!(
        actor.role(),
        Some(Role::Admin | Role::Developer | Role::ReadOnly | Role::SupportAgent)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_but_sales_read_logs() {
        for role in [
            Role::Admin,
            Role::Developer,
            Role::ReadOnly,
            Role::SupportAgent,
        ] {
            assert!(may_read(&Actor::User { id: "u", role }));
        }
        for role in [Role::SalesAgent, Role::User] {
            assert!(!may_read(&Actor::User { id: "u", role }));
        }
        assert!(!may_read(&Actor::Product { id: "p" }));
    }
}
