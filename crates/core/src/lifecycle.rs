//! License lifecycle arithmetic: renewal, policy transfer and first-event expiry.
//! Durations are policy seconds; times are unix milliseconds.

use crate::policy::{ExpirationBasis, RenewalBasis, TransferStrategy};

/// The expiry after a renewal (Keygen `renew!`): FROM_EXPIRY extends the current
/// expiry (now when there is none), FROM_NOW restarts from now, FROM_NOW_IF_EXPIRED
/// restarts only an expired license.
pub fn renewed_expiry(basis: RenewalBasis, expiry: Option<i64>, now: i64, duration: i64) -> i64 {
    let span = duration.saturating_mul(1000);
    let from = match (basis, expiry) {
        (RenewalBasis::FromNow, _) | (_, None) => now,
        (RenewalBasis::FromNowIfExpired, Some(e)) if e < now => now,
        (_, Some(e)) => e,
    };
    from.saturating_add(span)
}

/// The expiry after moving to a new policy: RESET_EXPIRY restarts it from now with
/// the new policy's duration (none when that policy has no duration), KEEP_EXPIRY
/// leaves it as is.
pub fn transferred_expiry(
    strategy: TransferStrategy,
    expiry: Option<i64>,
    now: i64,
    new_duration: Option<i64>,
) -> Option<i64> {
    match strategy {
        TransferStrategy::KeepExpiry => expiry,
        TransferStrategy::ResetExpiry => new_duration.map(|d| now.saturating_add(d * 1000)),
    }
}

/// The event that starts a license's expiry clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstEvent {
    /// A validation.
    Validation,
    /// A machine activation.
    Activation,
    /// A usage increment.
    Use,
    /// A release download.
    Download,
}

/// The expiry to set when `event` happens, if the policy's basis is that event and
/// the license has no expiry yet (callers write it with `WHERE expiry IS NULL`).
pub fn first_event_expiry(
    basis: ExpirationBasis,
    event: FirstEvent,
    expiry: Option<i64>,
    duration: Option<i64>,
    now: i64,
) -> Option<i64> {
    let matches = matches!(
        (basis, event),
        (ExpirationBasis::FromFirstValidation, FirstEvent::Validation)
            | (ExpirationBasis::FromFirstActivation, FirstEvent::Activation)
            | (ExpirationBasis::FromFirstUse, FirstEvent::Use)
            | (ExpirationBasis::FromFirstDownload, FirstEvent::Download)
    );
    if !matches || expiry.is_some() {
        return None;
    }
    Some(now.saturating_add(duration?.saturating_mul(1000)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;
    const NOW: i64 = 1_000_000_000_000;

    #[test]
    fn renewal_bases() {
        let past = NOW - 5 * DAY * 1000;
        let future = NOW + 5 * DAY * 1000;
        assert_eq!(
            renewed_expiry(RenewalBasis::FromExpiry, Some(past), NOW, DAY),
            past + DAY * 1000
        );
        assert_eq!(
            renewed_expiry(RenewalBasis::FromExpiry, None, NOW, DAY),
            NOW + DAY * 1000
        );
        assert_eq!(
            renewed_expiry(RenewalBasis::FromNow, Some(future), NOW, DAY),
            NOW + DAY * 1000
        );
        assert_eq!(
            renewed_expiry(RenewalBasis::FromNowIfExpired, Some(past), NOW, DAY),
            NOW + DAY * 1000
        );
        assert_eq!(
            renewed_expiry(RenewalBasis::FromNowIfExpired, Some(future), NOW, DAY),
            future + DAY * 1000
        );
    }

    #[test]
    fn transfer_and_first_events() {
        assert_eq!(
            transferred_expiry(TransferStrategy::KeepExpiry, Some(5), NOW, Some(DAY)),
            Some(5)
        );
        assert_eq!(
            transferred_expiry(TransferStrategy::ResetExpiry, Some(5), NOW, Some(DAY)),
            Some(NOW + DAY * 1000)
        );
        assert_eq!(
            transferred_expiry(TransferStrategy::ResetExpiry, Some(5), NOW, None),
            None
        );
        let basis = ExpirationBasis::FromFirstUse;
        assert_eq!(
            first_event_expiry(basis, FirstEvent::Use, None, Some(DAY), NOW),
            Some(NOW + DAY * 1000)
        );
        assert_eq!(
            first_event_expiry(basis, FirstEvent::Use, Some(1), Some(DAY), NOW),
            None
        );
        assert_eq!(
            first_event_expiry(basis, FirstEvent::Validation, None, Some(DAY), NOW),
            None
        );
        assert_eq!(
            first_event_expiry(basis, FirstEvent::Use, None, None, NOW),
            None
        );
    }
}
