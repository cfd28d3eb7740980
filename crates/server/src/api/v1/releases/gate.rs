//! Keygen's `ReleasePolicy#download?` (also its `show?` and `upgrade?`): open
//! releases without constraints are free; staff and the release's product download
//! freely; a license (or a user through any of their licenses) must be for the
//! product, not suspended, within its expiry window and hold every constraint
//! entitlement (`latchkey_core::releases::license_denial`).

use crate::auth::{Bearer, Principal};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use latchkey_core::access::releases as access;
use latchkey_core::policy::ExpirationStrategy;
use latchkey_core::releases::{LicenseGate, ReleaseGate, license_denial};
use latchkey_proto::ErrorCode;
use latchkey_store::licenses::LicenseRow;
use latchkey_store::policies::PolicyRow;
use latchkey_store::releases::{self, ReleaseRow};

async fn license_reason(
    state: &AppState,
    release: &ReleaseRow,
    license: &LicenseRow,
    policy: &PolicyRow,
) -> ApiResult<Option<&'static str>> {
    let satisfied =
        releases::license_satisfies(&state.db, &release.id, &license.id, &policy.id).await?;
    let facts = LicenseGate {
        product_id: &license.product_id,
        suspended: license.suspended,
        banned: false,
        expiry: license.expiry,
        revoke_access: policy.expiration_strategy == ExpirationStrategy::RevokeAccess,
        allow_access: policy.expiration_strategy == ExpirationStrategy::AllowAccess,
    };
    let gate = ReleaseGate {
        product_id: &release.product_id,
        released_at: release.released_at(),
        entitlements_satisfied: satisfied,
    };
    Ok(license_denial(&facts, &gate, state.now_ms()))
}

/// Ok when the caller may download (and read) the release; else 401/403 with
/// Keygen's reason.
pub async fn check(
    state: &AppState,
    principal: Option<&Principal>,
    release: &ReleaseRow,
) -> ApiResult<()> {
    let product =
        latchkey_store::products::find(&state.db, &release.account_id, &release.product_id)
            .await?
            .ok_or_else(|| ApiError::not_found("release", &release.id))?;
    let constrained = !releases::constraints::of_release(&state.db, &release.id)
        .await?
        .is_empty();
    if product.distribution_strategy == "OPEN" && !constrained {
        return Ok(());
    }
    let Some(principal) = principal else {
        return Err(ApiError::unauthorized(
            ErrorCode::TokenMissing,
            "An authentication token is required",
        ));
    };
    if access::downloads_freely(&principal.actor(), &release.product_id) {
        return Ok(());
    }
    let reason = match &principal.bearer {
        Bearer::Product(_) => Some("release belongs to another product"),
        _ if product.distribution_strategy == "CLOSED" => {
            Some("release distribution strategy is closed")
        }
        Bearer::License(license, policy) => license_reason(state, release, license, policy).await?,
        Bearer::User(user, _) => {
            let licenses = releases::user_licenses_for_product(
                &state.db,
                &release.account_id,
                &user.id,
                &release.product_id,
            )
            .await?;
            let mut last = Some("user has no license for this product");
            for (license, policy) in &licenses {
                last = license_reason(state, release, license, policy).await?;
                if last.is_none() {
                    break;
                }
            }
            last
        }
    };
    match reason {
        None => Ok(()),
        Some(reason) => Err(ApiError::forbidden(reason)),
    }
}
