//! The garbage collector: deletes backing objects the catalog no longer points to (retrying
//! with back-off when a tier refuses), and aborts multipart uploads left unfinished.

use std::time::Duration;

use tokio::sync::watch;

use crate::Core;

const BATCH: i64 = 100;
/// How long a collector holds the entries it took.
const HOLD: Duration = Duration::from_secs(300);

fn backoff(attempts: i64) -> Duration {
    Duration::from_secs(10u64.saturating_mul(1 << attempts.clamp(0, 9)).min(3600))
}

impl Core {
    /// Deletes every due entry once; returns how many backing objects were removed.
    pub async fn collect_garbage(&self) -> Result<usize, crate::catalog::CatalogError> {
        let mut removed = 0;
        loop {
            let due = self.catalog.gc_claim(BATCH, HOLD).await?;
            let n = due.len();
            let mut progressed = false;
            for entry in due {
                match self.tier(entry.tier).backend.delete(&entry.backing_key).await {
                    Ok(()) => {
                        self.catalog.gc_done(entry.id).await?;
                        removed += 1;
                        progressed = true;
                    }
                    Err(e) => {
                        tracing::warn!(tier = entry.tier.as_str(), key = %entry.backing_key, attempts = entry.attempts + 1,
                            error = %e, "garbage collection failed; will retry");
                        self.catalog.gc_failed(entry.id, &e.to_string(), backoff(entry.attempts)).await?;
                    }
                }
            }
            if n < BATCH as usize || !progressed {
                return Ok(removed);
            }
        }
    }

    /// Runs the collector every `gc.interval` until `shutdown` turns true.
    pub async fn run_gc(&self, mut shutdown: watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(self.settings.gc.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = shutdown.changed() => return,
            }
            if *shutdown.borrow() {
                return;
            }
            match self.collect_garbage().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, "garbage collected"),
                Err(e) => tracing::warn!(error = %e, "garbage collection could not read the catalog"),
            }
            match self.expire_multipart_uploads(self.settings.upload.multipart_expiry).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(aborted = n, "stale multipart uploads aborted"),
                Err(e) => tracing::warn!(error = %e, "could not expire multipart uploads"),
            }
            match self.catalog.sweep_reservations().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(swept = n, "lapsed quota reservations given back"),
                Err(e) => tracing::warn!(error = %e, "could not sweep quota reservations"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::backoff;
    use std::time::Duration;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(0), Duration::from_secs(10));
        assert_eq!(backoff(1), Duration::from_secs(20));
        assert_eq!(backoff(50), Duration::from_secs(3600));
    }
}
