//! What tiering keeps in the catalog: the lease that lets one pass run at a time, run records
//! and their failures, candidates, the compare-and-set switch to the cold tier, and the intents
//! that make a copy orphaned by a crash collectable.

use std::time::Duration;

use sqlx::Row;

use super::objects::{enqueue_gc, object_from_row, COLUMNS};
use super::{col, ms, now_ms, Catalog, CatalogError, CatalogKind, CatalogObject};
use crate::domain::{BackingKey, Tier, UserId};

/// The `gc_queue` reason of a copy in progress: not due until its pass gives up or dies.
const INTENT: &str = "tiering-intent";

/// One tiering pass as recorded.
#[derive(Debug, Clone)]
pub struct TieringRun {
    pub id: i64,
    pub trigger: String,
    pub status: String,
    pub dry_run: bool,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub candidates: i64,
    pub moved: i64,
    pub failed: i64,
    pub bytes_moved: i64,
    /// Objects deleted by lifecycle expirations.
    pub expired: i64,
    /// Multipart uploads aborted by lifecycle rules.
    pub aborted: i64,
    pub error: Option<String>,
}

/// An object a pass could not move, and why.
#[derive(Debug, Clone)]
pub struct TieringFailure {
    pub object_id: i64,
    pub bucket: String,
    pub key: String,
    pub reason: String,
    pub failed_at: i64,
}

/// See [`Catalog::run_totals`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunTotals {
    /// Passes by status (`succeeded`, `partial`, `failed`).
    pub runs: Vec<(String, i64)>,
    pub moved: i64,
    pub failed: i64,
    /// Candidates a pass neither moved nor failed (overwritten or deleted while it ran).
    pub skipped: i64,
    pub bytes_moved: i64,
    pub last_finished: Option<i64>,
    pub last_success: Option<i64>,
}

/// How many objects and bytes a tier holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TierTotals {
    pub objects: i64,
    pub bytes: i64,
}

const RUN_COLUMNS: &str =
    "id, trigger, status, dry_run, started_at, finished_at, candidates, moved, failed, bytes_moved, expired, aborted, error";

fn run_from_row(row: &sqlx::any::AnyRow) -> Result<TieringRun, CatalogError> {
    let dry: i64 = col(row, "dry_run")?;
    Ok(TieringRun {
        id: col(row, "id")?,
        trigger: col(row, "trigger")?,
        status: col(row, "status")?,
        dry_run: dry != 0,
        started_at: col(row, "started_at")?,
        finished_at: col(row, "finished_at")?,
        candidates: col(row, "candidates")?,
        moved: col(row, "moved")?,
        failed: col(row, "failed")?,
        bytes_moved: col(row, "bytes_moved")?,
        expired: col(row, "expired")?,
        aborted: col(row, "aborted")?,
        error: col(row, "error")?,
    })
}

