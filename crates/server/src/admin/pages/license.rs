//! One license: its attributes, machines (heartbeat, last seen, components),
//! processes, entitlements, users, tokens and event history, and its actions.

use super::{Done, data};
use crate::admin::api::Failure;
use crate::admin::html::{self, Flash, action_button, attr, attributes, badge, when};
use crate::admin::session::Session;
use crate::admin::{Admin, done, refused, respond};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde_json::{Value, json};

/// Machines shown with their components at most.
const MACHINES: usize = 50;

async fn list(admin: &Admin, session: &Session, path: &str) -> Result<Vec<Value>, Failure> {
    admin.api.get(&session.caller, path).await.map(|d| data(&d))
}

fn section(
    title: &str,
    items: &Result<Vec<Value>, Failure>,
    columns: &[&str],
    row: impl Fn(&Value) -> Markup,
) -> Markup {
    html! {
        section {
            h2 { (title) }
            @match items {
                Err(failure) => p.hint { "Not available: " (failure.message) },
                Ok(items) if items.is_empty() => p.hint { "None." },
                Ok(items) => div.scroll { table {
                    thead { tr { @for c in columns { th scope="col" { (c) } } } }
                    tbody { @for item in items { (row(item)) } }
                } },
            }
        }
    }
}

/// `GET /admin/licenses/{id}`.
pub async fn show(
    State(admin): State<Admin>,
    session: Session,
    Path(id): Path<String>,
    Query(notice): Query<Done>,
) -> Response {
    if !super::plain_id(&id) {
        return super::not_found(&session, "/admin/licenses");
    }
    page(&admin, &session, &id, notice.flash(), None, StatusCode::OK).await
}

/// The license page; `extra` is shown first (a secret shown once).
async fn page(
    admin: &Admin,
    session: &Session,
    id: &str,
    flash: Option<Flash>,
    extra: Option<Markup>,
    status: StatusCode,
) -> Response {
    let license = match admin
        .api
        .get(&session.caller, &format!("/licenses/{id}"))
        .await
    {
        Ok(document) => document["data"].clone(),
        Err(failure) => return refused(session, &failure, "/admin/licenses"),
    };
    let machines = list(
        admin,
        session,
        &format!("/licenses/{id}/machines?page[size]={MACHINES}&page[number]=1"),
    )
    .await;
    let mut components: Vec<(String, usize)> = Vec::new();
    if let Ok(machines) = &machines {
        for machine in machines {
            let mid = machine["id"].as_str().unwrap_or("");
            let n = list(
                admin,
                session,
                &format!("/machines/{mid}/components?page[size]=100&page[number]=1"),
            )
            .await
            .map(|c| c.len())
            .unwrap_or(0);
            components.push((mid.to_owned(), n));
        }
    }
    let processes = list(
        admin,
        session,
        &format!("/processes?license={id}&page[size]=100&page[number]=1"),
    )
    .await;
    let entitlements = list(
        admin,
        session,
        &format!("/licenses/{id}/entitlements?page[size]=100&page[number]=1"),
    )
    .await;
    let users = list(
        admin,
        session,
        &format!("/licenses/{id}/users?page[size]=100&page[number]=1"),
    )
    .await;
    let tokens = list(
        admin,
        session,
        &format!("/licenses/{id}/tokens?page[size]=100&page[number]=1"),
    )
    .await;
    let events = list(
        admin,
        session,
        &format!(
            "/event-logs?resource[type]=licenses&resource[id]={id}&page[size]=50&page[number]=1"
        ),
    )
    .await;
    let can = crate::admin::access::license_abilities(admin, session, &license).await;
    let base = format!("/admin/licenses/{id}");
    let status_text = attr(&license, "status");
    let suspended = license["attributes"]["suspended"]
        .as_bool()
        .unwrap_or(false);
    let title = match license["attributes"]["name"]
        .as_str()
        .filter(|n| !n.is_empty())
    {
        Some(name) => format!("License {name}"),
        None => format!("License {}", attr(&license, "key")),
    };
    let body = html! {
        @if let Some(extra) = &extra { (extra) }
        p { (badge(&status_text)) " " code { (attr(&license, "key")) } }
        dl.attributes {
            dt { "Expiry" } dd { (when(&license, "expiry")) }
            dt { "Last validated" } dd { (when(&license, "lastValidated")) }
            dt { "Policy" } dd { @if let Some(p) = crate::admin::html::rel_id(&license, "policy") { a href={ "/admin/policies/" (p) } { "policy" } } }
            dt { "Owner" } dd { @if let Some(u) = crate::admin::html::rel_id(&license, "owner") { a href={ "/admin/users/" (u) } { "user" } } @else { "—" } }
            dt { "Uses" } dd { (attr(&license, "uses")) " / " (attr(&license, "maxUses")) }
        }
        section aria-labelledby="actions-h" {
            h2 id="actions-h" { "Actions" }
            @if can.suspend && suspended {
                (action_button(session, &format!("{base}/actions/reinstate"), "Reinstate", false))
            } @else if can.suspend {
                (action_button(session, &format!("{base}/actions/suspend"), "Suspend", true))
            }
            @if can.renew { (action_button(session, &format!("{base}/actions/renew"), "Renew", false)) }
            @if can.check_out { (action_button(session, &format!("{base}/license-file"), "Download license file", false)) }
            @if can.token { (action_button(session, &format!("{base}/tokens"), "Create activation token", false)) }
            @if can.renew { (action_button(session, &format!("{base}/actions/revoke"), "Revoke", true)) }
            @if can.delete { (action_button(session, &format!("{base}/actions/delete"), "Delete", true)) }
            @if !(can.suspend || can.renew || can.check_out || can.token || can.delete) { p.hint { "Your role may not change this license." } }
        }
        (section("Machines", &machines, &["Fingerprint", "Name", "Heartbeat", "Last seen", "Components", ""], |m| {
            let mid = m["id"].as_str().unwrap_or("");
            let n = components.iter().find(|(i, _)| i == mid).map(|(_, n)| *n).unwrap_or(0);
            html! { tr {
                td { code { (attr(m, "fingerprint")) } }
                td { (attr(m, "name")) }
                td { (badge(&attr(m, "heartbeatStatus"))) }
                td { (when(m, "lastHeartbeat")) }
                td { (n) }
                td { @if can.deactivate { (action_button(session, &format!("/admin/machines/{mid}/deactivate?license={id}"), "Deactivate", true)) } }
            } }
        }))
        (section("Processes", &processes, &["Pid", "Status", "Last seen"], |p| html! { tr {
            td { code { (attr(p, "pid")) } } td { (badge(&attr(p, "status"))) } td { (when(p, "lastHeartbeat")) }
        } }))
        (section("Entitlements", &entitlements, &["Code", "Name"], |e| html! { tr {
            td { code { (attr(e, "code")) } } td { (attr(e, "name")) }
        } }))
        (section("Users", &users, &["Email", "Name", "Role"], |u| html! { tr {
            td { a href={ "/admin/users/" (u["id"].as_str().unwrap_or("")) } { (attr(u, "email")) } }
            td { (attr(u, "fullName")) } td { (attr(u, "role")) }
        } }))
        (section("Tokens", &tokens, &["Name", "Kind", "Expiry", "Activations"], |t| html! { tr {
            td { (attr(t, "name")) } td { (attr(t, "kind")) } td { (when(t, "expiry")) }
            td { (attr(t, "activations")) " / " (attr(t, "maxActivations")) }
        } }))
        details {
            summary { "All attributes" }
            (attributes(&license))
        }
        (section("Event history", &events, &["When", "Event", "By"], |e| html! { tr {
            td { (when(e, "created")) } td { code { (attr(e, "event")) } }
            td { (e["relationships"]["whodunnit"]["data"]["type"].as_str().unwrap_or("—")) }
        } }))
    };
    respond(
        status,
        html::page(session, "/admin/licenses", &title, flash.as_ref(), body),
    )
}

