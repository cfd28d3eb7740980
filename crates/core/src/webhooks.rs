//! Webhook rules (Keygen's webhook system, spec §9): the event-type list, which
//! endpoint a subscription list selects, the retry back-off and what a delivery
//! outcome means for the event and its endpoint. Pure: randomness and time are
//! passed in.

/// Every event type an endpoint may subscribe to (Keygen's seeded list plus the
/// four it emits without seeding).
pub const EVENT_TYPES: &[&str] = &[
    "account.billing.updated",
    "account.plan.updated",
    "account.settings.created",
    "account.settings.deleted",
    "account.settings.updated",
    "account.subscription.canceled",
    "account.subscription.paused",
    "account.subscription.renewed",
    "account.subscription.resumed",
    "account.updated",
    "artifact.created",
    "artifact.deleted",
    "artifact.downloaded",
    "artifact.updated",
    "artifact.upload.failed",
    "artifact.upload.processing",
    "artifact.upload.succeeded",
    "artifact.uploaded",
    "component.created",
    "component.deleted",
    "component.updated",
    "entitlement.created",
    "entitlement.deleted",
    "entitlement.updated",
    "environment.created",
    "environment.deleted",
    "environment.updated",
    "group.created",
    "group.deleted",
    "group.owners.attached",
    "group.owners.detached",
    "group.updated",
    "key.created",
    "key.deleted",
    "key.updated",
    "license.check-in-overdue",
    "license.check-in-required-soon",
    "license.checked-in",
    "license.checked-out",
    "license.created",
    "license.deleted",
    "license.entitlements.attached",
    "license.entitlements.detached",
    "license.expired",
    "license.expiring-soon",
    "license.group.updated",
    "license.owner.updated",
    "license.policy.updated",
    "license.reinstated",
    "license.renewed",
    "license.revoked",
    "license.suspended",
    "license.updated",
    "license.usage.decremented",
    "license.usage.incremented",
    "license.usage.reset",
    "license.user.updated",
    "license.users.attached",
    "license.users.detached",
    "license.validated",
    "license.validation.failed",
    "license.validation.succeeded",
    "machine.checked-out",
    "machine.created",
    "machine.deleted",
    "machine.group.updated",
    "machine.heartbeat.dead",
    "machine.heartbeat.ping",
    "machine.heartbeat.pong",
    "machine.heartbeat.reset",
    "machine.heartbeat.resurrected",
    "machine.owner.updated",
    "machine.proofs.generated",
    "machine.updated",
    "package.created",
    "package.deleted",
    "package.updated",
    "policy.created",
    "policy.deleted",
    "policy.entitlements.attached",
    "policy.entitlements.detached",
    "policy.pool.popped",
    "policy.updated",
    "process.created",
    "process.deleted",
    "process.heartbeat.dead",
    "process.heartbeat.ping",
    "process.heartbeat.pong",
    "process.heartbeat.resurrected",
    "process.updated",
    "product.created",
    "product.deleted",
    "product.updated",
    "release.constraints.attached",
    "release.constraints.detached",
    "release.created",
    "release.deleted",
    "release.downloaded",
    "release.package.updated",
    "release.published",
    "release.replaced",
    "release.updated",
    "release.upgraded",
    "release.uploaded",
    "release.yanked",
    "second-factor.created",
    "second-factor.deleted",
    "second-factor.disabled",
    "second-factor.enabled",
    "token.generated",
    "token.regenerated",
    "token.revoked",
    "user.banned",
    "user.created",
    "user.deleted",
    "user.group.updated",
    "user.password-reset",
    "user.unbanned",
    "user.updated",
];

/// The validation events, recorded only while some endpoint subscribes to them.
pub const VALIDATION_EVENTS: &[&str] =
    &["license.validation.succeeded", "license.validation.failed"];

/// Whether `name` is a known event type.
pub fn is_event_type(name: &str) -> bool {
    EVENT_TYPES.binary_search(&name).is_ok()
}

/// Whether a subscription list selects `event` (`*` selects everything; an empty
/// list is a disabled endpoint).
pub fn subscribes(subscriptions: &[String], event: &str) -> bool {
    subscriptions.iter().any(|s| s == "*" || s == event)
}

/// Signature algorithms an endpoint may choose (Keygen's spelling; the first is the
/// default).
pub const SIGNATURE_ALGORITHMS: &[&str] =
    &["ed25519", "rsa-pss-sha256", "rsa-sha256", "ecdsa-p256"];

/// How many retries follow the first attempt before an event is FAILED.
pub const MAX_RETRIES: i64 = 15;

