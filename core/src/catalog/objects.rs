//! Object rows. A row points only to bytes that are complete (invariant 2): it is written
//! after the backend confirmed them, and a superseded backing object goes to `gc_queue` in the
//! same transaction.

use std::collections::BTreeMap;

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::quota::{self, QuotaCheck};
use super::{col, ms, now_ms, Catalog, CatalogError, CatalogKind};
use crate::domain::{BackingKey, Tier, UserId, VersionId};
use crate::tagging::TagSet;

/// An object as the catalog holds it.
#[derive(Debug, Clone)]
pub struct CatalogObject {
    pub id: i64,
    pub owner: UserId,
    pub bucket_id: i64,
    pub bucket: String,
    pub key: String,
    pub version_id: VersionId,
    pub size: u64,
    pub etag: String,
    pub content_type: Option<String>,
    pub user_metadata: BTreeMap<String, String>,
    /// Stored response headers: cache-control, content-disposition, content-encoding,
    /// content-language, expires.
    pub headers: BTreeMap<String, String>,
    pub checksums: BTreeMap<String, String>,
    /// The name the file had on the uploader's machine (REST uploads), byte for byte.
    pub original_filename: Option<String>,
    /// The object's tags (S3 object tagging).
    pub tags: TagSet,
    /// The revision of the bucket's lifecycle configuration when an enabled rule of it expires
    /// objects (then `x-amz-expiration` is due), read with the row by the reads a response is
    /// answered from: [`Catalog::lookup_object`] and [`Catalog::commit_object`]. There `None`
    /// means no rule expires; other reads always give `None`.
    pub expiring_rules: Option<i64>,
    pub tier: Tier,
    pub hot_key: Option<BackingKey>,
    pub cold_key: Option<BackingKey>,
    pub created_at: i64,
    pub tiered_at: Option<i64>,
    pub tiering_attempts: i64,
    pub tiering_error: Option<String>,
}

impl CatalogObject {
    /// The backing key in the tier that serves reads.
    pub fn serving_key(&self) -> Option<&BackingKey> {
        match self.tier {
            Tier::Hot => self.hot_key.as_ref(),
            Tier::Cold => self.cold_key.as_ref(),
        }
    }
}

/// One side of a conditional write's `If-Match` / `If-None-Match`: any current version (`*`),
/// or the one with this ETag (unquoted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EtagMatch {
    Any,
    ETag(String),
}

impl EtagMatch {
    fn matches(&self, etag: &str) -> bool {
        match self {
            EtagMatch::Any => true,
            EtagMatch::ETag(e) => e.trim_matches('"') == etag,
        }
    }
}

/// What must hold of a key's current version for a write (or delete) to take effect: S3's
/// conditional writes (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html>)
/// and conditional deletes (DeleteObject's `If-Match`, `x-amz-if-match-size` and
/// `x-amz-if-match-last-modified-time`; DeleteObjects' `ETag`, `Size`, `LastModifiedTime`).
/// The catalog checks it in the transaction that switches or deletes the row, so of concurrent
/// writers with `If-None-Match: *` exactly one wins, whichever process serves them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteCondition {
    /// `If-Match`: the key must have a current version, and (unless `*`) with this ETag.
    pub if_match: Option<EtagMatch>,
    /// `If-None-Match`: `*` means the key must have no current version; an ETag, that the
    /// current version (if any) has another.
    pub if_none_match: Option<EtagMatch>,
    /// The current version must have this many bytes.
    pub if_match_size: Option<u64>,
    /// The current version must have been written in this second (Unix seconds; HTTP dates
    /// have no finer grain).
    pub if_match_last_modified: Option<i64>,
}

/// What a [`WriteCondition`] is checked against: the current version of a key.
#[derive(Debug, Clone, Copy)]
pub struct CurrentVersion<'a> {
    pub etag: &'a str,
    pub size: u64,
    /// Unix milliseconds.
    pub created_at: i64,
}

impl<'a> From<&'a CatalogObject> for CurrentVersion<'a> {
    fn from(o: &'a CatalogObject) -> Self {
        CurrentVersion { etag: &o.etag, size: o.size, created_at: o.created_at }
    }
}