/// `POST /admin/licenses/{id}/actions/{action}`: suspend, reinstate, renew, revoke, delete.
pub async fn act(
    State(admin): State<Admin>,
    session: Session,
    Path((id, action)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let back = format!("/admin/licenses/{id}");
    if let Err(page) = super::accept(&session, &body, &id, &back) {
        return *page;
    }
    let (method, path, notice) = match action.as_str() {
        "suspend" => (
            Method::POST,
            format!("/licenses/{id}/actions/suspend"),
            "suspended",
        ),
        "reinstate" => (
            Method::POST,
            format!("/licenses/{id}/actions/reinstate"),
            "reinstated",
        ),
        "renew" => (
            Method::POST,
            format!("/licenses/{id}/actions/renew"),
            "renewed",
        ),
        "revoke" => (
            Method::DELETE,
            format!("/licenses/{id}/actions/revoke"),
            "revoked",
        ),
        "delete" => (Method::DELETE, format!("/licenses/{id}"), "deleted"),
        _ => {
            return refused(
                &session,
                &Failure::new(StatusCode::NOT_FOUND, "No such action."),
                &back,
            );
        }
    };
    match admin.api.call(&session.caller, method, &path, None).await {
        Ok(_) if matches!(notice, "revoked" | "deleted") => done("/admin/licenses", notice),
        Ok(_) => done(&back, notice),
        Err(failure) => refused(&session, &failure, &back),
    }
}

/// `POST /admin/licenses/{id}/license-file`: checks out a license file and sends it
/// as a download (`GET …/actions/check-out` answers the certificate itself).
pub async fn check_out(
    State(admin): State<Admin>,
    session: Session,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let back = format!("/admin/licenses/{id}");
    if let Err(page) = super::accept(&session, &body, &id, &back) {
        return *page;
    }
    let reply = match admin
        .api
        .send(
            &session.caller,
            Method::GET,
            &format!("/licenses/{id}/actions/check-out?include=entitlements"),
            None,
        )
        .await
    {
        Ok(reply) if reply.ok() => reply,
        Ok(reply) => return refused(&session, &Failure::from_reply(&reply), &back),
        Err(failure) => return refused(&session, &failure, &back),
    };
    let disposition = format!("attachment; filename=\"license-{id}.lic\"");
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        reply.bytes,
    )
        .into_response()
}

/// `POST /admin/licenses/{id}/tokens`: an activation token, shown once.
pub async fn activation_token(
    State(admin): State<Admin>,
    session: Session,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let back = format!("/admin/licenses/{id}");
    if let Err(page) = super::accept(&session, &body, &id, &back) {
        return *page;
    }
    let request = json!({ "data": { "type": "tokens", "attributes": { "name": "Activation token (admin UI)" } } });
    match admin
        .api
        .post(&session.caller, &format!("/licenses/{id}/tokens"), &request)
        .await
    {
        Ok(created) => {
            let secret = created["data"]["attributes"]["token"]
                .as_str()
                .unwrap_or("")
                .to_owned();
            let shown = html! {
                div.secret role="status" {
                    p { strong { "Activation token" } " — copy it now; it is not shown again." }
                    p { code { (secret) } }
                }
            };
            page(
                &admin,
                &session,
                &id,
                None,
                Some(shown),
                StatusCode::CREATED,
            )
            .await
        }
        Err(failure) => refused(&session, &failure, &back),
    }
}
