//! Who may do what to a policy (Keygen's `PolicyPolicy`).

use super::Actor;

/// What access rules need to know about a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyFacts<'a> {
    /// The policy's product.
    pub product_id: &'a str,
    /// Whether the actor holds a license of this policy: it is such a license, or a
    /// user owning or attached to one (looked up by the caller).
    pub actor_holds_license: bool,
}

/// Whether the actor may read the policy: staff, its product, and holders of one of
/// its licenses.
pub fn may_read(actor: &Actor<'_>, policy: &PolicyFacts<'_>) -> bool {
    actor.is_staff() || actor.product_id() == Some(policy.product_id) || policy.actor_holds_license
}

/// Whether the actor may create or update policies of `product_id`: sales agents and
/// above, and the product itself.
pub fn may_write(actor: &Actor<'_>, product_id: &str) -> bool {
    actor.is_sales_or_above() || actor.product_id() == Some(product_id)
}

/// Whether the actor may delete a policy of `product_id`: admins, developers and
/// the product.
pub fn may_delete(actor: &Actor<'_>, product_id: &str) -> bool {
    actor.is_admin() || actor.product_id() == Some(product_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roles::Role;

    #[test]
    fn rules() {
        let sales = Actor::User {
            id: "s",
            role: Role::SalesAgent,
        };
        let user = Actor::User {
            id: "u",
            role: Role::User,
        };
        let product = Actor::Product { id: "p1" };
        let facts = |holds| PolicyFacts {
            product_id: "p1",
            actor_holds_license: holds,
        };
        assert!(may_read(&sales, &facts(false)) && may_read(&product, &facts(false)));
        assert!(!may_read(&user, &facts(false)) && may_read(&user, &facts(true)));
        assert!(may_write(&sales, "p1") && may_write(&product, "p1"));
        assert!(!may_write(&product, "p2") && !may_write(&user, "p1"));
        assert!(!may_delete(&sales, "p1") && may_delete(&product, "p1"));
    }
}
