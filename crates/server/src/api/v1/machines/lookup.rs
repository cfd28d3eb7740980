//! Finding a machine by id or fingerprint for a bearer (Keygen's alias lookup over
//! the bearer's visible machines), and that visibility as a list filter.

use crate::account::Account;
use crate::api::v1::policies::USER_LICENSES;
use crate::auth::{Bearer, Principal};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use latchkey_store::crud::Filter;
use latchkey_store::machines::{self, MachineRow};

/// The machines the caller may see (lists and id/fingerprint lookups); `None` for
/// staff, who see every machine of the account.
pub(crate) fn visibility(principal: &Principal) -> Option<Filter> {
    match &principal.bearer {
        _ if principal.is_staff() => None,
        Bearer::Product(p) => Some(Filter::new(
            "license_id IN (SELECT id FROM licenses WHERE product_id = {})",
            vec![p.id.as_str().into()],
        )),
        Bearer::License(l, _) => Some(Filter::eq("license_id", l.id.as_str())),
        Bearer::User(u, _) => Some(Filter::new(
            format!("owner_id = {{}} OR license_id IN ({USER_LICENSES})"),
            vec![
                u.id.as_str().into(),
                u.id.as_str().into(),
                u.id.as_str().into(),
            ],
        )),
    }
}

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
    if let Some(scope) = visibility(principal)
        && let Some(machine) =
            machines::find_visible(&state.db, account.id(), id, vec![scope]).await?
    {
        return Ok(machine);
    }
    machines::find(&state.db, account.id(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("machine", id))
}
