//! Keygen's user roles and their ranks (§6.4).

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything in the account.
    Admin,
    /// Like admin for API resources.
    Developer,
    /// Admin permission set with narrower rules.
    SalesAgent,
    /// Like sales, but cannot create/delete licenses or machines.
    SupportAgent,
    /// Reads only.
    ReadOnly,
    /// An end user.
    User,
}

impl Role {
    /// Keygen's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Developer => "developer",
            Self::SalesAgent => "sales-agent",
            Self::SupportAgent => "support-agent",
            Self::ReadOnly => "read-only",
            Self::User => "user",
        }
    }

    /// Parses Keygen's spelling.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "admin" => Self::Admin,
            "developer" => Self::Developer,
            "sales-agent" => Self::SalesAgent,
            "support-agent" => Self::SupportAgent,
            "read-only" => Self::ReadOnly,
            "user" => Self::User,
            _ => return None,
        })
    }

    /// Whether this is one of the account-staff roles (not an end user).
    pub fn is_staff(self) -> bool {
        self != Self::User
    }

    /// The token kind minted for a user of this role.
    pub fn token_kind(self) -> crate::tokens::TokenKind {
        use crate::tokens::TokenKind;
        match self {
            Self::Admin => TokenKind::Admin,
            Self::Developer => TokenKind::Developer,
            Self::SalesAgent => TokenKind::Sales,
            Self::SupportAgent => TokenKind::Support,
            Self::ReadOnly => TokenKind::ReadOnly,
            Self::User => TokenKind::User,
        }
    }
}
