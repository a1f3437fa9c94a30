//! Buckets: names are per user, so two users may both own `photos`.

use super::{col, now_ms, Catalog, CatalogError};
use crate::domain::{BucketName, UserId};

/// A bucket and its owner.
#[derive(Debug, Clone)]
pub struct Bucket {
    pub id: i64,
    pub owner: UserId,
    pub name: String,
    pub created_at: i64,
}

fn bucket_from_row(row: &sqlx::any::AnyRow) -> Result<Bucket, CatalogError> {
    Ok(Bucket {
        id: col(row, "id")?,
        owner: UserId(col(row, "owner_id")?),
        name: col(row, "name")?,
        created_at: col(row, "created_at")?,
    })
}

/// Buckets remembered for writes at most; past that the memory starts again.
const REMEMBERED_BUCKETS: usize = 10_000;

impl Catalog {
    /// The owner's bucket of that name.
    pub async fn bucket(&self, owner: UserId, name: &BucketName) -> Result<Option<Bucket>, CatalogError> {
        let row = sqlx::query("SELECT id, owner_id, name, created_at FROM buckets WHERE owner_id = $1 AND name = $2")
            .bind(owner.0)
            .bind(name.as_str())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(bucket_from_row).transpose()
    }

    /// The owner's bucket of that name, for a write, from a per-process memory of the buckets
    /// written to lately: one query less per PUT. A remembered bucket may have been deleted
    /// since (by any process); the write's row then fails its foreign key with
    /// [`CatalogError::Gone`], and the writer asks again with [`Catalog::forget_bucket`]. Bucket
    /// ids are never reused, so a remembered id names that bucket or none. Reads never use
    /// this: an id of a deleted bucket would make them answer for nothing.
    pub async fn bucket_for_write(&self, owner: UserId, name: &BucketName) -> Result<Option<Bucket>, CatalogError> {
        let key = (owner.0, name.as_str().to_string());
        if let Some(bucket) = self.buckets_written.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(Some(bucket.clone()));
        }
        let bucket = self.bucket(owner, name).await?;
        if let Some(bucket) = &bucket {
            let mut remembered = self.buckets_written.lock().unwrap_or_else(|p| p.into_inner());
            if remembered.len() >= REMEMBERED_BUCKETS {
                remembered.clear();
            }
            remembered.insert(key, bucket.clone());
        }
        Ok(bucket)
    }

    /// Forgets a remembered bucket (it was deleted, or a write found it gone).
    pub fn forget_bucket(&self, owner: UserId, bucket_id: i64) {
        self.buckets_written
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(o, _), b| *o != owner.0 || b.id != bucket_id);
    }

    /// Creates a bucket; `Conflict` when the owner already has one of that name.
    pub async fn create_bucket(&self, owner: UserId, name: &BucketName) -> Result<Bucket, CatalogError> {
        let row = sqlx::query(
            "INSERT INTO buckets (owner_id, name, created_at) VALUES ($1, $2, $3) RETURNING id, owner_id, name, created_at",
        )
        .bind(owner.0)
        .bind(name.as_str())
        .bind(now_ms())
        .fetch_one(self.pool())
        .await?;
        bucket_from_row(&row)
    }

    /// The owner's bucket of that name, created when missing (as the default bucket is when
    /// the user deleted it); two callers racing to create it get the same bucket.
    pub async fn bucket_or_create(&self, owner: UserId, name: &BucketName) -> Result<Bucket, CatalogError> {
        // Read first: the bucket nearly always exists, and a read costs less than an insert.
        if let Some(bucket) = self.bucket(owner, name).await? {
            return Ok(bucket);
        }
        sqlx::query("INSERT INTO buckets (owner_id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (owner_id, name) DO NOTHING")
            .bind(owner.0)
            .bind(name.as_str())
            .bind(now_ms())
            .execute(self.pool())
            .await?;
        self.bucket(owner, name).await?.ok_or(CatalogError::Conflict)
    }

    /// The owner's buckets, by name.
    pub async fn buckets(&self, owner: UserId) -> Result<Vec<Bucket>, CatalogError> {
        let rows = sqlx::query("SELECT id, owner_id, name, created_at FROM buckets WHERE owner_id = $1 ORDER BY name")
            .bind(owner.0)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(bucket_from_row).collect()
    }
}

