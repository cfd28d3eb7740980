//! [`ErrorCode`]: every `code` the server puts in a JSON:API error object, spelt as
//! Keygen spells them (SCREAMING_SNAKE_CASE). Validation verdicts have their own
//! [`ValidationCode`](crate::codes::ValidationCode).

use std::fmt;
use std::str::FromStr;

macro_rules! error_codes {
    ($($variant:ident = $text:literal,)+) => {
        /// The `code` of an API error.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $(
                #[doc = concat!("`", $text, "`")]
                $variant,
            )+
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)+];

            /// The code as sent on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $text,)+
                }
            }
        }

        impl FromStr for ErrorCode {
            type Err = UnknownErrorCode;

            fn from_str(text: &str) -> Result<Self, UnknownErrorCode> {
                match text {
                    $($text => Ok(ErrorCode::$variant),)+
                    _ => Err(UnknownErrorCode(text.to_owned())),
                }
            }
        }
    };
}

error_codes! {
    // Fixed codes.
    AccountAdminsRequired = "ACCOUNT_ADMINS_REQUIRED",
    ActivationsLimitExceeded = "ACTIVATIONS_LIMIT_EXCEEDED",
    CheckoutAlgorithmInvalid = "CHECKOUT_ALGORITHM_INVALID",
    CheckoutIncludeInvalid = "CHECKOUT_INCLUDE_INVALID",
    CheckoutTtlInvalid = "CHECKOUT_TTL_INVALID",
    CheckInNotRequired = "CHECK_IN_NOT_REQUIRED",
    CodeTaken = "CODE_TAKEN",
    ComponentsTooMany = "COMPONENTS_TOO_MANY",
    CredentialsInvalid = "CREDENTIALS_INVALID",
    DatabaseBusy = "DATABASE_BUSY",
    DeactivationsLimitExceeded = "DEACTIVATIONS_LIMIT_EXCEEDED",
    EmailInvalid = "EMAIL_INVALID",
    EmailMissing = "EMAIL_MISSING",
    EmailTaken = "EMAIL_TAKEN",
    EncodingInvalid = "ENCODING_INVALID",
    EntitlementNotFound = "ENTITLEMENT_NOT_FOUND",
    EntitlementTaken = "ENTITLEMENT_TAKEN",
    ExpiryInvalid = "EXPIRY_INVALID",
    FingerprintConflict = "FINGERPRINT_CONFLICT",
    FingerprintNotAllowed = "FINGERPRINT_NOT_ALLOWED",
    FingerprintTaken = "FINGERPRINT_TAKEN",
    GroupLicenseLimitExceeded = "GROUP_LICENSE_LIMIT_EXCEEDED",
    GroupMachineLimitExceeded = "GROUP_MACHINE_LIMIT_EXCEEDED",
    GroupNotFound = "GROUP_NOT_FOUND",
    GroupUserLimitExceeded = "GROUP_USER_LIMIT_EXCEEDED",
    HeaderInvalid = "HEADER_INVALID",
    HeartbeatCullStrategyNotAllowed = "HEARTBEAT_CULL_STRATEGY_NOT_ALLOWED",
    HttpMethodInvalid = "HTTP_METHOD_INVALID",
    IdConflict = "ID_CONFLICT",
    IdInvalid = "ID_INVALID",
    InvalidApiVersion = "INVALID_API_VERSION",
    JsonInvalid = "JSON_INVALID",
    KeyByteSizeExceeded = "KEY_BYTE_SIZE_EXCEEDED",
    KeyConflict = "KEY_CONFLICT",
    KeyJwtClaimsInvalid = "KEY_JWT_CLAIMS_INVALID",
    KeyNotAllowed = "KEY_NOT_ALLOWED",
    KeyNotSupported = "KEY_NOT_SUPPORTED",
    KeyTaken = "KEY_TAKEN",
    KeyTooLong = "KEY_TOO_LONG",
    KeyTooShort = "KEY_TOO_SHORT",
    LicenseBanned = "LICENSE_BANNED",
    LicenseExpired = "LICENSE_EXPIRED",
    LicenseInvalid = "LICENSE_INVALID",
    LicenseNotAllowed = "LICENSE_NOT_ALLOWED",
    LicenseNotFound = "LICENSE_NOT_FOUND",
    LicenseSuspended = "LICENSE_SUSPENDED",
    MachineCoreLimitExceeded = "MACHINE_CORE_LIMIT_EXCEEDED",
    MachineDiskLimitExceeded = "MACHINE_DISK_LIMIT_EXCEEDED",
    MachineHeartbeatDead = "MACHINE_HEARTBEAT_DEAD",
    MachineLimitExceeded = "MACHINE_LIMIT_EXCEEDED",
    MachineMemoryLimitExceeded = "MACHINE_MEMORY_LIMIT_EXCEEDED",
    MachineNotFound = "MACHINE_NOT_FOUND",
    MachineProcessLimitExceeded = "MACHINE_PROCESS_LIMIT_EXCEEDED",
    MetadataTooLarge = "METADATA_TOO_LARGE",
    MimeTypeInvalid = "MIME_TYPE_INVALID",
    NotFound = "NOT_FOUND",
    OtpInvalid = "OTP_INVALID",
    OtpRequired = "OTP_REQUIRED",
    Taken = "TAKEN",
    OverageStrategyNotAllowed = "OVERAGE_STRATEGY_NOT_ALLOWED",
    OwnerInvalid = "OWNER_INVALID",
    OwnerNotFound = "OWNER_NOT_FOUND",
    ParametersInvalid = "PARAMETERS_INVALID",
    ParameterInvalid = "PARAMETER_INVALID",
    PasswordInvalid = "PASSWORD_INVALID",
    PasswordResetTokenExpired = "PASSWORD_RESET_TOKEN_EXPIRED",
    PasswordTooLong = "PASSWORD_TOO_LONG",
    PasswordTooShort = "PASSWORD_TOO_SHORT",
    PidNotAllowed = "PID_NOT_ALLOWED",
    PidTaken = "PID_TAKEN",
    PolicyNotCompatible = "POLICY_NOT_COMPATIBLE",
    PolicyNotFound = "POLICY_NOT_FOUND",
    PolicyNotSupported = "POLICY_NOT_SUPPORTED",
    PolicyPoolEmpty = "POLICY_POOL_EMPTY",
    ProcessHeartbeatDead = "PROCESS_HEARTBEAT_DEAD",
    ProductNotFound = "PRODUCT_NOT_FOUND",
    RequestTimeout = "REQUEST_TIMEOUT",
    RequestTooLarge = "REQUEST_TOO_LARGE",
    SchemeNotSupported = "SCHEME_NOT_SUPPORTED",
    SuspendedInvalid = "SUSPENDED_INVALID",
    TokenExpired = "TOKEN_EXPIRED",
    TokenFormatInvalid = "TOKEN_FORMAT_INVALID",
    TokenInvalid = "TOKEN_INVALID",
    TokenMissing = "TOKEN_MISSING",
    TokenNotAllowed = "TOKEN_NOT_ALLOWED",
    TooManyRequests = "TOO_MANY_REQUESTS",
    UriInvalid = "URI_INVALID",
    UserBanned = "USER_BANNED",
    UserLimitExceeded = "USER_LIMIT_EXCEEDED",
    UserNotFound = "USER_NOT_FOUND",
    UserTaken = "USER_TAKEN",
    UsesInvalid = "USES_INVALID",
    UsesLimitExceeded = "USES_LIMIT_EXCEEDED",
    UsePoolNotSupported = "USE_POOL_NOT_SUPPORTED",
    // Attribute codes: `<ATTRIBUTE>_MISSING`, `_INVALID`, `_TOO_LONG`, `_NOT_ALLOWED`
    // (attribute names in capitals), and `COMPONENTS_…` for a nested component.
    AuthenticationStrategyNotAllowed = "AUTHENTICATION_STRATEGY_NOT_ALLOWED",
    CheckInIntervalCountInvalid = "CHECK_IN_INTERVAL_COUNT_INVALID",
    CheckInIntervalCountMissing = "CHECK_IN_INTERVAL_COUNT_MISSING",
    CheckInIntervalMissing = "CHECK_IN_INTERVAL_MISSING",
    CheckInIntervalNotAllowed = "CHECK_IN_INTERVAL_NOT_ALLOWED",
    CodeInvalid = "CODE_INVALID",
    CodeMissing = "CODE_MISSING",
    CodeTooLong = "CODE_TOO_LONG",
    ComponentsFingerprintConflict = "COMPONENTS_FINGERPRINT_CONFLICT",
    ComponentsFingerprintMissing = "COMPONENTS_FINGERPRINT_MISSING",
    ComponentsFingerprintTaken = "COMPONENTS_FINGERPRINT_TAKEN",
    ComponentsFingerprintTooLong = "COMPONENTS_FINGERPRINT_TOO_LONG",
    ComponentsMetadataTooLarge = "COMPONENTS_METADATA_TOO_LARGE",
    ComponentsNameMissing = "COMPONENTS_NAME_MISSING",
    ComponentsNameTooLong = "COMPONENTS_NAME_TOO_LONG",
    ComponentMatchingStrategyNotAllowed = "COMPONENT_MATCHING_STRATEGY_NOT_ALLOWED",
    ComponentUniquenessStrategyNotAllowed = "COMPONENT_UNIQUENESS_STRATEGY_NOT_ALLOWED",
    CoresInvalid = "CORES_INVALID",
    DiskInvalid = "DISK_INVALID",
    DistributionStrategyNotAllowed = "DISTRIBUTION_STRATEGY_NOT_ALLOWED",
    DurationInvalid = "DURATION_INVALID",
    EmailTooLong = "EMAIL_TOO_LONG",
    ExpirationBasisNotAllowed = "EXPIRATION_BASIS_NOT_ALLOWED",
    ExpirationStrategyNotAllowed = "EXPIRATION_STRATEGY_NOT_ALLOWED",
    ExpiryTooLong = "EXPIRY_TOO_LONG",
    FingerprintMissing = "FINGERPRINT_MISSING",
    FingerprintTooLong = "FINGERPRINT_TOO_LONG",
    FirstNameTooLong = "FIRST_NAME_TOO_LONG",
    HeartbeatBasisNotAllowed = "HEARTBEAT_BASIS_NOT_ALLOWED",
    HeartbeatDurationInvalid = "HEARTBEAT_DURATION_INVALID",
    HeartbeatResurrectionStrategyNotAllowed = "HEARTBEAT_RESURRECTION_STRATEGY_NOT_ALLOWED",
    HostnameTooLong = "HOSTNAME_TOO_LONG",
    IpTooLong = "IP_TOO_LONG",
    KeyMissing = "KEY_MISSING",
    LastNameTooLong = "LAST_NAME_TOO_LONG",
    MachineLeasingStrategyNotAllowed = "MACHINE_LEASING_STRATEGY_NOT_ALLOWED",
    MachineMatchingStrategyNotAllowed = "MACHINE_MATCHING_STRATEGY_NOT_ALLOWED",
    MachineUniquenessStrategyNotAllowed = "MACHINE_UNIQUENESS_STRATEGY_NOT_ALLOWED",
    MaxCoresInvalid = "MAX_CORES_INVALID",
    MaxDiskInvalid = "MAX_DISK_INVALID",
    MaxMachinesInvalid = "MAX_MACHINES_INVALID",
    MaxMemoryInvalid = "MAX_MEMORY_INVALID",
    MaxProcessesInvalid = "MAX_PROCESSES_INVALID",
    MaxUsersInvalid = "MAX_USERS_INVALID",
    MaxUsesInvalid = "MAX_USES_INVALID",
    MemoryInvalid = "MEMORY_INVALID",
    NameMissing = "NAME_MISSING",
    NameTooLong = "NAME_TOO_LONG",
    PidMissing = "PID_MISSING",
    PidTooLong = "PID_TOO_LONG",
    PlatformTooLong = "PLATFORM_TOO_LONG",
    ProcessLeasingStrategyNotAllowed = "PROCESS_LEASING_STRATEGY_NOT_ALLOWED",
    RenewalBasisNotAllowed = "RENEWAL_BASIS_NOT_ALLOWED",
    RoleNotAllowed = "ROLE_NOT_ALLOWED",
    SchemeNotAllowed = "SCHEME_NOT_ALLOWED",
    TransferStrategyNotAllowed = "TRANSFER_STRATEGY_NOT_ALLOWED",
    UrlTooLong = "URL_TOO_LONG",
    UrlInvalid = "URL_INVALID",
    UrlMissing = "URL_MISSING",
    SubscriptionsInvalid = "SUBSCRIPTIONS_INVALID",
    SignatureAlgorithmNotAllowed = "SIGNATURE_ALGORITHM_NOT_ALLOWED",
    ApiVersionInvalid = "API_VERSION_INVALID",
}

