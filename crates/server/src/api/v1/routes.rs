//! THE route table. Paths are account-less: `crate::account::resolve` maps
//! `/v1/accounts/{account}/…` onto them before routing.

use super::{
    accounts, checkout, components, entitlements, groups, keys, licenses, machines, policies,
    processes, products, tokens, users,
};
use crate::error::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::response::IntoResponse;
use axum::routing::{get, post};

/// `GET /v1/ping`: 200 with an empty body, unsigned (Keygen's `health#general_ping`).
async fn ping() -> axum::http::StatusCode {
    axum::http::StatusCode::OK
}

/// Every API route.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/ping", get(ping))
        .route("/v1/account", get(accounts::show))
        .route("/v1/tokens", post(tokens::generate).get(tokens::index))
        .route(
            "/v1/tokens/{id}",
            get(tokens::show)
                .put(tokens::regenerate)
                .delete(tokens::revoke),
        )
        .route("/v1/products", get(products::index).post(products::create))
        .route(
            "/v1/products/{id}",
            get(products::show)
                .patch(products::update)
                .put(products::update)
                .delete(products::destroy),
        )
        .route(
            "/v1/products/{id}/tokens",
            get(tokens::product_tokens).post(tokens::create_product_token),
        )
        .route("/v1/policies", get(policies::index).post(policies::create))
        .route(
            "/v1/policies/{id}",
            get(policies::show)
                .patch(policies::update)
                .put(policies::update)
                .delete(policies::destroy),
        )
        .route("/v1/licenses", get(licenses::index).post(licenses::create))
        .route(
            "/v1/licenses/actions/validate-key",
            post(licenses::actions::validate_key),
        )
        .route(
            "/v1/licenses/{id}",
            get(licenses::show)
                .patch(licenses::update)
                .put(licenses::update)
                .delete(licenses::destroy),
        )
        .route(
            "/v1/licenses/{id}/actions/validate",
            get(licenses::actions::quick_validate).post(licenses::actions::validate_by_id),
        )
        .route(
            "/v1/licenses/{id}/tokens",
            get(tokens::license_tokens).post(tokens::create_license_token),
        )
        .route("/v1/machines", get(machines::index).post(machines::create))
        .route(
            "/v1/machines/{id}",
            get(machines::show)
                .patch(machines::update)
                .put(machines::update)
                .delete(machines::destroy),
        )
        .merge(users::routes())
        .merge(components::routes())
        .merge(keys::routes())
        .merge(machines::owner::routes())
        .merge(groups::routes())
        .merge(entitlements::routes())
        .merge(checkout::routes())
        .merge(machines::heartbeat::routes())
        .merge(processes::routes())
        .merge(licenses::routes())
        .merge(policies::entitlements::routes())
        .merge(policies::pool::routes())
        .merge(users::group::routes())
        .merge(machines::group::routes())
        .route_layer(axum::middleware::from_fn(
            crate::encoding::reject_bad_path_params,
        ))
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed().into_response() })
}
