//! Multipart uploads in progress and their parts.

use std::collections::BTreeMap;

use super::objects::{json_map, to_json};
use super::{col, now_ms, Catalog, CatalogError};
use crate::checksum::{ChecksumAlgorithm, ChecksumType, UploadChecksum};
use crate::domain::{BackingKey, UserId, VersionId};
use crate::tagging::TagSet;

/// A multipart upload that was created and not yet completed or aborted.
#[derive(Debug, Clone)]
pub struct MultipartUpload {
    pub upload_id: String,
    pub owner: UserId,
    pub bucket_id: i64,
    pub key: String,
    pub version_id: VersionId,
    pub backing_key: BackingKey,
    pub backend_upload_id: String,
    pub content_type: Option<String>,
    pub user_metadata: BTreeMap<String, String>,
    pub headers: BTreeMap<String, String>,
    /// The additional checksum the object gets, chosen at creation.
    pub checksum: Option<UploadChecksum>,
    /// The tags the object gets when the upload completes.
    pub tags: TagSet,
    pub created_at: i64,
}

/// What a new multipart upload is recorded with.
#[derive(Debug, Clone)]
pub struct NewMultipartUpload {
    pub upload_id: String,
    pub owner: UserId,
    pub bucket_id: i64,
    pub key: String,
    pub version_id: VersionId,
    pub backing_key: BackingKey,
    pub backend_upload_id: String,
    pub content_type: Option<String>,
    pub user_metadata: BTreeMap<String, String>,
    pub headers: BTreeMap<String, String>,
    pub checksum: Option<UploadChecksum>,
    pub tags: TagSet,
}

/// One uploaded part.
#[derive(Debug, Clone)]
pub struct MultipartPart {
    pub part_number: i32,
    pub size: u64,
    /// Hex MD5 of the part's bytes (the part's S3 ETag).
    pub etag: String,
    /// The backend's ETag for the part, needed to complete there.
    pub backend_etag: String,
    /// The part's additional checksums (base64) by algorithm key (`sha256`…).
    pub checksums: BTreeMap<String, String>,
    pub created_at: i64,
}

pub(super) const UPLOAD_COLUMNS: &str =
    "upload_id, owner_id, bucket_id, key, version_id, backing_key, backend_upload_id, \
    content_type, user_metadata, headers, checksum_algorithm, checksum_type, created_at, tags";

fn checksum_from_row(row: &sqlx::any::AnyRow) -> Result<Option<UploadChecksum>, CatalogError> {
    let algorithm: Option<String> = col(row, "checksum_algorithm")?;
    let kind: Option<String> = col(row, "checksum_type")?;
    let corrupt = |e: crate::checksum::ChecksumError| CatalogError::Corrupt(format!("checksum: {e}"));
    match (algorithm, kind) {
        (Some(a), Some(k)) => Ok(Some(UploadChecksum {
            algorithm: ChecksumAlgorithm::parse(&a).map_err(corrupt)?,
            kind: ChecksumType::parse(&k).map_err(corrupt)?,
        })),
        _ => Ok(None),
    }
}

pub(super) fn upload_from_row(row: &sqlx::any::AnyRow) -> Result<MultipartUpload, CatalogError> {
    Ok(MultipartUpload {
        upload_id: col(row, "upload_id")?,
        owner: UserId(col(row, "owner_id")?),
        bucket_id: col(row, "bucket_id")?,
        key: col(row, "key")?,
        version_id: VersionId::from_catalog(col(row, "version_id")?),
        backing_key: BackingKey::from_catalog(col(row, "backing_key")?),
        backend_upload_id: col(row, "backend_upload_id")?,
        content_type: col(row, "content_type")?,
        user_metadata: json_map(row, "user_metadata")?,
        headers: json_map(row, "headers")?,
        checksum: checksum_from_row(row)?,
        tags: TagSet::from_json(&col::<String>(row, "tags")?)
            .map_err(|e| CatalogError::Corrupt(format!("tags: {e}")))?,
        created_at: col(row, "created_at")?,
    })
}

impl Catalog {
    pub async fn create_multipart_upload(&self, new: &NewMultipartUpload) -> Result<MultipartUpload, CatalogError> {
        let row = sqlx::query(&format!(
            "INSERT INTO multipart_uploads (upload_id, owner_id, bucket_id, key, version_id, backing_key, \
             backend_upload_id, content_type, user_metadata, created_at, headers, checksum_algorithm, checksum_type, tags) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING {UPLOAD_COLUMNS}"
        ))
        .bind(&new.upload_id)
        .bind(new.owner.0)
        .bind(new.bucket_id)
        .bind(&new.key)
        .bind(new.version_id.as_str())
        .bind(new.backing_key.as_str())
        .bind(&new.backend_upload_id)
        .bind(new.content_type.clone())
        .bind(to_json(&new.user_metadata))
        .bind(now_ms())
        .bind(to_json(&new.headers))
        .bind(new.checksum.map(|c| c.algorithm.as_str()))
        .bind(new.checksum.map(|c| c.kind.as_str()))
        .bind(new.tags.to_json())
        .fetch_one(self.pool())
        .await?;
        upload_from_row(&row)
    }

