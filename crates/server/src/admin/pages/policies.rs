//! Policies: list, show, and the new-policy form with every strategy and a
//! one-line explanation of each choice.

use super::{Done, data};
use crate::admin::api::Failure;
use crate::admin::form;
use crate::admin::html::{self, attr, attributes, csrf, rel_id};
use crate::admin::session::Session;
use crate::admin::{Admin, done, refused, respond};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// A strategy attribute: (attribute, label, choices as (value, explanation)).
type Strategy = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

const MATCHING: &[(&str, &str)] = &[
    (
        "MATCH_ANY",
        "Valid when any one of the given fingerprints matches.",
    ),
    (
        "MATCH_TWO",
        "Valid when at least two of the given fingerprints match.",
    ),
    (
        "MATCH_MOST",
        "Valid when most (over half) of the given fingerprints match.",
    ),
    (
        "MATCH_ALL",
        "Valid only when every given fingerprint matches.",
    ),
];

/// Every strategy a policy has, in the order the form shows them.
pub const STRATEGIES: &[Strategy] = &[
    (
        "machineUniquenessStrategy",
        "Machine uniqueness",
        &[
            (
                "UNIQUE_PER_ACCOUNT",
                "A fingerprint can be activated once in the whole account.",
            ),
            (
                "UNIQUE_PER_PRODUCT",
                "A fingerprint can be activated once per product.",
            ),
            (
                "UNIQUE_PER_POLICY",
                "A fingerprint can be activated once per policy.",
            ),
            (
                "UNIQUE_PER_LICENSE",
                "A fingerprint can be activated once per license (one device may hold several licenses).",
            ),
        ],
    ),
    ("machineMatchingStrategy", "Machine matching", MATCHING),
    (
        "componentUniquenessStrategy",
        "Component uniqueness",
        &[
            (
                "UNIQUE_PER_ACCOUNT",
                "A component fingerprint can exist once in the whole account.",
            ),
            (
                "UNIQUE_PER_PRODUCT",
                "A component fingerprint can exist once per product.",
            ),
            (
                "UNIQUE_PER_POLICY",
                "A component fingerprint can exist once per policy.",
            ),
            (
                "UNIQUE_PER_LICENSE",
                "A component fingerprint can exist once per license.",
            ),
            (
                "UNIQUE_PER_MACHINE",
                "A component fingerprint can exist once per machine.",
            ),
        ],
    ),
    ("componentMatchingStrategy", "Component matching", MATCHING),
    (
        "expirationStrategy",
        "When expired",
        &[
            (
                "RESTRICT_ACCESS",
                "Validation fails; releases published before the expiry stay downloadable.",
            ),
            (
                "REVOKE_ACCESS",
                "Validation fails and every release download is refused.",
            ),
            (
                "MAINTAIN_ACCESS",
                "Validation still succeeds (reporting the expiry); releases before the expiry stay downloadable.",
            ),
            (
                "ALLOW_ACCESS",
                "Validation still succeeds and every release, even newer ones, stays downloadable.",
            ),
        ],
    ),
    (
        "expirationBasis",
        "Expiry starts",
        &[
            (
                "FROM_CREATION",
                "The duration counts from the license's creation.",
            ),
            (
                "FROM_FIRST_VALIDATION",
                "The duration counts from the first validation.",
            ),
            (
                "FROM_FIRST_ACTIVATION",
                "The duration counts from the first machine activation.",
            ),
            (
                "FROM_FIRST_DOWNLOAD",
                "The duration counts from the first release download.",
            ),
            (
                "FROM_FIRST_USE",
                "The duration counts from the first usage increment.",
            ),
        ],
    ),
    (
        "renewalBasis",
        "Renewal",
        &[
            (
                "FROM_EXPIRY",
                "A renewal adds the duration to the current expiry.",
            ),
            (
                "FROM_NOW",
                "A renewal sets the expiry to now plus the duration.",
            ),
            (
                "FROM_NOW_IF_EXPIRED",
                "From now when already expired, else from the current expiry.",
            ),
        ],
    ),
    (
        "transferStrategy",
        "Policy transfer",
        &[
            (
                "RESET_EXPIRY",
                "A license moved to this policy gets a fresh expiry from its duration.",
            ),
            (
                "KEEP_EXPIRY",
                "A license moved to this policy keeps its expiry.",
            ),
        ],
    ),
    (
        "authenticationStrategy",
        "License authentication",
        &[
            ("TOKEN", "Licenses authenticate with license tokens only."),
            ("LICENSE", "Licenses authenticate with their key only."),
            ("SESSION", "Licenses authenticate with a session only."),
            ("MIXED", "Licenses authenticate with a token or their key."),
            (
                "NONE",
                "Licenses cannot authenticate; only staff act on them.",
            ),
        ],
    ),
    (
        "machineLeasingStrategy",
        "Machine limit counts",
        &[
            (
                "PER_LICENSE",
                "The machine limit counts every machine of the license.",
            ),
            (
                "PER_USER",
                "The machine limit counts each user's machines separately.",
            ),
        ],
    ),
    (
        "processLeasingStrategy",
        "Process limit counts",
        &[
            (
                "PER_LICENSE",
                "The process limit counts every process of the license.",
            ),
            (
                "PER_MACHINE",
                "The process limit counts each machine's processes separately.",
            ),
            (
                "PER_USER",
                "The process limit counts each user's processes separately.",
            ),
        ],
    ),
    (
        "overageStrategy",
        "Overage",
        &[
            (
                "ALWAYS_ALLOW_OVERAGE",
                "Limits are reported but never enforced.",
            ),
            (
                "ALLOW_1_25X_OVERAGE",
                "Up to 1.25 times each limit is allowed.",
            ),
            (
                "ALLOW_1_5X_OVERAGE",
                "Up to 1.5 times each limit is allowed.",
            ),
            ("ALLOW_2X_OVERAGE", "Up to twice each limit is allowed."),
            ("NO_OVERAGE", "Limits are enforced exactly."),
        ],
    ),
    (
        "heartbeatCullStrategy",
        "Dead machines",
        &[
            (
                "DEACTIVATE_DEAD",
                "A machine whose heartbeat stopped is deactivated automatically.",
            ),
            (
                "KEEP_DEAD",
                "A machine whose heartbeat stopped stays, marked dead.",
            ),
        ],
    ),
    (
        "heartbeatResurrectionStrategy",
        "Reviving dead machines",
        &[
            (
                "ALWAYS_REVIVE",
                "A late ping always brings a dead machine back.",
            ),
            (
                "15_MINUTE_REVIVE",
                "A ping within 15 minutes of death brings it back.",
            ),
            (
                "10_MINUTE_REVIVE",
                "A ping within 10 minutes of death brings it back.",
            ),
            (
                "5_MINUTE_REVIVE",
                "A ping within 5 minutes of death brings it back.",
            ),
            (
                "2_MINUTE_REVIVE",
                "A ping within 2 minutes of death brings it back.",
            ),
            (
                "1_MINUTE_REVIVE",
                "A ping within 1 minute of death brings it back.",
            ),
            (
                "NO_REVIVE",
                "A dead machine stays dead; it must be activated again.",
            ),
        ],
    ),
    (
        "heartbeatBasis",
        "Heartbeat starts",
        &[
            (
                "FROM_CREATION",
                "The heartbeat clock starts when the machine is activated.",
            ),
            (
                "FROM_FIRST_PING",
                "The heartbeat clock starts at the machine's first ping.",
            ),
        ],
    ),
    (
        "scheme",
        "Key scheme",
        &[
            (
                "LEGACY_ENCRYPT",
                "Legacy encrypted keys (Keygen's oldest format).",
            ),
            (
                "RSA_2048_PKCS1_ENCRYPT",
                "Keys encrypted with the account's RSA key; software decrypts with the public key.",
            ),
            (
                "RSA_2048_PKCS1_SIGN",
                "Keys signed with RSA PKCS#1 v1.5 (legacy format).",
            ),
            (
                "RSA_2048_PKCS1_PSS_SIGN",
                "Keys signed with RSA-PSS (legacy format).",
            ),
            ("RSA_2048_JWT_RS256", "Keys are JWTs signed with RS256."),
            (
                "RSA_2048_PKCS1_SIGN_V2",
                "Keys signed with RSA PKCS#1 v1.5, verifiable offline.",
            ),
            (
                "RSA_2048_PKCS1_PSS_SIGN_V2",
                "Keys signed with RSA-PSS, verifiable offline.",
            ),
            (
                "ED25519_SIGN",
                "Keys signed with Ed25519, verifiable offline (recommended).",
            ),
            (
                "ECDSA_P256_SIGN",
                "Keys signed with ECDSA P-256, verifiable offline.",
            ),
        ],
    ),
];

