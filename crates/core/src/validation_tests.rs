//! One case per validation code, in Keygen's check order.

use super::*;
use crate::policy::*;
use latchkey_proto::codes::ValidationCode as Code;
use time::Duration;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-01-01 12:00 UTC);

fn rules() -> PolicyRules {
    PolicyRules {
        strict: false,
        floating: true,
        machine_uniqueness: UniquenessStrategy::PerLicense,
        machine_matching: MatchingStrategy::MatchAny,
        component_uniqueness: UniquenessStrategy::PerMachine,
        component_matching: MatchingStrategy::MatchAny,
        expiration_strategy: ExpirationStrategy::RestrictAccess,
        machine_leasing: MachineLeasingStrategy::PerLicense,
        process_leasing: ProcessLeasingStrategy::PerMachine,
        overage: OverageStrategy::NoOverage,
        require_product_scope: false,
        require_policy_scope: false,
        require_machine_scope: false,
        require_fingerprint_scope: false,
        require_components_scope: false,
        require_user_scope: false,
        require_checksum_scope: false,
        require_version_scope: false,
        require_check_in: false,
        check_in_interval: None,
        check_in_interval_count: None,
        require_heartbeat: false,
        heartbeat_duration: DEFAULT_HEARTBEAT_SECONDS,
    }
}

fn machine(id: &str, fingerprint: &str) -> MachineFacts {
    MachineFacts {
        id: id.into(),
        fingerprint: fingerprint.into(),
        owner_id: None,
        created: NOW - Duration::minutes(1),
        last_heartbeat: None,
        cores: None,
        memory: None,
        disk: None,
        processes: 0,
        components: vec!["cpu".into(), "disk".into(), "mac".into()],
    }
}

fn snapshot() -> Snapshot {
    Snapshot {
        license: LicenseFacts {
            id: "lic".into(),
            product_id: "prod".into(),
            policy_id: "pol".into(),
            owner: Some(UserRef {
                id: "owner".into(),
                email: "owner@x.test".into(),
            }),
            owner_banned: false,
            users: vec![],
            suspended: false,
            expiry: None,
            next_check_in: None,
            max_machines: None,
            max_cores: None,
            max_memory: None,
            max_disk: None,
            max_processes: None,
            max_users: None,
            entitlements: vec!["PRO".into()],
        },
        policy: rules(),
        machines: vec![machine("m1", "fp1")],
    }
}

fn code(s: &Snapshot, scope: Scope) -> (bool, Code) {
    let v = validate(s, Some(&scope), NOW);
    (v.valid, v.code)
}

fn scope() -> Scope {
    Scope::default()
}

#[test]
fn valid_without_scope() {
    assert_eq!(code(&snapshot(), scope()), (true, Code::Valid));
    assert_eq!(validate(&snapshot(), None, NOW).code, Code::Valid);
}

#[test]
fn banned_suspended_expired_overdue_in_order() {
    let mut s = snapshot();
    s.license.owner_banned = true;
    s.license.suspended = true;
    assert_eq!(code(&s, scope()).1, Code::Banned);
    s.license.owner_banned = false;
    assert_eq!(code(&s, scope()).1, Code::Suspended);
    s.license.suspended = false;
    s.license.expiry = Some(NOW - Duration::days(1));
    s.policy.expiration_strategy = ExpirationStrategy::RevokeAccess;
    assert_eq!(
        code(
            &s,
            Scope {
                product: Some("other".into()),
                ..scope()
            }
        ),
        (false, Code::Expired)
    );
    s.license.expiry = None;
    s.policy.require_check_in = true;
    s.license.next_check_in = Some(NOW - Duration::seconds(1));
    assert_eq!(code(&s, scope()), (false, Code::Overdue));
}

#[test]
fn expiration_strategies_decide_validity() {
    let mut s = snapshot();
    s.license.expiry = Some(NOW - Duration::days(1));
    for (strategy, valid) in [
        (ExpirationStrategy::RestrictAccess, false),
        (ExpirationStrategy::MaintainAccess, true),
        (ExpirationStrategy::AllowAccess, true),
    ] {
        s.policy.expiration_strategy = strategy;
        assert_eq!(code(&s, scope()), (valid, Code::Expired));
    }
}

