//! Every policy setting the new-policy form offers: each strategy with a one-line
//! explanation of each of its values (a test holds the values equal to core's
//! enums), and the yes/no and numeric attributes with what they do.

/// A strategy attribute: (attribute, label, choices as (value, explanation)).
pub type Strategy = (
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
pub const FLAGS: &[(&str, &str, &str)] = &[
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
pub const NUMBERS: &[(&str, &str, &str)] = &[
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
