//! API token strings (Keygen v3): `<prefix>-<hex>v3`, stored only as an HMAC digest.

use rand::RngCore;

/// Who a token speaks for, which fixes its prefix and `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Admin user (`admin-`).
    Admin,
    /// Developer user (`dev-`).
    Developer,
    /// Sales agent (`sales-`).
    Sales,
    /// Support agent (`spprt-`).
    Support,
    /// Read-only user (`read-`).
    ReadOnly,
    /// End user (`user-`).
    User,
    /// Product (`prod-`).
    Product,
    /// License activation token (`activ-`).
    Activation,
}

impl TokenKind {
    /// The raw token prefix.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Developer => "dev",
            Self::Sales => "sales",
            Self::Support => "spprt",
            Self::ReadOnly => "read",
            Self::User => "user",
            Self::Product => "prod",
            Self::Activation => "activ",
        }
    }

    /// The `kind` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin-token",
            Self::Developer => "developer-token",
            Self::Sales => "sales-token",
            Self::Support => "support-token",
            Self::ReadOnly => "read-only-token",
            Self::User => "user-token",
            Self::Product => "product-token",
            Self::Activation => "activation-token",
        }
    }

    /// Parses the `kind` attribute.
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Admin,
            Self::Developer,
            Self::Sales,
            Self::Support,
            Self::ReadOnly,
            Self::User,
            Self::Product,
            Self::Activation,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

/// A fresh raw token: 32 random bytes (16 for activation tokens) as hex.
pub fn generate(kind: TokenKind) -> String {
    let mut bytes = vec![
        0u8;
        if kind == TokenKind::Activation {
            16
        } else {
            32
        }
    ];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{}-{}v3", kind.prefix(), hex::encode(bytes))
}

/// Whether a string has the shape of a UUID (Keygen answers TOKEN_FORMAT_INVALID).
pub fn looks_like_uuid(text: &str) -> bool {
    uuid::Uuid::parse_str(text).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v3_shapes() {
        let admin = generate(TokenKind::Admin);
        assert!(admin.starts_with("admin-") && admin.ends_with("v3"));
        assert_eq!(admin.len(), "admin-".len() + 64 + 2);
        let activ = generate(TokenKind::Activation);
        assert_eq!(activ.len(), "activ-".len() + 32 + 2);
    }
}
