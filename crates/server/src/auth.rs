//! Authentication (Keygen §6.1): bearer tokens, HTTP Basic (`license:KEY`,
//! `token:TOKEN`), `License KEY`, and `?token=`/`?auth=`. The [`Auth`] extractor
//! yields the optional [`Principal`]; [`Authed`] requires one. Bad credentials are
//! always a 401/403, never silently anonymous.

use crate::account::Account;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine;
use latchkey_core::policy::ExpirationStrategy;
use latchkey_core::roles::Role;
use latchkey_proto::ErrorCode;
use latchkey_proto::time_format::to_millis;
use latchkey_store::credentials::{self, BearerRows};
use latchkey_store::licenses::LicenseRow;
use latchkey_store::policies::PolicyRow;
use latchkey_store::products::ProductRow;
use latchkey_store::tokens::TokenRow;
use latchkey_store::users::UserRow;
use latchkey_store::validation::Head;

/// Who is calling.
#[derive(Debug, Clone)]
pub enum Bearer {
    /// A user, with their role.
    User(Box<UserRow>, Role),
    /// A product (product token).
    Product(Box<ProductRow>),
    /// A license (license key or activation token), with its policy.
    License(Box<LicenseRow>, Box<PolicyRow>),
}

/// An authenticated caller and the token used, if any.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The bearer.
    pub bearer: Bearer,
    /// The token, when authenticated by token.
    pub token: Option<TokenRow>,
}

/// The raw credential in a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// An API token.
    Token(String),
    /// A license key.
    LicenseKey(String),
    /// Email and password (only accepted by `POST /tokens`).
    EmailPassword(String, String),
}

/// Reads the credential from `Authorization` or `?token=`/`?auth=`.
pub fn credential(parts: &Parts) -> ApiResult<Option<Credential>> {
    if let Some(value) = parts.headers.get(AUTHORIZATION) {
        let value = value
            .to_str()
            .map_err(|_| {
                ApiError::unauthorized(
                    ErrorCode::TokenFormatInvalid,
                    "The authorization header is malformed",
                )
            })?
            .trim();
        let (scheme, rest) = value.split_once(char::is_whitespace).unwrap_or((value, ""));
        let rest = rest.trim();
        if rest.is_empty() {
            return Err(ApiError::unauthorized(
                ErrorCode::TokenMissing,
                "An authentication token is required",
            ));
        }
        return match scheme.to_ascii_lowercase().as_str() {
            "bearer" | "token" => Ok(Some(Credential::Token(rest.to_owned()))),
            "license" => Ok(Some(Credential::LicenseKey(rest.to_owned()))),
            "basic" => basic(rest).map(Some),
            _ => Err(ApiError::unauthorized(
                ErrorCode::TokenFormatInvalid,
                "The authorization scheme is not supported",
            )),
        };
    }
    let query = parts.uri.query().unwrap_or("");
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    if let Some((name, value)) = pairs.iter().find(|(k, _)| k == "token" || k == "auth") {
        // Normally refused earlier by `encoding::reject_bad_encoding`; kept so this
        // parser is safe on its own.
        crate::encoding::check_str(value).map_err(|flaw| flaw.error().parameter(name))?;
        return Ok(Some(match value.split_once(':') {
            Some(("license", key)) => Credential::LicenseKey(key.to_owned()),
            Some(("token", token)) => Credential::Token(token.to_owned()),
            _ => Credential::Token(value.clone()),
        }));
    }
    Ok(None)
}

fn basic(encoded: &str) -> ApiResult<Credential> {
    let malformed = || {
        ApiError::unauthorized(
            ErrorCode::TokenFormatInvalid,
            "The basic authorization credentials are malformed",
        )
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| malformed())?;
    // Decoded credentials go into SQL: invalid UTF-8 or NUL is an encoding error.
    let text = crate::encoding::check_bytes(&bytes)
        .map_err(|flaw| flaw.error().header("Authorization"))?
        .to_owned();
    let (user, pass) = text.split_once(':').unwrap_or((text.as_str(), ""));
    Ok(match user {
        "license" => Credential::LicenseKey(pass.to_owned()),
        "token" => Credential::Token(pass.to_owned()),
        user if user.contains('@') => Credential::EmailPassword(user.to_owned(), pass.to_owned()),
        user => Credential::Token(user.to_owned()),
    })
}

/// Resolves a token to its principal.
pub async fn authenticate_token(
    state: &AppState,
    account: &Account,
    raw: &str,
) -> ApiResult<Principal> {
    if latchkey_core::tokens::looks_like_uuid(raw) {
        return Err(ApiError::unauthorized(
            ErrorCode::TokenFormatInvalid,
            "Token format is invalid (make sure that you're providing a token value, not a token's UUID identifier)",
        ));
    }
    let digest = state.secret.digest(raw);
    let Some(credential) = credentials::by_token(&state.db, account.id(), &digest).await? else {
        return Err(ApiError::unauthorized(
            ErrorCode::TokenInvalid,
            "Token is invalid",
        ));
    };
    let token = credential.token.clone();
    if token.expiry.is_some_and(|expiry| expiry < state.now_ms()) {
        return Err(ApiError::unauthorized(
            ErrorCode::TokenExpired,
            "Token is expired",
        ));
    }
    let bearer = match &credential.bearer {
        BearerRows::User(user) => {
            if user.banned_at.is_some() {
                return Err(ApiError::forbidden("user is banned").code(ErrorCode::UserBanned));
            }
            let role = Role::parse(&user.role).unwrap_or(Role::User);
            Bearer::User(Box::new(user.clone()), role)
        }
        BearerRows::Product(product) => Bearer::Product(Box::new(product.clone())),
        BearerRows::License(head) => {
            if !head.policy.authentication().allows_token() {
                return Err(
                    ApiError::forbidden("token authentication is not allowed by policy")
                        .code(ErrorCode::TokenNotAllowed),
                );
            }
            check_license_usable(state, head)?;
            Bearer::License(
                Box::new(head.license.clone()),
                Box::new(head.policy.clone()),
            )
        }
    };
    Ok(Principal {
        bearer,
        token: Some(token),
    })
}

