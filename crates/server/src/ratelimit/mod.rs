//! Rate limits, as Keygen's Rack::Attack throttles (spec §10), on `governor`'s GCRA
//! limiters keyed by a SHA-256 of (throttle, account, client IP, subject):
//!
//! | window   | route                                           | limit        | subject            |
//! |----------|-------------------------------------------------|--------------|--------------------|
//! | `auth`   | `POST …/tokens` with Basic `email:password`      | 5 per minute | email              |
//! | `rstpwd` | `POST …/passwords`                               | 5 per hour   | `meta.email`       |
//! | `mutpwd` | `POST …/users/{id}/actions/{update,reset}-password` | 5 per 10 min | user id or email |
//! | `mutmfa` | `POST …/users/{id}/second-factors`, `PATCH`/`PUT`/`DELETE …/second-factors/{id}` | 5 per 10 min | user id or email |
//! | `1s`/`1m`| every request, when `max_rps`/`max_rpm` are set | configured   | credential         |
//!
//! A throttled request gets 429 `TOO_MANY_REQUESTS` with `Retry-After` and
//! `X-RateLimit-{Window,Count,Limit,Remaining,Reset}`; requests under the general
//! limits carry the same headers. The limiters run on the server's clock and live in
//! this process: with several nodes each enforces its own budget (see README).
//! Keys whose state is back to fresh are dropped every minute, so memory follows the
//! recent traffic.

mod keys;

use crate::account::Account;
use crate::client_ip::ClientIp;
use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::Clock as _;
use governor::middleware::StateInformationMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};
use keys::Guarded;
use latchkey_core::clock::SharedClock;
use sha2::{Digest, Sha256};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Keygen's fixed budget for credential routes.
const CREDENTIAL_BURST: NonZeroU32 = NonZeroU32::MIN.saturating_add(4);
/// How often idle keys are dropped.
const PRUNE_EVERY: Duration = Duration::from_secs(60);
/// A limiter holding more keys than this is pruned at once (at most once a second).
const PRUNE_ABOVE_KEYS: usize = 100_000;

/// The server clock as a never-decreasing count of nanoseconds since the epoch: a
/// wall clock stepping back only pauses replenishment.
#[derive(Clone)]
struct LimiterClock {
    clock: SharedClock,
    high_water: Arc<AtomicU64>,
}

impl governor::clock::Clock for LimiterClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        let nanos = u64::try_from(self.clock.now().unix_timestamp_nanos()).unwrap_or(0);
        let previous = self.high_water.fetch_max(nanos, Ordering::Relaxed);
        Nanos::from(previous.max(nanos))
    }
}

type Limiter =
    RateLimiter<[u8; 32], DashMapStateStore<[u8; 32]>, LimiterClock, StateInformationMiddleware>;

/// One throttle: a window name, its budget and its keyed limiter.
struct Throttle {
    window: &'static str,
    limit: u32,
    limiter: Limiter,
}

/// The state of one key after a decision.
#[derive(Debug, Clone)]
struct Usage {
    window: &'static str,
    limit: u32,
    remaining: u32,
    /// Seconds until the next request would be allowed (0 when it would be now).
    retry_after: u64,
    /// Unix seconds when the budget is whole again (or, when throttled, usable).
    reset: u64,
}

impl Throttle {
    fn new(window: &'static str, limit: NonZeroU32, period: Duration, clock: LimiterClock) -> Self {
        let per_cell = (period / limit.get()).max(Duration::from_nanos(1));
        let quota = Quota::with_period(per_cell)
            .unwrap_or_else(|| Quota::per_second(limit))
            .allow_burst(limit);
        Self {
            window,
            limit: limit.get(),
            limiter: RateLimiter::dashmap_with_clock(quota, clock)
                .with_middleware::<StateInformationMiddleware>(),
        }
    }

    fn key(&self, account: &str, ip: IpAddr, subject: &str) -> [u8; 32] {
        let mut hash = Sha256::new();
        for part in [self.window, account, &ip.to_string(), subject] {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
        hash.finalize().into()
    }

    /// Counts one request against `key`: `Ok` when allowed, `Err` when throttled.
    fn check(&self, key: &[u8; 32], now: Nanos) -> Result<Usage, Usage> {
        let now_secs = now.as_u64() / 1_000_000_000;
        match self.limiter.check_key(key) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity().min(self.limit);
                let quota = snapshot.quota();
                let refill = quota.replenish_interval() * (self.limit - remaining);
                Ok(Usage {
                    window: self.window,
                    limit: self.limit,
                    remaining,
                    retry_after: 0,
                    reset: now_secs + refill.as_secs_f64().ceil() as u64,
                })
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(now);
                let retry_after = (wait.as_secs_f64().ceil() as u64).max(1);
                Err(Usage {
                    window: self.window,
                    limit: self.limit,
                    remaining: 0,
                    retry_after,
                    reset: now_secs + retry_after,
                })
            }
        }
    }
}

/// Every throttle of one server.
pub struct RateLimits {
    clock: LimiterClock,
    login: Throttle,
    reset_request: Throttle,
    password_change: Throttle,
    second_factor: Throttle,
    per_second: Option<Throttle>,
    per_minute: Option<Throttle>,
    last_prune: AtomicU64,
    max_body: usize,
}

