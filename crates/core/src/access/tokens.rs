//! Tokens (Keygen's `TokenPolicy`): every bearer reaches its own tokens; admins and
//! developers also every other token except those of users whose credentials they
//! may not manage. Product tokens are minted by admins and developers; license
//! activation tokens by staff from sales agent up and the license's product.

use super::Actor;
use crate::roles::Role;

/// Every role, for computing the roles whose tokens an actor may not reach.
const ROLES: [Role; 6] = [
    Role::Admin,
    Role::Developer,
    Role::SalesAgent,
    Role::SupportAgent,
    Role::ReadOnly,
    Role::User,
];

/// The actor as a token bearer: (`users` | `products` | `licenses`, id).
pub fn bearer_of<'a>(actor: &Actor<'a>) -> (&'static str, &'a str) {
    match actor {
        Actor::User { id, .. } => ("users", id),
        Actor::Product { id } => ("products", id),
        Actor::License { id, .. } => ("licenses", id),
    }
}

/// Whether the actor sees other bearers' tokens in lists at all.
pub fn sees_others(actor: &Actor<'_>) -> bool {
    actor.is_admin()
}

/// Roles of users whose tokens the actor may not reach (those it may not manage).
pub fn hidden_user_roles(actor: &Actor<'_>) -> Vec<&'static str> {
    ROLES
        .iter()
        .map(|role| role.as_str())
        .filter(|role| !super::users::may_manage(actor, role))
        .collect()
}

/// Whether the actor reaches a token (see, regenerate, revoke).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Yes.
    Yes,
    /// No.
    No,
    /// Only if the actor may manage the credentials of the bearing user (look the
    /// user up and ask [`super::users::may_manage_credentials`]).
    IfManagesUser,
}

/// Whether the actor reaches a token borne by `bearer` (type, id).
pub fn reach(actor: &Actor<'_>, bearer: (&str, &str)) -> Reach {
    if bearer_of(actor) == bearer {
        return Reach::Yes;
    }
    if !actor.is_admin() {
        return Reach::No;
    }
    if bearer.0 != "users" {
        return Reach::Yes;
    }
    Reach::IfManagesUser
}

/// Generate a token for itself with `POST /tokens` (licenses may not).
pub fn may_generate_own(actor: &Actor<'_>) -> bool {
    !matches!(actor, Actor::License { .. })
}

/// Generate or list product tokens.
pub fn may_manage_product_tokens(actor: &Actor<'_>) -> bool {
    actor.is_admin()
}

/// Generate an activation token for a license of `product_id`.
pub fn may_generate_license_token(actor: &Actor<'_>, product_id: &str) -> bool {
    actor.is_sales_or_above() || actor.product_id() == Some(product_id)
}

/// List the tokens of a license of `product_id`.
pub fn may_list_license_tokens(actor: &Actor<'_>, product_id: &str) -> bool {
    actor.is_staff() || actor.product_id() == Some(product_id)
}

/// Keygen's `Users::TokenPolicy#index?/show?`: the user itself; staff, for end users
/// and for users whose credentials they may manage (only admins reach an admin's
/// tokens); a product for end users (the user was already found readable).
pub fn may_read_user_tokens(actor: &Actor<'_>, user: &str, user_role: &str) -> bool {
    match actor {
        Actor::User { id, .. } if *id == user => true,
        Actor::User { .. } if actor.is_staff() => {
            user_role == Role::User.as_str()
                || super::users::may_manage_credentials(actor, user, user_role)
        }
        Actor::Product { .. } => user_role == Role::User.as_str(),
        _ => false,
    }
}

/// Keygen's `Users::TokenPolicy#create?`: admins and developers for themselves and
/// for end users; a product for end users.
pub fn may_create_user_token(actor: &Actor<'_>, user: &str, user_role: &str) -> bool {
    let end_user = user_role == Role::User.as_str();
    match actor {
        Actor::User { id, .. } if actor.is_admin() => *id == user || end_user,
        Actor::Product { .. } => end_user,
        _ => false,
    }
}

/// `GET /licenses/{id}/tokens/{token}`: staff and the license's product.
pub fn may_read_license_tokens(actor: &Actor<'_>, license_product: &str) -> bool {
    actor.is_staff() || actor.product_id() == Some(license_product)
}

/// `GET /products/{id}/tokens/{token}`: admins and developers.
pub fn may_read_product_tokens(actor: &Actor<'_>) -> bool {
    actor.is_admin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reaching_tokens() {
        let dev = Actor::User {
            id: "d",
            role: Role::Developer,
        };
        assert_eq!(reach(&dev, ("users", "d")), Reach::Yes);
        assert_eq!(reach(&dev, ("products", "p")), Reach::Yes);
        assert_eq!(reach(&dev, ("users", "a")), Reach::IfManagesUser);
        let sales = Actor::User {
            id: "s",
            role: Role::SalesAgent,
        };
        assert_eq!(reach(&sales, ("users", "u")), Reach::No);
        assert_eq!(hidden_user_roles(&dev), vec!["admin"]);
        assert!(
            hidden_user_roles(&Actor::User {
                id: "a",
                role: Role::Admin
            })
            .is_empty()
        );
        let license = Actor::License {
            id: "l",
            product_id: "p",
            owner_id: None,
        };
        assert!(!may_generate_own(&license));
        assert_eq!(bearer_of(&license), ("licenses", "l"));
        assert!(may_generate_license_token(&Actor::Product { id: "p" }, "p"));
        assert!(!may_generate_license_token(
            &Actor::Product { id: "q" },
            "p"
        ));
        assert!(may_list_license_tokens(
            &Actor::User {
                id: "r",
                role: Role::ReadOnly
            },
            "p"
        ));
        assert!(!may_manage_product_tokens(&sales));
    }
}

#[cfg(test)]
mod user_token_tests {
    use super::*;

    #[test]
    fn user_tokens_follow_keygens_token_policy() {
        let admin = Actor::User {
            id: "a",
            role: Role::Admin,
        };
        let support = Actor::User {
            id: "s",
            role: Role::SupportAgent,
        };
        let user = Actor::User {
            id: "u",
            role: Role::User,
        };
        let product = Actor::Product { id: "p" };
        assert!(may_read_user_tokens(&user, "u", "user"));
        assert!(!may_read_user_tokens(&user, "v", "user"));
        assert!(may_read_user_tokens(&support, "u", "user"));
        assert!(!may_read_user_tokens(&support, "a", "admin"));
        assert!(may_read_user_tokens(&admin, "a2", "admin"));
        assert!(may_read_user_tokens(&product, "u", "user"));
        assert!(!may_read_user_tokens(&product, "a", "admin"));
        assert!(may_create_user_token(&admin, "u", "user"));
        assert!(may_create_user_token(&admin, "a", "admin"));
        assert!(!may_create_user_token(&admin, "a2", "admin"));
        assert!(!may_create_user_token(&support, "u", "user"));
        assert!(!may_create_user_token(&user, "u", "user"));
        assert!(may_create_user_token(&product, "u", "user"));
        assert!(may_read_license_tokens(&product, "p"));
        assert!(!may_read_license_tokens(&Actor::Product { id: "q" }, "p"));
        assert!(may_read_product_tokens(&admin) && !may_read_product_tokens(&support));
    }
}