#[test]
fn product_policy_and_user_scopes() {
    let mut s = snapshot();
    assert_eq!(
        code(
            &s,
            Scope {
                product: Some("x".into()),
                ..scope()
            }
        )
        .1,
        Code::ProductScopeMismatch
    );
    assert_eq!(
        code(
            &s,
            Scope {
                policy: Some("x".into()),
                ..scope()
            }
        )
        .1,
        Code::PolicyScopeMismatch
    );
    assert_eq!(
        code(
            &s,
            Scope {
                user: Some("x".into()),
                ..scope()
            }
        )
        .1,
        Code::UserScopeMismatch
    );
    assert_eq!(
        code(
            &s,
            Scope {
                user: Some("OWNER@x.test".into()),
                ..scope()
            }
        )
        .1,
        Code::Valid
    );
    s.policy.require_product_scope = true;
    assert_eq!(code(&s, scope()).1, Code::ProductScopeRequired);
    s.policy.require_product_scope = false;
    s.policy.require_policy_scope = true;
    assert_eq!(code(&s, scope()).1, Code::PolicyScopeRequired);
    s.policy.require_policy_scope = false;
    s.policy.require_user_scope = true;
    assert_eq!(code(&s, scope()).1, Code::UserScopeRequired);
}

#[test]
fn entitlement_scope() {
    let s = snapshot();
    assert_eq!(
        code(
            &s,
            Scope {
                entitlements: Some(vec![]),
                ..scope()
            }
        )
        .1,
        Code::EntitlementsScopeEmpty
    );
    assert_eq!(
        code(
            &s,
            Scope {
                entitlements: Some(vec!["PRO".into(), "X".into()]),
                ..scope()
            }
        )
        .1,
        Code::EntitlementsMissing
    );
    assert_eq!(
        code(
            &s,
            Scope {
                entitlements: Some(vec!["PRO".into()]),
                ..scope()
            }
        )
        .1,
        Code::Valid
    );
}

#[test]
fn machine_scope() {
    let mut s = snapshot();
    assert_eq!(
        code(
            &s,
            Scope {
                machine: Some("nope".into()),
                ..scope()
            }
        )
        .1,
        Code::MachineScopeMismatch
    );
    s.policy.require_machine_scope = true;
    assert_eq!(code(&s, scope()).1, Code::MachineScopeRequired);
    s.policy.require_heartbeat = true;
    assert_eq!(
        code(
            &s,
            Scope {
                machine: Some("m1".into()),
                ..scope()
            }
        )
        .1,
        Code::HeartbeatNotStarted
    );
    s.machines[0].last_heartbeat = Some(NOW - Duration::hours(1));
    assert_eq!(
        code(
            &s,
            Scope {
                machine: Some("m1".into()),
                ..scope()
            }
        )
        .1,
        Code::HeartbeatDead
    );
    s.machines.clear();
    assert_eq!(
        code(
            &s,
            Scope {
                machine: Some("m1".into()),
                ..scope()
            }
        )
        .1,
        Code::NoMachines
    );
    s.policy.floating = false;
    assert_eq!(
        code(
            &s,
            Scope {
                machine: Some("m1".into()),
                ..scope()
            }
        )
        .1,
        Code::NoMachine
    );
}

