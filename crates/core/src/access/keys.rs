//! Who may do what to pool keys (`/keys`, `/policies/{id}/pool`): staff read every
//! key, admins and developers write them; a product reads and writes its own.

use super::Actor;

/// Whether the actor may list keys at all: staff and products.
pub fn may_list(actor: &Actor<'_>) -> bool {
    actor.product_id().is_some() || actor.is_staff()
}

/// Whether the actor may create keys at all: admins, developers and products.
pub fn may_create(actor: &Actor<'_>) -> bool {
    actor.product_id().is_some() || actor.is_admin()
}

/// Whether the actor may read keys (or the pool) of a policy of `product_id`.
pub fn may_read(actor: &Actor<'_>, product_id: &str) -> bool {
    match actor.product_id() {
        Some(product) => product == product_id,
        None => actor.is_staff(),
    }
}

/// Whether the actor may create, change, delete or pop keys of `product_id`.
pub fn may_write(actor: &Actor<'_>, product_id: &str) -> bool {
    match actor.product_id() {
        Some(product) => product == product_id,
        None => actor.is_admin(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roles::Role;

    #[test]
    fn rules() {
        let read_only = Actor::User {
            id: "r",
            role: Role::ReadOnly,
        };
        let admin = Actor::User {
            id: "a",
            role: Role::Admin,
        };
        let user = Actor::User {
            id: "u",
            role: Role::User,
        };
        let product = Actor::Product { id: "p1" };
        assert!(may_list(&read_only) && may_list(&product) && !may_list(&user));
        assert!(!may_create(&read_only) && may_create(&admin) && may_create(&product));
        assert!(may_read(&read_only, "p1") && !may_write(&read_only, "p1"));
        assert!(may_write(&admin, "p1") && may_write(&product, "p1"));
        assert!(!may_read(&product, "p2") && !may_read(&user, "p1"));
    }
}