/// Keygen's back-off before retry number `retry` (1-based): `retry⁴` seconds plus
/// `base × jitter` seconds, `jitter` drawn by the caller from 1..=10.
pub fn retry_delay_seconds(retry: i64, base_seconds: i64, jitter: i64) -> i64 {
    let retry = retry.clamp(0, MAX_RETRIES);
    retry
        .saturating_pow(4)
        .saturating_add(base_seconds.max(0).saturating_mul(jitter.clamp(1, 10)))
}

/// Delivery states (Keygen's spelling).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Not yet attempted, or an attempt is under way.
    Delivering,
    /// The receiver answered 2xx.
    Delivered,
    /// An attempt failed; another is scheduled.
    Failing,
    /// No further attempt will be made.
    Failed,
}

impl Status {
    /// Keygen's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Delivering => "DELIVERING",
            Status::Delivered => "DELIVERED",
            Status::Failing => "FAILING",
            Status::Failed => "FAILED",
        }
    }
}

/// What an attempt ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// An HTTP status code.
    Status(u16),
    /// No answer in time, or a TLS failure: worth retrying.
    Transient,
    /// The receiver cannot be reached (refused, reset, unreachable, DNS): Keygen
    /// fails these at once.
    Unreachable,
}

/// The decision after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// The event's new status.
    pub status: Status,
    /// Whether to retry (after [`retry_delay_seconds`]).
    pub retry: bool,
    /// Whether to disable the endpoint (410 Gone, 530).
    pub disable_endpoint: bool,
}

/// Keygen's reading of an attempt's outcome; `attempts` counts this one (the first
/// attempt is 1, so retries made so far are `attempts - 1`).
pub fn judge(outcome: Outcome, attempts: i64) -> Verdict {
    let retries_left = attempts <= MAX_RETRIES;
    let failed = |disable| Verdict {
        status: Status::Failed,
        retry: false,
        disable_endpoint: disable,
    };
    match outcome {
        Outcome::Status(code) if (200..300).contains(&code) => Verdict {
            status: Status::Delivered,
            retry: false,
            disable_endpoint: false,
        },
        Outcome::Status(410 | 530) => failed(true),
        Outcome::Unreachable => failed(false),
        Outcome::Status(_) | Outcome::Transient if retries_left => Verdict {
            status: Status::Failing,
            retry: true,
            disable_endpoint: false,
        },
        Outcome::Status(_) | Outcome::Transient => failed(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_are_sorted_and_known() {
        assert!(EVENT_TYPES.windows(2).all(|w| w[0] < w[1]));
        assert!(is_event_type("license.created") && !is_event_type("license.nope"));
        assert!(VALIDATION_EVENTS.iter().all(|e| is_event_type(e)));
    }

    #[test]
    fn subscriptions_select_events() {
        let all = vec!["*".to_owned()];
        let some = vec!["license.created".to_owned()];
        assert!(subscribes(&all, "user.created"));
        assert!(subscribes(&some, "license.created") && !subscribes(&some, "license.deleted"));
        assert!(!subscribes(&[], "license.created"));
    }

    #[test]
    fn back_off_is_keygens() {
        assert_eq!(retry_delay_seconds(1, 600, 1), 601);
        assert_eq!(retry_delay_seconds(2, 600, 10), 16 + 6000);
        assert_eq!(retry_delay_seconds(3, 0, 5), 81);
        assert_eq!(retry_delay_seconds(2, 0, 99), 16);
    }

    #[test]
    fn verdicts() {
        assert_eq!(judge(Outcome::Status(204), 1).status, Status::Delivered);
        let failing = judge(Outcome::Status(500), 1);
        assert!(failing.retry && failing.status == Status::Failing);
        let last = judge(Outcome::Status(500), MAX_RETRIES + 1);
        assert!(!last.retry && last.status == Status::Failed);
        assert!(judge(Outcome::Status(410), 1).disable_endpoint);
        assert_eq!(judge(Outcome::Unreachable, 1).status, Status::Failed);
        assert!(judge(Outcome::Transient, 3).retry);
    }
}

/// Whether a webhook may be posted to `ip` without the insecure setting: not
/// loopback, private, link-local, unique-local, CGNAT, multicast, unspecified,
/// broadcast or documentation space (no SSRF into the operator's network).
pub fn is_public_address(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_multicast()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_address(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8)
        }
    }
}

#[cfg(test)]
mod address_tests {
    use super::is_public_address;

    #[test]
    fn private_space_is_refused() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.1.1",
            "172.16.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            let parsed = ip.parse().unwrap_or_else(|_| panic!("{ip}"));
            assert!(!is_public_address(parsed), "{ip}");
        }
        for ip in ["1.1.1.1", "8.8.8.8", "2606:4700::1111"] {
            let parsed = ip.parse().unwrap_or_else(|_| panic!("{ip}"));
            assert!(is_public_address(parsed), "{ip}");
        }
    }
}
