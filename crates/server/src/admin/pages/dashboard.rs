//! The dashboard: licenses by status, machines alive and dead, validations and
//! activations per day, webhook delivery health, recent events.

use super::Done;
use crate::admin::api::{count, with_query};
use crate::admin::html::{self, badge};
use crate::admin::session::Session;
use crate::admin::{Admin, chart, respond};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};

const STATUSES: [&str; 6] = [
    "ACTIVE",
    "INACTIVE",
    "EXPIRING",
    "EXPIRED",
    "SUSPENDED",
    "BANNED",
];
/// Machines whose heartbeat status the dashboard tallies at most.
const MACHINE_SAMPLE: usize = 1_000;
/// Days in the chart.
const DAYS: i64 = 14;

/// `GET /admin`.
pub async fn show(
    State(admin): State<Admin>,
    session: Session,
    Query(done): Query<Done>,
) -> Response {
    let mut by_status = Vec::new();
    for status in STATUSES {
        let path = with_query(
            "/licenses",
            &[
                ("status", status),
                ("page[size]", "1"),
                ("page[number]", "1"),
            ],
        );
        let n = admin
            .api
            .get(&session.caller, &path)
            .await
            .map(|d| count(&d))
            .ok();
        by_status.push((status, n));
    }
    let machines = machine_health(&admin, &session).await;
    let webhooks = webhook_health(&admin, &session).await;
    let chart = traffic(&admin, &session).await;
    let recent = admin
        .api
        .get(&session.caller, "/event-logs?page[size]=10&page[number]=1")
        .await
        .map(|d| super::data(&d));
    let body = html! {
        section aria-labelledby="licenses-h" {
            h2 id="licenses-h" { "Licenses by status" }
            div.cards {
                @for (status, n) in &by_status {
                    a.card href={ "/admin/licenses?status=" (status) } {
                        span.n { @match n { Some(n) => (n), None => "—" } }
                        (badge(status))
                    }
                }
            }
        }
        section aria-labelledby="traffic-h" {
            h2 id="traffic-h" { "Validations and activations per day" }
            (chart)
        }
        section aria-labelledby="machines-h" {
            h2 id="machines-h" { "Machines" }
            (machines)
        }
        section aria-labelledby="webhooks-h" {
            h2 id="webhooks-h" { "Webhook deliveries" }
            (webhooks)
        }
        section aria-labelledby="events-h" {
            h2 id="events-h" { "Recent events" }
            @match &recent {
                Ok(events) if events.is_empty() => p { "No events yet." },
                Ok(events) => (super::events::table(events)),
                Err(failure) => p.hint { "Not available: " (failure.message) },
            }
        }
    };
    respond(
        StatusCode::OK,
        html::page(&session, "/admin", "Dashboard", done.flash().as_ref(), body),
    )
}

/// Heartbeat status of up to [`MACHINE_SAMPLE`] machines, newest first.
async fn machine_health(admin: &Admin, session: &Session) -> Markup {
    let mut tally: Vec<(String, i64)> = Vec::new();
    let mut seen = 0usize;
    let mut total = 0;
    let mut page = 1;
    while seen < MACHINE_SAMPLE {
        let path = format!("/machines?page[size]=100&page[number]={page}");
        let Ok(document) = admin.api.get(&session.caller, &path).await else {
            return html! { p.hint { "Not available for your role." } };
        };
        total = count(&document);
        let machines = super::data(&document);
        for machine in &machines {
            let status = html::attr(machine, "heartbeatStatus");
            match tally.iter_mut().find(|(s, _)| *s == status) {
                Some((_, n)) => *n += 1,
                None => tally.push((status, 1)),
            }
        }
        seen += machines.len();
        if machines.len() < 100 || page >= super::pages(&document) {
            break;
        }
        page += 1;
    }
    html! {
        div.cards {
            a.card href="/admin/machines" { span.n { (total) } "machines" }
            @for (status, n) in &tally {
                div.card { span.n { (n) } (badge(status)) }
            }
        }
        @if (total as usize) > seen {
            p.hint { "Heartbeat statuses of the " (seen) " newest machines." }
        }
    }
}

async fn webhook_health(admin: &Admin, session: &Session) -> Markup {
    let endpoints = admin
        .api
        .get(
            &session.caller,
            "/webhook-endpoints?page[size]=1&page[number]=1",
        )
        .await;
    let Ok(endpoints) = endpoints else {
        return html! { p.hint { "Not available for your role." } };
    };
    let mut rows = Vec::new();
    for status in ["DELIVERED", "FAILING", "FAILED"] {
        let path = with_query(
            "/webhook-events",
            &[
                ("status", status),
                ("page[size]", "1"),
                ("page[number]", "1"),
            ],
        );
        let n = admin
            .api
            .get(&session.caller, &path)
            .await
            .map(|d| count(&d))
            .ok();
        rows.push((status, n));
    }
    html! {
        div.cards {
            a.card href="/admin/webhooks" { span.n { (count(&endpoints)) } "endpoints" }
            @for (status, n) in &rows {
                div.card { span.n { @match n { Some(n) => (n), None => "—" } } (badge(status)) }
            }
        }
    }
}

/// The chart, from the account's request logs (staff who may read request logs).
async fn traffic(admin: &Admin, session: &Session) -> Markup {
    let today = admin.state.now_ms().div_euclid(86_400_000);
    let allowed = crate::admin::access::may_read_logs(admin, session).await;
    if !allowed {
        return html! { p.hint { "Not available for your role." } };
    }
    if !admin.state.config.logs.request_logs {
        return html! { p.hint { "Request logging is off on this server (request_logs = false), so there is nothing to count." } };
    }
    match latchkey_store::request_logs::daily_counts(
        &admin.state.db,
        &session.caller.account,
        today - DAYS + 1,
    )
    .await
    {
        Ok(counts) => chart::daily(&counts, today, DAYS),
        Err(error) => html! { p.hint { "Could not count: " (error.to_string()) } },
    }
}