impl WriteCondition {
    /// Whether the condition holds against the current version (`None`: the key has none);
    /// the error says which way it failed.
    pub fn check(&self, current: Option<CurrentVersion<'_>>) -> Result<(), CatalogError> {
        let failed = Err(CatalogError::PreconditionFailed { exists: current.is_some() });
        if let (Some(c), Some(v)) = (&self.if_none_match, current) {
            if c.matches(v.etag) {
                return failed;
            }
        }
        let needs_version =
            self.if_match.is_some() || self.if_match_size.is_some() || self.if_match_last_modified.is_some();
        match current {
            None if needs_version => failed,
            None => Ok(()),
            Some(v) => {
                let etag_ok = self.if_match.as_ref().is_none_or(|c| c.matches(v.etag));
                let size_ok = self.if_match_size.is_none_or(|s| s == v.size);
                let time_ok = self.if_match_last_modified.is_none_or(|t| t == v.created_at.div_euclid(1000));
                if etag_ok && size_ok && time_ok {
                    Ok(())
                } else {
                    failed
                }
            }
        }
    }

    /// Whether anything is asked.
    pub fn is_none(&self) -> bool {
        *self == Self::default()
    }
}

/// What [`Catalog::lookup_object`] found.
#[derive(Debug)]
pub enum Lookup {
    NoSuchBucket,
    NoSuchKey,
    /// The object, with [`CatalogObject::expiring_rules`].
    Found(Box<CatalogObject>),
}

/// A completed write, ready to become the current version of `(bucket_id, key)`.
#[derive(Debug, Clone)]
pub struct NewObjectRow {
    pub owner: UserId,
    pub bucket_id: i64,
    pub key: String,
    pub version_id: VersionId,
    pub size: u64,
    pub etag: String,
    pub content_type: Option<String>,
    pub user_metadata: BTreeMap<String, String>,
    pub headers: BTreeMap<String, String>,
    pub checksums: BTreeMap<String, String>,
    pub original_filename: Option<String>,
    pub tags: TagSet,
    pub hot_key: BackingKey,
}

type AnyQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>;

impl NewObjectRow {
    /// Binds what makes a version, in the order both the INSERT and the overwrite's UPDATE
    /// name them (version_id … display_name, tags).
    fn bind_version<'q>(&'q self, query: AnyQuery<'q>, now: i64) -> AnyQuery<'q> {
        query
            .bind(self.version_id.as_str())
            .bind(self.size as i64)
            .bind(&self.etag)
            .bind(self.content_type.clone())
            .bind(to_json(&self.user_metadata))
            .bind(to_json(&self.checksums))
            .bind(self.original_filename.clone().map(String::into_bytes))
            .bind(self.hot_key.as_str())
            .bind(now)
            .bind(to_json(&self.headers))
            .bind(self.display_name())
            .bind(self.tags.to_json())
    }

    /// What people call the file, for sorting by name (NUL cannot be stored in Postgres text).
    fn display_name(&self) -> String {
        let name = self
            .original_filename
            .clone()
            .unwrap_or_else(|| self.key.rsplit('/').next().unwrap_or(&self.key).to_string());
        name.replace('\0', "\u{fffd}")
    }
}

/// How a file listing is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileSort {
    UploadedAt,
    Name,
    Size,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    Asc,
    Desc,
}

/// Where a keyset page of a user's files starts: after the row with these values of the sort
/// column and id (the last row of the previous page).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum FileCursor {
    UploadedAt(i64, i64),
    Name(String, i64),
    Size(i64, i64),
}

impl FileCursor {
    fn sort(&self) -> FileSort {
        match self {
            Self::UploadedAt(..) => FileSort::UploadedAt,
            Self::Name(..) => FileSort::Name,
            Self::Size(..) => FileSort::Size,
        }
    }
}

/// What a keyset listing of a user's files asks ([`Catalog::list_user_files`]).
#[derive(Debug, Clone)]
pub struct FileQuery<'a> {
    pub sort: FileSort,
    pub order: SortOrder,
    /// Only this bucket's files.
    pub bucket_id: Option<i64>,
    /// Only keys starting with this.
    pub prefix: &'a str,
    /// Only files whose name or key contains this, compared after the catalog's `LOWER()` of
    /// both sides (so case-insensitive; on SQLite for ASCII letters only).
    pub search: Option<&'a str>,
    pub after: Option<&'a FileCursor>,
    pub limit: i64,
}

/// One page of a user's files, and how many there are in all.
#[derive(Debug, Clone)]
pub struct ObjectPage {
    pub objects: Vec<CatalogObject>,
    pub total: i64,
}

