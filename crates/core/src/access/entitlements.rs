//! Who may do what to entitlements and their attachments (Keygen's
//! `EntitlementPolicy`). Which entitlements a bearer sees is the store's
//! `entitlements::visible_to`.

use super::Actor;

/// Whether the actor sees every entitlement of the account (staff and products);
/// users and licenses see only those granted through their licenses.
pub fn sees_all(actor: &Actor<'_>) -> bool {
    actor.is_staff() || matches!(actor, Actor::Product { .. })
}

/// Whether the actor may create, update or delete entitlements: admins and developers.
pub fn may_write(actor: &Actor<'_>) -> bool {
    actor.is_admin()
}

/// Whether the actor may attach entitlements to (or detach them from) a license or
/// policy of `product_id`: admins, developers and that product.
pub fn may_attach(actor: &Actor<'_>, product_id: &str) -> bool {
    actor.is_admin() || actor.product_id() == Some(product_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roles::Role;

    #[test]
    fn rules() {
        let dev = Actor::User {
            id: "d",
            role: Role::Developer,
        };
        let sales = Actor::User {
            id: "s",
            role: Role::SalesAgent,
        };
        let product = Actor::Product { id: "p1" };
        let license = Actor::License {
            id: "l",
            product_id: "p1",
            owner_id: None,
        };
        assert!(sees_all(&sales) && sees_all(&product) && !sees_all(&license));
        assert!(may_write(&dev) && !may_write(&sales) && !may_write(&product));
        assert!(may_attach(&dev, "p1") && may_attach(&product, "p1"));
        assert!(!may_attach(&product, "p2") && !may_attach(&sales, "p1"));
    }
}
