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
    /// expression and an IANA time zone; errors name the setting at fault. Days of the week are
    /// numbered as in standard cron (crontab(5)): 0 or 7 is Sunday, 1 Monday … 6 Saturday; names
    /// (`MON-FRI`) work too.
    pub fn parse(expr: &str, timezone: &str) -> Result<Self, String> {
        let mut fields: Vec<String> = expr.split_whitespace().map(str::to_string).collect();
        let weekday = match fields.len() {
            5 => {
                fields.insert(0, "0".to_string());
                5
            }
            6 | 7 => 5,
            _ => return Err(format!("tiering.schedule: {expr:?} is not a cron expression of 5 fields")),
        };
        fields[weekday] =
            standard_weekdays(&fields[weekday]).map_err(|e| format!("tiering.schedule: {expr:?}: {e}"))?;
        let full = fields.join(" ");
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

/// A day-of-week field in standard cron's numbers (0–7, Sunday 0 and 7) in the numbers of the
/// `cron` crate (1–7, Sunday 1), which would otherwise read `0 0 * * 1` as Sundays.
fn standard_weekdays(field: &str) -> Result<String, String> {
    let day = |raw: &str| -> Result<u32, String> {
        raw.parse::<u32>().ok().filter(|n| *n <= 7).ok_or_else(|| format!("{raw:?} is not a day of the week (0-7)"))
    };
    let items = field.split(',').map(|item| {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (item, None),
        };
        let mapped = if range == "*" || range == "?" || range.chars().any(|c| c.is_ascii_alphabetic()) {
            range.to_string()
        } else {
            match range.split_once('-') {
                // Up to Sunday as 7: the days to Saturday, and Sunday (1).
                Some((a, b)) if day(b)? == 7 && day(a)? > 0 && step.is_none() => format!("{}-7,1", day(a)? + 1),
                Some((_, b)) if day(b)? == 7 && step.is_some() => {
                    return Err("a stepped range of days may not end at 7; end it at 6".to_string())
                }
                Some((a, b)) => format!("{}-{}", day(a)? % 7 + 1, if day(b)? == 7 { 7 } else { day(b)? + 1 }),
                None => (day(range)? % 7 + 1).to_string(),
            }
        };
        Ok(match step {
            Some(s) => format!("{mapped}/{s}"),
            None => mapped,
        })
    });
    Ok(items.collect::<Result<Vec<_>, String>>()?.join(","))
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
    fn days_of_the_week_are_numbered_as_in_crontab() {
        // Tuesday 1 December 2026, noon.
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
        let next = |expr: &str| Schedule::parse(expr, "UTC").unwrap().next_after(now).unwrap();
        let day = |d: u32| Utc.with_ymd_and_hms(2026, 12, d, 0, 0, 0).unwrap();
        assert_eq!(next("0 0 * * 1"), day(7), "1 is Monday");
        assert_eq!(next("0 0 * * 0"), day(6), "0 is Sunday");
        assert_eq!(next("0 0 * * 7"), day(6), "7 is Sunday too");
        assert_eq!(next("0 0 * * 6"), day(5), "6 is Saturday");
        assert_eq!(next("0 0 * * 1-5"), day(2), "weekdays: Wednesday next");
        assert_eq!(next("0 0 * * 6-7"), day(5), "the weekend from Saturday");
        assert_eq!(next("0 0 * * 0,3"), day(2));
        assert_eq!(next("0 0 * * MON"), day(7));
        assert_eq!(next("0 0 0 * * 1"), day(7), "with seconds as well");
        assert!(Schedule::parse("0 0 * * 8", "UTC").unwrap_err().contains("tiering.schedule"));
    }

    #[test]
    fn bad_expressions_and_zones_name_the_setting() {
        assert!(Schedule::parse("every night", "UTC").unwrap_err().contains("tiering.schedule"));
        assert!(Schedule::parse("61 0 * * *", "UTC").unwrap_err().contains("tiering.schedule"));
        assert!(Schedule::parse("0 0 * * *", "Mars/Olympus").unwrap_err().contains("tiering.timezone"));
        assert!(Schedule::parse("*/5 * * * * *", "UTC").is_ok());
    }
}
