//! Who may do what (Keygen's per-resource policy classes), as pure rules.
//!
//! Each resource has one module here with its "may this actor do X to this row"
//! predicates. Predicates take an [`Actor`] and plain facts about the row (ids,
//! flags, and any relation the caller looked up, such as "the actor is a licensee
//! of this license"); they never perform I/O. The server loads the facts through
//! `store`, asks the predicate, and renders a 403 when it says no; the admin UI
//! shares the same predicates. The list-visibility scopes (which rows a bearer sees)
//! are store filters built from the same [`Actor`].

pub mod components;
pub mod groups;
pub mod machines;
pub mod processes;
pub mod products;
pub mod tokens;
pub mod users;
pub mod webhooks;

use crate::roles::Role;

pub mod entitlements;
pub mod keys;
pub mod licenses;
pub mod logs;
pub mod policies;
pub mod releases;
pub mod second_factors;

/// Who is calling, reduced to what access rules look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor<'a> {
    /// A user (staff or end user) with their role.
    User {
        /// The user id.
        id: &'a str,
        /// The role.
        role: Role,
    },
    /// A product token.
    Product {
        /// The product id.
        id: &'a str,
    },
    /// A license key or license token.
    License {
        /// The license id.
        id: &'a str,
        /// The license's product.
        product_id: &'a str,
        /// The license's owner, if any.
        owner_id: Option<&'a str>,
    },
}

impl<'a> Actor<'a> {
    /// The user role, for user actors.
    pub fn role(&self) -> Option<Role> {
        match self {
            Self::User { role, .. } => Some(*role),
            _ => None,
        }
    }

    /// Admin or developer: everything in the account.
    pub fn is_admin(&self) -> bool {
        matches!(self.role(), Some(Role::Admin | Role::Developer))
    }

    /// Admin, developer or sales agent: may create licenses, machines, policies.
    pub fn is_sales_or_above(&self) -> bool {
        matches!(
            self.role(),
            Some(Role::Admin | Role::Developer | Role::SalesAgent)
        )
    }

    /// … or support agent: may update licenses and machines.
    pub fn is_support_or_above(&self) -> bool {
        matches!(
            self.role(),
            Some(Role::Admin | Role::Developer | Role::SalesAgent | Role::SupportAgent)
        )
    }

    /// Any staff role, read-only included: may read everything.
    pub fn is_staff(&self) -> bool {
        self.role().is_some_and(Role::is_staff)
    }

    /// The product id, for product actors.
    pub fn product_id(&self) -> Option<&'a str> {
        match self {
            Self::Product { id } => Some(*id),
            _ => None,
        }
    }

    /// The end-user id (role `user`).
    pub fn end_user_id(&self) -> Option<&'a str> {
        match self {
            Self::User {
                id,
                role: Role::User,
            } => Some(*id),
            _ => None,
        }
    }

    /// The user id, for any user actor.
    pub fn user_id(&self) -> Option<&'a str> {
        match self {
            Self::User { id, .. } => Some(*id),
            _ => None,
        }
    }

    /// The license id, for license actors.
    pub fn license_id(&self) -> Option<&'a str> {
        match self {
            Self::License { id, .. } => Some(*id),
            _ => None,
        }
    }
}

/// What access rules need to know about a license.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LicenseFacts<'a> {
    /// The license id.
    pub id: &'a str,
    /// Its product.
    pub product_id: &'a str,
    /// Its owner.
    pub owner_id: Option<&'a str>,
    /// Effective protection (the license's own flag, else its policy's).
    pub protected: bool,
    /// Whether the actor (a user) is attached to the license as a licensee. Callers
    /// that have not looked it up pass `false` only when the actor is not a user.
    pub actor_is_licensee: bool,
}

impl LicenseFacts<'_> {
    /// Whether `user` owns the license.
    pub fn is_owned_by(&self, user: &str) -> bool {
        self.owner_id == Some(user)
    }
}

/// Keygen's shared end-user rule: the user owns the license or is one of its
/// licensees (attached users).
pub fn is_owner_or_licensee(actor: &Actor<'_>, license: &LicenseFacts<'_>) -> bool {
    match actor.user_id() {
        Some(user) => license.is_owned_by(user) || license.actor_is_licensee,
        None => false,
    }
}

/// Keygen's rule for end users changing things under a license (machines,
/// components, processes, check-outs): owner or licensee, and only while the
/// license is unprotected.
pub fn is_owner_or_licensee_of_unprotected(actor: &Actor<'_>, license: &LicenseFacts<'_>) -> bool {
    !license.protected && is_owner_or_licensee(actor, license)
}

/// `POST /search`: any staff role (Keygen's `SearchPolicy`).
pub fn may_search(actor: &Actor<'_>) -> bool {
    actor.is_staff()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(
        owner: Option<&'static str>,
        protected: bool,
        licensee: bool,
    ) -> LicenseFacts<'static> {
        LicenseFacts {
            id: "l1",
            product_id: "p1",
            owner_id: owner,
            protected,
            actor_is_licensee: licensee,
        }
    }

    #[test]
    fn owner_and_licensee_of_unprotected_license() {
        let user = Actor::User {
            id: "u1",
            role: Role::User,
        };
        assert!(is_owner_or_licensee_of_unprotected(
            &user,
            &facts(Some("u1"), false, false)
        ));
        assert!(is_owner_or_licensee_of_unprotected(
            &user,
            &facts(None, false, true)
        ));
        assert!(!is_owner_or_licensee_of_unprotected(
            &user,
            &facts(Some("u1"), true, false)
        ));
        assert!(!is_owner_or_licensee_of_unprotected(
            &user,
            &facts(Some("u2"), false, false)
        ));
        let product = Actor::Product { id: "p1" };
        assert!(!is_owner_or_licensee(
            &product,
            &facts(Some("u1"), false, true)
        ));
    }

    #[test]
    fn role_ranks() {
        let support = Actor::User {
            id: "s",
            role: Role::SupportAgent,
        };
        assert!(support.is_support_or_above() && !support.is_sales_or_above());
        assert!(support.is_staff() && !support.is_admin());
        assert_eq!(support.end_user_id(), None);
        let user = Actor::User {
            id: "u",
            role: Role::User,
        };
        assert_eq!(user.end_user_id(), Some("u"));
        assert!(!user.is_staff());
    }
}
