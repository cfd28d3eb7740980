use super::*;

fn v(text: &str) -> Version {
    parse_version(text).expect("semver")
}

#[test]
fn channel_visibility_table() {
    use Channel::*;
    let table = [
        (Stable, [true, false, false, false, false]),
        (Rc, [true, true, false, false, false]),
        (Beta, [true, true, true, false, false]),
        (Alpha, [true, true, true, true, false]),
        (Dev, [false, false, false, false, true]),
    ];
    for (follower, expected) in table {
        for (release, want) in Channel::ALL.into_iter().zip(expected) {
            assert_eq!(
                follower.includes(release),
                want,
                "{follower:?} sees {release:?}"
            );
        }
    }
    assert_eq!("beta".parse::<Channel>(), Ok(Beta));
    assert!("nightly".parse::<Channel>().is_err());
}

#[test]
fn channel_and_version_agree() {
    assert!(channel_mismatch(&v("1.0.0"), Channel::Stable).is_none());
    assert!(channel_mismatch(&v("1.0.0-beta.1"), Channel::Stable).is_some());
    assert!(channel_mismatch(&v("1.0.0-beta.1"), Channel::Beta).is_none());
    assert!(channel_mismatch(&v("1.0.0-beta.1"), Channel::Rc).is_some());
    assert!(channel_mismatch(&v("1.0.0"), Channel::Alpha).is_some());
    assert!(channel_mismatch(&v("1.0.0-dev+42"), Channel::Dev).is_none());
}

#[test]
fn semver_ordering_with_prereleases() {
    let ordered = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.1",
        "1.1.0",
        "2.0.0",
    ];
    for pair in ordered.windows(2) {
        assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
    }
    assert_eq!(v("v1.2.3"), v("1.2.3"));
    assert!(parse_version("1.2").is_none() && parse_version("x").is_none());
}

/// Keygen orders releases by (major, minor, patch, prerelease words, the prerelease's
/// trailing number, build words, the build's trailing number), a release without a
/// prerelease above its prereleases and one without build metadata below its builds.
/// For every version a channel accepts (the prerelease starts with the channel key,
/// the number ends it) that is semver precedence with build metadata as the final
/// tie-break, which `Version`'s order is.
#[test]
fn keygen_version_order_table() {
    let lower_higher = [
        // numeric identifiers compare as numbers, not text
        ("1.0.0-beta.2", "1.0.0-beta.10"),
        ("1.0.0-rc.9", "1.0.0-rc.10"),
        ("1.0.0-alpha.99", "1.0.0-beta.1"),
        // a prerelease is below its release, above the previous patch
        ("1.0.0-rc.1", "1.0.0"),
        ("0.9.9", "1.0.0-alpha.1"),
        ("1.0.0-rc.1", "1.0.1-alpha.1"),
        // no number below a number, a number below more words
        ("1.0.0-beta", "1.0.0-beta.1"),
        ("1.0.0-alpha.1", "1.0.0-alpha.beta"),
        ("1.0.0-dev", "1.0.0-dev.1"),
        // build metadata: none below some, numbers as numbers, then words
        ("1.0.0", "1.0.0+1"),
        ("1.0.0+build.2", "1.0.0+build.10"),
        ("1.0.0+1", "1.0.0+build"),
        ("1.0.0-beta.1+build.9", "1.0.0-beta.1+build.10"),
        ("1.0.0+build.99", "1.0.1"),
        ("1.0.0-beta.2+build.99", "1.0.0-beta.3"),
        // the parts compare as numbers
        ("1.9.0", "1.10.0"),
        ("1.0.9", "1.0.10"),
        ("9.0.0", "10.0.0"),
    ];
    for (lower, higher) in lower_higher {
        assert!(v(lower) < v(higher), "{lower} < {higher}");
        assert!(v(higher) > v(lower), "{higher} > {lower}");
    }
    let mut shuffled = [
        "1.0.0",
        "1.0.0-beta.10",
        "1.0.0-rc.1",
        "1.0.0-beta.2",
        "1.0.0+build.2",
        "1.0.0-alpha",
        "0.9.0",
        "1.0.0+build.10",
        "1.0.0-beta",
    ]
    .map(v);
    shuffled.sort();
    let sorted: Vec<String> = shuffled.iter().map(ToString::to_string).collect();
    assert_eq!(
        sorted,
        [
            "0.9.0",
            "1.0.0-alpha",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.10",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.0+build.2",
            "1.0.0+build.10",
        ]
    );
}

/// The upgrade picks the highest version above the current one by that order.
#[test]
fn upgrade_across_prereleases_and_builds() {
    use Channel::*;
    let all = candidates(&[
        ("beta2", "1.0.0-beta.2", Beta),
        ("beta10", "1.0.0-beta.10", Beta),
        ("rc1", "1.0.0-rc.1", Rc),
        ("b1", "1.0.0-beta.10+build.1", Beta),
        ("b2", "1.0.0-beta.10+build.2", Beta),
    ]);
    let cases = [
        ("1.0.0-beta.2", Beta, Some("rc1")),
        ("1.0.0-beta.2", Rc, Some("rc1")),
        ("1.0.0-beta.2", Stable, None),
        ("1.0.0-beta.10", Beta, Some("rc1")),
        ("1.0.0-beta.10+build.1", Beta, Some("rc1")),
        ("1.0.0-rc.1", Beta, None),
        ("1.0.0", Alpha, None),
    ];
    for (current, channel, want) in cases {
        let got = upgrade(&v(current), channel, None, &all).map(|c| c.id);
        assert_eq!(got, want, "{current} on {channel:?}");
    }
    let betas = candidates(&[
        ("beta2", "1.0.0-beta.2", Beta),
        ("beta10", "1.0.0-beta.10", Beta),
        ("b1", "1.0.0-beta.10+build.1", Beta),
        ("b2", "1.0.0-beta.10+build.2", Beta),
    ]);
    for (current, want) in [
        ("1.0.0-beta.2", Some("b2")),
        ("1.0.0-beta.10", Some("b2")),
        ("1.0.0-beta.10+build.1", Some("b2")),
        ("1.0.0-beta.10+build.2", None),
    ] {
        let got = upgrade(&v(current), Beta, None, &betas).map(|c| c.id);
        assert_eq!(got, want, "{current}");
    }
}