/// What became of a bucket deletion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketDeletion {
    Deleted,
    NotEmpty,
    NotFound,
}

impl Catalog {
    /// Deletes the owner's bucket if it holds no objects (abort its multipart uploads first).
    pub async fn delete_bucket(&self, owner: UserId, bucket_id: i64) -> Result<BucketDeletion, CatalogError> {
        let done = sqlx::query(
            "DELETE FROM buckets WHERE id = $1 AND owner_id = $2 \
             AND NOT EXISTS (SELECT 1 FROM objects WHERE bucket_id = $1) \
             AND NOT EXISTS (SELECT 1 FROM multipart_uploads WHERE bucket_id = $1)",
        )
        .bind(bucket_id)
        .bind(owner.0)
        .execute(self.pool())
        .await?;
        self.forget_bucket(owner, bucket_id);
        if done.rows_affected() > 0 {
            return Ok(BucketDeletion::Deleted);
        }
        let exists = sqlx::query("SELECT id FROM buckets WHERE id = $1 AND owner_id = $2")
            .bind(bucket_id)
            .bind(owner.0)
            .fetch_optional(self.pool())
            .await?;
        Ok(if exists.is_some() { BucketDeletion::NotEmpty } else { BucketDeletion::NotFound })
    }
}

/// A bucket with what it holds per tier (the dashboard's bucket list).
#[derive(Debug, Clone)]
pub struct BucketSummary {
    pub bucket: Bucket,
    pub hot_objects: i64,
    pub hot_bytes: i64,
    pub cold_objects: i64,
    pub cold_bytes: i64,
    pub has_lifecycle: bool,
}

impl Catalog {
    /// The owner's buckets by name, with their objects and bytes per tier and whether they have
    /// a lifecycle configuration. Reads every object row of the owner (an aggregate).
    pub async fn bucket_summaries(&self, owner: UserId) -> Result<Vec<BucketSummary>, CatalogError> {
        let rows = sqlx::query(
            "SELECT b.id, b.owner_id, b.name, b.created_at, \
             CAST(COALESCE(SUM(CASE WHEN o.tier = 'hot' THEN 1 ELSE 0 END), 0) AS BIGINT) AS hot_objects, \
             CAST(COALESCE(SUM(CASE WHEN o.tier = 'hot' THEN o.size ELSE 0 END), 0) AS BIGINT) AS hot_bytes, \
             CAST(COALESCE(SUM(CASE WHEN o.tier = 'cold' THEN 1 ELSE 0 END), 0) AS BIGINT) AS cold_objects, \
             CAST(COALESCE(SUM(CASE WHEN o.tier = 'cold' THEN o.size ELSE 0 END), 0) AS BIGINT) AS cold_bytes, \
             (SELECT COUNT(*) FROM bucket_lifecycle l WHERE l.bucket_id = b.id) AS lifecycle \
             FROM buckets b LEFT JOIN objects o ON o.bucket_id = b.id WHERE b.owner_id = $1 \
             GROUP BY b.id, b.owner_id, b.name, b.created_at ORDER BY b.name",
        )
        .bind(owner.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(BucketSummary {
                    bucket: bucket_from_row(row)?,
                    hot_objects: col(row, "hot_objects")?,
                    hot_bytes: col(row, "hot_bytes")?,
                    cold_objects: col(row, "cold_objects")?,
                    cold_bytes: col(row, "cold_bytes")?,
                    has_lifecycle: col::<i64>(row, "lifecycle")? > 0,
                })
            })
            .collect()
    }
}
