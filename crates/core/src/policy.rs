//! Keygen policy settings as typed enums, each parsed from and rendered to Keygen's
//! exact SCREAMING_SNAKE strings. Stored as text; the store decodes them once, when a
//! policy row is read (an unknown stored value is a decode error, never a default).

/// A text that is not one of an enum's Keygen spellings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} value {value:?}")]
pub struct UnknownValue {
    /// The enum's name (`OverageStrategy`).
    pub kind: &'static str,
    /// The text that did not parse.
    pub value: String,
}

macro_rules! keygen_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every accepted value, in Keygen's spelling.
            pub const ALL: &'static [&'static str] = &[$($text),+];

            /// Keygen's spelling of this value.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            /// Parses Keygen's spelling; `None` for anything else.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some(Self::$variant),)+ _ => None }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = UnknownValue;

            fn from_str(text: &str) -> Result<Self, UnknownValue> {
                Self::parse(text).ok_or_else(|| UnknownValue {
                    kind: stringify!($name),
                    value: text.to_owned(),
                })
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// Rendered as Keygen's spelling.
        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        /// Read from Keygen's spelling (an outbox snapshot of a row).
        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <String as ::serde::Deserialize>::deserialize(deserializer)?;
                text.parse().map_err(::serde::de::Error::custom)
            }
        }

        /// Compares with Keygen's spelling (`strategy == "KEEP_DEAD"`).
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}

keygen_enum!(
    /// Which machines a fingerprint must be unique among (rank 4..0).
    UniquenessStrategy {
        PerAccount => "UNIQUE_PER_ACCOUNT",
        PerProduct => "UNIQUE_PER_PRODUCT",
        PerPolicy => "UNIQUE_PER_POLICY",
        PerLicense => "UNIQUE_PER_LICENSE",
        PerMachine => "UNIQUE_PER_MACHINE",
    }
);

impl UniquenessStrategy {
    /// Strictness rank used when comparing policies for transfers.
    pub fn rank(self) -> u8 {
        match self {
            Self::PerAccount => 4,
            Self::PerProduct => 3,
            Self::PerPolicy => 2,
            Self::PerLicense => 1,
            Self::PerMachine => 0,
        }
    }

    /// The machine-level strategies (UNIQUE_PER_MACHINE is for components only).
    pub const MACHINE: &'static [&'static str] = &[
        "UNIQUE_PER_ACCOUNT",
        "UNIQUE_PER_PRODUCT",
        "UNIQUE_PER_POLICY",
        "UNIQUE_PER_LICENSE",
    ];
}

keygen_enum!(
    /// How many of several fingerprints must match.
    MatchingStrategy {
        MatchAny => "MATCH_ANY",
        MatchTwo => "MATCH_TWO",
        MatchMost => "MATCH_MOST",
        MatchAll => "MATCH_ALL",
    }
);

impl MatchingStrategy {
    /// Whether `matched` out of `total` inputs satisfies the strategy.
    pub fn satisfied(self, matched: usize, total: usize) -> bool {
        match self {
            Self::MatchAny => matched >= 1,
            // with a single input, one match is all that can be asked for
            Self::MatchTwo => matched >= 2.min(total).max(1),
            Self::MatchMost => matched >= total.div_ceil(2).max(1),
            Self::MatchAll => matched >= total.max(1),
        }
    }
}

keygen_enum!(
    /// What happens once a license is expired.
    ExpirationStrategy {
        RestrictAccess => "RESTRICT_ACCESS",
        RevokeAccess => "REVOKE_ACCESS",
        MaintainAccess => "MAINTAIN_ACCESS",
        AllowAccess => "ALLOW_ACCESS",
    }
);

keygen_enum!(
    /// When a license's expiry clock starts.
    ExpirationBasis {
        FromCreation => "FROM_CREATION",
        FromFirstValidation => "FROM_FIRST_VALIDATION",
        FromFirstActivation => "FROM_FIRST_ACTIVATION",
        FromFirstDownload => "FROM_FIRST_DOWNLOAD",
        FromFirstUse => "FROM_FIRST_USE",
    }
);

