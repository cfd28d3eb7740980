//! Webhook endpoints (`/webhook-endpoints`): CRUD. The URL must be `https://` and
//! resolve to public addresses (both relaxed by `allow_insecure_webhooks`);
//! subscriptions are `*` or known event types; a product relationship scopes the
//! endpoint to that product's resources. Access: `core::access::webhooks`.

pub mod events;

use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::api::v1::serializers::webhooks as serializer;
use crate::auth::{Authed, Principal};
use crate::error::{ApiError, ApiResult};
use crate::events::target;
use crate::jsonapi::input::{Field, Input, invalid, missing};
use crate::jsonapi::query::QueryParams;
use crate::jsonapi::{Document, JsonBody, no_content};
use crate::state::AppState;
use crate::version::{ApiVersion, CURRENT};
use axum::extract::{Path, State};
use axum::response::Response;
use latchkey_core::access::webhooks as access;
use latchkey_core::webhooks::{SIGNATURE_ALGORITHMS, is_event_type};
use latchkey_proto::ErrorCode;
use latchkey_store::new_id;
use latchkey_store::webhooks::{self, WebhookEndpointChanges, WebhookEndpointRow};
use serde_json::json;

/// Loads an endpoint the caller may read, or 404/403.
async fn load(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    id: &str,
) -> ApiResult<WebhookEndpointRow> {
    let row = webhooks::find(&state.db, account.id(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("webhook endpoint", id))?;
    if !access::may_read(&principal.actor(), row.product_id.as_deref()) {
        return Err(ApiError::not_found("webhook endpoint", id));
    }
    Ok(row)
}

/// `GET /webhook-endpoints`
pub async fn index(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    query: QueryParams,
) -> ApiResult<Document> {
    let (page, order) = query.pagination()?;
    let actor = principal.actor();
    if !access::may_list(&actor) {
        return Err(ApiError::forbidden("not allowed to list webhook endpoints"));
    }
    let (rows, count) =
        webhooks::list(&state.db, account.id(), actor.product_id(), &page, order).await?;
    let data: Vec<_> = rows
        .iter()
        .map(|r| serializer::endpoint(&account, r))
        .collect();
    let (links, _) = query.list_links(&page, count, rows.last().map(|r| r.id.as_str()));
    Ok(Document::ok(json!({ "data": data, "links": links })))
}

/// `GET /webhook-endpoints/{id}`
pub async fn show(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let row = load(&state, &account, &principal, &id).await?;
    Ok(Document::ok(single(serializer::endpoint(&account, &row))))
}

struct Attrs {
    url: Field<String>,
    subscriptions: Field<Vec<String>>,
    algorithm: Field<String>,
    api_version: Field<String>,
    product: Field<String>,
}

async fn read(state: &AppState, account: &Account, input: &mut Input) -> ApiResult<Attrs> {
    let attrs = Attrs {
        url: input.string("url", 4096)?,
        subscriptions: input.strings("subscriptions")?,
        algorithm: input.choice("signatureAlgorithm", SIGNATURE_ALGORITHMS)?,
        api_version: input.string("apiVersion", 16)?,
        product: input.relationship("product")?,
    };
    if let Field::Value(subs) = &attrs.subscriptions {
        if subs.is_empty() {
            return Err(ApiError::unprocessable(
                ErrorCode::SubscriptionsInvalid,
                "must have at least 1 subscription",
            )
            .pointer("/data/attributes/subscriptions"));
        }
        if let Some(bad) = subs.iter().find(|s| *s != "*" && !is_event_type(s)) {
            let shown: String = bad.chars().take(64).collect();
            return Err(ApiError::unprocessable(
                ErrorCode::SubscriptionsInvalid,
                format!("unsupported webhook event type for subscription: {shown:?}"),
            )
            .pointer("/data/attributes/subscriptions"));
        }
    }
    if let Field::Value(version) = &attrs.api_version
        && ApiVersion::parse(version).is_none()
    {
        return Err(invalid("apiVersion", "unsupported version"));
    }
    if let Field::Value(product) = &attrs.product
        && latchkey_store::products::find(&state.db, account.id(), product)
            .await?
            .is_none()
    {
        return Err(
            ApiError::unprocessable(ErrorCode::ProductNotFound, "must exist")
                .pointer("/data/relationships/product"),
        );
    }
    // The URL last: resolving it is the slowest check.
    if let Field::Value(url) = &attrs.url {
        let allow = state.config.webhooks.allow_insecure;
        let parsed = target::parse(url, allow).map_err(|why| invalid("url", why))?;
        target::check_resolution(&parsed, allow)
            .await
            .map_err(|why| invalid("url", why))?;
    }
    Ok(attrs)
}

fn subscriptions_text(subs: Vec<String>) -> String {
    json!(subs).to_string()
}

fn normalized_version(text: &str) -> String {
    ApiVersion::parse(text).unwrap_or(CURRENT).as_str()
}

/// `POST /webhook-endpoints`
pub async fn create(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let actor = principal.actor();
    if !access::may_list(&actor) {
        return Err(ApiError::forbidden(
            "not allowed to create webhook endpoints",
        ));
    }
    let mut input = Input::parse(&body, "webhook-endpoints")?;
    let attrs = read(&state, &account, &mut input).await?;
    input.finish()?;
    let Field::Value(url) = attrs.url else {
        return Err(missing("url"));
    };
    // A product token's endpoints are always scoped to that product.
    let product = attrs
        .product
        .value()
        .or(actor.product_id().map(str::to_owned));
    if !access::may_manage(&actor, product.as_deref()) {
        return Err(ApiError::forbidden(
            "not allowed to create this webhook endpoint",
        ));
    }
    let now = state.now_ms();
    let row = WebhookEndpointRow {
        id: new_id(),
        account_id: account.id().to_owned(),
        product_id: product,
        url,
        subscriptions: subscriptions_text(
            attrs
                .subscriptions
                .value()
                .unwrap_or_else(|| vec!["*".into()]),
        ),
        signature_algorithm: attrs.algorithm.value().unwrap_or_else(|| "ed25519".into()),
        api_version: normalized_version(&attrs.api_version.value().unwrap_or_default()),
        created_at: now,
        updated_at: now,
    };
    webhooks::create(&state.db, &row).await?;
    state.validation_events.refresh(&state.db).await;
    let location = format!("{}/webhook-endpoints/{}", account.base(), row.id);
    Ok(Document::created(
        single(serializer::endpoint(&account, &row)),
        location,
    ))
}

/// `PATCH /webhook-endpoints/{id}`
pub async fn update(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let row = load(&state, &account, &principal, &id).await?;
    let actor = principal.actor();
    if !access::may_manage(&actor, row.product_id.as_deref()) {
        return Err(ApiError::forbidden(
            "not allowed to update this webhook endpoint",
        ));
    }
    let mut input = Input::parse(&body, "webhook-endpoints")?;
    let attrs = read(&state, &account, &mut input).await?;
    input.finish()?;
    let product = attrs.product.into_update();
    if let Some(product) = &product
        && !access::may_manage(&actor, product.as_deref())
    {
        return Err(ApiError::forbidden(
            "not allowed to scope this webhook endpoint",
        ));
    }
    let changes = WebhookEndpointChanges {
        url: match attrs.url {
            Field::Value(url) => Some(url),
            Field::Null => return Err(missing("url")),
            Field::Absent => None,
        },
        subscriptions: attrs
            .subscriptions
            .into_update()
            .map(|s| subscriptions_text(s.unwrap_or_else(|| vec!["*".into()]))),
        signature_algorithm: attrs
            .algorithm
            .into_update()
            .map(|a| a.unwrap_or_else(|| "ed25519".into())),
        api_version: attrs
            .api_version
            .into_update()
            .map(|v| normalized_version(&v.unwrap_or_default())),
        product_id: product,
    };
    let updated = webhooks::update(&state.db, account.id(), &row.id, changes, state.now_ms())
        .await?
        .ok_or_else(|| ApiError::not_found("webhook endpoint", &id))?;
    state.validation_events.refresh(&state.db).await;
    Ok(Document::ok(single(serializer::endpoint(
        &account, &updated,
    ))))
}

/// `DELETE /webhook-endpoints/{id}`
pub async fn destroy(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let row = load(&state, &account, &principal, &id).await?;
    if !access::may_manage(&principal.actor(), row.product_id.as_deref()) {
        return Err(ApiError::forbidden(
            "not allowed to delete this webhook endpoint",
        ));
    }
    webhooks::delete(&state.db, account.id(), &row.id).await?;
    state.validation_events.refresh(&state.db).await;
    Ok(no_content())
}
