//! THE route table. Paths are account-less: `crate::account::resolve` maps
//! `/v1/accounts/{account}/…` onto them before routing.

use super::route_table::{Route, Table, delete, get, post};
use super::{
    accounts, artifacts, checkout, components, entitlements, groups, keys, licenses, logs,
    machines, packages, policies, processes, products, relationships, releases, search,
    second_factors, tokens, users, webhooks,
};
use crate::error::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::response::IntoResponse;
use axum::routing::put;

/// `GET /v1/ping`: 200 with an empty body, unsigned (Keygen's `health#general_ping`).
async fn ping() -> axum::http::StatusCode {
    axum::http::StatusCode::OK
}

/// `GET /v1/openapi.json`: the API contract (see `crate::openapi`).
async fn openapi() -> axum::response::Response {
    match crate::openapi::document() {
        Ok(document) => axum::Json(document).into_response(),
        Err(error) => ApiError::internal(format!("OpenAPI document: {error}")).into_response(),
    }
}

/// `GET /metrics` (Prometheus; see `crate::telemetry::endpoint`).
async fn metrics(
    state: axum::extract::State<AppState>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    crate::telemetry::endpoint::scrape(state, headers).await
}

/// The path of the signed local artifact URLs (see [`storage_routes`]).
pub const ARTIFACT_BLOB: &str = "/storage/{account}/artifacts/{id}";

/// Every API route with its layers: the table below, a path-parameter check, and
/// 405 for a known path with another method.
pub fn routes() -> Router<AppState> {
    let (router, _) = table().finish();
    router
        .route_layer(axum::middleware::from_fn(
            crate::encoding::reject_bad_path_params,
        ))
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed().into_response() })
}

/// Every `(method, path)` the API routes (account-less form).
pub fn route_list() -> Vec<Route> {
    let (_, mut list) = table().finish();
    list.sort();
    list
}