keygen_enum!(
    /// How a renewal moves the expiry.
    RenewalBasis {
        FromExpiry => "FROM_EXPIRY",
        FromNow => "FROM_NOW",
        FromNowIfExpired => "FROM_NOW_IF_EXPIRED",
    }
);

keygen_enum!(
    /// What a policy change does to the license expiry.
    TransferStrategy {
        ResetExpiry => "RESET_EXPIRY",
        KeepExpiry => "KEEP_EXPIRY",
    }
);

keygen_enum!(
    /// Which credentials a license's own key or tokens may use.
    AuthenticationStrategy {
        Token => "TOKEN",
        License => "LICENSE",
        Session => "SESSION",
        Mixed => "MIXED",
        None => "NONE",
    }
);

impl AuthenticationStrategy {
    /// Whether `Authorization: License <key>` is accepted.
    pub fn allows_license_key(self) -> bool {
        matches!(self, Self::License | Self::Mixed)
    }

    /// Whether the license's own tokens are accepted.
    pub fn allows_token(self) -> bool {
        matches!(self, Self::Token | Self::Mixed)
    }
}

keygen_enum!(
    /// Whose machines count against maxMachines.
    MachineLeasingStrategy {
        PerLicense => "PER_LICENSE",
        PerUser => "PER_USER",
    }
);

keygen_enum!(
    /// Whose processes count against maxProcesses.
    ProcessLeasingStrategy {
        PerLicense => "PER_LICENSE",
        PerMachine => "PER_MACHINE",
        PerUser => "PER_USER",
    }
);

keygen_enum!(
    /// How far over a limit a license may go.
    OverageStrategy {
        AlwaysAllow => "ALWAYS_ALLOW_OVERAGE",
        Allow125x => "ALLOW_1_25X_OVERAGE",
        Allow15x => "ALLOW_1_5X_OVERAGE",
        Allow2x => "ALLOW_2X_OVERAGE",
        NoOverage => "NO_OVERAGE",
    }
);

impl OverageStrategy {
    /// Whether `count` is within the allowance for `limit`.
    pub fn allows(self, count: i64, limit: i64) -> bool {
        // i128: limits such as maxMemory may be close to i64::MAX.
        let (count, limit) = (i128::from(count), i128::from(limit));
        match self {
            Self::AlwaysAllow => true,
            Self::NoOverage => count <= limit,
            // count <= limit × 1.25, in integers
            Self::Allow125x => count * 4 <= limit * 5,
            Self::Allow15x => count * 2 <= limit * 3,
            Self::Allow2x => count <= limit * 2,
        }
    }

    /// The divisor every limit must be a multiple of for this strategy (1 = any).
    pub fn required_divisor(self) -> i64 {
        match self {
            Self::Allow125x => 4,
            Self::Allow15x => 2,
            _ => 1,
        }
    }
}

keygen_enum!(
    /// License key signing/encryption schemes.
    Scheme {
        LegacyEncrypt => "LEGACY_ENCRYPT",
        Rsa2048Pkcs1Encrypt => "RSA_2048_PKCS1_ENCRYPT",
        Rsa2048Pkcs1Sign => "RSA_2048_PKCS1_SIGN",
        Rsa2048Pkcs1PssSign => "RSA_2048_PKCS1_PSS_SIGN",
        Rsa2048JwtRs256 => "RSA_2048_JWT_RS256",
        Rsa2048Pkcs1SignV2 => "RSA_2048_PKCS1_SIGN_V2",
        Rsa2048Pkcs1PssSignV2 => "RSA_2048_PKCS1_PSS_SIGN_V2",
        Ed25519Sign => "ED25519_SIGN",
        EcdsaP256Sign => "ECDSA_P256_SIGN",
    }
);

