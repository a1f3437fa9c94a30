//! The tiering daemon: on a cron schedule (default midnight, UTC), a pass moves hot objects to
//! the cold tier. `tiergate tiering` runs the scheduler alone; `tiergate serve` includes it.

pub mod pass;
pub mod schedule;

use std::future::Future;

use tiergate_core::Core;
use tokio::sync::watch;

pub use pass::{begin_pass, run_pass, DryAction, DryMatch, PassError, PassHooks, PassOptions, Progress, StartedPass};
pub use schedule::{Clock, Schedule, SystemClock};

/// The schedule the settings name; an error names the bad setting.
pub fn schedule_of(core: &Core) -> Result<Schedule, String> {
    Schedule::parse(&core.settings.tiering.schedule, &core.settings.tiering.timezone)
}

/// Calls `pass` every time `schedule` fires by `clock`, until `shutdown` turns true.
pub async fn run_schedule<F, Fut>(
    schedule: &Schedule,
    clock: &dyn Clock,
    mut shutdown: watch::Receiver<bool>,
    mut pass: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    loop {
        let Some(next) = schedule.next_after(clock.now()) else {
            tracing::warn!("the tiering schedule never fires again");
            return;
        };
        tracing::info!(next = %next.to_rfc3339(), "next tiering pass");
        let stopped = async {
            let _ = shutdown.wait_for(|stop| *stop).await;
        };
        tokio::select! {
            () = clock.sleep_until(next) => pass().await,
            () = stopped => return,
        }
    }
}

/// The scheduler of `tiergate serve` and `tiergate tiering`: passes on the configured schedule.
pub async fn run_scheduler(core: Core, shutdown: watch::Receiver<bool>) -> Result<(), String> {
    let schedule = schedule_of(&core)?;
    run_schedule(&schedule, &SystemClock, shutdown, || async {
        match run_pass(&core, PassOptions::new("schedule")).await {
            Ok(_) => {}
            Err(PassError::Busy) => tracing::info!("a tiering pass is already running elsewhere; skipping this one"),
            Err(e) => tracing::error!(error = %e, "tiering pass could not run"),
        }
    })
    .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, TimeZone, Utc};
    use std::pin::Pin;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    /// A clock that moves only when the test says so.
    struct ManualClock {
        now: Mutex<DateTime<Utc>>,
        moved: tokio::sync::Notify,
    }

    impl ManualClock {
        fn set(&self, t: DateTime<Utc>) {
            *self.now.lock().unwrap() = t;
            self.moved.notify_waiters();
        }
    }

    impl Clock for ManualClock {
        fn now(&self) -> DateTime<Utc> {
            *self.now.lock().unwrap()
        }

        fn sleep_until(&self, at: DateTime<Utc>) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
            Box::pin(async move {
                loop {
                    let notified = self.moved.notified();
                    if self.now() >= at {
                        return;
                    }
                    notified.await;
                }
            })
        }
    }

    async fn settle() {
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn a_pass_starts_at_midnight_in_the_configured_zone_and_not_before() {
        let schedule = Schedule::parse("0 0 * * *", "Asia/Tokyo").unwrap();
        // 14:00 UTC is 23:00 in Tokyo: midnight there is 15:00 UTC.
        let clock = Arc::new(ManualClock {
            now: Mutex::new(Utc.with_ymd_and_hms(2026, 11, 28, 14, 0, 0).unwrap()),
            moved: tokio::sync::Notify::new(),
        });
        let passes = Arc::new(AtomicUsize::new(0));
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn({
            let clock = clock.clone();
            let passes = passes.clone();
            async move {
                run_schedule(&schedule, clock.as_ref(), stopped, || {
                    let passes = passes.clone();
                    async move {
                        passes.fetch_add(1, Ordering::SeqCst);
                    }
                })
                .await
            }
        });
        settle().await;
        clock.set(Utc.with_ymd_and_hms(2026, 11, 28, 14, 59, 59).unwrap());
        settle().await;
        assert_eq!(passes.load(Ordering::SeqCst), 0, "not before midnight in Tokyo");
        clock.set(Utc.with_ymd_and_hms(2026, 11, 28, 15, 0, 0).unwrap());
        settle().await;
        assert_eq!(passes.load(Ordering::SeqCst), 1, "at midnight in Tokyo");
        clock.set(Utc.with_ymd_and_hms(2026, 11, 29, 14, 59, 0).unwrap());
        settle().await;
        assert_eq!(passes.load(Ordering::SeqCst), 1, "once a day");
        clock.set(Utc.with_ymd_and_hms(2026, 11, 29, 15, 0, 0).unwrap());
        settle().await;
        assert_eq!(passes.load(Ordering::SeqCst), 2);
        stop.send(true).unwrap();
        task.await.unwrap();
    }
}
