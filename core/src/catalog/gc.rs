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
    /// Entries whose time has come, oldest first.
    pub async fn gc_due(&self, limit: i64) -> Result<Vec<GcEntry>, CatalogError> {
        let rows = sqlx::query(
            "SELECT id, tier, backing_key, attempts FROM gc_queue WHERE not_before <= $1 ORDER BY not_before, id LIMIT $2",
        )
        .bind(now_ms())
        .bind(limit)
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
        sqlx::query("UPDATE gc_queue SET attempts = attempts + 1, last_error = $2, not_before = $3 WHERE id = $1")
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
