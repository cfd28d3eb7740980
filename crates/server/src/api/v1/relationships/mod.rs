//! What every relationship route (`/parents/{id}/children[/{child}]`, one module per
//! parent) shares, so a handler states only what differs: which parent, which child,
//! how the child belongs to the parent.
//!
//! - [`Cx`]: the state, the account and the bearer; [`Cx::load`] runs a resource
//!   folder's `load` (404 when the bearer cannot see the row, 403 when it may not
//!   read it) for the parent and for the child.
//! - [`child_of`]: a child of another parent is a 404, as if it did not exist.
//! - [`Cx::show`] and the `…_document` helpers render a to-one document.
//! - [`Cx::nested_list`]: a nested list is the top-level list of the children with
//!   one more filter naming the parent, asked after checking that the bearer may
//!   read the parent. [`Nested::scoped`] builds that list's query parameters (the
//!   client's own, pagination included, plus the parent filter), so the child's own
//!   `index` applies its filters, visibility and links unchanged.
//!   [`Cx::list_document`] renders the few lists that are no top-level list.

use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::api::v1::serializers;
use crate::auth::{Authed, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::Document;
use crate::jsonapi::query::QueryParams;
use crate::state::AppState;
use axum::extract::{FromRequestParts, State};
use axum::http::Uri;
use axum::http::request::Parts;
use latchkey_store::entitlements::EntitlementRow;
use latchkey_store::groups::GroupRow;
use latchkey_store::licenses::LicenseRow;
use latchkey_store::page::Page;
use latchkey_store::policies::PolicyRow;
use latchkey_store::products::ProductRow;
use latchkey_store::relations;
use latchkey_store::tokens::TokenRow;
use latchkey_store::users::UserRow;
use serde_json::{Value, json};
use std::borrow::Borrow;

pub mod components;
pub mod groups;
pub mod keys;
pub mod licenses;
pub mod machines;
pub mod policies;
pub mod processes;
pub mod products;
pub mod users;

/// The request head of a nested route, kept to derive the child list's query.
#[derive(Debug, Clone)]
pub struct Nested(Parts);

impl<S: Send + Sync> FromRequestParts<S> for Nested {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> ApiResult<Self> {
        Ok(Self(parts.clone()))
    }
}

impl Nested {
    /// The client's query parameters plus `filters` (each appended last, so it wins
    /// over a client value of the same name), with the nested path kept for links.
    pub async fn scoped(&self, filters: &[(&str, &str)]) -> ApiResult<QueryParams> {
        let mut parts = self.0.clone();
        let extra = serde_urlencoded::to_string(filters).map_err(ApiError::internal)?;
        let query = match parts.uri.query() {
            Some(q) if !q.is_empty() => format!("{q}&{extra}"),
            _ => extra,
        };
        let path = parts.uri.path().to_owned();
        if parts
            .extensions
            .get::<crate::account::OriginalPath>()
            .is_none()
        {
            parts
                .extensions
                .insert(crate::account::OriginalPath(path.clone()));
        }
        parts.uri = format!("{path}?{query}")
            .parse::<Uri>()
            .map_err(ApiError::internal)?;
        QueryParams::from_request_parts(&mut parts, &()).await
    }
}

/// The context of a relationship route: the state, the account (404 when unknown)
/// and the bearer (401 without one), extracted in that order.
pub struct Cx {
    pub state: AppState,
    pub account: Account,
    pub principal: Principal,
}

impl FromRequestParts<AppState> for Cx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let account = Account::from_request_parts(parts, state).await?;
        let Authed(principal) = Authed::from_request_parts(parts, state).await?;
        Ok(Self {
            state: state.clone(),
            account,
            principal,
        })
    }
}

/// The child when it was found and belongs to the parent; otherwise a 404 naming the
/// child, as for one that does not exist (Keygen finds the child within the parent's
/// association). `found` is a finder's result, `Some(row)` for a `load` that
/// already answered its own 404 or 403.
pub fn child_of<T>(
    found: Option<T>,
    model: &str,
    id: &str,
    belongs: impl FnOnce(&T) -> bool,
) -> ApiResult<T> {
    found
        .filter(belongs)
        .ok_or_else(|| ApiError::not_found(model, id))
}

impl Cx {
    /// A parent or child through its folder's `load` (e.g. `users::load`).
    pub async fn load<T>(
        &self,
        load: impl AsyncFn(&AppState, &Account, &Principal, &str) -> ApiResult<T>,
        id: &str,
    ) -> ApiResult<T> {
        load(&self.state, &self.account, &self.principal, id).await
    }

    /// `{ "data": resource }`
    pub(crate) async fn show(&self, resource: &impl Render) -> ApiResult<Document> {
        Ok(Document::ok(single(resource.render(self).await?)))
    }

