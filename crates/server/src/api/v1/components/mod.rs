//! Machine components (`/components`, Keygen §2.4): hardware parts with their own
//! fingerprints, created nested on activation or one by one. Access follows the
//! machine: whoever may read it reads its components, whoever may activate or
//! deactivate it manages them. Uniqueness: the policy's componentUniquenessStrategy.

pub mod nested;
pub mod serializer;

use crate::account::Account;
use crate::api::v1::machines::{self, may_manage};
use crate::api::v1::policies::USER_LICENSES;
use crate::api::v1::serialize::single;
use crate::auth::{Authed, Bearer, Principal};
use crate::error::{ApiError, ApiResult, Source};
use crate::jsonapi::input::{Field, Input, missing};
use crate::jsonapi::query::QueryParams;
use crate::jsonapi::{Document, JsonBody, no_content};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use latchkey_core::policy::UniquenessStrategy;
use latchkey_store::components::{self, COLUMNS, ComponentError, ComponentRow, TABLE, Uniqueness};
use latchkey_store::crud::{self, Filter};
use latchkey_store::licenses::LicenseRow;
use latchkey_store::policies::PolicyRow;
use latchkey_store::{Arg, new_id};
use serde_json::{Value, json};

/// Most components a machine may be activated with in one request (Keygen: 20).
pub const MAX_NESTED: usize = 20;

/// Routes of this resource.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/components", get(index).post(create))
        .route(
            "/v1/components/{id}",
            get(show).patch(update).put(update).delete(destroy),
        )
        .route("/v1/machines/{id}/components", get(machine_components))
}

/// The policy's component uniqueness for a license.
pub fn uniqueness(license: &LicenseRow, policy: &PolicyRow) -> Uniqueness {
    Uniqueness {
        strategy: UniquenessStrategy::parse(&policy.component_uniqueness_strategy)
            .unwrap_or(UniquenessStrategy::PerMachine),
        policy_id: policy.id.clone(),
        product_id: license.product_id.clone(),
    }
}

/// `fingerprint` (required, ≤ 4 KiB) and `name` (required, ≤ 255) of a component.
fn required(field: Field<String>, name: &str) -> ApiResult<String> {
    match field {
        Field::Value(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(missing(name)),
    }
}

/// Parses the nested `relationships.components.data` of an activation into rows for
/// `machine` (fingerprints checked for uniqueness later, inside the activation tx).
pub fn nested(
    data: Option<Value>,
    machine: &latchkey_store::machines::MachineRow,
) -> ApiResult<Vec<ComponentRow>> {
    let pointer = "/data/relationships/components";
    let items = match data {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(
                ApiError::bad_request("type mismatch (received object expected array)")
                    .code("PARAMETERS_INVALID")
                    .pointer(format!("{pointer}/data")),
            );
        }
    };
    if items.len() > MAX_NESTED {
        return Err(
            ApiError::unprocessable("COMPONENTS_TOO_MANY", "too many records").pointer(pointer),
        );
    }
    let mut rows = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        // Errors inside a nested component point into the array and, like Keygen's
        // nested validations, carry a COMPONENTS_ prefix.
        let at = |e: ApiError| {
            let suffix = match &e.source {
                Some(Source::Pointer(p)) => p.strip_prefix("/data").unwrap_or(p).to_owned(),
                _ => String::new(),
            };
            let code = e.code.clone().filter(|c| c != "PARAMETERS_INVALID");
            let e = e.pointer(format!("{pointer}/data/{index}{suffix}"));
            match code {
                Some(code) => e.code(format!("COMPONENTS_{code}")),
                None => e,
            }
        };
        let mut input = Input::parse(&json!({ "data": item }), "components").map_err(at)?;
        let fingerprint = required(
            input.string("fingerprint", 4096).map_err(at)?,
            "fingerprint",
        )
        .map_err(at)?;
        let name = required(input.string("name", 255).map_err(at)?, "name").map_err(at)?;
        let metadata = input.metadata().map_err(at)?;
        input.finish().map_err(at)?;
        rows.push(ComponentRow {
            id: new_id(),
            account_id: machine.account_id.clone(),
            license_id: machine.license_id.clone(),
            machine_id: machine.id.clone(),
            fingerprint,
            name,
            metadata: metadata.value().unwrap_or_else(|| "{}".into()),
            created_at: machine.created_at,
            updated_at: machine.created_at,
        });
    }
    Ok(rows)
}

