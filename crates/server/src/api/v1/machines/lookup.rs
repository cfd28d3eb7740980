//! Finding a machine by id or fingerprint for a bearer (Keygen's alias lookup over
//! the bearer's visible machines), and the license facts the access rules of
//! machines, components and processes look at.

use crate::account::Account;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use latchkey_core::access::{Actor, LicenseFacts};
use latchkey_store::licenses::LicenseRow;
use latchkey_store::machines::{self, MachineRow};
use latchkey_store::policies::PolicyRow;

/// Finds a machine by id or fingerprint as Keygen does: among the machines the caller
/// may see first, the oldest match (one device activated on two licenses resolves to
/// the caller's own machine); otherwise anywhere in the account, so an invisible
/// machine still answers 403 from the caller's access check. 404 when none exists.
pub(crate) async fn find_for(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    id: &str,
) -> ApiResult<MachineRow> {
    if let Some(scope) = machines::visible_to(&principal.actor())
        && let Some(machine) =
            machines::find_visible(&state.db, account.id(), id, vec![scope]).await?
    {
        return Ok(machine);
    }
    machines::find(&state.db, account.id(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("machine", id))
}

/// A license of the account (exact id) with its policy: the bearer's own license as
/// authentication loaded it, else one query.
pub(crate) async fn license_of(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    license_id: &str,
) -> ApiResult<Option<(LicenseRow, PolicyRow)>> {
    if let Some((license, policy)) = principal.own_license(license_id) {
        return Ok(Some((license.clone(), policy.clone())));
    }
    let head = latchkey_store::validation::head_by_id(&state.db, account.id(), license_id).await?;
    Ok(head.map(|h| (h.license, h.policy)))
}

/// What the access rules know about a license; `licensee`: the actor is attached to it.
pub(crate) fn facts<'a>(
    license: &'a LicenseRow,
    policy: &PolicyRow,
    licensee: bool,
) -> LicenseFacts<'a> {
    LicenseFacts {
        id: &license.id,
        product_id: &license.product_id,
        owner_id: license.owner_id.as_deref(),
        protected: license.protected.unwrap_or(policy.protected),
        actor_is_licensee: licensee,
    }
}

/// Whether an end user who owns neither the machine nor the license is attached to
/// the license (looked up only when a read rule could depend on it).
pub(crate) async fn licensee(
    state: &AppState,
    actor: &Actor<'_>,
    machine_owner: Option<&str>,
    license: &LicenseRow,
) -> ApiResult<bool> {
    match actor.end_user_id() {
        Some(user) if machine_owner != Some(user) && license.owner_id.as_deref() != Some(user) => {
            Ok(latchkey_store::licenses::is_licensee(&state.db, &license.id, user).await?)
        }
        _ => Ok(false),
    }
}

/// Whether the caller may read a machine of `license` (see
/// `latchkey_core::access::machines::may_read`).
pub(crate) async fn may_read(
    state: &AppState,
    principal: &Principal,
    machine: &MachineRow,
    license: &LicenseRow,
    policy: &PolicyRow,
) -> ApiResult<bool> {
    let actor = principal.actor();
    let owner = machine.owner_id.as_deref();
    let licensee = licensee(state, &actor, owner, license).await?;
    Ok(latchkey_core::access::machines::may_read(
        &actor,
        owner,
        &facts(license, policy, licensee),
    ))
}