    /// `{ "data": resource | null }`
    pub(crate) async fn show_optional(
        &self,
        resource: Option<&impl Render>,
    ) -> ApiResult<Document> {
        let data = match resource {
            Some(resource) => resource.render(self).await?,
            None => Value::Null,
        };
        Ok(Document::ok(single(data)))
    }

    /// `{ "data": product }` for a to-one `…/product` route; the parent's product
    /// always exists (foreign key), so its absence is an internal error.
    pub async fn product_document(&self, product_id: &str) -> ApiResult<Document> {
        let product = latchkey_store::products::find(&self.state.db, self.account.id(), product_id)
            .await?
            .ok_or_else(|| ApiError::internal("resource without product"))?;
        self.show(&product).await
    }

    /// `{ "data": group | null }` for a to-one `…/group` route.
    pub async fn group_document(&self, group_id: Option<&str>) -> ApiResult<Document> {
        let group = match group_id {
            Some(g) => latchkey_store::groups::find(&self.state.db, self.account.id(), g).await?,
            None => None,
        };
        self.show_optional(group.as_ref()).await
    }

    /// `{ "data": user | null }` for a to-one `…/user` (or owner) route.
    pub async fn user_document(&self, user_id: Option<&str>) -> ApiResult<Document> {
        let user = match user_id {
            Some(u) => latchkey_store::users::find(&self.state.db, self.account.id(), u).await?,
            None => None,
        };
        self.show_optional(user.as_ref()).await
    }

    /// `{ "data": token }` for `…/tokens/{child}`: a token of `bearer` (type, id),
    /// 404 for any other.
    pub async fn token_document(&self, bearer: (&str, &str), child: &str) -> ApiResult<Document> {
        let token =
            relations::bearer_token(&self.state.db, self.account.id(), bearer, child).await?;
        self.show(&child_of(token, "token", child, |_| true)?).await
    }

    /// The children's top-level list (`index`) with `filter` (name, parent id) added
    /// to the client's query.
    pub async fn nested_list<F, Fut>(
        self,
        nested: &Nested,
        filter: (&str, &str),
        index: F,
    ) -> ApiResult<Document>
    where
        F: FnOnce(State<AppState>, Account, Authed, QueryParams) -> Fut,
        Fut: Future<Output = ApiResult<Document>>,
    {
        let query = nested.scoped(&[filter]).await?;
        index(
            State(self.state),
            self.account,
            Authed(self.principal),
            query,
        )
        .await
    }

    /// `{ "data": [...], "links": ... }` of one page of `rows` (`count`: the total,
    /// when counted), each rendered with `render`.
    pub fn list_document<R>(
        &self,
        query: &QueryParams,
        page: &Page,
        (rows, count): (Vec<R>, Option<i64>),
        render: fn(&Account, &R) -> Value,
        id: fn(&R) -> &str,
    ) -> Document {
        let data: Vec<Value> = rows.iter().map(|r| render(&self.account, r)).collect();
        let (links, _) = query.list_links(page, count, rows.last().map(id));
        Document::ok(json!({ "data": data, "links": links }))
    }
}

/// A resource a relationship route renders as its JSON:API resource object.
pub(crate) trait Render {
    async fn render(&self, cx: &Cx) -> ApiResult<Value>;
}

/// [`Render`] through a serializer that needs only the account.
macro_rules! render_with {
    ($($row:ty => $serializer:expr),* $(,)?) => {$(
        impl Render for $row {
            async fn render(&self, cx: &Cx) -> ApiResult<Value> {
                Ok($serializer(&cx.account, self))
            }
        }
    )*};
}

render_with! {
    EntitlementRow => serializers::entitlements::entitlement,
    GroupRow => serializers::groups::group,
    PolicyRow => serializers::policies::policy,
    ProductRow => serializers::products::product,
    UserRow => serializers::users::user,
    TokenRow => |account, token| serializers::tokens::token(account, token, None),
}

/// A license with its policy (owned or borrowed), with its owner state and counts.
impl<L: Borrow<LicenseRow>, P: Borrow<PolicyRow>> Render for (L, P) {
    async fn render(&self, cx: &Cx) -> ApiResult<Value> {
        crate::api::v1::licenses::render(&cx.state, &cx.account, self.0.borrow(), self.1.borrow())
            .await
    }
}

/// A machine with its license and policy, its heartbeat status as of now.
impl Render for crate::api::v1::machines::Loaded {
    async fn render(&self, cx: &Cx) -> ApiResult<Value> {
        Ok(serializers::machines::machine(
            &cx.account,
            &self.machine,
            &self.license,
            &self.policy,
            cx.state.now_ms(),
        ))
    }
}