pub(super) const COLUMNS: &str = "o.id, o.owner_id, o.bucket_id, b.name AS bucket_name, o.key, o.version_id, o.size, o.etag, \
    o.content_type, o.user_metadata, o.headers, o.checksums, o.original_filename, o.tier, o.hot_key, o.cold_key, o.created_at, \
    o.tiered_at, o.tiering_attempts, o.tiering_error, o.tags";

/// [`CatalogObject::expiring_rules`], for reads that answer a response.
const EXPIRING_RULES: &str =
    "(SELECT l.revision FROM bucket_lifecycle l WHERE l.bucket_id = o.bucket_id AND l.expires = 1) AS lifecycle_revision";

/// [`COLUMNS`] and [`EXPIRING_RULES`] as an INSERT's RETURNING clause gives them (no join there).
fn inserted_columns() -> String {
    format!("{COLUMNS}, {EXPIRING_RULES}").replace("o.", "objects.").replace(
        "b.name AS bucket_name",
        "(SELECT b.name FROM buckets b WHERE b.id = objects.bucket_id) AS bucket_name",
    )
}

pub(super) fn json_map(row: &AnyRow, name: &str) -> Result<BTreeMap<String, String>, CatalogError> {
    let raw: String = col(row, name)?;
    serde_json::from_str(&raw).map_err(|e| CatalogError::Corrupt(format!("{name}: {e}")))
}

pub(super) fn object_from_row(row: &AnyRow) -> Result<CatalogObject, CatalogError> {
    let tier: String = col(row, "tier")?;
    let original: Option<Vec<u8>> = col(row, "original_filename")?;
    let size: i64 = col(row, "size")?;
    Ok(CatalogObject {
        id: col(row, "id")?,
        owner: UserId(col(row, "owner_id")?),
        bucket_id: col(row, "bucket_id")?,
        bucket: col(row, "bucket_name")?,
        key: col(row, "key")?,
        version_id: VersionId::from_catalog(col(row, "version_id")?),
        size: u64::try_from(size).map_err(|_| CatalogError::Corrupt("size".into()))?,
        etag: col(row, "etag")?,
        content_type: col(row, "content_type")?,
        user_metadata: json_map(row, "user_metadata")?,
        headers: json_map(row, "headers")?,
        checksums: json_map(row, "checksums")?,
        original_filename: original.map(|b| String::from_utf8_lossy(&b).into_owned()),
        tags: TagSet::from_json(&col::<String>(row, "tags")?)
            .map_err(|e| CatalogError::Corrupt(format!("tags: {e}")))?,
        // Only some reads select it (see the field).
        expiring_rules: row.try_get::<Option<i64>, _>("lifecycle_revision").ok().flatten(),
        tier: Tier::parse(&tier).ok_or_else(|| CatalogError::Corrupt(format!("tier {tier:?}")))?,
        hot_key: col::<Option<String>>(row, "hot_key")?.map(BackingKey::from_catalog),
        cold_key: col::<Option<String>>(row, "cold_key")?.map(BackingKey::from_catalog),
        created_at: col(row, "created_at")?,
        tiered_at: col(row, "tiered_at")?,
        tiering_attempts: col(row, "tiering_attempts")?,
        tiering_error: col(row, "tiering_error")?,
    })
}

pub(super) fn to_json(map: &BTreeMap<String, String>) -> String {
    serde_json::to_string(map).unwrap_or_else(|_| "{}".to_string())
}

/// Queues a backing object for deletion once `grace` has passed.
pub(crate) async fn enqueue_gc(
    tx: &mut Transaction<'_, Any>,
    tier: Tier,
    key: &str,
    reason: &str,
    grace: std::time::Duration,
) -> Result<(), CatalogError> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO gc_queue (tier, backing_key, reason, enqueued_at, not_before) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(tier.as_str())
    .bind(key)
    .bind(reason)
    .bind(now)
    .bind(now.saturating_add(ms(grace)))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn enqueue_row_keys(
    tx: &mut Transaction<'_, Any>,
    hot: Option<String>,
    cold: Option<String>,
    reason: &str,
    grace: std::time::Duration,
) -> Result<(), CatalogError> {
    if let Some(k) = hot {
        enqueue_gc(tx, Tier::Hot, &k, reason, grace).await?;
    }
    if let Some(k) = cold {
        enqueue_gc(tx, Tier::Cold, &k, reason, grace).await?;
    }
    Ok(())
}