/// Every API route, one line per path, grouped by resource.
#[rustfmt::skip]
fn table() -> Table {
    Table::new()
        // ping
        .route("/v1/ping", get(ping))
        .route("/v1/openapi.json", get(openapi))
        .route("/metrics", get(metrics))
        // account
        .route("/v1/account", get(accounts::show))
        // tokens
        .route("/v1/tokens", post(tokens::generate).get(tokens::index))
        .route("/v1/tokens/{id}", get(tokens::show).put(tokens::regenerate).delete(tokens::revoke))
        // passwords
        .route("/v1/passwords", post(users::actions::request_reset))
        // profile
        .route("/v1/profile", get(users::actions::profile))
        // me
        .route("/v1/me", get(users::actions::me))
        // search
        .route("/v1/search", post(search::search))
        // products
        .route("/v1/products", get(products::index).post(products::create))
        .route("/v1/products/{id}", get(products::show).patch(products::update).put(products::update).delete(products::destroy))
        .route("/v1/products/{id}/licenses", get(relationships::products::list_licenses))
        .route("/v1/products/{id}/licenses/{child}", get(relationships::products::show_license))
        .route("/v1/products/{id}/machines", get(relationships::products::list_machines))
        .route("/v1/products/{id}/machines/{child}", get(relationships::products::show_machine))
        .route("/v1/products/{id}/policies", get(relationships::products::list_policies))
        .route("/v1/products/{id}/policies/{child}", get(relationships::products::show_policy))
        .route("/v1/products/{id}/tokens", get(tokens::product_tokens).post(tokens::create_product_token))
        .route("/v1/products/{id}/tokens/{child}", get(relationships::products::show_token))
        .route("/v1/products/{id}/users", get(relationships::products::list_users))
        .route("/v1/products/{id}/users/{child}", get(relationships::products::show_user))
        // policies
        .route("/v1/policies", get(policies::index).post(policies::create))
        .route("/v1/policies/{id}", get(policies::show).patch(policies::update).put(policies::update).delete(policies::destroy))
        .route("/v1/policies/{id}/entitlements", get(policies::entitlements::list).post(policies::entitlements::attach_entitlements).delete(policies::entitlements::detach_entitlements))
        .route("/v1/policies/{id}/licenses", get(relationships::policies::list_licenses))
        .route("/v1/policies/{id}/licenses/{child}", get(relationships::policies::show_license))
        .route("/v1/policies/{id}/pool", get(policies::pool::show).delete(policies::pool::pop))
        .route("/v1/policies/{id}/pool/{child}", get(relationships::policies::show_pool_key))
        .route("/v1/policies/{id}/product", get(relationships::policies::show_product))
        // keys
        .route("/v1/keys", get(keys::index).post(keys::create))
        .route("/v1/keys/{id}", get(keys::show).patch(keys::update).put(keys::update).delete(keys::destroy))
        .route("/v1/keys/{id}/policy", get(relationships::keys::show_policy))
        .route("/v1/keys/{id}/product", get(relationships::keys::show_product))
        // licenses
        .route("/v1/licenses", get(licenses::index).post(licenses::create))
        .route("/v1/licenses/actions/validate-key", post(licenses::actions::validate_key))
        .route("/v1/licenses/{id}", get(licenses::show).patch(licenses::update).put(licenses::update).delete(licenses::destroy))
        .route("/v1/licenses/{id}/actions/check-in", post(licenses::lifecycle::check_in))
        .route("/v1/licenses/{id}/actions/check-out", get(checkout::license::get).post(checkout::license::post))
        .route("/v1/licenses/{id}/actions/decrement-usage", post(licenses::usage::decrement))
        .route("/v1/licenses/{id}/actions/increment-usage", post(licenses::usage::increment))
        .route("/v1/licenses/{id}/actions/reinstate", post(licenses::lifecycle::reinstate))
        .route("/v1/licenses/{id}/actions/renew", post(licenses::lifecycle::renew))
        .route("/v1/licenses/{id}/actions/reset-usage", post(licenses::usage::reset))
        .route("/v1/licenses/{id}/actions/revoke", delete(licenses::lifecycle::revoke))
        .route("/v1/licenses/{id}/actions/suspend", post(licenses::lifecycle::suspend))
        .route("/v1/licenses/{id}/actions/validate", get(licenses::actions::quick_validate).post(licenses::actions::validate_by_id))
        .route("/v1/licenses/{id}/entitlements", get(licenses::attachments::list_entitlements).post(licenses::attachments::attach_entitlements).delete(licenses::attachments::detach_entitlements))
        .route("/v1/licenses/{id}/entitlements/{child}", get(relationships::licenses::show_entitlement))
        .route("/v1/licenses/{id}/group", get(licenses::relationships::show_group).put(licenses::relationships::change_group).patch(licenses::relationships::change_group))
        .route("/v1/licenses/{id}/machines", get(licenses::relationships::list_machines))
        .route("/v1/licenses/{id}/machines/{child}", get(relationships::licenses::show_machine))
        .route("/v1/licenses/{id}/owner", get(licenses::relationships::show_owner).put(licenses::relationships::change_owner).patch(licenses::relationships::change_owner))
        .route("/v1/licenses/{id}/policy", get(licenses::relationships::show_policy).put(licenses::relationships::change_policy).patch(licenses::relationships::change_policy))
        .route("/v1/licenses/{id}/product", get(licenses::relationships::show_product))
        .route("/v1/licenses/{id}/tokens", get(tokens::license_tokens).post(tokens::create_license_token))
        .route("/v1/licenses/{id}/tokens/{child}", get(relationships::licenses::show_token))
        .route("/v1/licenses/{id}/user", get(relationships::licenses::show_legacy_user).put(licenses::relationships::change_owner).patch(licenses::relationships::change_owner))
        .route("/v1/licenses/{id}/users", get(licenses::attachments::list_users).post(licenses::attachments::attach_users).delete(licenses::attachments::detach_users))
        .route("/v1/licenses/{id}/users/{child}", get(relationships::licenses::show_user))
        // machines
        .route("/v1/machines", get(machines::index).post(machines::create))
        .route("/v1/machines/{id}", get(machines::show).patch(machines::update).put(machines::update).delete(machines::destroy))
        .route("/v1/machines/{id}/actions/check-out", get(checkout::machine::get).post(checkout::machine::post))
        .route("/v1/machines/{id}/actions/generate-offline-proof", post(machines::offline_proof::generate))
        .route("/v1/machines/{id}/actions/ping", post(machines::heartbeat::ping))
        .route("/v1/machines/{id}/actions/ping-heartbeat", post(machines::heartbeat::ping))
        .route("/v1/machines/{id}/actions/reset", post(machines::heartbeat::reset))
        .route("/v1/machines/{id}/actions/reset-heartbeat", post(machines::heartbeat::reset))
        .route("/v1/machines/{id}/components", get(components::machine_components))
        .route("/v1/machines/{id}/components/{child}", get(relationships::machines::show_component))
        .route("/v1/machines/{id}/group", get(relationships::machines::show_group).put(machines::group::change_group).patch(machines::group::change_group))
        .route("/v1/machines/{id}/license", get(relationships::machines::show_license))
        .route("/v1/machines/{id}/owner", get(machines::owner::show).put(machines::owner::update).patch(machines::owner::update))
        .route("/v1/machines/{id}/processes", get(processes::relations::machine_processes))
        .route("/v1/machines/{id}/processes/{process_id}", get(processes::relations::machine_process))
        .route("/v1/machines/{id}/product", get(relationships::machines::show_product))
        .route("/v1/machines/{id}/user", get(relationships::machines::show_legacy_user))
        // components
        .route("/v1/components", get(components::index).post(components::create))
        .route("/v1/components/{id}", get(components::show).patch(components::update).put(components::update).delete(components::destroy))
        .route("/v1/components/{id}/license", get(relationships::components::show_license))
        .route("/v1/components/{id}/machine", get(relationships::components::show_machine))
        .route("/v1/components/{id}/product", get(relationships::components::show_product))
        // processes
        .route("/v1/processes", get(processes::index).post(processes::create))
        .route("/v1/processes/{id}", get(processes::show).patch(processes::update).put(processes::update).delete(processes::destroy))
        .route("/v1/processes/{id}/actions/ping", post(processes::ping))
        .route("/v1/processes/{id}/license", get(relationships::processes::show_license))
        .route("/v1/processes/{id}/machine", get(processes::relations::machine))
        .route("/v1/processes/{id}/product", get(processes::relations::product))
        // users
        .route("/v1/users", get(users::index).post(users::create))
        .route("/v1/users/{id}", get(users::show).patch(users::update).put(users::update).delete(users::destroy))
        .route("/v1/users/{id}/actions/ban", post(users::actions::ban))
        .route("/v1/users/{id}/actions/reset-password", post(users::actions::reset_password))
        .route("/v1/users/{id}/actions/unban", post(users::actions::unban))
        .route("/v1/users/{id}/actions/update-password", post(users::actions::update_password))
        .route("/v1/users/{id}/group", get(relationships::users::show_group).put(users::group::change_group).patch(users::group::change_group))
        .route("/v1/users/{id}/licenses", get(relationships::users::list_licenses))
        .route("/v1/users/{id}/machines", get(relationships::users::list_machines))
        .route("/v1/users/{id}/products", get(relationships::users::list_products))
        .route("/v1/users/{id}/second-factors", get(second_factors::index).post(second_factors::create))
        .route("/v1/users/{id}/second-factors/{child}", get(second_factors::show).patch(second_factors::update).put(second_factors::update).delete(second_factors::destroy))
        .route("/v1/users/{id}/tokens", get(relationships::users::list_tokens).post(relationships::users::create_token))
        .route("/v1/users/{id}/tokens/{child}", get(relationships::users::show_token))
        // entitlements
        .route("/v1/entitlements", get(entitlements::index).post(entitlements::create))
        .route("/v1/entitlements/{id}", get(entitlements::show).patch(entitlements::update).put(entitlements::update).delete(entitlements::destroy))
        // groups
        .route("/v1/groups", get(groups::index).post(groups::create))
        .route("/v1/groups/{id}", get(groups::show).patch(groups::update).put(groups::update).delete(groups::destroy))
        .route("/v1/groups/{id}/licenses", get(relationships::groups::list_licenses))
        .route("/v1/groups/{id}/licenses/{child}", get(relationships::groups::show_license))
        .route("/v1/groups/{id}/machines", get(relationships::groups::list_machines))
        .route("/v1/groups/{id}/machines/{child}", get(relationships::groups::show_machine))
        .route("/v1/groups/{id}/owners", get(relationships::groups::list_owners).post(relationships::groups::attach_owners).delete(relationships::groups::detach_owners))
        .route("/v1/groups/{id}/owners/{child}", get(relationships::groups::show_owner))
        .route("/v1/groups/{id}/users", get(relationships::groups::list_users))
        .route("/v1/groups/{id}/users/{child}", get(relationships::groups::show_user))
        // releases & distribution
        .route("/v1/releases", get(releases::index).post(releases::create))
        .route("/v1/releases/actions/upgrade", get(releases::actions::upgrade_legacy))
        .route("/v1/releases/{id}", get(releases::show).patch(releases::update).put(releases::update).delete(releases::destroy))
        .route("/v1/releases/{id}/actions/publish", post(releases::actions::publish))
        .route("/v1/releases/{id}/actions/upgrade", get(releases::actions::upgrade_release))
        .route("/v1/releases/{id}/actions/yank", post(releases::actions::yank))
        .route("/v1/releases/{id}/artifacts", get(artifacts::of_release))
        .route("/v1/releases/{id}/artifact", get(artifacts::of_release_single))
        .route("/v1/releases/{id}/artifacts/{child}", get(artifacts::of_release_show))
        .route("/v1/releases/{id}/constraints", get(releases::constraints::list).post(releases::constraints::attach).delete(releases::constraints::detach))
        .route("/v1/releases/{id}/constraints/{child}", get(releases::constraints::show))
        .route("/v1/releases/{id}/entitlements", get(releases::constraints::entitlements))
        .route("/v1/releases/{id}/package", get(releases::relations::package))
        .route("/v1/releases/{id}/product", get(releases::relations::product))
        .route("/v1/releases/{id}/upgrade", get(releases::actions::upgrade_release))
        .route("/v1/artifacts", get(artifacts::index).post(artifacts::create))
        .route("/v1/artifacts/{id}", get(artifacts::show).patch(artifacts::update).delete(artifacts::destroy))
        .route("/v1/artifacts/{id}/{filename}", get(artifacts::show_named))
        .route("/v1/packages", get(packages::index).post(packages::create))
        .route("/v1/packages/{id}", get(packages::show).patch(packages::update).put(packages::update).delete(packages::destroy))
        .route("/v1/channels", get(releases::terms::channels))
        .route("/v1/channels/{id}", get(releases::terms::channel))
        .route("/v1/platforms", get(releases::terms::platforms))
        .route("/v1/platforms/{id}", get(releases::terms::platform))
        .route("/v1/arches", get(releases::terms::arches))
        .route("/v1/arches/{id}", get(releases::terms::arch))
        .route("/v1/engines", get(releases::terms::engines))
        .route("/v1/engines/{id}", get(releases::terms::engine))
        .route("/v1/engines/raw/{product}/{release}/{artifact}", get(artifacts::engines::raw_download))
        .route("/v1/engines/raw/{product}/{package}/{release}/{artifact}", get(artifacts::engines::raw_package_download))
        .route("/v1/engines/tauri/{package}", get(artifacts::engines::tauri))
        .route("/v1/products/{id}/arches", get(releases::terms::product_arches))
        .route("/v1/products/{id}/artifacts", get(artifacts::product_artifacts))
        .route("/v1/products/{id}/channels", get(releases::terms::product_channels))
        .route("/v1/products/{id}/engines", get(releases::terms::product_engines))
        .route("/v1/products/{id}/packages", get(releases::relations::product_packages))
        .route("/v1/products/{id}/platforms", get(releases::terms::product_platforms))
        .route("/v1/products/{id}/releases", get(releases::relations::product_releases))
        // webhooks
        .route("/v1/webhook-endpoints", get(webhooks::index).post(webhooks::create))
        .route("/v1/webhook-endpoints/{id}", get(webhooks::show).patch(webhooks::update).put(webhooks::update).delete(webhooks::destroy))
        .route("/v1/webhook-events", get(webhooks::events::index))
        .route("/v1/webhook-events/{id}", get(webhooks::events::show).delete(webhooks::events::destroy))
        .route("/v1/webhook-events/{id}/actions/retry", post(webhooks::events::retry))
        // logs
        .route("/v1/event-logs", get(logs::index))
        .route("/v1/event-logs/{id}", get(logs::show))
        .route("/v1/request-logs", get(logs::requests::index))
        .route("/v1/request-logs/{id}", get(logs::requests::show))
}

/// The signed artifact URLs Latchkey serves for local storage. Merged outside the
/// API's layers (no body buffering, no response signing) so bytes stream.
#[rustfmt::skip]
pub fn storage_routes() -> Router<AppState> {
    Router::new()
        .route(ARTIFACT_BLOB, put(artifacts::blob::upload).get(artifacts::blob::download))
}
