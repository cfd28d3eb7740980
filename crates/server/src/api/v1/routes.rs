//! THE route table. Paths are account-less: `crate::account::resolve` maps
//! `/v1/accounts/{account}/…` onto them before routing.

use super::{
    accounts, checkout, components, entitlements, groups, keys, licenses, machines, policies,
    processes, products, search, tokens, users,
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
        // ---- relationship reads and actions (issue #8, `<resource>/nested.rs`) ----
        // products
        .route(
            "/v1/products/{id}/policies",
            get(products::nested::list_policies),
        )
        .route(
            "/v1/products/{id}/policies/{child}",
            get(products::nested::show_policy),
        )
        .route(
            "/v1/products/{id}/licenses",
            get(products::nested::list_licenses),
        )
        .route(
            "/v1/products/{id}/licenses/{child}",
            get(products::nested::show_license),
        )
        .route(
            "/v1/products/{id}/machines",
            get(products::nested::list_machines),
        )
        .route(
            "/v1/products/{id}/machines/{child}",
            get(products::nested::show_machine),
        )
        .route("/v1/products/{id}/users", get(products::nested::list_users))
        .route(
            "/v1/products/{id}/users/{child}",
            get(products::nested::show_user),
        )
        .route(
            "/v1/products/{id}/tokens/{child}",
            get(products::nested::show_token),
        )
        // policies
        .route(
            "/v1/policies/{id}/licenses",
            get(policies::nested::list_licenses),
        )
        .route(
            "/v1/policies/{id}/licenses/{child}",
            get(policies::nested::show_license),
        )
        .route(
            "/v1/policies/{id}/product",
            get(policies::nested::show_product),
        )
        .route(
            "/v1/policies/{id}/pool/{child}",
            get(policies::nested::show_pool_key),
        )
        // licenses
        .route(
            "/v1/licenses/{id}/machines/{child}",
            get(licenses::nested::show_machine),
        )
        .route(
            "/v1/licenses/{id}/tokens/{child}",
            get(licenses::nested::show_token),
        )
        .route(
            "/v1/licenses/{id}/users/{child}",
            get(licenses::nested::show_user),
        )
        .route(
            "/v1/licenses/{id}/entitlements/{child}",
            get(licenses::nested::show_entitlement),
        )
        .route(
            "/v1/licenses/{id}/user",
            get(licenses::nested::show_legacy_user),
        )
        // machines
        .route(
            "/v1/machines/{id}/product",
            get(machines::nested::show_product),
        )
        .route(
            "/v1/machines/{id}/license",
            get(machines::nested::show_license),
        )
        .route(
            "/v1/machines/{id}/user",
            get(machines::nested::show_legacy_user),
        )
        .route("/v1/machines/{id}/group", get(machines::nested::show_group))
        .route(
            "/v1/machines/{id}/components/{child}",
            get(machines::nested::show_component),
        )
        .route(
            "/v1/machines/{id}/actions/generate-offline-proof",
            post(machines::offline_proof::generate),
        )
        // components
        .route(
            "/v1/components/{id}/product",
            get(components::nested::show_product),
        )
        .route(
            "/v1/components/{id}/license",
            get(components::nested::show_license),
        )
        .route(
            "/v1/components/{id}/machine",
            get(components::nested::show_machine),
        )
        // processes
        .route(
            "/v1/processes/{id}/license",
            get(processes::nested::show_license),
        )
        // keys
        .route("/v1/keys/{id}/product", get(keys::nested::show_product))
        .route("/v1/keys/{id}/policy", get(keys::nested::show_policy))
        // groups
        .route("/v1/groups/{id}/users", get(groups::nested::list_users))
        .route(
            "/v1/groups/{id}/users/{child}",
            get(groups::nested::show_user),
        )
        .route(
            "/v1/groups/{id}/licenses",
            get(groups::nested::list_licenses),
        )
        .route(
            "/v1/groups/{id}/licenses/{child}",
            get(groups::nested::show_license),
        )
        .route(
            "/v1/groups/{id}/machines",
            get(groups::nested::list_machines),
        )
        .route(
            "/v1/groups/{id}/machines/{child}",
            get(groups::nested::show_machine),
        )
        .route(
            "/v1/groups/{id}/owners",
            get(groups::nested::list_owners)
                .post(groups::nested::attach_owners)
                .delete(groups::nested::detach_owners),
        )
        .route(
            "/v1/groups/{id}/owners/{child}",
            get(groups::nested::show_owner),
        )
        // users
        .route("/v1/users/{id}/licenses", get(users::nested::list_licenses))
        .route("/v1/users/{id}/machines", get(users::nested::list_machines))
        .route("/v1/users/{id}/products", get(users::nested::list_products))
        .route("/v1/users/{id}/group", get(users::nested::show_group))
        .route(
            "/v1/users/{id}/tokens",
            get(users::nested::list_tokens).post(users::nested::create_token),
        )
        .route(
            "/v1/users/{id}/tokens/{child}",
            get(users::nested::show_token),
        )
        // search
        .route("/v1/search", post(search::search))
        .route_layer(axum::middleware::from_fn(
            crate::encoding::reject_bad_path_params,
        ))
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed().into_response() })
}
