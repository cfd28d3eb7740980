//! Tokens (`/tokens`): generation with email and password (HTTP Basic, plus
//! `meta.otp` for users with an enabled second factor; the check is
//! [`login::verify_login`]), listing,
//! regeneration and revocation; product tokens (`POST /products/{id}/tokens`) and
//! license activation tokens (`POST /licenses/{id}/tokens`). Only an HMAC digest is
//! stored; the raw token is shown once.

pub mod login;

use crate::api::v1::second_factors;
use crate::api::v1::serializers::tokens as serializer;

use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::auth::{self, Authed, Bearer, Credential, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::input::{Field, Input, invalid};
use crate::jsonapi::query::QueryParams;
use crate::jsonapi::{Document, JsonBody, no_content};
use crate::state::AppState;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::response::Response;
use latchkey_core::access::tokens::{self as access, Reach};
use latchkey_core::roles::Role;
use latchkey_core::tokens::{self as raw_tokens, TokenKind};
use latchkey_proto::ErrorCode;
use latchkey_store::new_id;
use latchkey_store::tokens::{self, TokenRow, TokenScope};
use serde_json::json;

const TWO_WEEKS_MS: i64 = 14 * 86_400_000;

/// The credential of a token-generation request (email/password allowed here).
pub struct GenerateCredential(Option<Credential>);

impl FromRequestParts<AppState> for GenerateCredential {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> ApiResult<Self> {
        Ok(GenerateCredential(auth::credential(parts)?))
    }
}

struct Options {
    name: Option<String>,
    expiry: Field<String>,
    max_activations: Option<i64>,
    max_deactivations: Option<i64>,
}

fn read_options(body: &serde_json::Value, activation: bool) -> ApiResult<Options> {
    if body.get("data").is_none() {
        return Ok(Options {
            name: None,
            expiry: Field::Absent,
            max_activations: None,
            max_deactivations: None,
        });
    }
    let mut input = Input::parse(body, "tokens")?;
    let name = input.string("name", 255)?.value();
    let expiry = input.string("expiry", 64)?;
    let (mut max_activations, mut max_deactivations) = (None, None);
    if activation {
        max_activations = input.integer("maxActivations")?.value();
        max_deactivations = input.integer("maxDeactivations")?.value();
        for (name, value) in [
            ("maxActivations", max_activations),
            ("maxDeactivations", max_deactivations),
        ] {
            if value.is_some_and(|v| v < 0) {
                return Err(invalid(name, "must be greater than or equal to 0"));
            }
        }
    }
    input.finish()?;
    Ok(Options {
        name,
        expiry,
        max_activations,
        max_deactivations,
    })
}

fn expiry(options: &Options, default: Option<i64>) -> ApiResult<Option<i64>> {
    match &options.expiry {
        Field::Value(text) => latchkey_proto::time_format::parse(text)
            .map(|t| Some(latchkey_proto::time_format::to_millis(t)))
            .ok_or_else(|| invalid("expiry", "must be a valid ISO 8601 timestamp")),
        Field::Null => Ok(None),
        Field::Absent => Ok(default),
    }
}

async fn mint(
    state: &AppState,
    account: &Account,
    bearer: (&str, &str),
    kind: TokenKind,
    options: &Options,
    default_expiry: Option<i64>,
) -> ApiResult<Document> {
    let raw = raw_tokens::generate(kind);
    let now = state.now_ms();
    let row = TokenRow {
        id: new_id(),
        account_id: account.id().to_owned(),
        bearer_type: bearer.0.to_owned(),
        bearer_id: bearer.1.to_owned(),
        kind: kind.as_str().to_owned(),
        digest: state.secret.digest(&raw),
        name: options.name.clone(),
        expiry: expiry(options, default_expiry)?,
        max_activations: options.max_activations,
        activations: 0,
        max_deactivations: options.max_deactivations,
        deactivations: 0,
        created_at: now,
        updated_at: now,
    };
    tokens::create(&state.db, &row).await?;
    let location = format!("{}/tokens/{}", account.base(), row.id);
    Ok(Document::created(
        single(serializer::token(account, &row, Some(&raw))),
        location,
    ))
}

/// `POST /tokens` — email:password via Basic auth (and `meta.otp` when the user has an
/// enabled second factor), or a new token for the current bearer.
pub async fn generate(
    State(state): State<AppState>,
    account: Account,
    GenerateCredential(credential): GenerateCredential,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let options = read_options(&body, false)?;
    let principal = match credential {
        None => {
            return Err(ApiError::unauthorized(
                ErrorCode::TokenMissing,
                "An authentication token is required",
            ));
        }
        Some(Credential::EmailPassword(email, password)) => {
            let otp = second_factors::otp::meta_string(&body, "otp")?;
            let user =
                login::verify_login(&state, &account, &email, &password, otp.as_deref()).await?;
            let role = Role::parse(&user.role).unwrap_or(Role::User);
            Principal {
                bearer: Bearer::User(Box::new(user), role),
                token: None,
            }
        }
        Some(Credential::Token(raw)) => auth::authenticate_token(&state, &account, &raw).await?,
        Some(Credential::LicenseKey(key)) => {
            auth::authenticate_license_key(&state, &account, &key).await?
        }
    };
    let actor = principal.actor();
    if !access::may_generate_own(&actor) {
        return Err(ApiError::forbidden(
            "licenses cannot generate tokens this way",
        ));
    }
    let (kind, default) = match actor.role() {
        Some(role) => (
            role.token_kind(),
            (role == Role::User).then(|| state.now_ms() + TWO_WEEKS_MS),
        ),
        None => (TokenKind::Product, None),
    };
    mint(
        &state,
        &account,
        access::bearer_of(&actor),
        kind,
        &options,
        default,
    )
    .await
}

/// Whether the caller may see, regenerate and revoke `token`: its own tokens; admins
/// and developers also every other token, except those of users they may not manage.
async fn may_reach(state: &AppState, principal: &Principal, token: &TokenRow) -> ApiResult<bool> {
    let actor = principal.actor();
    Ok(
        match access::reach(&actor, (&token.bearer_type, &token.bearer_id)) {
            Reach::Yes => true,
            Reach::No => false,
            Reach::IfManagesUser => {
                let user =
                    latchkey_store::users::find(&state.db, &token.account_id, &token.bearer_id)
                        .await?;
                user.is_some_and(|user| {
                    latchkey_core::access::users::may_manage_credentials(
                        &actor, &user.id, &user.role,
                    )
                })
            }
        },
    )
}

async fn load(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    id: &str,
) -> ApiResult<TokenRow> {
    let token = tokens::find(&state.db, account.id(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("token", id))?;
    if !may_reach(state, principal, &token).await? {
        return Err(ApiError::forbidden("not allowed to access this token"));
    }
    Ok(token)
}

/// `GET /tokens`
pub async fn index(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    query: QueryParams,
) -> ApiResult<Document> {
    let (page, order) = query.pagination()?;
    let bearer_type = query.get("bearer[type]").map(|kind| {
        if kind.ends_with('s') {
            kind.to_owned()
        } else {
            format!("{kind}s")
        }
    });
    let actor = principal.actor();
    let hidden = access::hidden_user_roles(&actor);
    let scope = TokenScope::Visible {
        own: access::bearer_of(&actor),
        others: access::sees_others(&actor),
        hidden_user_roles: &hidden,
        bearer_type: bearer_type.as_deref(),
        bearer_id: query.get("bearer[id]"),
    };
    let (rows, count) = tokens::list(&state.db, account.id(), &scope, &page, order).await?;
    let data: Vec<_> = rows
        .iter()
        .map(|t| serializer::token(&account, t, None))
        .collect();
    let (links, _) = query.list_links(&page, count, rows.last().map(|r| r.id.as_str()));
    Ok(Document::ok(json!({ "data": data, "links": links })))
}

/// `GET /tokens/{id}`
pub async fn show(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let token = load(&state, &account, &principal, &id).await?;
    Ok(Document::ok(single(serializer::token(
        &account, &token, None,
    ))))
}

/// `PUT /tokens/{id}` — regenerate: a new secret; an expiring token gets now + 2 weeks.
pub async fn regenerate(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let token = load(&state, &account, &principal, &id).await?;
    let kind = TokenKind::parse(&token.kind).unwrap_or(TokenKind::User);
    let raw = raw_tokens::generate(kind);
    let now = state.now_ms();
    let updated = tokens::regenerate(
        &state.db,
        account.id(),
        &token.id,
        &state.secret.digest(&raw),
        token.expiry.map(|_| now + TWO_WEEKS_MS),
        now,
    )
    .await?
    .ok_or_else(|| ApiError::not_found("token", &id))?;
    Ok(Document::ok(single(serializer::token(
        &account,
        &updated,
        Some(&raw),
    ))))
}

/// `DELETE /tokens/{id}` — revoke.
pub async fn revoke(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let token = load(&state, &account, &principal, &id).await?;
    tokens::revoke(&state.db, account.id(), &token.id, state.now_ms()).await?;
    Ok(no_content())
}

/// `POST /products/{id}/tokens` — a product token (admin and developer only).
pub async fn create_product_token(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let product = crate::api::v1::products::load(&state, &account, &principal, &id).await?;
    if !access::may_manage_product_tokens(&principal.actor()) {
        return Err(ApiError::forbidden(
            "not allowed to generate product tokens",
        ));
    }
    let options = read_options(&body, false)?;
    mint(
        &state,
        &account,
        ("products", &product.id),
        TokenKind::Product,
        &options,
        None,
    )
    .await
}

/// `POST /licenses/{id}/tokens` — a license activation token.
pub async fn create_license_token(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let (license, _) = crate::api::v1::licenses::load(&state, &account, &principal, &id).await?;
    if !access::may_generate_license_token(&principal.actor(), &license.product_id) {
        return Err(ApiError::forbidden(
            "not allowed to generate license tokens",
        ));
    }
    let options = read_options(&body, true)?;
    mint(
        &state,
        &account,
        ("licenses", &license.id),
        TokenKind::Activation,
        &options,
        None,
    )
    .await
}

/// `GET /licenses/{id}/tokens` and `GET /products/{id}/tokens`.
pub async fn index_for_bearer(
    state: &AppState,
    account: &Account,
    bearer: (&str, &str),
    query: &QueryParams,
) -> ApiResult<Document> {
    let (page, order) = query.pagination()?;
    let scope = TokenScope::Bearer(bearer.0, bearer.1);
    let (rows, count) = tokens::list(&state.db, account.id(), &scope, &page, order).await?;
    let data: Vec<_> = rows
        .iter()
        .map(|t| serializer::token(account, t, None))
        .collect();
    let (links, _) = query.list_links(&page, count, rows.last().map(|r| r.id.as_str()));
    Ok(Document::ok(json!({ "data": data, "links": links })))
}

/// `GET /licenses/{id}/tokens`
pub async fn license_tokens(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    query: QueryParams,
) -> ApiResult<Document> {
    let (license, _) = crate::api::v1::licenses::load(&state, &account, &principal, &id).await?;
    if !access::may_list_license_tokens(&principal.actor(), &license.product_id) {
        return Err(ApiError::forbidden("not allowed to list license tokens"));
    }
    index_for_bearer(&state, &account, ("licenses", &license.id), &query).await
}

/// `GET /products/{id}/tokens`
pub async fn product_tokens(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    query: QueryParams,
) -> ApiResult<Document> {
    let product = crate::api::v1::products::load(&state, &account, &principal, &id).await?;
    if !access::may_manage_product_tokens(&principal.actor()) {
        return Err(ApiError::forbidden("not allowed to list product tokens"));
    }
    index_for_bearer(&state, &account, ("products", &product.id), &query).await
}