impl RateLimits {
    /// The throttles for a server's configuration and clock.
    pub fn new(state: &AppState) -> Self {
        let clock = LimiterClock {
            clock: state.clock.clone(),
            high_water: Arc::new(AtomicU64::new(0)),
        };
        let minute = Duration::from_secs(60);
        let throttle = |window, limit, period| Throttle::new(window, limit, period, clock.clone());
        let start = clock.now().as_u64();
        Self {
            login: throttle("auth", CREDENTIAL_BURST, minute),
            reset_request: throttle("rstpwd", CREDENTIAL_BURST, minute * 60),
            password_change: throttle("mutpwd", CREDENTIAL_BURST, minute * 10),
            second_factor: throttle("mutmfa", CREDENTIAL_BURST, minute * 10),
            per_second: state
                .config
                .max_rps
                .map(|limit| throttle("1s", limit, Duration::from_secs(1))),
            per_minute: state
                .config
                .max_rpm
                .map(|limit| throttle("1m", limit, minute)),
            clock,
            last_prune: AtomicU64::new(start),
            max_body: state.config.max_body_bytes,
        }
    }

    fn throttles(&self) -> impl Iterator<Item = &Throttle> {
        [
            &self.login,
            &self.reset_request,
            &self.password_change,
            &self.second_factor,
        ]
        .into_iter()
        .chain(self.per_second.as_ref())
        .chain(self.per_minute.as_ref())
    }

    /// Drops keys that are back to a fresh state, once a minute or when a limiter
    /// grows large; one caller does it while the others carry on.
    fn prune_if_due(&self, now: Nanos) {
        let last = self.last_prune.load(Ordering::Relaxed);
        let elapsed = Duration::from_nanos(now.as_u64().saturating_sub(last));
        let crowded = self.throttles().any(|t| t.limiter.len() > PRUNE_ABOVE_KEYS);
        let due = elapsed >= PRUNE_EVERY || (crowded && elapsed >= Duration::from_secs(1));
        if due
            && self
                .last_prune
                .compare_exchange(last, now.as_u64(), Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        {
            for throttle in self.throttles() {
                throttle.limiter.retain_recent();
                throttle.limiter.shrink_to_fit();
            }
        }
    }
}

/// 429 with Keygen's headers.
fn throttled(usage: &Usage) -> Response {
    let mut response = ApiError::too_many_requests().into_response();
    set_headers(response.headers_mut(), usage);
    response.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        HeaderValue::from(usage.retry_after),
    );
    response
}

fn set_headers(headers: &mut HeaderMap, usage: &Usage) {
    headers.insert("x-ratelimit-window", HeaderValue::from_static(usage.window));
    headers.insert(
        "x-ratelimit-count",
        HeaderValue::from(usage.limit - usage.remaining),
    );
    headers.insert("x-ratelimit-limit", HeaderValue::from(usage.limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(usage.remaining));
    headers.insert("x-ratelimit-reset", HeaderValue::from(usage.reset));
}

/// Middleware: applies the throttles (see module docs). Runs after account
/// resolution (paths are account-less here) and after the body was buffered.
pub async fn layer(
    State(limits): State<Arc<RateLimits>>,
    request: Request,
    next: Next,
) -> Response {
    let now = limits.clock.now();
    limits.prune_if_due(now);
    let ip = request
        .extensions()
        .get::<ClientIp>()
        .map(|ClientIp(ip)| *ip)
        .or_else(|| {
            request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip())
        })
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let account = request
        .extensions()
        .get::<Account>()
        .map(|a| a.id().to_owned())
        .unwrap_or_default();

    // General limits: the most used one is reported on the response.
    let mut shown: Option<Usage> = None;
    if limits.per_second.is_some() || limits.per_minute.is_some() {
        let credential = keys::credential(request.headers(), request.uri().query());
        for throttle in limits.per_second.iter().chain(limits.per_minute.iter()) {
            let key = throttle.key(&account, ip, &credential);
            match throttle.check(&key, now) {
                Ok(usage) => {
                    let used = |u: &Usage| f64::from(u.limit - u.remaining) / f64::from(u.limit);
                    if shown.as_ref().is_none_or(|s| used(&usage) > used(s)) {
                        shown = Some(usage);
                    }
                }
                Err(usage) => return throttled(&usage),
            }
        }
    }

    let (request, subject) = match keys::guarded(request.method(), request.uri().path()) {
        None => (request, None),
        Some(Guarded::Login) => {
            let email = keys::login_email(request.headers());
            (request, email.map(|e| (&limits.login, e)))
        }
        Some(Guarded::PasswordChange) => {
            let user = keys::password_user(request.uri().path());
            (request, user.map(|u| (&limits.password_change, u)))
        }
        Some(Guarded::SecondFactor) => {
            let user = keys::second_factor_user(request.uri().path());
            (request, user.map(|u| (&limits.second_factor, u)))
        }
        Some(Guarded::ResetRequest) => {
            let (parts, body) = request.into_parts();
            let bytes = match axum::body::to_bytes(body, limits.max_body).await {
                Ok(bytes) => bytes,
                Err(_) => return ApiError::too_large().into_response(),
            };
            let email = keys::reset_email(&bytes);
            (
                Request::from_parts(parts, Body::from(bytes)),
                email.map(|e| (&limits.reset_request, e)),
            )
        }
    };
    if let Some((throttle, subject)) = subject {
        let key = throttle.key(&account, ip, &subject);
        if let Err(usage) = throttle.check(&key, now) {
            tracing::warn!(%ip, window = usage.window, "throttled credential request");
            return throttled(&usage);
        }
    }
    let mut response = next.run(request).await;
    if let Some(usage) = shown {
        set_headers(response.headers_mut(), &usage);
    }
    response
}
