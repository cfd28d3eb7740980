//! Process relationships missing from [`crate::api::v1::processes::relations`]: `GET
//! /processes/{id}/license`, for the bearers who may read the process.

use super::Cx;
use crate::api::v1::processes;
use crate::error::ApiResult;
use crate::jsonapi::Document;
use axum::extract::Path;

/// `GET /processes/{id}/license`
pub async fn show_license(cx: Cx, Path(id): Path<String>) -> ApiResult<Document> {
    let l = cx.load(processes::load, &id).await?;
    cx.show(&(&l.license, &l.policy)).await
}