/// A code that is not an [`ErrorCode`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownErrorCode(pub String);

impl fmt::Display for UnknownErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown error code '{}'", self.0)
    }
}

impl std::error::Error for UnknownErrorCode {}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<ErrorCode> for String {
    fn from(code: ErrorCode) -> String {
        code.as_str().to_owned()
    }
}

impl PartialEq<str> for ErrorCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl ErrorCode {
    /// A code composed at run time (`<ATTRIBUTE>_MISSING`, `COMPONENTS_<CODE>`, …):
    /// the listed code of that spelling, else `fallback`. Every attribute the API
    /// reads has its codes listed, so the fallback only guards future attributes.
    pub fn composed(text: &str, fallback: ErrorCode) -> ErrorCode {
        text.parse().unwrap_or(fallback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_serde_and_from_str() -> Result<(), serde_json::Error> {
        for &code in ErrorCode::ALL {
            let json = serde_json::to_string(&code)?;
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json)?, code);
            assert_eq!(code.as_str().parse::<ErrorCode>(), Ok(code));
            assert_eq!(code.to_string(), code.as_str());
        }
        Ok(())
    }

    #[test]
    fn codes_are_distinct_screaming_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "{text} twice");
            assert!(
                text.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
                "{text}"
            );
            // The variant name is the code in CamelCase.
            let camel: String = text
                .split('_')
                .map(|word| word[..1].to_owned() + &word[1..].to_ascii_lowercase())
                .collect();
            assert_eq!(format!("{code:?}"), camel);
        }
    }

    #[test]
    fn unknown_codes_are_refused() {
        assert!("NOT_A_CODE".parse::<ErrorCode>().is_err());
        assert!(serde_json::from_str::<ErrorCode>("\"not_found\"").is_err());
        assert_eq!(ErrorCode::NotFound, "NOT_FOUND");
    }
}
