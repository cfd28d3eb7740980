//! Who may do what to releases, artifacts and packages (Keygen's `ReleasePolicy`,
//! `ReleaseArtifactPolicy`, `ReleasePackagePolicy`). Which releases a bearer sees is
//! the store's `releases::visible_to`; whether a license may download one is
//! `crate::releases::license_denial`.

use super::Actor;

/// Create, update, delete, publish, yank, upload and constraint changes: admins,
/// developers and the release's product.
pub fn may_write(actor: &Actor<'_>, product_id: &str) -> bool {
    actor.is_admin() || actor.product_id() == Some(product_id)
}

/// Reading a release's constraints, entitlements and product (Keygen's
/// `Releases::ReleaseEntitlementConstraintPolicy`, `Releases::EntitlementPolicy`):
/// every staff role, the release's product, a license of that product and an end
/// user holding one (`licensee`: the caller looked that up).
pub fn may_read_constraints(actor: &Actor<'_>, product_id: &str, licensee: bool) -> bool {
    match actor {
        Actor::License {
            product_id: own, ..
        } => *own == product_id,
        Actor::Product { id } => *id == product_id,
        Actor::User { .. } => actor.is_staff() || licensee,
    }
}

/// Reaching a product's distribution lists (`/products/{id}/releases`, `…/packages`,
/// `…/artifacts`, `…/channels`, …; Keygen loads the product through
/// `ProductPolicy`'s scope first): every staff role, the product itself, a license of
/// it, an end user holding one (`licensee`), and anyone for an `open` product
/// (OPEN distribution) but a product or license of another product.
pub fn may_see_product(
    actor: Option<&Actor<'_>>,
    product_id: &str,
    licensee: bool,
    open: bool,
) -> bool {
    match actor {
        None => open,
        Some(Actor::Product { id }) => *id == product_id,
        Some(Actor::License {
            product_id: own, ..
        }) => *own == product_id,
        Some(actor @ Actor::User { .. }) => actor.is_staff() || licensee || open,
    }
}

/// Downloads without a license check: every staff role and the release's product.
/// Users and licenses go through the license gate.
pub fn downloads_freely(actor: &Actor<'_>, product_id: &str) -> bool {
    actor.is_staff() || actor.product_id() == Some(product_id)
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
        let read_only = Actor::User {
            id: "r",
            role: Role::ReadOnly,
        };
        let user = Actor::User {
            id: "u",
            role: Role::User,
        };
        let product = Actor::Product { id: "p1" };
        let license = Actor::License {
            id: "l",
            product_id: "p1",
            owner_id: None,
        };
        assert!(may_write(&dev, "p1") && may_write(&product, "p1"));
        assert!(
            !may_write(&product, "p2") && !may_write(&sales, "p1") && !may_write(&license, "p1")
        );
        assert!(may_read_constraints(&read_only, "p1", false));
        assert!(may_read_constraints(&sales, "p1", false));
        assert!(may_read_constraints(&license, "p1", false));
        assert!(!may_read_constraints(&license, "p2", true));
        assert!(
            may_read_constraints(&user, "p1", true) && !may_read_constraints(&user, "p1", false)
        );
        assert!(!may_read_constraints(&product, "p2", false));
        assert!(may_see_product(Some(&sales), "p1", false, false));
        assert!(may_see_product(Some(&user), "p1", true, false));
        assert!(!may_see_product(Some(&user), "p1", false, false));
        assert!(may_see_product(Some(&user), "p1", false, true));
        assert!(
            may_see_product(None, "p1", false, true) && !may_see_product(None, "p1", false, false)
        );
        assert!(!may_see_product(Some(&product), "p2", false, true));
        assert!(!may_see_product(Some(&license), "p2", false, true));
        assert!(downloads_freely(&sales, "p1") && downloads_freely(&read_only, "p1"));
        assert!(!downloads_freely(&user, "p1") && !downloads_freely(&license, "p1"));
        assert!(!downloads_freely(&product, "p2"));
    }
}
