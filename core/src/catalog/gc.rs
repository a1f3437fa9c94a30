//! The queue of backing objects to delete: superseded versions, deleted objects, orphaned copies.

use std::time::Duration;

use super::{col, ms, now_ms, Catalog, CatalogError};
use crate::domain::{BackingKey, Tier};

/// One backing object waiting to be deleted.
#[derive(Debug, Clone)]
pub struct GcEntry {
    pub id: i64,
    pub tier: Tier,
    pub backing_key: BackingKey,
    pub attempts: i64,
}

impl Catalog {
    /// Takes up to `limit` due entries for `hold` (claimed: no other collector takes them, and
    /// tiering does not reuse their keys, until they are done or the hold runs out).
    pub async fn gc_claim(&self, limit: i64, hold: Duration) -> Result<Vec<GcEntry>, CatalogError> {
        let now = now_ms();
        let rows = sqlx::query(
            "UPDATE gc_queue SET claimed_until = $3 \
             WHERE id IN (SELECT id FROM gc_queue WHERE not_before <= $1 AND (claimed_until IS NULL OR claimed_until < $1) \
                          ORDER BY not_before, id LIMIT $2) \
             AND not_before <= $1 AND (claimed_until IS NULL OR claimed_until < $1) \
             RETURNING id, tier, backing_key, attempts",
        )
        .bind(now)
        .bind(limit)
        .bind(now.saturating_add(ms(hold)))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let tier: String = col(row, "tier")?;
                Ok(GcEntry {
                    id: col(row, "id")?,
                    tier: Tier::parse(&tier).ok_or_else(|| CatalogError::Corrupt(format!("gc tier {tier:?}")))?,
                    backing_key: BackingKey::from_catalog(col(row, "backing_key")?),
                    attempts: col(row, "attempts")?,
                })
            })
            .collect()
    }

    /// The backing object is gone: forget the entry.
    pub async fn gc_done(&self, id: i64) -> Result<(), CatalogError> {
        sqlx::query("DELETE FROM gc_queue WHERE id = $1").bind(id).execute(self.pool()).await?;
        Ok(())
    }

    /// Deleting failed: try again after `retry_in`.
    pub async fn gc_failed(&self, id: i64, error: &str, retry_in: Duration) -> Result<(), CatalogError> {
        sqlx::query(
            "UPDATE gc_queue SET attempts = attempts + 1, last_error = $2, not_before = $3, claimed_until = NULL WHERE id = $1",
        )
            .bind(id)
            .bind(error)
            .bind(now_ms().saturating_add(ms(retry_in)))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// How many entries wait, due or not.
    pub async fn gc_pending(&self) -> Result<i64, CatalogError> {
        use sqlx::Row;
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM gc_queue").fetch_one(self.pool()).await?.try_get("n")?)
    }
}