keygen_enum!(
    /// Check-in interval unit.
    CheckInInterval {
        Day => "day",
        Week => "week",
        Month => "month",
        Year => "year",
    }
);

keygen_enum!(
    /// Dead-machine culling.
    HeartbeatCullStrategy {
        DeactivateDead => "DEACTIVATE_DEAD",
        KeepDead => "KEEP_DEAD",
    }
);

keygen_enum!(
    /// Whether and how long after death a machine may be revived by a ping.
    HeartbeatResurrectionStrategy {
        AlwaysRevive => "ALWAYS_REVIVE",
        Revive15Minutes => "15_MINUTE_REVIVE",
        Revive10Minutes => "10_MINUTE_REVIVE",
        Revive5Minutes => "5_MINUTE_REVIVE",
        Revive2Minutes => "2_MINUTE_REVIVE",
        Revive1Minute => "1_MINUTE_REVIVE",
        NoRevive => "NO_REVIVE",
    }
);

keygen_enum!(
    /// When a machine's heartbeat clock starts.
    HeartbeatBasis {
        FromCreation => "FROM_CREATION",
        FromFirstPing => "FROM_FIRST_PING",
    }
);

/// The policy settings that validation and activation consult, parsed.
#[derive(Debug, Clone)]
pub struct PolicyRules {
    /// Validation enforces machine requirements.
    pub strict: bool,
    /// false = node-locked.
    pub floating: bool,
    /// Fingerprint uniqueness among machines.
    pub machine_uniqueness: UniquenessStrategy,
    /// Multi-fingerprint matching.
    pub machine_matching: MatchingStrategy,
    /// Component uniqueness.
    pub component_uniqueness: UniquenessStrategy,
    /// Component matching.
    pub component_matching: MatchingStrategy,
    /// Expiry behaviour.
    pub expiration_strategy: ExpirationStrategy,
    /// Who counts against maxMachines.
    pub machine_leasing: MachineLeasingStrategy,
    /// Who counts against maxProcesses.
    pub process_leasing: ProcessLeasingStrategy,
    /// Limit allowance.
    pub overage: OverageStrategy,
    /// Scopes that must be present in a validation.
    pub require_product_scope: bool,
    /// See above.
    pub require_policy_scope: bool,
    /// See above.
    pub require_machine_scope: bool,
    /// See above.
    pub require_fingerprint_scope: bool,
    /// See above.
    pub require_components_scope: bool,
    /// See above.
    pub require_user_scope: bool,
    /// See above.
    pub require_checksum_scope: bool,
    /// See above.
    pub require_version_scope: bool,
    /// Check-ins required.
    pub require_check_in: bool,
    /// Check-in interval unit.
    pub check_in_interval: Option<CheckInInterval>,
    /// Check-in interval count.
    pub check_in_interval_count: Option<i64>,
    /// Machines must heartbeat.
    pub require_heartbeat: bool,
    /// Heartbeat duration in seconds (effective: default 600).
    pub heartbeat_duration: i64,
}

/// Keygen's heartbeat duration when a policy sets none.
pub const DEFAULT_HEARTBEAT_SECONDS: i64 = 600;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overage_arithmetic_does_not_overflow() {
        assert!(OverageStrategy::Allow125x.allows(i64::MAX, i64::MAX));
        assert!(!OverageStrategy::NoOverage.allows(i64::MAX, i64::MAX - 1));
        assert!(OverageStrategy::Allow2x.allows(i64::MAX, i64::MAX / 2 + 1));
    }

    #[test]
    fn enums_round_trip_keygen_spelling() {
        for text in OverageStrategy::ALL {
            assert_eq!(
                OverageStrategy::parse(text).map(OverageStrategy::as_str),
                Some(*text)
            );
        }
        assert_eq!(Scheme::parse("ED25519_SIGN"), Some(Scheme::Ed25519Sign));
        assert_eq!(UniquenessStrategy::parse("unique_per_license"), None);
    }
}