/// Checks `condition` against a row locked by the caller's statement (which returned its
/// `etag`, `size` and `created_at`).
fn check_locked(condition: &WriteCondition, row: &AnyRow) -> Result<(), CatalogError> {
    let (etag, size, created_at): (String, i64, i64) =
        (row.try_get("etag")?, row.try_get("size")?, row.try_get("created_at")?);
    condition.check(Some(CurrentVersion { etag: &etag, size: u64::try_from(size).unwrap_or(0), created_at }))
}

/// What else holds of a commit besides its row ([`Catalog::commit_object`]).
#[derive(Debug, Clone, Copy)]
pub struct Commit<'a> {
    /// Must hold of the key's current version (S3 conditional writes).
    pub condition: &'a WriteCondition,
    /// The owner's quota, when they have one, and what the write reserved.
    pub quota: Option<QuotaCheck>,
    /// The multipart upload this commit completes: its rows go in the same transaction, and
    /// the commit fails with [`CatalogError::NoSuchUpload`] if they are gone already.
    pub completes_upload: Option<&'a str>,
    /// How long overwritten bytes are kept for readers still streaming them.
    pub gc_grace: std::time::Duration,
}

/// Parts-table and quota work that commits with the row, in its transaction. `delta`: what the
/// row itself changed the owner's usage by (bytes, objects).
async fn finish_commit(
    tx: &mut Transaction<'_, Any>,
    owner: UserId,
    commit: &Commit<'_>,
    mut delta: (i64, i64),
) -> Result<(), CatalogError> {
    if let Some(upload_id) = commit.completes_upload {
        let parts = sqlx::query("DELETE FROM multipart_parts WHERE upload_id = $1 RETURNING size")
            .bind(upload_id)
            .fetch_all(&mut **tx)
            .await?;
        for part in &parts {
            delta.0 -= part.try_get::<i64, _>("size")?;
        }
        let gone = sqlx::query("DELETE FROM multipart_uploads WHERE upload_id = $1")
            .bind(upload_id)
            .execute(&mut **tx)
            .await?
            .rows_affected()
            == 0;
        if gone {
            return Err(CatalogError::NoSuchUpload);
        }
    }
    if let Some(check) = &commit.quota {
        quota::check_commit(tx, owner, check, delta).await?;
    }
    Ok(())
}