    /// The owner's upload `upload_id` in that bucket.
    pub async fn multipart_upload(
        &self,
        owner: UserId,
        bucket_id: i64,
        upload_id: &str,
    ) -> Result<Option<MultipartUpload>, CatalogError> {
        let row = sqlx::query(&format!(
            "SELECT {UPLOAD_COLUMNS} FROM multipart_uploads WHERE upload_id = $1 AND owner_id = $2 AND bucket_id = $3"
        ))
        .bind(upload_id)
        .bind(owner.0)
        .bind(bucket_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(upload_from_row).transpose()
    }

    /// Records a part, replacing an earlier upload of the same part number (its owner's usage
    /// grows by the difference). `Gone` when the upload was completed or aborted meanwhile.
    pub async fn put_multipart_part(&self, upload: &MultipartUpload, part: &MultipartPart) -> Result<(), CatalogError> {
        sqlx::query(
            "INSERT INTO multipart_parts (upload_id, part_number, size, etag, backend_etag, created_at, checksums, \
             owner_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (upload_id, part_number) DO UPDATE SET \
             size = excluded.size, etag = excluded.etag, backend_etag = excluded.backend_etag, \
             created_at = excluded.created_at, checksums = excluded.checksums",
        )
        .bind(&upload.upload_id)
        .bind(i64::from(part.part_number))
        .bind(part.size as i64)
        .bind(&part.etag)
        .bind(&part.backend_etag)
        .bind(part.created_at)
        .bind(to_json(&part.checksums))
        .bind(upload.owner.0)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Parts after `after_part`, in part order, at most `limit`.
    pub async fn multipart_parts(
        &self,
        upload_id: &str,
        after_part: i32,
        limit: i64,
    ) -> Result<Vec<MultipartPart>, CatalogError> {
        let rows = sqlx::query(
            "SELECT part_number, size, etag, backend_etag, created_at, checksums FROM multipart_parts \
             WHERE upload_id = $1 AND part_number > $2 ORDER BY part_number LIMIT $3",
        )
        .bind(upload_id)
        .bind(i64::from(after_part))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let n: i64 = col(row, "part_number")?;
                let size: i64 = col(row, "size")?;
                Ok(MultipartPart {
                    part_number: i32::try_from(n).map_err(|_| CatalogError::Corrupt("part_number".into()))?,
                    size: size.max(0) as u64,
                    etag: col(row, "etag")?,
                    backend_etag: col(row, "backend_etag")?,
                    checksums: json_map(row, "checksums")?,
                    created_at: col(row, "created_at")?,
                })
            })
            .collect()
    }

    /// Uploads in progress in the owner's bucket, by key then age, after the markers.
    pub async fn list_multipart_uploads(
        &self,
        owner: UserId,
        bucket_id: i64,
        prefix: &str,
        key_marker: &str,
        upload_id_marker: &str,
        limit: i64,
    ) -> Result<Vec<MultipartUpload>, CatalogError> {
        let rows = sqlx::query(&format!(
            "SELECT {UPLOAD_COLUMNS} FROM multipart_uploads WHERE owner_id = $1 AND bucket_id = $2 AND key >= $3 \
             AND (key > $4 OR (key = $4 AND upload_id > $5)) ORDER BY key, upload_id LIMIT $6"
        ))
        .bind(owner.0)
        .bind(bucket_id)
        .bind(prefix)
        .bind(key_marker)
        .bind(upload_id_marker)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(upload_from_row).filter(|u| u.as_ref().map_or(true, |u| u.key.starts_with(prefix))).collect()
    }

    /// Forgets an upload and its parts; false when it was already gone.
    pub async fn delete_multipart_upload(&self, upload_id: &str) -> Result<bool, CatalogError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM multipart_parts WHERE upload_id = $1").bind(upload_id).execute(&mut *tx).await?;
        let done =
            sqlx::query("DELETE FROM multipart_uploads WHERE upload_id = $1").bind(upload_id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Uploads created before `before_ms`, oldest first: candidates for expiry.
    pub async fn stale_multipart_uploads(
        &self,
        before_ms: i64,
        limit: i64,
    ) -> Result<Vec<MultipartUpload>, CatalogError> {
        let rows = sqlx::query(&format!(
            "SELECT {UPLOAD_COLUMNS} FROM multipart_uploads WHERE created_at < $1 ORDER BY created_at LIMIT $2"
        ))
        .bind(before_ms)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(upload_from_row).collect()
    }

    /// Every upload in progress in the owner's bucket.
    pub async fn bucket_multipart_uploads(
        &self,
        owner: UserId,
        bucket_id: i64,
    ) -> Result<Vec<MultipartUpload>, CatalogError> {
        let rows = sqlx::query(&format!(
            "SELECT {UPLOAD_COLUMNS} FROM multipart_uploads WHERE owner_id = $1 AND bucket_id = $2"
        ))
        .bind(owner.0)
        .bind(bucket_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(upload_from_row).collect()
    }
}
