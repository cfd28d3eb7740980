//! Products (Keygen's `ProductPolicy`): staff read every product and a product token
//! its own; admins and developers create and delete; a product token also updates
//! itself.

use super::Actor;

/// Read the product `product_id`.
pub fn may_read(actor: &Actor<'_>, product_id: &str) -> bool {
    actor.is_staff() || actor.product_id() == Some(product_id)
}

/// List products (staff all, a product only itself).
pub fn may_list(actor: &Actor<'_>) -> bool {
    actor.is_staff() || actor.product_id().is_some()
}

/// Create products.
pub fn may_create(actor: &Actor<'_>) -> bool {
    actor.is_admin()
}

/// Update the product `product_id`.
pub fn may_update(actor: &Actor<'_>, product_id: &str) -> bool {
    actor.is_admin() || actor.product_id() == Some(product_id)
}

/// Delete products.
pub fn may_delete(actor: &Actor<'_>) -> bool {
    actor.is_admin()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roles::Role;

    #[test]
    fn products() {
        let own = Actor::Product { id: "p1" };
        assert!(may_read(&own, "p1") && !may_read(&own, "p2"));
        assert!(may_update(&own, "p1") && !may_delete(&own) && !may_create(&own));
        assert!(may_list(&own));
        let read_only = Actor::User {
            id: "r",
            role: Role::ReadOnly,
        };
        assert!(may_read(&read_only, "p2") && !may_update(&read_only, "p2"));
        let user = Actor::User {
            id: "u",
            role: Role::User,
        };
        assert!(!may_list(&user) && !may_read(&user, "p1"));
        let dev = Actor::User {
            id: "d",
            role: Role::Developer,
        };
        assert!(may_create(&dev) && may_delete(&dev));
    }
}