/// Yes/no attributes: (attribute, label, explanation).
const FLAGS: &[(&str, &str, &str)] = &[
    (
        "floating",
        "Floating",
        "Licenses may be activated on more than one machine (else exactly one).",
    ),
    (
        "strict",
        "Strict",
        "Validation fails unless the license has machines within its limits.",
    ),
    (
        "requireHeartbeat",
        "Require heartbeat",
        "Machines must ping within the heartbeat duration to stay alive.",
    ),
    (
        "requireCheckIn",
        "Require check-in",
        "Licenses must check in within the check-in interval.",
    ),
    (
        "protected",
        "Protected",
        "Only staff may create licenses and activate machines for this policy.",
    ),
];

/// Numeric attributes: (attribute, label, explanation).
const NUMBERS: &[(&str, &str, &str)] = &[
    (
        "duration",
        "Duration (seconds)",
        "How long a license lasts; empty for no expiry.",
    ),
    (
        "maxMachines",
        "Max machines",
        "Machine limit per license (per user with PER_USER leasing).",
    ),
    (
        "maxProcesses",
        "Max processes",
        "Process limit; empty for none.",
    ),
    (
        "maxCores",
        "Max cores",
        "Total CPU cores across machines; empty for none.",
    ),
    ("maxUses", "Max uses", "Usage limit; empty for none."),
    (
        "heartbeatDuration",
        "Heartbeat duration (seconds)",
        "How long a machine stays alive without a ping.",
    ),
    (
        "checkInIntervalCount",
        "Check-in interval count",
        "How many check-in units between check-ins.",
    ),
];

