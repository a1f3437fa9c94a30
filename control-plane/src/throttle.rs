//! Throttling of what anyone on the network can send without an account: sign-ups and login
//! attempts per client address, with governor's keyed token buckets (GCRA). Failed logins per
//! account are counted in the catalog instead (`Catalog::count_login_attempt`), so that limit
//! holds across processes. A refusal is 429 with `Retry-After`; nothing waits in a handler.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::StatusCode;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tiergate_core::settings::AuthSettings;

use crate::error::ApiError;

/// The address a request came from, when the server knows it (it does when it serves with
/// connect info, as `serve` does; a router driven in-process has none and is not throttled).
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())))
    }
}

/// The per-address buckets: login attempts per minute, sign-ups per hour
/// (`auth.login_attempts_per_address`, `auth.signups_per_address`).
pub struct AddressLimits {
    logins: DefaultKeyedRateLimiter<IpAddr>,
    signups: DefaultKeyedRateLimiter<IpAddr>,
}

impl AddressLimits {
    pub fn new(auth: &AuthSettings) -> Self {
        let n = |v: u32| NonZeroU32::new(v).unwrap_or(NonZeroU32::MIN);
        Self {
            logins: RateLimiter::keyed(Quota::per_minute(n(auth.login_attempts_per_address))),
            signups: RateLimiter::keyed(Quota::per_hour(n(auth.signups_per_address))),
        }
    }

    /// Takes a login attempt from `addr`'s bucket, or refuses it with 429.
    pub fn login(&self, addr: &ClientAddr) -> Result<(), ApiError> {
        take(&self.logins, addr, "too many login attempts from your address")
    }

    /// Takes a sign-up from `addr`'s bucket, or refuses it with 429.
    pub fn signup(&self, addr: &ClientAddr) -> Result<(), ApiError> {
        take(&self.signups, addr, "too many sign-ups from your address")
    }

    /// Forgets the buckets of addresses that are full again, so memory follows the addresses
    /// seen lately, not every address ever seen.
    pub fn forget_idle(&self) {
        self.logins.retain_recent();
        self.signups.retain_recent();
    }
}

fn take(limiter: &DefaultKeyedRateLimiter<IpAddr>, addr: &ClientAddr, what: &str) -> Result<(), ApiError> {
    let Some(ip) = addr.0 else { return Ok(()) };
    limiter.check_key(&ip).map_err(|not_until| too_many(what, not_until.wait_time_from(DefaultClock::default().now())))
}

/// 429 `rate_limited` with `Retry-After` (whole seconds, at least 1).
pub fn too_many(what: &str, wait: Duration) -> ApiError {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let seconds = seconds.max(1);
    ApiError {
        retry_after: Some(seconds),
        ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", format!("{what}; retry in {seconds} s"))
    }
}