#[test]
fn fingerprint_scope() {
    let mut s = snapshot();
    assert_eq!(
        code(
            &s,
            Scope {
                fingerprint: Some("fp1".into()),
                ..scope()
            }
        )
        .1,
        Code::Valid
    );
    assert_eq!(
        code(
            &s,
            Scope {
                fingerprint: Some(String::new()),
                ..scope()
            }
        )
        .1,
        Code::FingerprintScopeEmpty
    );
    assert_eq!(
        code(
            &s,
            Scope {
                fingerprint: Some("other".into()),
                ..scope()
            }
        )
        .1,
        Code::FingerprintScopeMismatch
    );
    s.machines[0].owner_id = Some("someone".into());
    let with_user = Scope {
        fingerprint: Some("fp1".into()),
        user: Some("owner".into()),
        ..scope()
    };
    assert_eq!(code(&s, with_user).1, Code::UserScopeMismatch);
    s.machines[0].owner_id = None;
    s.policy.require_fingerprint_scope = true;
    assert_eq!(code(&s, scope()).1, Code::FingerprintScopeRequired);
    s.policy.require_heartbeat = true;
    assert_eq!(
        code(
            &s,
            Scope {
                fingerprint: Some("fp1".into()),
                ..scope()
            }
        )
        .1,
        Code::HeartbeatNotStarted
    );
    s.machines[0].last_heartbeat = Some(NOW - Duration::hours(2));
    assert_eq!(
        code(
            &s,
            Scope {
                fingerprint: Some("fp1".into()),
                ..scope()
            }
        )
        .1,
        Code::HeartbeatDead
    );
    s.machines.clear();
    assert_eq!(
        code(
            &s,
            Scope {
                fingerprint: Some("fp1".into()),
                ..scope()
            }
        )
        .1,
        Code::NoMachines
    );
}

#[test]
fn multiple_fingerprints_use_the_matching_strategy() {
    let mut s = snapshot();
    s.machines.push(machine("m2", "fp2"));
    let three = || Scope {
        fingerprints: Some(vec!["fp1".into(), "fp2".into(), "fp3".into()]),
        ..scope()
    };
    s.policy.machine_matching = MatchingStrategy::MatchAll;
    assert_eq!(code(&s, three()).1, Code::FingerprintScopeMismatch);
    s.policy.machine_matching = MatchingStrategy::MatchMost;
    assert_eq!(code(&s, three()).1, Code::Valid);
    s.policy.machine_matching = MatchingStrategy::MatchTwo;
    assert_eq!(code(&s, three()).1, Code::Valid);
}

#[test]
fn components_scope_matches_most() {
    let mut s = snapshot();
    s.policy.component_matching = MatchingStrategy::MatchMost;
    let swapped_disk = Scope {
        fingerprint: Some("fp1".into()),
        components: Some(vec!["cpu".into(), "new-disk".into(), "mac".into()]),
        ..scope()
    };
    assert_eq!(code(&s, swapped_disk).1, Code::Valid);
    let all_new = Scope {
        fingerprint: Some("fp1".into()),
        components: Some(vec!["a".into(), "b".into()]),
        ..scope()
    };
    assert_eq!(code(&s, all_new).1, Code::ComponentsScopeMismatch);
    let empty = Scope {
        fingerprint: Some("fp1".into()),
        components: Some(vec![]),
        ..scope()
    };
    assert_eq!(code(&s, empty).1, Code::ComponentsScopeEmpty);
    assert_eq!(
        code(
            &s,
            Scope {
                components: Some(vec!["cpu".into()]),
                ..scope()
            }
        )
        .1,
        Code::FingerprintScopeRequired
    );
    s.policy.require_components_scope = true;
    assert_eq!(code(&s, scope()).1, Code::ComponentsScopeRequired);
}

#[test]
fn checksum_and_version_scopes() {
    let mut s = snapshot();
    assert_eq!(
        code(
            &s,
            Scope {
                checksum: Some("abc".into()),
                ..scope()
            }
        )
        .1,
        Code::ChecksumScopeMismatch
    );
    assert_eq!(
        code(
            &s,
            Scope {
                version: Some("1.0.0".into()),
                ..scope()
            }
        )
        .1,
        Code::VersionScopeMismatch
    );
    s.policy.require_checksum_scope = true;
    assert_eq!(code(&s, scope()).1, Code::ChecksumScopeRequired);
    s.policy.require_checksum_scope = false;
    s.policy.require_version_scope = true;
    assert_eq!(code(&s, scope()).1, Code::VersionScopeRequired);
    // Found by the store: both pass, and satisfy the requirement.
    s.policy.require_checksum_scope = true;
    let found = Scope {
        checksum: Some("abc".into()),
        version: Some("1.0.0".into()),
        releases: ReleaseMatches {
            checksum: true,
            version: true,
        },
        ..scope()
    };
    assert_eq!(code(&s, found).1, Code::Valid);
}