impl Catalog {
    /// Takes the tiering lease for `ttl` if nobody holds a live one.
    pub async fn acquire_tiering_lease(&self, holder: &str, ttl: Duration) -> Result<bool, CatalogError> {
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE tiering_lease SET holder = $1, expires_at = $2 \
             WHERE id = 1 AND (holder IS NULL OR expires_at < $3 OR holder = $1)",
        )
        .bind(holder)
        .bind(now + ms(ttl))
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Extends the lease; false when it was lost (expired and taken by another process).
    pub async fn renew_tiering_lease(&self, holder: &str, ttl: Duration) -> Result<bool, CatalogError> {
        let done = sqlx::query("UPDATE tiering_lease SET expires_at = $2 WHERE id = 1 AND holder = $1")
            .bind(holder)
            .bind(now_ms() + ms(ttl))
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn release_tiering_lease(&self, holder: &str) -> Result<(), CatalogError> {
        sqlx::query("UPDATE tiering_lease SET holder = NULL, expires_at = 0 WHERE id = 1 AND holder = $1")
            .bind(holder)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Runs still marked running when a new pass holds the lease died with their process.
    pub async fn fail_interrupted_runs(&self) -> Result<u64, CatalogError> {
        let done = sqlx::query(
            "UPDATE tiering_runs SET status = 'failed', finished_at = $1, \
             error = 'interrupted: the process running this pass stopped' WHERE status = 'running'",
        )
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    /// Copies that were in progress when their pass died are orphans now: let the collector
    /// have them. Only called while holding the lease, so no copy is in progress.
    pub async fn release_tiering_intents(&self) -> Result<u64, CatalogError> {
        let done = sqlx::query("UPDATE gc_queue SET not_before = $1, reason = 'orphaned cold copy' WHERE reason = $2")
            .bind(now_ms())
            .bind(INTENT)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }

    pub async fn start_tiering_run(&self, trigger: &str, dry_run: bool) -> Result<TieringRun, CatalogError> {
        let row = sqlx::query(&format!(
            "INSERT INTO tiering_runs (trigger, status, dry_run, started_at) VALUES ($1, 'running', $2, $3) RETURNING {RUN_COLUMNS}"
        ))
        .bind(trigger)
        .bind(i64::from(dry_run))
        .bind(now_ms())
        .fetch_one(self.pool())
        .await?;
        run_from_row(&row)
    }

    /// Records a run's figures; with a status other than `running`, it is finished now.
    pub async fn update_tiering_run(&self, run: &TieringRun) -> Result<(), CatalogError> {
        let finished = (run.status != "running").then(now_ms);
        sqlx::query(
            "UPDATE tiering_runs SET status = $2, finished_at = $3, candidates = $4, moved = $5, failed = $6, \
             bytes_moved = $7, error = $8, expired = $9, aborted = $10 WHERE id = $1",
        )
        .bind(run.id)
        .bind(&run.status)
        .bind(finished)
        .bind(run.candidates)
        .bind(run.moved)
        .bind(run.failed)
        .bind(run.bytes_moved)
        .bind(run.error.clone())
        .bind(run.expired)
        .bind(run.aborted)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn tiering_runs(&self, limit: i64, offset: i64) -> Result<(Vec<TieringRun>, i64), CatalogError> {
        let rows = sqlx::query(&format!("SELECT {RUN_COLUMNS} FROM tiering_runs ORDER BY id DESC LIMIT $1 OFFSET $2"))
            .bind(limit)
            .bind(offset)
            .fetch_all(self.pool())
            .await?;
        let total: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM tiering_runs").fetch_one(self.pool()).await?.try_get("n")?;
        Ok((rows.iter().map(run_from_row).collect::<Result<_, _>>()?, total))
    }

    pub async fn tiering_run(&self, id: i64) -> Result<Option<TieringRun>, CatalogError> {
        let row = sqlx::query(&format!("SELECT {RUN_COLUMNS} FROM tiering_runs WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(run_from_row).transpose()
    }

    /// The most recent finished run, if any.
    pub async fn last_finished_tiering_run(&self) -> Result<Option<TieringRun>, CatalogError> {
        let row = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM tiering_runs WHERE status <> 'running' ORDER BY id DESC LIMIT 1"
        ))
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(run_from_row).transpose()
    }

    pub async fn tiering_failures(&self, run_id: i64) -> Result<Vec<TieringFailure>, CatalogError> {
        let rows = sqlx::query(
            "SELECT object_id, bucket, key, reason, failed_at FROM tiering_failures WHERE run_id = $1 ORDER BY id",
        )
        .bind(run_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TieringFailure {
                    object_id: col(r, "object_id")?,
                    bucket: col(r, "bucket")?,
                    key: col(r, "key")?,
                    reason: col(r, "reason")?,
                    failed_at: col(r, "failed_at")?,
                })
            })
            .collect()
    }

    /// Hot objects written before `created_before`, after `after_id`, in id order.
    pub async fn tiering_candidates(
        &self,
        created_before: i64,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<CatalogObject>, CatalogError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM objects o JOIN buckets b ON b.id = o.bucket_id \
             WHERE o.tier = 'hot' AND o.created_at <= $1 AND o.id > $2 ORDER BY o.id LIMIT $3"
        ))
        .bind(created_before)
        .bind(after_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(object_from_row).collect()
    }

    pub async fn count_tiering_candidates(&self, created_before: i64) -> Result<i64, CatalogError> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM objects WHERE tier = 'hot' AND created_at <= $1")
            .bind(created_before)
            .fetch_one(self.pool())
            .await?
            .try_get("n")?)
    }

    /// Notes that a copy to `cold_key` is starting, so that a crash leaves it collectable.
    /// Earlier queued deletions of that key are dropped first; `None` when a collector is
    /// deleting that key right now (try the object again next pass).
    pub async fn register_tiering_intent(&self, cold_key: &BackingKey) -> Result<Option<i64>, CatalogError> {
        Ok(self.register_tiering_intents(std::slice::from_ref(cold_key)).await?.pop().flatten())
    }

    /// [`Catalog::register_tiering_intent`] for several keys at once (a pass registers a
    /// page of candidates together): the intent ids in the order of `cold_keys`. The keys
    /// must be distinct.
    pub async fn register_tiering_intents(&self, cold_keys: &[BackingKey]) -> Result<Vec<Option<i64>>, CatalogError> {
        let now = now_ms();
        let mut made = std::collections::HashMap::new();
        match self.kind() {
            // One round trip for the page: the DELETE is a data-modifying WITH, and the
            // INSERT, which sees the rows as they were before it, leaves out those it deleted.
            // A row a collector has claimed is neither deleted nor left out, so no intent is
            // made for its key.
            // (At most 1,000 keys a statement, well under Postgres's limit on parameters.)
            CatalogKind::Postgres => {
                for chunk in cold_keys.chunks(1000) {
                    let values: Vec<String> = (0..chunk.len()).map(|i| format!("(${})", i + 4)).collect();
                    let sql = format!(
                        "WITH keys (k) AS (VALUES {}), \
                         cleared AS (DELETE FROM gc_queue WHERE tier = 'cold' AND backing_key IN (SELECT k FROM keys) \
                         AND (claimed_until IS NULL OR claimed_until < $1) RETURNING id) \
                         INSERT INTO gc_queue (tier, backing_key, reason, enqueued_at, not_before) \
                         SELECT 'cold', k, $2, $1, $3 FROM keys WHERE NOT EXISTS (SELECT 1 FROM gc_queue g \
                         WHERE g.tier = 'cold' AND g.backing_key = keys.k AND g.id NOT IN (SELECT id FROM cleared)) \
                         RETURNING id, backing_key",
                        values.join(", ")
                    );
                    let mut query = sqlx::query(&sql).bind(now).bind(INTENT).bind(i64::MAX);
                    for key in chunk {
                        query = query.bind(key.as_str());
                    }
                    for row in query.fetch_all(self.pool()).await? {
                        made.insert(col::<String>(&row, "backing_key")?, col::<i64>(&row, "id")?);
                    }
                }
            }
            // Two statements a key, no transaction (in-process, no round trips to save): only
            // the pass holding the lease makes intents, and a collector that claims the key in
            // between is seen by the second one.
            CatalogKind::Sqlite => {
                for key in cold_keys {
                    sqlx::query(
                        "DELETE FROM gc_queue WHERE tier = 'cold' AND backing_key = $1 \
                         AND (claimed_until IS NULL OR claimed_until < $2)",
                    )
                    .bind(key.as_str())
                    .bind(now)
                    .execute(self.pool())
                    .await?;
                    let row = sqlx::query(
                        "INSERT INTO gc_queue (tier, backing_key, reason, enqueued_at, not_before) \
                         SELECT 'cold', $1, $2, $3, $4 \
                         WHERE NOT EXISTS (SELECT 1 FROM gc_queue WHERE tier = 'cold' AND backing_key = $1) \
                         RETURNING id",
                    )
                    .bind(key.as_str())
                    .bind(INTENT)
                    .bind(now)
                    .bind(i64::MAX)
                    .fetch_optional(self.pool())
                    .await?;
                    if let Some(row) = row {
                        made.insert(key.as_str().to_string(), col::<i64>(&row, "id")?);
                    }
                }
            }
        }
        Ok(cold_keys.iter().map(|k| made.get(k.as_str()).copied()).collect())
    }

    /// Copies in progress: intents that no switch has dropped and no pass has given up.
    pub async fn tiering_intents_in_progress(&self) -> Result<i64, CatalogError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM gc_queue WHERE reason = $1 AND not_before = $2")
            .bind(INTENT)
            .bind(i64::MAX)
            .fetch_one(self.pool())
            .await?;
        col(&row, "n")
    }

    /// The copy will not be used: its intent becomes an ordinary, due deletion.
    pub async fn abandon_tiering_intent(&self, intent_id: i64, reason: &str) -> Result<(), CatalogError> {
        sqlx::query("UPDATE gc_queue SET not_before = $2, reason = $3 WHERE id = $1")
            .bind(intent_id)
            .bind(now_ms())
            .bind(reason)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Switches the object to the cold tier if it is still version `version` in the hot tier
    /// (compare-and-set, invariant 3). The intent is dropped in the same transaction; with
    /// `drop_hot`, the hot copy is queued for deletion in it too. False when the row moved on:
    /// then the copy is an orphan and its intent is made due.
    pub async fn switch_to_cold(
        &self,
        object: &CatalogObject,
        cold_key: &BackingKey,
        intent_id: i64,
        drop_hot: Option<Duration>,
    ) -> Result<bool, CatalogError> {
        let switched = match self.kind() {
            CatalogKind::Postgres => self.switch_in_one_statement(object, cold_key, intent_id, drop_hot).await?,
            CatalogKind::Sqlite => self.switch_in_transaction(object, cold_key, intent_id, drop_hot).await?,
        };
        if !switched {
            self.abandon_tiering_intent(intent_id, "orphaned cold copy: the object changed while it was copied")
                .await?;
        }
        Ok(switched)
    }

    /// The switch as a transaction of three statements (SQLite: no round trips to save).
    async fn switch_in_transaction(
        &self,
        object: &CatalogObject,
        cold_key: &BackingKey,
        intent_id: i64,
        drop_hot: Option<Duration>,
    ) -> Result<bool, CatalogError> {
        let mut tx = self.pool().begin().await?;
        let switched = sqlx::query(
            "UPDATE objects SET tier = 'cold', cold_key = $1, tiered_at = $2, tiering_error = NULL, \
             hot_key = CASE WHEN $3 = 1 THEN NULL ELSE hot_key END \
             WHERE id = $4 AND version_id = $5 AND tier = 'hot'",
        )
        .bind(cold_key.as_str())
        .bind(now_ms())
        .bind(i64::from(drop_hot.is_some()))
        .bind(object.id)
        .bind(object.version_id.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !switched {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query("DELETE FROM gc_queue WHERE id = $1").bind(intent_id).execute(&mut *tx).await?;
        if let (Some(grace), Some(hot)) = (drop_hot, &object.hot_key) {
            enqueue_gc(&mut tx, Tier::Hot, hot.as_str(), "moved to the cold tier", grace).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// The switch on Postgres: the compare-and-set, the intent's removal and the hot copy's
    /// queueing in one statement (one round trip instead of four); its data-modifying parts
    /// commit together or not at all.
    async fn switch_in_one_statement(
        &self,
        object: &CatalogObject,
        cold_key: &BackingKey,
        intent_id: i64,
        drop_hot: Option<Duration>,
    ) -> Result<bool, CatalogError> {
        let now = now_ms();
        let hot = drop_hot.and(object.hot_key.as_ref()).map(|k| k.as_str().to_string());
        let not_before = now.saturating_add(drop_hot.map_or(0, ms));
        let switched: i64 = sqlx::query(
            "WITH switched AS (\
               UPDATE objects SET tier = 'cold', cold_key = $1, tiered_at = $2, tiering_error = NULL, \
               hot_key = CASE WHEN $3 = 1 THEN NULL ELSE hot_key END \
               WHERE id = $4 AND version_id = $5 AND tier = 'hot' RETURNING id), \
             intent AS (DELETE FROM gc_queue WHERE id = $6 AND EXISTS (SELECT 1 FROM switched) RETURNING id), \
             hot_copy AS (INSERT INTO gc_queue (tier, backing_key, reason, enqueued_at, not_before) \
               SELECT 'hot', CAST($7 AS TEXT), 'moved to the cold tier', $2, $8 \
               WHERE CAST($7 AS TEXT) IS NOT NULL AND EXISTS (SELECT 1 FROM switched) RETURNING id) \
             SELECT COUNT(*) AS n FROM switched",
        )
        .bind(cold_key.as_str())
        .bind(now)
        .bind(i64::from(drop_hot.is_some()))
        .bind(object.id)
        .bind(object.version_id.as_str())
        .bind(intent_id)
        .bind(hot)
        .bind(not_before)
        .fetch_one(self.pool())
        .await?
        .try_get("n")?;
        Ok(switched == 1)
    }

    /// Records that moving `object` failed in run `run_id`; the object stays hot.
    pub async fn record_tiering_failure(
        &self,
        run_id: i64,
        object: &CatalogObject,
        reason: &str,
    ) -> Result<(), CatalogError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO tiering_failures (run_id, object_id, bucket, key, reason, failed_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(run_id)
        .bind(object.id)
        .bind(&object.bucket)
        .bind(&object.key)
        .bind(reason)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE objects SET tiering_attempts = tiering_attempts + 1, tiering_error = $3 WHERE id = $1 AND version_id = $2",
        )
        .bind(object.id)
        .bind(object.version_id.as_str())
        .bind(reason)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Objects and bytes per tier, for one user or for everyone.
    /// What finished tiering passes (not dry runs) did, from their run records: how many ended
    /// in each status, the objects moved, failed and skipped and the bytes moved in all, and
    /// when the last pass, and the last successful one, finished (Unix ms).
    pub async fn run_totals(&self) -> Result<RunTotals, CatalogError> {
        let rows = sqlx::query(
            "SELECT status, CAST(COUNT(*) AS BIGINT) AS n, CAST(COALESCE(SUM(candidates), 0) AS BIGINT) AS candidates, \
             CAST(COALESCE(SUM(moved), 0) AS BIGINT) AS moved, CAST(COALESCE(SUM(failed), 0) AS BIGINT) AS failed, \
             CAST(COALESCE(SUM(bytes_moved), 0) AS BIGINT) AS bytes, CAST(MAX(finished_at) AS BIGINT) AS last \
             FROM tiering_runs WHERE dry_run = 0 AND status <> 'running' GROUP BY status",
        )
        .fetch_all(self.pool())
        .await?;
        let mut totals = RunTotals::default();
        for row in rows {
            let status: String = col(&row, "status")?;
            let last: Option<i64> = col(&row, "last")?;
            let (candidates, moved, failed): (i64, i64, i64) =
                (col(&row, "candidates")?, col(&row, "moved")?, col(&row, "failed")?);
            totals.moved += moved;
            totals.failed += failed;
            totals.skipped += (candidates - moved - failed).max(0);
            totals.bytes_moved += col::<i64>(&row, "bytes")?;
            totals.last_finished = totals.last_finished.max(last);
            if status == "succeeded" {
                totals.last_success = last;
            }
            totals.runs.push((status, col(&row, "n")?));
        }
        Ok(totals)
    }

    pub async fn tier_totals(&self, owner: Option<UserId>) -> Result<[(Tier, TierTotals); 2], CatalogError> {
        let rows = sqlx::query(
            "SELECT tier, COUNT(*) AS n, CAST(COALESCE(SUM(size), 0) AS BIGINT) AS bytes FROM objects \
             WHERE ($1 = 0 OR owner_id = $1) GROUP BY tier",
        )
        .bind(owner.map_or(0, |o| o.0))
        .fetch_all(self.pool())
        .await?;
        let mut out = [(Tier::Hot, TierTotals::default()), (Tier::Cold, TierTotals::default())];
        for row in rows {
            let tier: String = col(&row, "tier")?;
            let totals = TierTotals { objects: col(&row, "n")?, bytes: col::<i64>(&row, "bytes").unwrap_or(0) };
            match Tier::parse(&tier) {
                Some(Tier::Hot) => out[0].1 = totals,
                Some(Tier::Cold) => out[1].1 = totals,
                None => return Err(CatalogError::Corrupt(format!("tier {tier:?}"))),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{CatalogSettings, CatalogUrl};

    #[tokio::test]
    async fn an_intent_replaces_a_queued_deletion_but_not_one_a_collector_holds_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/catalog.db?mode=rwc", dir.path().display());
        intent_rules(CatalogUrl::Sqlite(url)).await;
    }

    /// Postgres makes an intent in one statement: the same rules must hold.
    #[tokio::test]
    async fn an_intent_replaces_a_queued_deletion_but_not_one_a_collector_holds_postgres() {
        use sqlx::Connection;
        let admin = match std::env::var("TIERGATE_TEST_PG_URL") {
            Ok(url) if !url.is_empty() => url,
            _ => {
                let required = std::env::var("TIERGATE_REQUIRE_SERVICES").is_ok_and(|v| v == "1");
                assert!(!required, "TIERGATE_TEST_PG_URL is not set, and TIERGATE_REQUIRE_SERVICES=1");
                return;
            }
        };
        let name = format!("tg_unit_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::postgres::PgConnection::connect(&admin).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
        let mut url = url::Url::parse(&admin).unwrap();
        url.set_path(&format!("/{name}"));
        intent_rules(CatalogUrl::Postgres(url.to_string())).await;
        sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut conn).await.unwrap();
    }

    async fn intent_rules(url: CatalogUrl) {
        let catalog = Catalog::connect(&CatalogSettings { url, max_connections: 2 }).await.unwrap();
        catalog.migrate().await.unwrap();
        let key = BackingKey::from_catalog("user-1/v1-a.bin".into());

        // An abandoned copy of the key is queued (due); the next intent takes its place.
        let first = catalog.register_tiering_intent(&key).await.unwrap().unwrap();
        catalog.abandon_tiering_intent(first, "a failed move").await.unwrap();
        assert_eq!(catalog.gc_pending().await.unwrap(), 1);
        let second = catalog.register_tiering_intent(&key).await.unwrap().unwrap();
        assert_ne!(first, second);
        assert_eq!(catalog.gc_pending().await.unwrap(), 1, "the queued deletion gave way to the intent");

        // A collector that claimed the queued deletion is deleting the key: no intent now.
        catalog.abandon_tiering_intent(second, "a failed move").await.unwrap();
        let claimed = catalog.gc_claim(10, Duration::from_secs(60)).await.unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!(catalog.register_tiering_intent(&key).await.unwrap(), None);

        // A page at once: the same rules for each key, answered in the page's order.
        let queued = BackingKey::from_catalog("user-1/v1-b.bin".into());
        let fresh = BackingKey::from_catalog("user-2/v1-c.bin".into());
        let abandoned = catalog.register_tiering_intent(&queued).await.unwrap().unwrap();
        catalog.abandon_tiering_intent(abandoned, "a failed move").await.unwrap();
        assert_eq!(catalog.gc_pending().await.unwrap(), 2);
        let page = [key.clone(), queued.clone(), fresh.clone()];
        let intents = catalog.register_tiering_intents(&page).await.unwrap();
        assert_eq!(intents.len(), 3);
        assert_eq!(intents[0], None, "a collector holds the first key");
        let (b, c) = (intents[1].unwrap(), intents[2].unwrap());
        assert!(b != c && b != abandoned);
        // The claimed deletion and the two intents: the second key's queued deletion gave way.
        assert_eq!(catalog.gc_pending().await.unwrap(), 3);
        for intent in [b, c] {
            catalog.abandon_tiering_intent(intent, "a failed move").await.unwrap();
        }
        assert_eq!(catalog.register_tiering_intents(&[]).await.unwrap(), Vec::<Option<i64>>::new());

        // Once it is done, the key is free again.
        catalog.gc_done(claimed[0].id).await.unwrap();
        assert!(catalog.register_tiering_intent(&key).await.unwrap().is_some());
    }
}
