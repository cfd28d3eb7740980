//! Webhook endpoints and events (Keygen's `WebhookEndpointPolicy` and
//! `WebhookEventPolicy`): admins and developers manage them, read-only staff read
//! them, a product token manages the endpoints scoped to its product and reads
//! their events. Sales, support and end users have no access.

use super::Actor;
use crate::roles::Role;

fn is_manager(actor: &Actor<'_>) -> bool {
    matches!(actor.role(), Some(Role::Admin | Role::Developer))
}

fn is_reader(actor: &Actor<'_>) -> bool {
    is_manager(actor) || actor.role() == Some(Role::ReadOnly)
}

/// List endpoints or events (a product sees only its own).
pub fn may_list(actor: &Actor<'_>) -> bool {
    is_reader(actor) || actor.product_id().is_some()
}

/// Read an endpoint or event scoped to `product` (`None`: account-wide).
pub fn may_read(actor: &Actor<'_>, product: Option<&str>) -> bool {
    is_reader(actor) || (actor.product_id().is_some() && actor.product_id() == product)
}

/// Create, update or delete an endpoint scoped to `product`; delete or retry an event
/// of such an endpoint.
pub fn may_manage(actor: &Actor<'_>, product: Option<&str>) -> bool {
    is_manager(actor) || (actor.product_id().is_some() && actor.product_id() == product)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role) -> Actor<'static> {
        Actor::User { id: "u", role }
    }

    #[test]
    fn roles() {
        assert!(may_manage(&user(Role::Admin), None));
        assert!(may_manage(&user(Role::Developer), Some("p")));
        assert!(may_read(&user(Role::ReadOnly), None) && !may_manage(&user(Role::ReadOnly), None));
        for role in [Role::SalesAgent, Role::SupportAgent, Role::User] {
            assert!(!may_list(&user(role)) && !may_read(&user(role), None));
        }
        let product = Actor::Product { id: "p" };
        assert!(may_manage(&product, Some("p")) && !may_manage(&product, Some("q")));
        assert!(!may_manage(&product, None) && !may_read(&product, None));
        let license = Actor::License {
            id: "l",
            product_id: "p",
            owner_id: None,
        };
        assert!(!may_list(&license) && !may_read(&license, Some("p")));
    }
}
