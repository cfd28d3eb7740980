//! The read-only `/channels`, `/platforms`, `/arches` and `/engines` (and their
//! `/products/{id}/…` forms): the keys in use by releases, artifacts and packages
//! the caller sees.

use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::api::v1::serializers::releases as serializer;
use crate::auth::{Auth, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::Document;
use crate::jsonapi::query::QueryParams;
use crate::state::AppState;
use axum::extract::{Path, State};
use latchkey_store::releases::{self, terms};

/// The caller's visibility filter for `kind`: engines are the packages' keys, the
/// other kinds the releases' (and their artifacts').
fn visible(
    kind: &str,
    actor: Option<&latchkey_core::access::Actor<'_>>,
) -> Option<latchkey_store::crud::Filter> {
    if kind == "engine" {
        latchkey_store::packages::visible_to(actor)
    } else {
        releases::visible_to(actor)
    }
}

async fn list(
    state: &AppState,
    account: &Account,
    principal: Option<&Principal>,
    kind: &str,
    product: Option<&str>,
    query: &QueryParams,
) -> ApiResult<Document> {
    let (page, order) = query.pagination()?;
    let actor = principal.map(Principal::actor);
    let scope = visible(kind, actor.as_ref());
    let product = product.or(query.get("product"));
    let listed = terms::list(&state.db, account.id(), kind, scope, product, &page, order).await?;
    Ok(query.page_document(
        &page,
        listed,
        |r| serializer::term(account, r),
        |r| r.id.as_str(),
    ))
}

async fn show(
    state: &AppState,
    account: &Account,
    principal: Option<&Principal>,
    kind: &str,
    id: &str,
) -> ApiResult<Document> {
    let actor = principal.map(Principal::actor);
    let scope = visible(kind, actor.as_ref());
    let row = terms::find(&state.db, account.id(), kind, id, scope)
        .await?
        .ok_or_else(|| ApiError::not_found(kind, id))?;
    Ok(Document::ok(single(serializer::term(account, &row))))
}

macro_rules! term_routes {
    ($kind:literal, $index:ident, $show:ident, $product:ident) => {
        #[doc = concat!("`GET /", $kind, "s`-style list of ", $kind, " keys.")]
        pub async fn $index(
            State(state): State<AppState>,
            account: Account,
            Auth(principal): Auth,
            query: QueryParams,
        ) -> ApiResult<Document> {
            list(&state, &account, principal.as_ref(), $kind, None, &query).await
        }

        #[doc = concat!("One ", $kind, " by id or key.")]
        pub async fn $show(
            State(state): State<AppState>,
            account: Account,
            Auth(principal): Auth,
            Path(id): Path<String>,
        ) -> ApiResult<Document> {
            show(&state, &account, principal.as_ref(), $kind, &id).await
        }

        #[doc = concat!("The ", $kind, " keys of one product's releases.")]
        pub async fn $product(
            State(state): State<AppState>,
            account: Account,
            Auth(principal): Auth,
            Path(product): Path<String>,
            query: QueryParams,
        ) -> ApiResult<Document> {
            let product =
                super::product_in_view(&state, &account, principal.as_ref(), &product).await?;
            list(
                &state,
                &account,
                principal.as_ref(),
                $kind,
                Some(&product.id),
                &query,
            )
            .await
        }
    };
}

term_routes!("channel", channels, channel, product_channels);
term_routes!("platform", platforms, platform, product_platforms);
term_routes!("arch", arches, arch, product_arches);
term_routes!("engine", engines, engine, product_engines);
