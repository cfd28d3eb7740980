//! The page shell and the small pieces every page uses (maud escapes every value).

use super::session::Session;
use maud::{DOCTYPE, Markup, html};
use serde_json::Value;

/// Navigation: (path, label).
const NAV: &[(&str, &str)] = &[
    ("/admin", "Dashboard"),
    ("/admin/products", "Products"),
    ("/admin/policies", "Policies"),
    ("/admin/licenses", "Licenses"),
    ("/admin/machines", "Machines"),
    ("/admin/users", "Users"),
    ("/admin/groups", "Groups"),
    ("/admin/entitlements", "Entitlements"),
    ("/admin/tokens", "Tokens"),
    ("/admin/webhooks", "Webhooks"),
    ("/admin/events", "Event log"),
    ("/admin/keys", "Keys"),
    ("/admin/security", "Security"),
];

/// A message shown above a page's content.
#[derive(Debug, Clone)]
pub enum Flash {
    /// Something worked.
    Done(String),
    /// Something was refused.
    Failed(String),
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · Latchkey" }
            link rel="stylesheet" href="/admin/assets/admin.css";
            script src="/admin/assets/admin.js" defer {}
        }
    }
}

/// A signed-in page.
pub fn page(
    session: &Session,
    current: &str,
    title: &str,
    flash: Option<&Flash>,
    body: Markup,
) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/admin" { "Latchkey" }
                    nav aria-label="Sections" {
                        ul {
                            @for (path, label) in NAV {
                                li {
                                    @if *path == current {
                                        a href=(path) aria-current="page" { (label) }
                                    } @else {
                                        a href=(path) { (label) }
                                    }
                                }
                            }
                        }
                    }
                    form.signout method="post" action="/admin/logout" {
                        (csrf(session))
                        span.who { (session.email) " (" (session.role) ")" }
                        button type="submit" { "Sign out" }
                    }
                }
                main id="main" {
                    h1 { (title) }
                    @if let Some(flash) = flash { (flash_box(flash)) }
                    (body)
                }
            }
        }
    }
}

/// A page without a session (sign-in, errors before sign-in).
pub fn bare(title: &str, flash: Option<&Flash>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body.bare {
                main id="main" {
                    p.brand { "Latchkey" }
                    h1 { (title) }
                    @if let Some(flash) = flash { (flash_box(flash)) }
                    (body)
                }
            }
        }
    }
}

fn flash_box(flash: &Flash) -> Markup {
    match flash {
        Flash::Done(text) => html! { p.flash.done role="status" { (text) } },
        Flash::Failed(text) => html! { p.flash.failed role="alert" { (text) } },
    }
}

/// The hidden CSRF field of a form.
pub fn csrf(session: &Session) -> Markup {
    html! { input type="hidden" name="_csrf" value=(session.csrf); }
}

/// A one-button form posting to `action` (destructive ones ask for confirmation
/// when scripts run; without scripts the post goes straight through).
pub fn action_button(session: &Session, action: &str, label: &str, danger: bool) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            (csrf(session))
            @if danger {
                button.danger type="submit" data-confirm={ (label) "?" } { (label) }
            } @else {
                button type="submit" { (label) }
            }
        }
    }
}

/// `attributes.<name>` as display text ("—" when null or absent).
pub fn attr(resource: &Value, name: &str) -> String {
    text(&resource["attributes"][name])
}

/// A JSON value as display text.
pub fn text(value: &Value) -> String {
    match value {
        Value::Null => "—".to_owned(),
        Value::String(s) if s.is_empty() => "—".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A timestamp attribute shortened to minutes (`2026-01-01 12:00`).
pub fn when(resource: &Value, name: &str) -> String {
    match resource["attributes"][name].as_str() {
        Some(t) if t.len() >= 16 => t[..16].replace('T', " "),
        Some(t) => t.to_owned(),
        None => "—".to_owned(),
    }
}

/// `relationships.<name>.data.id`.
pub fn rel_id<'a>(resource: &'a Value, name: &str) -> Option<&'a str> {
    resource["relationships"][name]["data"]["id"].as_str()
}

/// Every attribute of a resource as a definition list.
pub fn attributes(resource: &Value) -> Markup {
    let empty = serde_json::Map::new();
    let attributes = resource["attributes"].as_object().unwrap_or(&empty);
    html! {
        dl.attributes {
            dt { "id" } dd { code { (text(&resource["id"])) } }
            @for (name, value) in attributes {
                dt { (name) }
                dd {
                    @match value {
                        Value::Object(_) | Value::Array(_) => code { (value.to_string()) },
                        other => (text(other)),
                    }
                }
            }
        }
    }
}

/// A status badge.
pub fn badge(status: &str) -> Markup {
    let class = match status {
        "ACTIVE" | "ALIVE" | "DELIVERED" | "true" => "ok",
        "EXPIRING" | "INACTIVE" | "NOT_STARTED" | "FAILING" | "PENDING" => "warn",
        "EXPIRED" | "SUSPENDED" | "BANNED" | "DEAD" | "FAILED" | "RESURRECTED" => "bad",
        _ => "plain",
    };
    html! { span class={ "badge " (class) } { (status) } }
}

/// Previous / next links for offset paging (`page` starts at 1).
pub fn pager(base: &str, pairs: &[(&str, &str)], page: i64, pages: i64) -> Markup {
    let link = |n: i64| {
        let number = n.to_string();
        let mut all: Vec<(&str, &str)> = pairs.to_vec();
        all.push(("page", number.as_str()));
        super::api::with_query(base, &all)
    };
    html! {
        nav.pager aria-label="Pages" {
            @if page > 1 { a href=(link(page - 1)) rel="prev" { "← Previous" } }
            span { "Page " (page) " of " (pages.max(1)) }
            @if page < pages { a href=(link(page + 1)) rel="next" { "Next →" } }
        }
    }
}