impl Catalog {
    /// Makes `new` the current version of its key, if `commit.condition` holds against the
    /// current version (checked under the row's lock, so concurrent conditional writes are
    /// serialised; else [`CatalogError::PreconditionFailed`] and nothing changes) and the
    /// owner's quota allows it (else [`CatalogError::QuotaExceeded`]). The bytes it points to
    /// are complete. An overwritten version's backing objects go to `gc_queue` in the same
    /// transaction.
    pub async fn commit_object(&self, new: &NewObjectRow, commit: &Commit<'_>) -> Result<CatalogObject, CatalogError> {
        let now = now_ms();
        let (condition, gc_grace) = (commit.condition, commit.gc_grace);
        // A first version needs a transaction only to complete an upload, or to check a quota
        // that its reservation does not cover.
        // A first version is one statement, unless it completes an upload: with a quota its
        // reservation does not cover, the statement itself checks it (see `insert_object`).
        let guard = commit.quota.filter(|q| q.needed((new.size as i64, 1)));
        loop {
            // With If-Match the key must have a version already: only the overwrite can commit.
            if condition.if_match.is_none() {
                if commit.completes_upload.is_none() {
                    if let Some(object) = self.insert_object(self.pool(), new, now, guard.as_ref()).await? {
                        return Ok(object);
                    }
                    if let Some(check) = &guard {
                        // Not inserted: the key has a version (an overwrite, below), or the quota
                        // refused it.
                        if self.object(new.owner, new.bucket_id, &new.key).await?.is_none() {
                            match quota::refusal(self, new.owner, check, (new.size, 1)).await? {
                                Some(limit) => return Err(CatalogError::QuotaExceeded(limit)),
                                None => continue,
                            }
                        }
                    }
                } else {
                    let mut tx = self.pool().begin().await?;
                    if let Some(object) = self.insert_object(&mut *tx, new, now, None).await? {
                        finish_commit(&mut tx, new.owner, commit, (new.size as i64, 1)).await?;
                        tx.commit().await?;
                        return Ok(object);
                    }
                    tx.rollback().await?;
                }
            }
            let mut tx = self.pool().begin().await?;
            // An overwrite: lock the current row (a no-op update), check the condition against
            // it, learn its backing keys, queue them for collection and switch the row.
            let old = sqlx::query(
                "UPDATE objects SET tiering_attempts = tiering_attempts \
                 WHERE bucket_id = $1 AND key = $2 RETURNING id, hot_key, cold_key, etag, size, created_at",
            )
            .bind(new.bucket_id)
            .bind(&new.key)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(old) = old else {
                tx.rollback().await?;
                condition.check(None)?;
                // Deleted between the two statements: start over.
                continue;
            };
            if let Err(e) = check_locked(condition, &old) {
                tx.rollback().await?;
                return Err(e);
            }
            let id: i64 = old.try_get("id")?;
            let old_size: i64 = old.try_get("size")?;
            enqueue_row_keys(&mut tx, old.try_get("hot_key")?, old.try_get("cold_key")?, "overwritten", gc_grace)
                .await?;
            let update = sqlx::query(
                "UPDATE objects SET version_id = $2, size = $3, etag = $4, content_type = $5, user_metadata = $6, \
                 checksums = $7, original_filename = $8, tier = 'hot', hot_key = $9, cold_key = NULL, \
                 created_at = $10, tiered_at = NULL, tiering_attempts = 0, tiering_error = NULL, headers = $11, \
                 display_name = $12, tags = $13 \
                 WHERE id = $1",
            )
            .bind(id);
            new.bind_version(update, now).execute(&mut *tx).await?;
            finish_commit(&mut tx, new.owner, commit, (new.size as i64 - old_size, 0)).await?;
            let row = sqlx::query(&format!(
                "SELECT {COLUMNS}, {EXPIRING_RULES} FROM objects o JOIN buckets b ON b.id = o.bucket_id WHERE o.id = $1"
            ))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            let object = object_from_row(&row)?;
            tx.commit().await?;
            return Ok(object);
        }
    }