fn candidates(list: &[(&'static str, &'static str, Channel)]) -> Vec<Candidate<'static>> {
    list.iter()
        .map(|(id, version, channel)| Candidate {
            id,
            version: v(version),
            channel: *channel,
        })
        .collect()
}

#[test]
fn upgrade_table() {
    use Channel::*;
    let all = candidates(&[
        ("a", "1.0.0", Stable),
        ("b", "1.0.1", Stable),
        ("c", "1.1.0-rc.1", Rc),
        ("d", "1.1.0-beta.3", Beta),
        ("e", "2.0.0-alpha.1", Alpha),
        ("f", "3.0.0-dev.1", Dev),
        ("g", "1.2.0", Stable),
    ]);
    let k = |t: &str| Constraint::parse(t).expect("constraint");
    let cases: [(&str, Channel, Option<Constraint>, Option<&str>); 10] = [
        ("1.0.0", Stable, None, Some("g")),
        ("1.2.0", Stable, None, None),
        ("1.2.0", Rc, None, None),
        ("1.2.0", Alpha, None, Some("e")),
        ("1.2.0", Dev, None, Some("f")),
        ("1.0.0", Stable, Some(k("1.0")), Some("g")),
        ("1.0.0", Stable, Some(k("1.0.0")), Some("b")),
        ("1.0.0-beta.1", Beta, Some(k("1.1")), Some("g")),
        ("1.0.1", Beta, Some(k("1.1.0")), Some("c")),
        ("2.0.0-alpha.1", Alpha, Some(k("2")), None),
    ];
    for (current, channel, constraint, want) in cases {
        let got = upgrade(&v(current), channel, constraint.as_ref(), &all).map(|c| c.id);
        assert_eq!(got, want, "{current} on {channel:?} with {constraint:?}");
    }
}

/// Keygen's constraint with a prerelease or build part keeps the versions with the
/// same words (and trailing number, when given).
#[test]
fn constraints_with_prerelease_and_build_parts() {
    let k = |t: &str| Constraint::parse(t).expect("constraint");
    let table = [
        ("1-beta", "1.2.0-beta.3", true),
        ("1-beta", "1.2.0-rc.1", false),
        ("1-beta", "1.2.0", false),
        ("1.0-beta.2", "1.0.5-beta.2", true),
        ("1.0-beta.2", "1.0.5-beta.3", false),
        ("1.0.0-rc", "1.0.0-rc.7", true),
        ("1.0.0-alpha.beta", "1.0.1-alpha.beta", true),
        ("1.0.0-alpha.beta", "1.0.1-alpha", false),
        ("1+build", "1.4.0+build.9", true),
        ("1+build.9", "1.4.0+build.10", false),
        ("1", "1.4.0-beta.1+build.2", true),
        ("2-beta", "1.9.0-beta.1", false),
    ];
    for (constraint, version, allowed) in table {
        assert_eq!(
            k(constraint).allows(&v(version)),
            allowed,
            "{constraint} allows {version}"
        );
    }
    assert!(Constraint::parse("1.x-beta").is_none());
}

#[test]
fn constraint_parsing() {
    assert!(Constraint::parse("~> 1.2").is_some());
    assert!(Constraint::parse("v2").is_some());
    assert!(Constraint::parse("1.x").is_none());
    assert!(Constraint::parse("").is_none());
    assert!(Constraint::parse("1.2.3.4").is_none());
}

#[test]
fn download_gate() {
    let now = 1_000_000;
    let license = LicenseGate {
        product_id: "p",
        suspended: false,
        banned: false,
        expiry: Some(500_000),
        revoke_access: false,
        allow_access: false,
    };
    let release = ReleaseGate {
        product_id: "p",
        released_at: 400_000,
        entitlements_satisfied: true,
    };
    assert_eq!(license_denial(&license, &release, now), None);
    let later = ReleaseGate {
        released_at: 600_000,
        ..release
    };
    assert_eq!(
        license_denial(&license, &later, now),
        Some("release is outside license expiry window")
    );
    let allowed = LicenseGate {
        allow_access: true,
        ..license
    };
    assert_eq!(license_denial(&allowed, &later, now), None);
    let revoked = LicenseGate {
        revoke_access: true,
        ..license
    };
    assert_eq!(
        license_denial(&revoked, &release, now),
        Some("license is expired")
    );
    let other = ReleaseGate {
        product_id: "q",
        ..release
    };
    assert!(license_denial(&license, &other, now).is_some());
    let missing = ReleaseGate {
        entitlements_satisfied: false,
        ..release
    };
    assert_eq!(
        license_denial(&license, &missing, now),
        Some("license is missing entitlements")
    );
    let suspended = LicenseGate {
        suspended: true,
        ..license
    };
    assert_eq!(
        license_denial(&suspended, &release, now),
        Some("license is suspended")
    );
}
