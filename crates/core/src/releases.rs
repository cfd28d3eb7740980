//! Release rules (Keygen's `Release` model): semantic versions, channels, statuses,
//! the upgrade choice and the download gate for a license. Pure: callers load the
//! rows and pass the time.

use semver::Version;
use std::str::FromStr;

/// A release channel. A channel sees its own releases and the more stable ones:
/// `stable` only stable, `rc` rc and stable, `beta` beta, rc and stable, `alpha`
/// every channel but `dev`; `dev` sees dev only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Channel {
    /// Stable releases (no prerelease tag).
    Stable,
    /// Release candidates (`x.y.z-rc.n`).
    Rc,
    /// Betas.
    Beta,
    /// Alphas.
    Alpha,
    /// Development builds.
    Dev,
}

impl Channel {
    /// Every channel, most stable first.
    pub const ALL: [Channel; 5] = [
        Channel::Stable,
        Channel::Rc,
        Channel::Beta,
        Channel::Alpha,
        Channel::Dev,
    ];

    /// The wire key.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stable => "stable",
            Self::Rc => "rc",
            Self::Beta => "beta",
            Self::Alpha => "alpha",
            Self::Dev => "dev",
        }
    }

    /// The channels whose releases this channel sees (Keygen's channel scopes).
    pub fn sees(self) -> &'static [Channel] {
        match self {
            Self::Stable => &[Channel::Stable],
            Self::Rc => &[Channel::Stable, Channel::Rc],
            Self::Beta => &[Channel::Stable, Channel::Rc, Channel::Beta],
            Self::Alpha => &[Channel::Stable, Channel::Rc, Channel::Beta, Channel::Alpha],
            Self::Dev => &[Channel::Dev],
        }
    }

    /// Whether a release on `other` is visible to a client following `self`.
    pub fn includes(self, other: Channel) -> bool {
        self.sees().contains(&other)
    }
}

/// An unknown channel key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownChannel;

impl FromStr for Channel {
    type Err = UnknownChannel;
    fn from_str(s: &str) -> Result<Self, UnknownChannel> {
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or(UnknownChannel)
    }
}

/// A release's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Not yet visible to licensees.
    Draft,
    /// Visible and downloadable.
    Published,
    /// Withdrawn.
    Yanked,
}

impl Status {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "DRAFT",
            Self::Published => "PUBLISHED",
            Self::Yanked => "YANKED",
        }
    }
}

impl FromStr for Status {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "DRAFT" => Ok(Self::Draft),
            "PUBLISHED" => Ok(Self::Published),
            "YANKED" => Ok(Self::Yanked),
            _ => Err(()),
        }
    }
}

/// Parses a semantic version (a leading `v` is accepted, as Keygen's clients send
/// tags like `v1.2.3`); `None` when not semver.
pub fn parse_version(text: &str) -> Option<Version> {
    let text = text.strip_prefix('v').unwrap_or(text);
    Version::parse(text).ok()
}

/// Keygen's channel/version agreement: a stable release has no prerelease tag; a
/// prerelease channel's version has a prerelease tag starting with the channel key.
/// Returns the detail of the error, `None` when they agree.
pub fn channel_mismatch(version: &Version, channel: Channel) -> Option<String> {
    let pre = version.pre.as_str();
    match channel {
        Channel::Stable if !pre.is_empty() => Some(format!(
            "version does not match stable channel (expected x.y.z got {version})"
        )),
        Channel::Stable => None,
        other if pre.is_empty() || !pre.starts_with(other.as_str()) => Some(format!(
            "version does not match prerelease channel (expected x.y.z-{}.n got {version})",
            other.as_str()
        )),
        _ => None,
    }
}

/// An upgrade `constraint` (Keygen's `constraint` parameter): `"1"` keeps the major,
/// `"1.2"` the major with minor ≥ 2, `"1.2.3"` the major and minor with patch ≥ 3. A
/// prerelease (`"1.0-beta"`, `"2.0.0-rc.1"`) or build part (`+build.2`) also keeps
/// only versions with the same words and, when it ends in a number, that number
/// (Keygen's `semver_pre_word`/`semver_pre_num`, `semver_build_word`/`_num`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    major: u64,
    minor: Option<u64>,
    patch: Option<u64>,
    pre: Tags,
    build: Tags,
}

/// Keygen's split of a prerelease or build part: its non-numeric identifiers joined
/// with `.`, and a trailing all-digit identifier.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Tags {
    words: Option<String>,
    number: Option<u64>,
}

impl Tags {
    fn parse(text: &str) -> Self {
        if text.is_empty() {
            return Self::default();
        }
        let parts: Vec<&str> = text.split('.').collect();
        let mut words = Vec::new();
        let mut number = None;
        for (i, part) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            match part.parse::<u64>() {
                Ok(n) if last && part.bytes().all(|b| b.is_ascii_digit()) => number = Some(n),
                _ => words.push(*part),
            }
        }
        Self {
            words: (!words.is_empty()).then(|| words.join(".")),
            number,
        }
    }

    /// A constraint's tags keep `other` when each part it names is equal.
    fn keeps(&self, other: &Tags) -> bool {
        self.words
            .as_ref()
            .is_none_or(|w| other.words.as_ref() == Some(w))
            && self.number.is_none_or(|n| other.number == Some(n))
    }
}

