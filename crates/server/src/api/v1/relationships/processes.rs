//! Process relationships missing from [`crate::api::v1::processes::relations`]: `GET
//! /processes/{id}/license`, for the bearers who may read the process.

use crate::account::Account;
use crate::api::v1::licenses;
use crate::api::v1::serialize::single;
use crate::auth::Authed;
use crate::error::ApiResult;
use crate::jsonapi::Document;
use crate::state::AppState;
use axum::extract::{Path, State};

/// `GET /processes/{id}/license`
pub async fn show_license(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let l = crate::api::v1::processes::load(&state, &account, &principal, &id).await?;
    Ok(Document::ok(single(
        licenses::render(&state, &account, &l.license, &l.policy).await?,
    )))
}