fn strategy_field((name, label, choices): &Strategy) -> Markup {
    html! {
        div {
            label for=(name) { (label) small { "Empty keeps the API's default." } }
            select id=(name) name=(name) aria-describedby={ (name) "-help" } {
                option value="" { "Default" }
                @for (value, _) in *choices { option value=(value) { (value) } }
            }
            ul.hint id={ (name) "-help" } {
                @for (value, text) in *choices { li { code { (value) } " — " (text) } }
            }
        }
    }
}

/// `?product=` preselects a product.
#[derive(Debug, Default, Deserialize)]
pub struct NewParams {
    product: Option<String>,
}

/// `GET /admin/policies/new`.
pub async fn new(
    State(admin): State<Admin>,
    session: Session,
    Query(params): Query<NewParams>,
) -> Response {
    let products = super::licenses::product_names(&admin, &session).await;
    let chosen = params.product.unwrap_or_default();
    let body = html! {
        @if products.is_empty() {
            p { "Create a " a href="/admin/products" { "product" } " first: every policy belongs to one." }
        }
        form method="post" action="/admin/policies" {
            (csrf(&session))
            label for="name" { "Name" }
            input id="name" name="name" required maxlength="255";
            label for="product" { "Product" }
            select id="product" name="product" required {
                @for (id, name) in &products { option value=(id) selected[*id == chosen] { (name) } }
            }
            @for (name, label, help) in FLAGS {
                label { input type="checkbox" name=(name) value="true"; " " (label) small { (help) } }
            }
            @for (name, label, help) in NUMBERS {
                label for=(name) { (label) small { (help) } }
                input id=(name) name=(name) type="number" min="0" step="1";
            }
            label for="checkInInterval" { "Check-in interval unit" }
            select id="checkInInterval" name="checkInInterval" {
                option value="" { "None" }
                @for unit in latchkey_core::policy::CheckInInterval::ALL { option value=(unit) { (unit) } }
            }
            @for strategy in STRATEGIES { (strategy_field(strategy)) }
            button type="submit" { "Create policy" }
        }
    };
    respond(
        StatusCode::OK,
        html::page(&session, "/admin/policies", "New policy", None, body),
    )
}

/// `POST /admin/policies`.
pub async fn create(State(admin): State<Admin>, session: Session, body: Bytes) -> Response {
    let form = match form::read(&session, &body) {
        Ok(form) => form,
        Err(failure) => return refused(&session, &failure, "/admin/policies/new"),
    };
    let mut attributes = Map::new();
    attributes.insert("name".into(), json!(form.get("name")));
    for (name, _, _) in FLAGS {
        attributes.insert((*name).into(), json!(form.get(name) == "true"));
    }
    for (name, label, _) in NUMBERS {
        if let Some(text) = form.some(name) {
            let Ok(n) = text.parse::<i64>() else {
                let failure = Failure::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("{label} must be a whole number."),
                );
                return refused(&session, &failure, "/admin/policies/new");
            };
            attributes.insert((*name).into(), json!(n));
        }
    }
    if let Some(unit) = form.some("checkInInterval") {
        attributes.insert("checkInInterval".into(), json!(unit));
    }
    for (name, _, _) in STRATEGIES {
        if let Some(value) = form.some(name) {
            attributes.insert((*name).into(), json!(value));
        }
    }
    let document = json!({ "data": {
        "type": "policies",
        "attributes": Value::Object(attributes),
        "relationships": { "product": { "data": { "type": "products", "id": form.get("product") } } }
    } });
    match admin
        .api
        .post(&session.caller, "/policies", &document)
        .await
    {
        Ok(created) => done(
            &format!(
                "/admin/policies/{}",
                created["data"]["id"].as_str().unwrap_or("")
            ),
            "created",
        ),
        Err(failure) => refused(&session, &failure, "/admin/policies/new"),
    }
}

