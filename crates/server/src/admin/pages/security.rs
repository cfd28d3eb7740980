//! The signed-in user's second factor (TOTP), through the API's
//! `/users/{id}/second-factors`: enrol with the password (a QR code and the secret
//! are shown while it is not yet enabled), enable with a first code, remove with a
//! code.

use super::{Done, data};
use crate::admin::api::Failure;
use crate::admin::form;
use crate::admin::html::{self, Flash, csrf};
use crate::admin::session::Session;
use crate::admin::{Admin, done, refused, respond};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use maud::{Markup, PreEscaped, html};
use serde_json::{Value, json};

/// The otpauth URI as a QR code (inline SVG, drawn by the `qrcode` crate).
fn qr(uri: &str) -> Option<Markup> {
    let code = qrcode::QrCode::new(uri.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build();
    Some(PreEscaped(svg))
}

async fn current(admin: &Admin, session: &Session) -> Result<Option<Value>, Failure> {
    let path = format!("/users/{}/second-factors", session.user_id);
    let document = admin.api.get(&session.caller, &path).await?;
    Ok(data(&document).into_iter().next())
}

fn code_form(session: &Session, action: &str, label: &str, danger: bool) -> Markup {
    html! {
        form method="post" action=(action) {
            (csrf(session))
            label for="otp" { "Code from your authenticator app" }
            input id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" required maxlength="10" pattern="[0-9]*";
            @if danger { button.danger type="submit" { (label) } } @else { button type="submit" { (label) } }
        }
    }
}

async fn render(
    admin: &Admin,
    session: &Session,
    flash: Option<Flash>,
    status: StatusCode,
) -> Response {
    let factor = match current(admin, session).await {
        Ok(factor) => factor,
        Err(failure) => return refused(session, &failure, "/admin"),
    };
    let body = html! {
        @match &factor {
            None => {
                p { "No second factor. With one, signing in (here and with " code { "POST /tokens" } ") also needs a code from an authenticator app." }
                form method="post" action="/admin/security/enrol" {
                    (csrf(session))
                    label for="password" { "Your password" }
                    input id="password" name="password" type="password" autocomplete="current-password" required;
                    button type="submit" { "Set up a second factor" }
                }
            }
            Some(f) if f["attributes"]["enabled"].as_bool() == Some(true) => {
                p { "A second factor is enabled for " (session.email) "." }
                (code_form(session, "/admin/security/remove", "Remove second factor", true))
            }
            Some(f) => {
                p { "Scan this code with your authenticator app (or type the secret), then enter the code it shows." }
                @if let Some(uri) = f["attributes"]["uri"].as_str() {
                    @if let Some(svg) = qr(uri) { figure.qr aria-label="QR code of the authenticator URI" { (svg) } }
                    p { "Secret: " code { (f["attributes"]["secret"].as_str().unwrap_or("")) } }
                }
                (code_form(session, "/admin/security/enable", "Enable", false))
                (code_form(session, "/admin/security/remove", "Cancel set-up", true))
            }
        }
    };
    respond(
        status,
        html::page(session, "/admin/security", "Security", flash.as_ref(), body),
    )
}

/// `GET /admin/security`.
pub async fn show(
    State(admin): State<Admin>,
    session: Session,
    Query(notice): Query<Done>,
) -> Response {
    render(&admin, &session, notice.flash(), StatusCode::OK).await
}

/// `POST /admin/security/{enrol|enable|remove}`.
pub async fn step(
    State(admin): State<Admin>,
    session: Session,
    Path(step): Path<String>,
    body: Bytes,
) -> Response {
    let form = match form::read(&session, &body) {
        Ok(form) => form,
        Err(failure) => return refused(&session, &failure, "/admin/security"),
    };
    let base = format!("/users/{}/second-factors", session.user_id);
    let factor_id = || async {
        current(&admin, &session)
            .await?
            .and_then(|f| f["id"].as_str().map(str::to_owned))
            .ok_or_else(|| Failure::new(StatusCode::NOT_FOUND, "No second factor is set up."))
    };
    let result = match step.as_str() {
        "enrol" => admin
            .api
            .post(
                &session.caller,
                &base,
                &json!({ "meta": { "password": form.get("password") } }),
            )
            .await
            .map(|_| None),
        "enable" => match factor_id().await {
            Ok(id) => {
                let request = json!({ "data": { "type": "second-factors", "attributes": { "enabled": true } }, "meta": { "otp": form.get("otp") } });
                admin
                    .api
                    .call(
                        &session.caller,
                        Method::PATCH,
                        &format!("{base}/{id}"),
                        Some(&request),
                    )
                    .await
                    .map(|_| Some("enabled"))
            }
            Err(failure) => Err(failure),
        },
        "remove" => match factor_id().await {
            Ok(id) => {
                let request = json!({ "meta": { "otp": form.get("otp") } });
                admin
                    .api
                    .call(
                        &session.caller,
                        Method::DELETE,
                        &format!("{base}/{id}"),
                        Some(&request),
                    )
                    .await
                    .map(|_| Some("disabled"))
            }
            Err(failure) => Err(failure),
        },
        _ => Err(Failure::new(StatusCode::NOT_FOUND, "No such step.")),
    };
    match result {
        Ok(Some(notice)) => done("/admin/security", notice),
        Ok(None) => render(&admin, &session, None, StatusCode::CREATED).await,
        Err(failure) => {
            render(
                &admin,
                &session,
                Some(Flash::Failed(failure.message)),
                failure.status,
            )
            .await
        }
    }
}