/// A license may act as a bearer only when not banned, suspended or revoked-expired.
fn check_license_usable(state: &AppState, head: &Head) -> ApiResult<()> {
    if head.owner_banned_at.is_some() {
        return Err(ApiError::forbidden("license is banned").code(ErrorCode::LicenseBanned));
    }
    let license = &head.license;
    if license.suspended {
        return Err(ApiError::forbidden("license is suspended").code(ErrorCode::LicenseSuspended));
    }
    let expired = license.expiry.is_some_and(|e| e < to_millis(state.now()));
    if expired && head.policy.rules().expiration_strategy == ExpirationStrategy::RevokeAccess {
        return Err(ApiError::forbidden("license is expired").code(ErrorCode::LicenseExpired));
    }
    Ok(())
}

/// Resolves a license key to its principal (`Authorization: License …`): the license,
/// its policy and its owner's ban in one query, kept in the principal so handlers
/// acting on the bearer's own license need not load it again.
pub async fn authenticate_license_key(
    state: &AppState,
    account: &Account,
    key: &str,
) -> ApiResult<Principal> {
    let Some(head) = credentials::license_head_by_key(&state.db, account.id(), key).await? else {
        return Err(ApiError::unauthorized(
            ErrorCode::LicenseInvalid,
            "License key is invalid",
        ));
    };
    if !head.policy.authentication().allows_license_key() {
        return Err(
            ApiError::forbidden("license key authentication is not allowed by policy")
                .code(ErrorCode::LicenseNotAllowed),
        );
    }
    check_license_usable(state, &head)?;
    Ok(Principal {
        bearer: Bearer::License(Box::new(head.license), Box::new(head.policy)),
        token: None,
    })
}

/// The optional caller of a request.
#[derive(Debug, Clone)]
pub struct Auth(pub Option<Principal>);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let Some(credential) = credential(parts)? else {
            return Ok(Auth(None));
        };
        let account = Account::from_request_parts(parts, state).await?;
        let principal = match credential {
            Credential::Token(raw) => authenticate_token(state, &account, &raw).await?,
            Credential::LicenseKey(key) => authenticate_license_key(state, &account, &key).await?,
            Credential::EmailPassword(..) => {
                return Err(ApiError::unauthorized(
                    ErrorCode::TokenInvalid,
                    "Email and password are only accepted when generating a token (POST /tokens)",
                ));
            }
        };
        let (kind, id) = principal.whodunnit();
        latchkey_store::event_logs::set_whodunnit(kind, id);
        Ok(Auth(Some(principal)))
    }
}

/// A required caller: 401 TOKEN_MISSING without credentials.
#[derive(Debug, Clone)]
pub struct Authed(pub Principal);

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        match Auth::from_request_parts(parts, state).await?.0 {
            Some(principal) => Ok(Authed(principal)),
            None => Err(ApiError::unauthorized(
                ErrorCode::TokenMissing,
                "An authentication token is required",
            )),
        }
    }
}

impl Principal {
    /// The bearer as event logs name it: `(type, id)`.
    pub fn whodunnit(&self) -> (&'static str, &str) {
        match &self.bearer {
            Bearer::User(u, _) => ("users", &u.id),
            Bearer::Product(p) => ("products", &p.id),
            Bearer::License(l, _) => ("licenses", &l.id),
        }
    }

    /// The caller as the pure access rules of `latchkey_core::access` see it.
    pub fn actor(&self) -> latchkey_core::access::Actor<'_> {
        use latchkey_core::access::Actor;
        match &self.bearer {
            Bearer::User(u, role) => Actor::User {
                id: &u.id,
                role: *role,
            },
            Bearer::Product(p) => Actor::Product { id: &p.id },
            Bearer::License(l, _) => Actor::License {
                id: &l.id,
                product_id: &l.product_id,
                owner_id: l.owner_id.as_deref(),
            },
        }
    }

    /// The user role, for user bearers.
    pub fn role(&self) -> Option<Role> {
        match &self.bearer {
            Bearer::User(_, role) => Some(*role),
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

    /// The product id, for product bearers.
    pub fn product_id(&self) -> Option<&str> {
        match &self.bearer {
            Bearer::Product(p) => Some(&p.id),
            _ => None,
        }
    }

    /// The end-user id, for user-role bearers.
    pub fn end_user_id(&self) -> Option<&str> {
        match &self.bearer {
            Bearer::User(u, Role::User) => Some(&u.id),
            _ => None,
        }
    }

    /// The license, for license bearers.
    pub fn license(&self) -> Option<&LicenseRow> {
        match &self.bearer {
            Bearer::License(l, _) => Some(l),
            _ => None,
        }
    }

    /// The license and policy authentication loaded, when the bearer is the license
    /// `license_id` (so a handler acting on its own license reuses them).
    pub fn own_license(&self, license_id: &str) -> Option<(&LicenseRow, &PolicyRow)> {
        match &self.bearer {
            Bearer::License(l, p) if l.id == license_id => Some((l, p)),
            _ => None,
        }
    }

    /// The bearer's (type, id) for token ownership.
    pub fn bearer_ref(&self) -> (&'static str, &str) {
        match &self.bearer {
            Bearer::User(u, _) => ("users", &u.id),
            Bearer::Product(p) => ("products", &p.id),
            Bearer::License(l, _) => ("licenses", &l.id),
        }
    }
}