#[test]
fn matched_release_scopes_are_recorded_once_reached() {
    let matched = |checksum: bool, version: bool| Scope {
        checksum: Some("abc".into()),
        version: Some("1.0.0".into()),
        releases: ReleaseMatches { checksum, version },
        ..scope()
    };
    let touch = |s: &Snapshot, scope: Scope| validate_touching(s, Some(&scope), NOW).1;
    let both = ReleaseTouch {
        checksum: true,
        version: true,
    };
    let mut s = snapshot();
    assert_eq!(touch(&s, matched(true, true)), both);
    // Checksum passed, version mismatched: only the checksum.
    assert_eq!(
        touch(&s, matched(true, false)),
        ReleaseTouch {
            checksum: true,
            version: false
        }
    );
    // Checksum mismatched: the version check is never reached.
    assert_eq!(touch(&s, matched(false, true)), ReleaseTouch::default());
    // A later failure (too many users) still records them, as Keygen does.
    s.license.max_users = Some(0);
    let (verdict, touched) = validate_touching(&s, Some(&matched(true, true)), NOW);
    assert_eq!((verdict.code, touched), (Code::TooManyUsers, both));
    // An earlier one does not.
    s.license.max_users = None;
    s.license.suspended = true;
    assert_eq!(touch(&s, matched(true, true)), ReleaseTouch::default());
    s.license.suspended = false;
    let wrong_product = Scope {
        product: Some("other".into()),
        ..matched(true, true)
    };
    assert_eq!(touch(&s, wrong_product), ReleaseTouch::default());
    // A quick validation (no scope) records nothing.
    assert_eq!(validate_touching(&s, None, NOW).1, ReleaseTouch::default());
}

#[test]
fn users_limit_with_overage() {
    let mut s = snapshot();
    s.license.max_users = Some(1);
    s.license.users = vec![UserRef {
        id: "u2".into(),
        email: "u2@x.test".into(),
    }];
    assert_eq!(code(&s, scope()), (false, Code::TooManyUsers));
    s.policy.overage = OverageStrategy::Allow2x;
    assert_eq!(code(&s, scope()), (true, Code::TooManyUsers));
}

#[test]
fn strict_machine_requirements() {
    let mut s = snapshot();
    s.policy.strict = true;
    s.policy.floating = false;
    s.license.max_machines = Some(1);
    s.machines.clear();
    assert_eq!(code(&s, scope()), (false, Code::NoMachine));
    s.policy.floating = true;
    assert_eq!(code(&s, scope()), (false, Code::NoMachines));
    s.machines = vec![machine("m1", "a"), machine("m2", "b")];
    assert_eq!(code(&s, scope()), (false, Code::TooManyMachines));
    s.policy.overage = OverageStrategy::Allow2x;
    assert_eq!(code(&s, scope()), (true, Code::TooManyMachines));
}

#[test]
fn strict_resource_limits() {
    let mut s = snapshot();
    s.policy.strict = true;
    s.machines[0].cores = Some(8);
    s.machines[0].memory = Some(2048);
    s.machines[0].disk = Some(100);
    s.machines[0].processes = 3;
    s.license.max_cores = Some(4);
    assert_eq!(code(&s, scope()), (false, Code::TooManyCores));
    s.license.max_cores = None;
    s.license.max_memory = Some(1024);
    assert_eq!(code(&s, scope()), (false, Code::TooMuchMemory));
    s.license.max_memory = None;
    s.license.max_disk = Some(10);
    assert_eq!(code(&s, scope()), (false, Code::TooMuchDisk));
    s.license.max_disk = None;
    s.license.max_processes = Some(2);
    s.policy.process_leasing = ProcessLeasingStrategy::PerLicense;
    assert_eq!(code(&s, scope()), (false, Code::TooManyProcesses));
}

#[test]
fn not_found_verdict() {
    assert_eq!((NOT_FOUND.valid, NOT_FOUND.code), (false, Code::NotFound));
}