/// `GET /admin/policies`.
pub async fn index(
    State(admin): State<Admin>,
    session: Session,
    Query(notice): Query<Done>,
) -> Response {
    let policies = match admin
        .api
        .get(&session.caller, "/policies?page[size]=100&page[number]=1")
        .await
    {
        Ok(document) => data(&document),
        Err(failure) => return refused(&session, &failure, "/admin"),
    };
    let products = super::licenses::product_names(&admin, &session).await;
    let body = html! {
        p { a href="/admin/policies/new" { "New policy" } }
        div.scroll { table {
            thead { tr { th scope="col" { "Name" } th scope="col" { "Product" } th scope="col" { "Floating" } th scope="col" { "Max machines" } th.hide-narrow scope="col" { "Scheme" } } }
            tbody { @for p in &policies { tr {
                td { a href={ "/admin/policies/" (p["id"].as_str().unwrap_or("")) } { (attr(p, "name")) } }
                td { (rel_id(p, "product").and_then(|id| products.iter().find(|(i, _)| i == id)).map(|(_, n)| n.as_str()).unwrap_or("—")) }
                td { (attr(p, "floating")) }
                td { (attr(p, "maxMachines")) }
                td.hide-narrow { (attr(p, "scheme")) }
            } } }
        } }
    };
    respond(
        StatusCode::OK,
        html::page(
            &session,
            "/admin/policies",
            "Policies",
            notice.flash().as_ref(),
            body,
        ),
    )
}

/// `GET /admin/policies/{id}`: attributes, each strategy with what its value means.
pub async fn show(
    State(admin): State<Admin>,
    session: Session,
    Path(id): Path<String>,
    Query(notice): Query<Done>,
) -> Response {
    if !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return refused(
            &session,
            &Failure::new(StatusCode::NOT_FOUND, "No such policy."),
            "/admin/policies",
        );
    }
    let policy = match admin
        .api
        .get(&session.caller, &format!("/policies/{id}"))
        .await
    {
        Ok(document) => document["data"].clone(),
        Err(failure) => return refused(&session, &failure, "/admin/policies"),
    };
    let body = html! {
        h2 { "Strategies" }
        dl.attributes {
            @for (name, label, choices) in STRATEGIES {
                @let value = attr(&policy, name);
                dt { (label) }
                dd { code { (value) } " — " (choices.iter().find(|(v, _)| *v == value).map(|(_, t)| *t).unwrap_or("")) }
            }
        }
        h2 { "All attributes" }
        (attributes(&policy))
        p { a href={ "/admin/licenses?policy=" (id) } { "Its licenses" } }
    };
    let title = format!("Policy {}", attr(&policy, "name"));
    respond(
        StatusCode::OK,
        html::page(
            &session,
            "/admin/policies",
            &title,
            notice.flash().as_ref(),
            body,
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::STRATEGIES;
    use latchkey_core::policy::*;

    fn values(name: &str) -> Vec<&'static str> {
        STRATEGIES
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, _, c)| c.iter().map(|(v, _)| *v).collect())
            .unwrap_or_default()
    }

    #[test]
    fn every_strategy_value_has_an_explanation() {
        assert_eq!(values("machineMatchingStrategy"), MatchingStrategy::ALL);
        assert_eq!(
            values("componentUniquenessStrategy"),
            UniquenessStrategy::ALL
        );
        assert_eq!(values("expirationStrategy"), ExpirationStrategy::ALL);
        assert_eq!(values("expirationBasis"), ExpirationBasis::ALL);
        assert_eq!(values("renewalBasis"), RenewalBasis::ALL);
        assert_eq!(values("transferStrategy"), TransferStrategy::ALL);
        assert_eq!(
            values("authenticationStrategy"),
            AuthenticationStrategy::ALL
        );
        assert_eq!(
            values("machineLeasingStrategy"),
            MachineLeasingStrategy::ALL
        );
        assert_eq!(
            values("processLeasingStrategy"),
            ProcessLeasingStrategy::ALL
        );
        assert_eq!(values("overageStrategy"), OverageStrategy::ALL);
        assert_eq!(values("heartbeatCullStrategy"), HeartbeatCullStrategy::ALL);
        assert_eq!(
            values("heartbeatResurrectionStrategy"),
            HeartbeatResurrectionStrategy::ALL
        );
        assert_eq!(values("heartbeatBasis"), HeartbeatBasis::ALL);
        assert_eq!(values("scheme"), Scheme::ALL);
        assert_eq!(
            values("machineUniquenessStrategy"),
            UniquenessStrategy::MACHINE
        );
    }
}
