//! Throttling of what anyone on the network can send without an account: sign-ups and login
//! attempts per client address, with governor's keyed token buckets (GCRA). Failed logins per
//! account are counted in the catalog instead (`Catalog::count_login_attempt`), so that limit
//! holds across processes. A refusal is 429 with `Retry-After`; nothing waits in a handler.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::StatusCode;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tiergate_core::settings::AuthSettings;

use crate::error::{retry_after_secs, ApiError};

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
    /// The buckets, and a task that forgets those of addresses that are full again every
    /// minute (it ends with the last handle to them).
    pub fn start(auth: &AuthSettings) -> Arc<Self> {
        let n = |v: u32| NonZeroU32::new(v).unwrap_or(NonZeroU32::MIN);
        let limits = Arc::new(Self {
            logins: RateLimiter::keyed(Quota::per_minute(n(auth.login_attempts_per_address))),
            signups: RateLimiter::keyed(Quota::per_hour(n(auth.signups_per_address))),
        });
        let idle = Arc::downgrade(&limits);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                match idle.upgrade() {
                    Some(limits) => limits.forget_idle(),
                    None => return,
                }
            }
        });
        limits
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
    fn forget_idle(&self) {
        self.logins.retain_recent();
        self.signups.retain_recent();
    }
}

fn take(limiter: &DefaultKeyedRateLimiter<IpAddr>, addr: &ClientAddr, what: &str) -> Result<(), ApiError> {
    let Some(ip) = addr.0 else { return Ok(()) };
    limiter.check_key(&ip).map_err(|not_until| too_many(what, not_until.wait_time_from(DefaultClock::default().now())))
}

/// 429 `rate_limited` with `Retry-After`.
pub fn too_many(what: &str, wait: Duration) -> ApiError {
    let seconds = retry_after_secs(wait);
    ApiError {
        retry_after: Some(seconds),
        ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", format!("{what}; retry in {seconds} s"))
    }
}
