//! When passes run: a cron expression in a time zone, and the clock that waits for it
//! (injectable, so tests need not wait for midnight).

use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// A cron schedule in a time zone.
#[derive(Debug, Clone)]
pub struct Schedule {
    cron: cron::Schedule,
    tz: Tz,
}

impl Schedule {
    /// Parses a 5-field (minute hour day month weekday) or 6/7-field (with seconds, year) cron
    /// expression and an IANA time zone; errors name the setting at fault.
    pub fn parse(expr: &str, timezone: &str) -> Result<Self, String> {
        let fields = expr.split_whitespace().count();
        let full = match fields {
            5 => format!("0 {expr}"),
            6 | 7 => expr.to_string(),
            _ => return Err(format!("tiering.schedule: {expr:?} is not a cron expression of 5 fields")),
        };
        let cron = cron::Schedule::from_str(&full).map_err(|e| format!("tiering.schedule: {expr:?}: {e}"))?;
        let tz =
            Tz::from_str(timezone).map_err(|_| format!("tiering.timezone: {timezone:?} is not an IANA time zone"))?;
        Ok(Self { cron, tz })
    }

    /// The first time strictly after `now` the schedule fires.
    pub fn next_after(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.after(&now.with_timezone(&self.tz)).next().map(|t| t.with_timezone(&Utc))
    }
}

/// Time as the scheduler sees it.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
    /// Completes once `now()` has reached `at`.
    fn sleep_until(&self, at: DateTime<Utc>) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// The real clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep_until(&self, at: DateTime<Utc>) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            // Sleep in steps, so a wall clock that jumps (NTP, suspend) is noticed.
            loop {
                let left = at - Utc::now();
                if left <= chrono::Duration::zero() {
                    return;
                }
                let step = left.to_std().unwrap_or_default().min(std::time::Duration::from_secs(60));
                tokio::time::sleep(step).await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn midnight_in_the_configured_zone() {
        let s = Schedule::parse("0 0 * * *", "Europe/Paris").unwrap();
        // 22:30 UTC on 28 November is 23:30 in Paris: midnight there is 23:00 UTC.
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 22, 30, 0).unwrap();
        assert_eq!(s.next_after(now), Some(Utc.with_ymd_and_hms(2026, 11, 28, 23, 0, 0).unwrap()));
        let utc = Schedule::parse("0 0 * * *", "UTC").unwrap();
        assert_eq!(utc.next_after(now), Some(Utc.with_ymd_and_hms(2026, 11, 29, 0, 0, 0).unwrap()));
        // In summer Paris is UTC+2.
        let june = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
        assert_eq!(s.next_after(june), Some(Utc.with_ymd_and_hms(2026, 6, 1, 22, 0, 0).unwrap()));
    }

    #[test]
    fn bad_expressions_and_zones_name_the_setting() {
        assert!(Schedule::parse("every night", "UTC").unwrap_err().contains("tiering.schedule"));
        assert!(Schedule::parse("61 0 * * *", "UTC").unwrap_err().contains("tiering.schedule"));
        assert!(Schedule::parse("0 0 * * *", "Mars/Olympus").unwrap_err().contains("tiering.timezone"));
        assert!(Schedule::parse("*/5 * * * * *", "UTC").is_ok());
    }
}