    /// Inserts `new` as the first version of its key; `None` when the key has one already or,
    /// with `quota`, when the owner's usage and others' reservations leave no room for it. One
    /// statement, committed on its own: on Postgres a concurrent insert of the same key makes
    /// this wait for it and then see the conflict, and the quota's condition is read from the
    /// usage row locked (`FOR UPDATE`, the latest version) by this statement; SQLite takes its
    /// write lock before the statement reads.
    async fn insert_object<'e>(
        &self,
        executor: impl sqlx::Executor<'e, Database = Any>,
        new: &NewObjectRow,
        now: i64,
        quota: Option<&QuotaCheck>,
    ) -> Result<Option<CatalogObject>, CatalogError> {
        const COLUMNS_IN: &str = "owner_id, bucket_id, key, version_id, size, etag, content_type, user_metadata, \
            checksums, original_filename, tier, hot_key, created_at, headers, display_name, tags";
        const VALUES: &str = "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'hot', $11, $12, $13, $14, $15";
        let sql = match quota {
            None => format!(
                "INSERT INTO objects ({COLUMNS_IN}) VALUES ({VALUES}) \
                 ON CONFLICT (bucket_id, key) DO NOTHING RETURNING {}",
                inserted_columns()
            ),
            Some(_) => {
                let usage = match self.kind() {
                    CatalogKind::Postgres => "(SELECT * FROM user_usage WHERE user_id = $1 FOR UPDATE) g",
                    CatalogKind::Sqlite => "user_usage g",
                };
                format!(
                    "INSERT INTO objects ({COLUMNS_IN}) SELECT {VALUES} FROM {usage} WHERE g.user_id = $1 \
                     AND ($16 IS NULL OR g.bytes + g.reserved_bytes - $18 + $5 <= $16) \
                     AND ($17 IS NULL OR g.objects + g.reserved_objects - $19 + 1 <= $17) \
                     ON CONFLICT (bucket_id, key) DO NOTHING RETURNING {}",
                    inserted_columns()
                )
            }
        };
        let query = sqlx::query(&sql).bind(new.owner.0).bind(new.bucket_id).bind(&new.key);
        let mut query = new.bind_version(query, now);
        if let Some(check) = quota {
            let limit = |v: Option<u64>| v.map(|v| i64::try_from(v).unwrap_or(i64::MAX));
            query = query
                .bind(limit(check.quota.bytes))
                .bind(limit(check.quota.objects))
                .bind(i64::try_from(check.reserved.0).unwrap_or(i64::MAX))
                .bind(i64::try_from(check.reserved.1).unwrap_or(i64::MAX));
        }
        let inserted = query.fetch_optional(executor).await?;
        inserted.as_ref().map(object_from_row).transpose()
    }

    /// Any object by id; callers check the owner (to tell 403 from 404).
    pub async fn object_by_id(&self, id: i64) -> Result<Option<CatalogObject>, CatalogError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM objects o JOIN buckets b ON b.id = o.bucket_id WHERE o.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(object_from_row).transpose()
    }

    /// The current version of `key` in the owner's bucket named `bucket`, found with one
    /// query (a HEAD or GET is a catalog read, and should cost one round trip).
    pub async fn lookup_object(&self, owner: UserId, bucket: &str, key: &str) -> Result<Lookup, CatalogError> {
        let row = sqlx::query(&format!(
            "SELECT b.id AS found_bucket_id, {COLUMNS}, l.revision AS lifecycle_revision FROM buckets b \
             LEFT JOIN objects o ON o.bucket_id = b.id AND o.key = $3 \
             LEFT JOIN bucket_lifecycle l ON l.bucket_id = b.id AND l.expires = 1 \
             WHERE b.owner_id = $1 AND b.name = $2"
        ))
        .bind(owner.0)
        .bind(bucket)
        .bind(key)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(Lookup::NoSuchBucket) };
        let id: Option<i64> = col(&row, "id")?;
        match id {
            None => Ok(Lookup::NoSuchKey),
            Some(_) => Ok(Lookup::Found(Box::new(object_from_row(&row)?))),
        }
    }

    /// The current version of `key` in the owner's bucket.
    pub async fn object(
        &self,
        owner: UserId,
        bucket_id: i64,
        key: &str,
    ) -> Result<Option<CatalogObject>, CatalogError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM objects o JOIN buckets b ON b.id = o.bucket_id \
             WHERE o.owner_id = $1 AND o.bucket_id = $2 AND o.key = $3"
        ))
        .bind(owner.0)
        .bind(bucket_id)
        .bind(key)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(object_from_row).transpose()
    }

    /// A page of the owner's objects across their buckets.
    pub async fn list_user_objects(
        &self,
        owner: UserId,
        sort: FileSort,
        order: SortOrder,
        limit: i64,
        offset: i64,
    ) -> Result<ObjectPage, CatalogError> {
        let column = match sort {
            FileSort::UploadedAt => "o.created_at",
            FileSort::Name => "LOWER(o.display_name)",
            FileSort::Size => "o.size",
        };
        let dir = match order {
            SortOrder::Asc => "ASC",
            SortOrder::Desc => "DESC",
        };
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM objects o JOIN buckets b ON b.id = o.bucket_id WHERE o.owner_id = $1 \
             ORDER BY {column} {dir}, o.id {dir} LIMIT $2 OFFSET $3"
        ))
        .bind(owner.0)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.pool())
        .await?;
        let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM objects WHERE owner_id = $1")
            .bind(owner.0)
            .fetch_one(self.pool())
            .await?
            .try_get("n")?;
        Ok(ObjectPage { objects: rows.iter().map(object_from_row).collect::<Result<_, _>>()?, total })
    }

    /// A page of the owner's files in `q.sort` order after `q.after` (keyset pagination: each
    /// page is an index range read, however deep), each with the cursor that continues after
    /// it (its sort value as the catalog computed it). `None` when the cursor belongs to
    /// another sort order.
    pub async fn list_user_files(
        &self,
        owner: UserId,
        q: &FileQuery<'_>,
    ) -> Result<Option<Vec<(CatalogObject, FileCursor)>>, CatalogError> {
        if q.after.is_some_and(|c| c.sort() != q.sort) {
            return Ok(None);
        }
        let column = match q.sort {
            FileSort::UploadedAt => "o.created_at",
            FileSort::Name => "LOWER(o.display_name)",
            FileSort::Size => "o.size",
        };
        let (dir, cmp) = match q.order {
            SortOrder::Asc => ("ASC", ">"),
            SortOrder::Desc => ("DESC", "<"),
        };
        let mut sql = format!(
            "SELECT {COLUMNS}, LOWER(o.display_name) AS sort_name FROM objects o JOIN buckets b ON b.id = o.bucket_id \
             WHERE o.owner_id = $1"
        );
        let mut n = 1;
        let mut next = || {
            n += 1;
            n
        };
        if q.bucket_id.is_some() {
            sql.push_str(&format!(" AND o.bucket_id = ${}", next()));
        }
        let end = crate::lifecycle::prefix_end(q.prefix);
        if !q.prefix.is_empty() {
            sql.push_str(&format!(" AND o.key >= ${}", next()));
            if end.is_some() {
                sql.push_str(&format!(" AND o.key < ${}", next()));
            }
        }
        let pattern = q.search.filter(|s| !s.is_empty()).map(|s| {
            let escaped = s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            format!("%{escaped}%")
        });
        if pattern.is_some() {
            let p = next();
            sql.push_str(&format!(
                " AND (LOWER(o.display_name) LIKE LOWER(${p}) ESCAPE '\\' OR LOWER(o.key) LIKE LOWER(${p}) ESCAPE '\\')"
            ));
        }
        if q.after.is_some() {
            let (a, b) = (next(), next());
            sql.push_str(&format!(" AND ({column}, o.id) {cmp} (${a}, ${b})"));
        }
        let l = next();
        sql.push_str(&format!(" ORDER BY {column} {dir}, o.id {dir} LIMIT ${l}"));
        let mut query = sqlx::query(&sql).bind(owner.0);
        if let Some(id) = q.bucket_id {
            query = query.bind(id);
        }
        if !q.prefix.is_empty() {
            query = query.bind(q.prefix);
            if let Some(end) = end {
                query = query.bind(end);
            }
        }
        if let Some(p) = pattern {
            query = query.bind(p);
        }
        match q.after {
            Some(FileCursor::UploadedAt(v, id)) | Some(FileCursor::Size(v, id)) => query = query.bind(*v).bind(*id),
            Some(FileCursor::Name(v, id)) => query = query.bind(v.clone()).bind(*id),
            None => {}
        }
        let rows = query.bind(q.limit).fetch_all(self.pool()).await?;
        let page = rows
            .iter()
            .map(|row| {
                let o = object_from_row(row)?;
                let cursor = match q.sort {
                    FileSort::UploadedAt => FileCursor::UploadedAt(o.created_at, o.id),
                    FileSort::Name => FileCursor::Name(col(row, "sort_name")?, o.id),
                    FileSort::Size => FileCursor::Size(i64::try_from(o.size).unwrap_or(i64::MAX), o.id),
                };
                Ok((o, cursor))
            })
            .collect::<Result<_, CatalogError>>()?;
        Ok(Some(page))
    }

    /// Deletes the owner's object `id`; its backing objects go to `gc_queue`.
    /// Returns whether a row was deleted.
    pub async fn delete_object(
        &self,
        owner: UserId,
        id: i64,
        gc_grace: std::time::Duration,
    ) -> Result<bool, CatalogError> {
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query("DELETE FROM objects WHERE id = $1 AND owner_id = $2 RETURNING hot_key, cold_key")
            .bind(id)
            .bind(owner.0)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            return Ok(false);
        };
        enqueue_row_keys(&mut tx, row.try_get("hot_key")?, row.try_get("cold_key")?, "deleted", gc_grace).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Objects of the owner's bucket in S3 order (UTF-8 bytes), from `from` (inclusive) and
    /// after `after` (exclusive), at most `limit`.
    pub async fn list_bucket_objects(
        &self,
        owner: UserId,
        bucket_id: i64,
        from: &str,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<CatalogObject>, CatalogError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM objects o JOIN buckets b ON b.id = o.bucket_id \
             WHERE o.owner_id = $1 AND o.bucket_id = $2 AND o.key >= $3 AND o.key > $4 ORDER BY o.key LIMIT $5"
        ))
        .bind(owner.0)
        .bind(bucket_id)
        .bind(from)
        .bind(after.unwrap_or(""))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(object_from_row).collect()
    }

    /// Deletes `key` from the owner's bucket if `condition` holds against its current version
    /// (checked under the row's lock, else [`CatalogError::PreconditionFailed`]); its backing
    /// objects go to `gc_queue`. Returns whether there was such an object. A key with no
    /// version is no failure, whatever the condition: as on S3, deleting it succeeds.
    pub async fn delete_object_by_key(
        &self,
        owner: UserId,
        bucket_id: i64,
        key: &str,
        condition: &WriteCondition,
        gc_grace: std::time::Duration,
    ) -> Result<bool, CatalogError> {
        let mut tx = self.pool().begin().await?;
        if !condition.is_none() {
            let current = sqlx::query(
                "UPDATE objects SET tiering_attempts = tiering_attempts \
                 WHERE owner_id = $1 AND bucket_id = $2 AND key = $3 RETURNING etag, size, created_at",
            )
            .bind(owner.0)
            .bind(bucket_id)
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(current) = current else {
                tx.rollback().await?;
                return Ok(false);
            };
            if let Err(e) = check_locked(condition, &current) {
                tx.rollback().await?;
                return Err(e);
            }
        }
        let row = sqlx::query(
            "DELETE FROM objects WHERE owner_id = $1 AND bucket_id = $2 AND key = $3 RETURNING hot_key, cold_key",
        )
        .bind(owner.0)
        .bind(bucket_id)
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(false);
        };
        enqueue_row_keys(&mut tx, row.try_get("hot_key")?, row.try_get("cold_key")?, "deleted", gc_grace).await?;
        tx.commit().await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: CurrentVersion<'static> = CurrentVersion { etag: "a", size: 3, created_at: 1_700_000_000_500 };

    /// What a check says: `Ok`, or whether the failed condition found a current version.
    fn outcome(condition: WriteCondition, current: Option<CurrentVersion<'_>>) -> Result<(), bool> {
        condition.check(current).map_err(|e| match e {
            CatalogError::PreconditionFailed { exists } => exists,
            other => panic!("unexpected {other}"),
        })
    }

    fn etags(if_match: Option<EtagMatch>, if_none_match: Option<EtagMatch>) -> WriteCondition {
        WriteCondition { if_match, if_none_match, ..Default::default() }
    }

    #[test]
    fn write_conditions_as_s3_evaluates_them() {
        let tag = |s: &str| Some(EtagMatch::ETag(s.to_string()));
        let any = || Some(EtagMatch::Any);
        let b = CurrentVersion { etag: "b", ..A };
        // No condition: anything goes.
        assert_eq!(outcome(WriteCondition::default(), None), Ok(()));
        assert_eq!(outcome(WriteCondition::default(), Some(A)), Ok(()));
        // If-None-Match: * creates only.
        assert_eq!(outcome(etags(None, any()), None), Ok(()));
        assert_eq!(outcome(etags(None, any()), Some(A)), Err(true));
        // If-Match: the current version has that ETag (quoted or not); no version at all is told
        // apart (S3 answers NoSuchKey).
        assert_eq!(outcome(etags(tag("\"a\""), None), Some(A)), Ok(()));
        assert_eq!(outcome(etags(tag("a"), None), Some(b)), Err(true));
        assert_eq!(outcome(etags(tag("a"), None), None), Err(false));
        assert_eq!(outcome(etags(any(), None), Some(b)), Ok(()));
        assert_eq!(outcome(etags(any(), None), None), Err(false));
        // If-None-Match with an ETag: any other current version, or none.
        assert_eq!(outcome(etags(None, tag("a")), Some(b)), Ok(()));
        assert_eq!(outcome(etags(None, tag("a")), None), Ok(()));
        assert_eq!(outcome(etags(None, tag("a")), Some(A)), Err(true));
    }

    #[test]
    fn size_and_last_modified_conditions_match_the_current_version() {
        let size = |n| WriteCondition { if_match_size: Some(n), ..Default::default() };
        let time = |t| WriteCondition { if_match_last_modified: Some(t), ..Default::default() };
        assert_eq!(outcome(size(3), Some(A)), Ok(()));
        assert_eq!(outcome(size(4), Some(A)), Err(true));
        assert_eq!(outcome(size(3), None), Err(false));
        // Whole seconds: the version written at …000.500 was written in second …000.
        assert_eq!(outcome(time(1_700_000_000), Some(A)), Ok(()));
        assert_eq!(outcome(time(1_700_000_001), Some(A)), Err(true));
        let all = WriteCondition { if_match: Some(EtagMatch::Any), ..size(3) };
        assert_eq!(outcome(all, Some(A)), Ok(()));
    }
}