impl Constraint {
    /// Parses `"1"`, `"1.2"`, `"1.2.3"`, each with an optional `-pre` and `+build`
    /// (a leading `v`, `~>`, `^` or `=` and spaces are ignored); `None` when
    /// unreadable.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text
            .trim()
            .trim_start_matches(['~', '>', '^', '=', ' '])
            .trim_start_matches('v');
        let (rest, build) = text.split_once('+').unwrap_or((text, ""));
        let (core, pre) = rest.split_once('-').unwrap_or((rest, ""));
        let mut parts = core.split('.');
        let number = |p: Option<&str>| -> Option<Option<u64>> {
            match p {
                None => Some(None),
                Some(p) => p.parse().ok().map(Some),
            }
        };
        let major = number(parts.next())??;
        let minor = number(parts.next())?;
        let patch = number(parts.next())?;
        if parts.next().is_some() || (patch.is_some() && minor.is_none()) {
            return None;
        }
        Some(Self {
            major,
            minor,
            patch,
            pre: Tags::parse(pre),
            build: Tags::parse(build),
        })
    }

    /// Whether `version` satisfies the constraint.
    pub fn allows(&self, version: &Version) -> bool {
        let core = match (self.minor, self.patch) {
            (Some(minor), Some(patch)) => {
                version.major == self.major && version.minor == minor && version.patch >= patch
            }
            (Some(minor), None) => version.major == self.major && version.minor >= minor,
            _ => version.major == self.major,
        };
        core && self.pre.keeps(&Tags::parse(version.pre.as_str()))
            && self.build.keeps(&Tags::parse(version.build.as_str()))
    }
}

/// One published release that could be an upgrade.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its parsed version.
    pub version: Version,
    /// Its channel.
    pub channel: Channel,
}

/// Keygen's upgrade: among `candidates` (published releases of the same product and
/// package the bearer may download), the newest whose channel `channel` sees, whose
/// version is above `current` and satisfies `constraint`. Semver precedence orders
/// prereleases below their release; build metadata breaks ties (`+build.2` after
/// `+build.1`).
pub fn upgrade<'a>(
    current: &Version,
    channel: Channel,
    constraint: Option<&Constraint>,
    candidates: &'a [Candidate<'a>],
) -> Option<&'a Candidate<'a>> {
    candidates
        .iter()
        .filter(|c| channel.includes(c.channel))
        .filter(|c| c.version > *current)
        .filter(|c| constraint.is_none_or(|k| k.allows(&c.version)))
        .max_by(|a, b| a.version.cmp(&b.version))
}

/// What the download gate needs to know about a license.
#[derive(Debug, Clone, Copy)]
pub struct LicenseGate<'a> {
    /// The license's product.
    pub product_id: &'a str,
    /// Suspended.
    pub suspended: bool,
    /// Owner banned.
    pub banned: bool,
    /// Expiry (unix ms), if any.
    pub expiry: Option<i64>,
    /// The policy's expiration strategy is REVOKE_ACCESS.
    pub revoke_access: bool,
    /// The policy's expiration strategy is ALLOW_ACCESS (every release, expired or not).
    pub allow_access: bool,
}

/// What the download gate needs to know about a release.
#[derive(Debug, Clone, Copy)]
pub struct ReleaseGate<'a> {
    /// The release's product.
    pub product_id: &'a str,
    /// The release date for expiry windows: `backdated` if set, else `created`.
    pub released_at: i64,
    /// Whether the license holds every constraint entitlement.
    pub entitlements_satisfied: bool,
}

/// Keygen's `verify_license_for_release!`: the reason a license may not download a
/// release, `None` when it may. An expired license under REVOKE_ACCESS may download
/// nothing; under RESTRICT_ACCESS and MAINTAIN_ACCESS only releases dated before its
/// expiry; under ALLOW_ACCESS every release.
pub fn license_denial(
    license: &LicenseGate<'_>,
    release: &ReleaseGate<'_>,
    now: i64,
) -> Option<&'static str> {
    if license.product_id != release.product_id {
        return Some("license is not valid for this product");
    }
    if license.suspended {
        return Some("license is suspended");
    }
    if license.banned {
        return Some("license is banned");
    }
    if let Some(expiry) = license.expiry {
        if license.revoke_access && expiry <= now {
            return Some("license is expired");
        }
        if !license.allow_access && release.released_at > expiry {
            return Some("release is outside license expiry window");
        }
    }
    if !release.entitlements_satisfied {
        return Some("license is missing entitlements");
    }
    None
}

#[cfg(test)]
#[path = "releases_tests.rs"]
mod tests;