/// Maps a refused component to Keygen's error; `nested` for activation payloads.
pub fn component_error(error: ComponentError, nested: bool) -> ApiError {
    let (code, detail, index) = match error {
        ComponentError::Taken(i) => ("FINGERPRINT_TAKEN", "has already been taken", i),
        ComponentError::Duplicate(i) => ("FINGERPRINT_CONFLICT", "is duplicated", i),
        ComponentError::Store(e) => return e.into(),
    };
    if nested {
        ApiError::unprocessable(&format!("COMPONENTS_{code}"), detail).pointer(format!(
            "/data/relationships/components/data/{index}/attributes/fingerprint"
        ))
    } else {
        ApiError::unprocessable(code, detail).pointer("/data/attributes/fingerprint")
    }
}

async fn license_and_policy(
    state: &AppState,
    account: &Account,
    license_id: &str,
) -> ApiResult<Option<(LicenseRow, PolicyRow)>> {
    let license: Option<LicenseRow> = crud::find(
        &state.db,
        latchkey_store::licenses::TABLE,
        latchkey_store::licenses::COLUMNS,
        account.id(),
        license_id,
    )
    .await?;
    match license {
        Some(license) => {
            let policy = crate::api::v1::licenses::policy_of(state, &license).await?;
            Ok(Some((license, policy)))
        }
        None => Ok(None),
    }
}

struct Loaded {
    component: ComponentRow,
    machine: machines::Loaded,
}

