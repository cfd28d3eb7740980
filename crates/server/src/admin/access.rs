//! The few reads the UI makes straight from the store (aggregates the API has no
//! endpoint for) check the same access rules the API's handlers check, for the
//! principal the session token authenticates as.

use super::Admin;
use super::session::Session;
use crate::account::Account;
use crate::auth::Principal;

/// The session's principal, authenticated as the API authenticates a bearer token.
async fn principal(admin: &Admin, session: &Session) -> Option<Principal> {
    let raw = session.caller.authorization.strip_prefix("Bearer ")?;
    let account = admin.state.account(&session.caller.account).await.ok()??;
    crate::auth::authenticate_token(&admin.state, &Account(account), raw)
        .await
        .ok()
}

/// Whether the session may read the account's request and event logs.
pub async fn may_read_logs(admin: &Admin, session: &Session) -> bool {
    match principal(admin, session).await {
        Some(principal) => latchkey_core::access::logs::may_read(&principal.actor()),
        None => false,
    }
}

/// What the signed-in user may do to one license, by the API's own rules (the page
/// shows only these buttons; the API still decides every post).
#[derive(Debug, Clone, Copy, Default)]
pub struct LicenseAbilities {
    /// Suspend or reinstate.
    pub suspend: bool,
    /// Renew or revoke.
    pub renew: bool,
    /// Delete.
    pub delete: bool,
    /// Check out a license file.
    pub check_out: bool,
    /// Create an activation token.
    pub token: bool,
    /// Deactivate its machines.
    pub deactivate: bool,
}

/// [`LicenseAbilities`] for `license` (a JSON:API license resource).
pub async fn license_abilities(
    admin: &Admin,
    session: &Session,
    license: &serde_json::Value,
) -> LicenseAbilities {
    use latchkey_core::access::{LicenseFacts, licenses, machines, tokens};
    let Some(principal) = principal(admin, session).await else {
        return LicenseAbilities::default();
    };
    let actor = principal.actor();
    let product = license["relationships"]["product"]["data"]["id"]
        .as_str()
        .unwrap_or("");
    let facts = LicenseFacts {
        id: license["id"].as_str().unwrap_or(""),
        product_id: product,
        owner_id: license["relationships"]["owner"]["data"]["id"].as_str(),
        protected: license["attributes"]["protected"]
            .as_bool()
            .unwrap_or(false),
        // Only staff sign in here, and no staff rule looks at licensee links.
        actor_is_licensee: false,
    };
    LicenseAbilities {
        suspend: licenses::may_act(&actor, &facts, licenses::Act::Suspend),
        renew: licenses::may_act(&actor, &facts, licenses::Act::Renew),
        delete: licenses::may_delete(&actor, &facts),
        check_out: licenses::may_check_out(&actor, &facts),
        token: tokens::may_generate_license_token(&actor, product),
        deactivate: machines::may_manage(&actor, None, &facts),
    }
}

/// Whether the signed-in user may deactivate machines (the API's machine rule for
/// staff, who are the only ones signed in here).
pub async fn may_deactivate_machines(admin: &Admin, session: &Session) -> bool {
    let Some(principal) = principal(admin, session).await else {
        return false;
    };
    let facts = latchkey_core::access::LicenseFacts {
        id: "",
        product_id: "",
        owner_id: None,
        protected: false,
        actor_is_licensee: false,
    };
    latchkey_core::access::machines::may_manage(&principal.actor(), None, &facts)
}
