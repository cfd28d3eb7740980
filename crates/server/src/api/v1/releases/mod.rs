//! Releases (`/releases`, id = UUID, version or tag): CRUD with Keygen's attributes
//! and list filters. Admins, developers and the release's product write; everyone
//! else reads what `releases::visible_to` lets them see (licensees: published
//! releases of their product whose constraints they hold).

pub mod actions;
pub mod constraints;
pub mod filters;
pub mod gate;
pub mod relations;
pub mod terms;

use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::api::v1::serializers::releases as serializer;
use crate::auth::{Auth, Authed, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::input::{Field, Input, invalid, missing};
use crate::jsonapi::query::QueryParams;
use crate::jsonapi::{Document, JsonBody, no_content};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use latchkey_core::access::releases as access;
use latchkey_core::releases::{Channel, Status, channel_mismatch, parse_version};
use latchkey_proto::ErrorCode;
use latchkey_store::releases::{self, ReleaseRow, Taken};

/// Loads a release the caller sees by id, version or tag, else 404.
pub async fn load(
    state: &AppState,
    account: &Account,
    principal: Option<&Principal>,
    id: &str,
) -> ApiResult<ReleaseRow> {
    let actor = principal.map(Principal::actor);
    let scope = releases::visible_to(actor.as_ref()).into_iter().collect();
    releases::find_visible(&state.db, account.id(), id, scope)
        .await?
        .ok_or_else(|| ApiError::not_found("release", id))
}

/// Loads a release the caller may write (admins, developers, its product), else
/// 404/403.
pub async fn load_for_write(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    id: &str,
    what: &str,
) -> ApiResult<ReleaseRow> {
    let row = load(state, account, Some(principal), id).await?;
    if !access::may_write(&principal.actor(), &row.product_id) {
        return Err(ApiError::forbidden(&format!(
            "not allowed to {what} this release"
        )));
    }
    Ok(row)
}

/// The product `id` of a `/products/{id}/…` distribution list, when the caller may
/// reach it (`access::may_see_product`), else 404 (as Keygen, which looks the product
/// up among those the bearer sees).
pub async fn product_in_view(
    state: &AppState,
    account: &Account,
    principal: Option<&Principal>,
    id: &str,
) -> ApiResult<latchkey_store::products::ProductRow> {
    let not_found = || ApiError::not_found("product", id);
    let product = latchkey_store::products::find(&state.db, account.id(), id)
        .await?
        .ok_or_else(not_found)?;
    let actor = principal.map(Principal::actor);
    let licensee = match actor {
        Some(latchkey_core::access::Actor::User { id: user, .. })
            if !actor.is_some_and(|a| a.is_staff()) =>
        {
            latchkey_store::relations::product_has_user(&state.db, &product.id, user).await?
        }
        _ => false,
    };
    let open = product.distribution_strategy == "OPEN";
    if !access::may_see_product(actor.as_ref(), &product.id, licensee, open) {
        return Err(not_found());
    }
    Ok(product)
}

/// `GET /releases`
pub async fn index(
    State(state): State<AppState>,
    account: Account,
    Auth(principal): Auth,
    query: QueryParams,
) -> ApiResult<Document> {
    let (page, order) = query.pagination()?;
    let filters = filters::releases(&state, &query)?;
    let actor = principal.as_ref().map(Principal::actor);
    let (rows, count) = releases::list(
        &state.db,
        account.id(),
        filters,
        actor.as_ref(),
        &page,
        order,
    )
    .await?;
    Ok(query.page_document(
        &page,
        (rows, count),
        |r| serializer::release(&account, r),
        |r| r.id.as_str(),
    ))
}

/// `GET /releases/{id}`: licensees must also pass the download gate (Keygen's
/// `ReleasePolicy#show?`).
pub async fn show(
    State(state): State<AppState>,
    account: Account,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let row = load(&state, &account, principal.as_ref(), &id).await?;
    gate::check(&state, principal.as_ref(), &row).await?;
    Ok(Document::ok(single(serializer::release(&account, &row))))
}

struct Attrs {
    name: Field<String>,
    description: Field<String>,
    version: Field<String>,
    tag: Field<String>,
    channel: Field<String>,
    status: Field<String>,
    metadata: Field<String>,
    backdated: Field<String>,
    product: Field<String>,
    package: Field<String>,
}

fn read(input: &mut Input, creating: bool) -> ApiResult<Attrs> {
    let channels: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
    let attrs = Attrs {
        name: input.string("name", 255)?,
        description: input.string("description", 64 * 1024)?,
        version: input.string("version", 255)?,
        tag: input.string("tag", 255)?,
        channel: input.choice("channel", &channels)?,
        status: input.choice("status", &["DRAFT", "PUBLISHED", "YANKED"])?,
        metadata: input.metadata()?,
        backdated: input.string("backdated", 64)?,
        product: if creating {
            input.relationship("product")?
        } else {
            Field::Absent
        },
        package: input.relationship("package")?,
    };
    if let Field::Value(tag) = &attrs.tag {
        if tag.is_empty() {
            return Err(missing("tag"));
        }
        if tag.eq_ignore_ascii_case("action") || tag.eq_ignore_ascii_case("actions") {
            return Err(invalid("tag", "is reserved"));
        }
    }
    Ok(attrs)
}

fn taken(which: Taken) -> ApiError {
    match which {
        Taken::Version => ApiError::unprocessable(ErrorCode::Taken, "version already exists")
            .pointer("/data/attributes/version"),
        Taken::Tag => ApiError::unprocessable(ErrorCode::Taken, "tag already exists")
            .pointer("/data/attributes/tag"),
    }
}

/// Applies parsed attributes to `row`, checking version, channel and package.
async fn apply(
    state: &AppState,
    account: &Account,
    row: &mut ReleaseRow,
    attrs: Attrs,
) -> ApiResult<()> {
    match attrs.version {
        Field::Value(v) => {
            let parsed =
                parse_version(&v).ok_or_else(|| invalid("version", "must be a valid version"))?;
            row.version = parsed.to_string();
        }
        Field::Null => return Err(missing("version")),
        Field::Absent => {}
    }
    match attrs.channel {
        Field::Value(c) => row.channel = c,
        Field::Null => return Err(missing("channel")),
        Field::Absent => {}
    }
    if let Some(name) = attrs.name.into_update() {
        row.name = name;
    }
    if let Some(description) = attrs.description.into_update() {
        row.description = description;
    }
    if let Some(tag) = attrs.tag.into_update() {
        row.tag = tag;
    }
    if let Some(metadata) = attrs.metadata.into_update() {
        row.metadata = metadata.unwrap_or_else(|| "{}".into());
    }
    match attrs.backdated {
        Field::Value(text) => {
            let at = latchkey_proto::time_format::parse(&text)
                .map(latchkey_proto::time_format::to_millis)
                .ok_or_else(|| invalid("backdated", "must be a valid ISO 8601 timestamp"))?;
            row.backdated_at = Some(at);
        }
        Field::Null => row.backdated_at = None,
        Field::Absent => {}
    }
    if let Field::Value(status) = attrs.status {
        set_status(row, &status, state.now_ms());
    }
    match attrs.package {
        Field::Value(id) => {
            let package =
                latchkey_store::packages::find_visible(&state.db, account.id(), &id, vec![])
                    .await?
                    .ok_or_else(|| {
                        ApiError::unprocessable(ErrorCode::NotFound, "must exist")
                            .pointer("/data/relationships/package")
                    })?;
            if package.product_id != row.product_id {
                return Err(ApiError::unprocessable(
                    ErrorCode::ParameterInvalid,
                    "package product must match release product",
                )
                .pointer("/data/relationships/package"));
            }
            row.package_id = Some(package.id);
        }
        Field::Null => row.package_id = None,
        Field::Absent => {}
    }
    let version =
        parse_version(&row.version).ok_or_else(|| invalid("version", "must be a valid version"))?;
    let channel: Channel = row
        .channel
        .parse()
        .map_err(|_| invalid("channel", "is invalid"))?;
    if let Some(detail) = channel_mismatch(&version, channel) {
        return Err(invalid("version", detail));
    }
    Ok(())
}

/// Sets the status (and the yanked time when yanking).
pub fn set_status(row: &mut ReleaseRow, status: &str, now: i64) {
    if status == Status::Yanked.as_str() && row.status != status {
        row.yanked_at = Some(now);
    }
    row.status = status.to_owned();
}

/// `POST /releases`
pub async fn create(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let mut input = Input::parse(&body, "releases")?;
    let mut attrs = read(&mut input, true)?;
    input.finish()?;
    let Field::Value(product_id) = std::mem::replace(&mut attrs.product, Field::Absent) else {
        return Err(missing("product"));
    };
    let product = latchkey_store::products::find(&state.db, account.id(), &product_id)
        .await?
        .ok_or_else(|| {
            ApiError::unprocessable(ErrorCode::ProductNotFound, "must exist")
                .pointer("/data/relationships/product")
        })?;
    if !access::may_write(&principal.actor(), &product.id) {
        return Err(ApiError::forbidden(
            "not allowed to create releases for this product",
        ));
    }
    if !attrs.version.is_present() {
        return Err(missing("version"));
    }
    if !attrs.channel.is_present() {
        return Err(missing("channel"));
    }
    let now = state.now_ms();
    let mut row = ReleaseRow {
        id: latchkey_store::new_id(),
        account_id: account.id().to_owned(),
        product_id: product.id,
        package_id: None,
        name: None,
        description: None,
        version: String::new(),
        tag: None,
        channel: String::new(),
        status: Status::Draft.as_str().to_owned(),
        metadata: "{}".into(),
        backdated_at: None,
        yanked_at: None,
        created_at: now,
        updated_at: now,
    };
    apply(&state, &account, &mut row, attrs).await?;
    releases::create(&state.db, &row).await?.map_err(taken)?;
    let location = format!("{}/releases/{}", account.base(), row.id);
    Ok(Document::created(
        single(serializer::release(&account, &row)),
        location,
    ))
}

/// `PATCH /releases/{id}`
pub async fn update(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let mut row = load_for_write(&state, &account, &principal, &id, "update").await?;
    let mut input = Input::parse(&body, "releases")?;
    let attrs = read(&mut input, false)?;
    input.finish()?;
    apply(&state, &account, &mut row, attrs).await?;
    row.updated_at = state.now_ms();
    releases::save(&state.db, &row, "release.updated")
        .await?
        .map_err(taken)?;
    Ok(Document::ok(single(serializer::release(&account, &row))))
}

/// `DELETE /releases/{id}` (its artifacts' files are removed too).
pub async fn destroy(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let row = load_for_write(&state, &account, &principal, &id, "delete").await?;
    let files = latchkey_store::artifacts::ids_of_release(&state.db, &row.id).await?;
    releases::delete(&state.db, account.id(), &row.id, state.now_ms()).await?;
    for artifact in files {
        if let Err(e) =
            crate::storage::remove(&state.config.artifacts, account.id(), &artifact).await
        {
            tracing::warn!(%artifact, error = %e, "removing a deleted release's artifact file");
        }
    }
    Ok(no_content())
}