/// A component and its machine, if the caller may read the machine.
async fn load(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    id: &str,
) -> ApiResult<Loaded> {
    let component: ComponentRow = crud::find(&state.db, TABLE, COLUMNS, account.id(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("component", id))?;
    let machine = machines::load(state, account, principal, &component.machine_id)
        .await
        .map_err(|e| match e.status.as_u16() {
            404 => ApiError::not_found("component", id),
            _ => ApiError::forbidden("not allowed to read this component"),
        })?;
    Ok(Loaded { component, machine })
}

fn render(account: &Account, rows: &[ComponentRow], products: &[(String, String)]) -> Vec<Value> {
    rows.iter()
        .map(|row| {
            let product = products
                .iter()
                .find(|(license, _)| *license == row.license_id)
                .map(|(_, p)| p.as_str())
                .unwrap_or_default();
            serializer::component(account, row, product)
        })
        .collect()
}

async fn list(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    query: &QueryParams,
    mut filters: Vec<Filter>,
) -> ApiResult<Document> {
    let (page, order) = query.pagination()?;
    if let Some(machine) = query.get("machine") {
        filters.push(Filter::new(
            "machine_id IN (SELECT id FROM machines WHERE account_id = {} AND (id = {} OR fingerprint = {}))",
            vec![account.id().into(), machine.into(), machine.into()],
        ));
    }
    if let Some(license) = query.get("license") {
        filters.push(Filter::new(
            "license_id IN (SELECT id FROM licenses WHERE account_id = {} AND (id = {} OR key = {}))",
            vec![account.id().into(), license.into(), license.into()],
        ));
    }
    if let Some(product) = query.get("product") {
        filters.push(Filter::new(
            "license_id IN (SELECT id FROM licenses WHERE product_id = {})",
            vec![product.into()],
        ));
    }
    if let Some(user) = query.get("user").or(query.get("owner")) {
        filters.push(Filter::new(
            format!("machine_id IN (SELECT id FROM machines WHERE owner_id = {{}} OR license_id IN ({USER_LICENSES}))"),
            vec![user.into(), user.into(), user.into()],
        ));
    }
    match &principal.bearer {
        _ if principal.is_staff() => {}
        Bearer::Product(p) => filters.push(Filter::new(
            "license_id IN (SELECT id FROM licenses WHERE product_id = {})",
            vec![p.id.as_str().into()],
        )),
        Bearer::License(l, _) => filters.push(Filter::eq("license_id", l.id.as_str())),
        Bearer::User(u, _) => filters.push(Filter::new(
            format!("machine_id IN (SELECT id FROM machines WHERE owner_id = {{}} OR license_id IN ({USER_LICENSES}))"),
            vec![u.id.as_str().into(), u.id.as_str().into(), u.id.as_str().into()],
        )),
    }
    let (rows, count) = crud::list::<ComponentRow>(
        &state.db,
        TABLE,
        COLUMNS,
        account.id(),
        filters,
        &page,
        order,
    )
    .await?;
    let mut products: Vec<(String, String)> = Vec::new();
    for row in &rows {
        if !products.iter().any(|(l, _)| *l == row.license_id)
            && let Some((license, _)) = license_and_policy(state, account, &row.license_id).await?
        {
            products.push((license.id, license.product_id));
        }
    }
    let data = render(account, &rows, &products);
    let (links, _) = query.list_links(&page, count, rows.last().map(|r| r.id.as_str()));
    Ok(Document::ok(json!({ "data": data, "links": links })))
}

/// `GET /components` (filters: machine, license, product, user).
pub async fn index(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    query: QueryParams,
) -> ApiResult<Document> {
    list(&state, &account, &principal, &query, Vec::new()).await
}

/// `GET /machines/{id}/components`
pub async fn machine_components(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    query: QueryParams,
) -> ApiResult<Document> {
    let l = machines::load(&state, &account, &principal, &id).await?;
    let filters = vec![Filter::eq("machine_id", l.machine.id.as_str())];
    list(&state, &account, &principal, &query, filters).await
}

/// `GET /components/{id}`
pub async fn show(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let l = load(&state, &account, &principal, &id).await?;
    Ok(Document::ok(single(serializer::component(
        &account,
        &l.component,
        &l.machine.license.product_id,
    ))))
}

/// `POST /components` (relationships.machine required).
pub async fn create(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let mut input = Input::parse(&body, "components")?;
    let machine_not_found = || {
        ApiError::unprocessable("MACHINE_NOT_FOUND", "must exist")
            .pointer("/data/relationships/machine")
    };
    let Field::Value(machine_id) = input.relationship("machine")? else {
        return Err(machine_not_found());
    };
    let fingerprint = required(input.string("fingerprint", 4096)?, "fingerprint")?;
    let name = required(input.string("name", 255)?, "name")?;
    let metadata = input.metadata()?;
    input.finish()?;
    let l = match machines::load(&state, &account, &principal, &machine_id).await {
        Ok(l) => l,
        Err(e) if e.status.as_u16() == 404 => return Err(machine_not_found()),
        Err(e) => return Err(e),
    };
    if !may_manage(
        &principal,
        l.machine.owner_id.as_deref(),
        &l.license,
        &l.policy,
    ) {
        return Err(ApiError::forbidden(
            "not allowed to create components for this machine",
        ));
    }
    let now = state.now_ms();
    let row = ComponentRow {
        id: new_id(),
        account_id: account.id().to_owned(),
        license_id: l.license.id.clone(),
        machine_id: l.machine.id.clone(),
        fingerprint,
        name,
        metadata: metadata.value().unwrap_or_else(|| "{}".into()),
        created_at: now,
        updated_at: now,
    };
    components::create(&state.db, &row, &uniqueness(&l.license, &l.policy))
        .await
        .map_err(|e| component_error(e, false))?;
    let location = format!("{}/components/{}", account.base(), row.id);
    Ok(Document::created(
        single(serializer::component(&account, &row, &l.license.product_id)),
        location,
    ))
}

/// `PATCH /components/{id}` (name, metadata).
pub async fn update(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let l = load(&state, &account, &principal, &id).await?;
    let m = &l.machine;
    if !may_manage(
        &principal,
        m.machine.owner_id.as_deref(),
        &m.license,
        &m.policy,
    ) {
        return Err(ApiError::forbidden("not allowed to update this component"));
    }
    let mut input = Input::parse(&body, "components")?;
    let mut changes: Vec<(&str, Arg)> = Vec::new();
    match input.string("name", 255)? {
        Field::Value(name) if !name.trim().is_empty() => changes.push(("name", name.into())),
        Field::Absent => {}
        _ => return Err(missing("name")),
    }
    if let Some(metadata) = input.metadata()?.into_update() {
        changes.push(("metadata", metadata.unwrap_or_else(|| "{}".into()).into()));
    }
    input.finish()?;
    let mut tx = state.db.begin().await?;
    crud::update(
        &mut tx,
        TABLE,
        account.id(),
        &l.component.id,
        changes,
        state.now_ms(),
    )
    .await?;
    let updated: ComponentRow =
        crud::find_tx(&mut tx, TABLE, COLUMNS, account.id(), &l.component.id)
            .await?
            .ok_or_else(|| ApiError::not_found("component", &id))?;
    tx.commit().await?;
    Ok(Document::ok(single(serializer::component(
        &account,
        &updated,
        &m.license.product_id,
    ))))
}

/// `DELETE /components/{id}`
pub async fn destroy(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let l = load(&state, &account, &principal, &id).await?;
    let m = &l.machine;
    if !may_manage(
        &principal,
        m.machine.owner_id.as_deref(),
        &m.license,
        &m.policy,
    ) {
        return Err(ApiError::forbidden("not allowed to delete this component"));
    }
    let mut tx = state.db.begin().await?;
    crud::delete(&mut tx, TABLE, account.id(), &l.component.id).await?;
    tx.commit().await?;
    Ok(no_content())
}
