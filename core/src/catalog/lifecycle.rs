//! Bucket lifecycle configurations and object tags (S3's PutBucketLifecycleConfiguration and
//! PutObjectTagging families). The tags' indexed copy (`object_tags`) is kept by a trigger
//! (migration 0005), so only `objects.tags` is written here.

use std::time::Duration;

use sqlx::Row;

use super::multipart::{upload_from_row, UPLOAD_COLUMNS};
use super::objects::{enqueue_row_keys, object_from_row, COLUMNS};
use super::{col, now_ms, Catalog, CatalogError, CatalogObject, MultipartUpload};
use crate::domain::{UserId, VersionId};
use crate::lifecycle::{prefix_end, LifecycleConfiguration, RuleFilter};
use crate::tagging::TagSet;

/// A bucket's stored configuration and its revision (which changes with every PUT).
#[derive(Debug, Clone)]
pub struct StoredLifecycle {
    pub configuration: LifecycleConfiguration,
    pub revision: i64,
}

impl Catalog {
    /// The bucket's lifecycle configuration, if it has one. Callers have checked the owner.
    pub async fn bucket_lifecycle(&self, bucket_id: i64) -> Result<Option<StoredLifecycle>, CatalogError> {
        let row = sqlx::query("SELECT configuration, revision FROM bucket_lifecycle WHERE bucket_id = $1")
            .bind(bucket_id)
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let raw: String = col(&row, "configuration")?;
        let configuration = LifecycleConfiguration::from_json(&raw)
            .map_err(|e| CatalogError::Corrupt(format!("lifecycle configuration of bucket {bucket_id}: {e}")))?;
        Ok(Some(StoredLifecycle { configuration, revision: col(&row, "revision")? }))
    }

    /// Sets (replaces) the bucket's lifecycle configuration; returns its new revision.
    /// [`CatalogError::Gone`] when the bucket was deleted meanwhile.
    pub async fn put_bucket_lifecycle(
        &self,
        bucket_id: i64,
        configuration: &LifecycleConfiguration,
    ) -> Result<i64, CatalogError> {
        let expires = configuration.rules.iter().any(|r| r.enabled && r.expiration.is_some());
        let revision: i64 = rand::random::<i64>() & i64::MAX;
        sqlx::query(
            "INSERT INTO bucket_lifecycle (bucket_id, configuration, expires, revision, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (bucket_id) DO UPDATE SET \
             configuration = excluded.configuration, expires = excluded.expires, revision = excluded.revision, \
             updated_at = excluded.updated_at",
        )
        .bind(bucket_id)
        .bind(configuration.to_json())
        .bind(i64::from(expires))
        .bind(revision)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(revision)
    }

    /// The revision of the bucket's configuration now, if it has one: a pass checks it before
    /// each page of expirations, so a configuration replaced or removed meanwhile stops them.
    pub async fn lifecycle_revision_now(&self, bucket_id: i64) -> Result<Option<i64>, CatalogError> {
        let row = sqlx::query("SELECT revision FROM bucket_lifecycle WHERE bucket_id = $1")
            .bind(bucket_id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| r.try_get::<i64, _>("revision")).transpose().map_err(Into::into)
    }

    /// Removes the bucket's lifecycle configuration; whether it had one.
    pub async fn delete_bucket_lifecycle(&self, bucket_id: i64) -> Result<bool, CatalogError> {
        let done = sqlx::query("DELETE FROM bucket_lifecycle WHERE bucket_id = $1")
            .bind(bucket_id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Replaces the tags of the current version of `key` in the owner's bucket (the version and
    /// its Last-Modified stay, as on S3); returns that version, or `None` when the key has none.
    pub async fn set_object_tags(
        &self,
        owner: UserId,
        bucket_id: i64,
        key: &str,
        tags: &TagSet,
    ) -> Result<Option<VersionId>, CatalogError> {
        let row = sqlx::query(
            "UPDATE objects SET tags = $4 WHERE owner_id = $1 AND bucket_id = $2 AND key = $3 RETURNING version_id",
        )
        .bind(owner.0)
        .bind(bucket_id)
        .bind(key)
        .bind(tags.to_json())
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| r.try_get::<String, _>("version_id").map(VersionId::from_catalog)).transpose().map_err(Into::into)
    }
}

/// A bucket's lifecycle configuration, as the tiering pass reads it.
#[derive(Debug, Clone)]
pub struct BucketRules {
    pub bucket_id: i64,
    pub bucket: String,
    pub owner: UserId,
    pub configuration: LifecycleConfiguration,
    /// The configuration's revision when it was read (see [`Catalog::lifecycle_revision_now`]).
    pub revision: i64,
}

/// What one rule's query asks of the catalog: objects of one bucket that the rule's filter
/// matches, created at or before `created_cutoff`, of at least `min_size` bytes, only hot ones
/// when `hot_only` (transitions).
#[derive(Debug, Clone, Copy)]
pub struct RuleQuery<'a> {
    pub bucket_id: i64,
    pub filter: &'a RuleFilter,
    pub hot_only: bool,
    pub created_cutoff: i64,
    pub min_size: u64,
}

/// Where the next page of a rule's matches starts ([`Catalog::rule_matches`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RuleCursor {
    /// The first page.
    #[default]
    Start,
    /// After this key (rules without tags).
    Key(String),
    /// After this object id (rules with tags).
    Id(i64),
    /// The last page was empty: nothing more.
    End,
}

/// What one rule (or the default policy: `rule_id` `None`) did in a pass.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RuleResult {
    pub owner: Option<UserId>,
    pub bucket: Option<String>,
    pub rule_id: Option<String>,
    pub matched: i64,
    pub moved: i64,
    pub move_failed: i64,
    pub bytes_moved: i64,
    pub expired: i64,
    pub expire_failed: i64,
    pub bytes_expired: i64,
    pub aborted: i64,
    pub abort_failed: i64,
}

impl RuleResult {
    fn is_empty(&self) -> bool {
        self.matched == 0 && self.aborted == 0 && self.abort_failed == 0
    }
}

/// Lifecycle rule actions (not the default policy's moves) of every finished pass that was not
/// a dry run, for
/// `tiergate_lifecycle_actions_total{action,result}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActionTotals {
    pub moved: i64,
    pub move_failed: i64,
    pub expired: i64,
    pub expire_failed: i64,
    pub aborted: i64,
    pub abort_failed: i64,
}

impl Catalog {
    /// Buckets with a lifecycle configuration, after bucket id `after`, in id order.
    pub async fn lifecycle_buckets(&self, after: i64, limit: i64) -> Result<Vec<BucketRules>, CatalogError> {
        let rows = sqlx::query(
            "SELECT l.bucket_id, l.configuration, l.revision, b.name, b.owner_id FROM bucket_lifecycle l \
             JOIN buckets b ON b.id = l.bucket_id WHERE l.bucket_id > $1 ORDER BY l.bucket_id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let bucket_id: i64 = col(row, "bucket_id")?;
                let raw: String = col(row, "configuration")?;
                let configuration = LifecycleConfiguration::from_json(&raw).map_err(|e| {
                    CatalogError::Corrupt(format!("lifecycle configuration of bucket {bucket_id}: {e}"))
                })?;
                Ok(BucketRules {
                    bucket_id,
                    bucket: col(row, "name")?,
                    owner: UserId(col(row, "owner_id")?),
                    configuration,
                    revision: col(row, "revision")?,
                })
            })
            .collect()
    }

    /// The next page of a rule's matches after `after`, and the cursor after its last. A rule
    /// without tags is one range scan of the bucket's keys under its prefix (hot ones only for a
    /// transition: the `(bucket_id, tier, key)` index), paged by key. A rule with tags starts
    /// from `object_tags`' `(bucket_id, tag_key, tag_value, object_id)` index for its first tag,
    /// paged by object id, so it reads that bucket's objects with the tag, not the whole
    /// bucket; the other tags are `EXISTS` on the primary key. Age, size and prefix are in SQL
    /// either way.
    pub async fn rule_matches(
        &self,
        q: &RuleQuery<'_>,
        after: &RuleCursor,
        limit: i64,
    ) -> Result<(Vec<CatalogObject>, RuleCursor), CatalogError> {
        if *after == RuleCursor::End {
            return Ok((Vec::new(), RuleCursor::End));
        }
        let by_tag = q.filter.tags.first();
        let mut sql = match by_tag {
            None => format!(
                "SELECT {COLUMNS} FROM objects o JOIN buckets b ON b.id = o.bucket_id \
                 WHERE o.bucket_id = $1 AND o.key >= $2 AND o.created_at <= $3 AND o.size >= $4"
            ),
            Some(_) => format!(
                "SELECT {COLUMNS} FROM object_tags t0 JOIN objects o ON o.id = t0.object_id \
                 JOIN buckets b ON b.id = o.bucket_id \
                 WHERE t0.bucket_id = $1 AND o.key >= $2 AND o.created_at <= $3 AND o.size >= $4"
            ),
        };
        let mut n = 4;
        let mut next = || {
            n += 1;
            n
        };
        match (by_tag, after) {
            (None, RuleCursor::Key(_)) => sql.push_str(&format!(" AND o.key > ${}", next())),
            (Some(_), RuleCursor::Id(_)) => sql.push_str(&format!(" AND t0.object_id > ${}", next())),
            _ => {}
        }
        if by_tag.is_some() {
            let (k, v) = (next(), next());
            sql.push_str(&format!(" AND t0.tag_key = ${k} AND t0.tag_value = ${v}"));
        }
        if q.hot_only {
            sql.push_str(" AND o.tier = 'hot'");
        }
        let end = prefix_end(&q.filter.prefix);
        if end.is_some() {
            sql.push_str(&format!(" AND o.key < ${}", next()));
        }
        if q.filter.size_greater_than.is_some() {
            sql.push_str(&format!(" AND o.size > ${}", next()));
        }
        if q.filter.size_less_than.is_some() {
            sql.push_str(&format!(" AND o.size < ${}", next()));
        }
        for _ in q.filter.tags.iter().skip(1) {
            let (k, v) = (next(), next());
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM object_tags t WHERE t.object_id = o.id AND t.tag_key = ${k} AND t.tag_value = ${v})"
            ));
        }
        let order = if by_tag.is_some() { "t0.object_id" } else { "o.key" };
        sql.push_str(&format!(" ORDER BY {order} LIMIT ${}", next()));
        let size = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let mut query = sqlx::query(&sql)
            .bind(q.bucket_id)
            .bind(q.filter.prefix.as_str())
            .bind(q.created_cutoff)
            .bind(size(q.min_size));
        match (by_tag, after) {
            (None, RuleCursor::Key(key)) => query = query.bind(key.as_str()),
            (Some(_), RuleCursor::Id(id)) => query = query.bind(*id),
            _ => {}
        }
        if let Some((k, v)) = by_tag {
            query = query.bind(k.as_str()).bind(v.as_str());
        }
        if let Some(end) = end {
            query = query.bind(end);
        }
        if let Some(gt) = q.filter.size_greater_than {
            query = query.bind(size(gt));
        }
        if let Some(lt) = q.filter.size_less_than {
            query = query.bind(size(lt));
        }
        for (k, v) in q.filter.tags.iter().skip(1) {
            query = query.bind(k.as_str()).bind(v.as_str());
        }
        let rows = query.bind(limit).fetch_all(self.pool()).await?;
        let objects: Vec<CatalogObject> = rows.iter().map(object_from_row).collect::<Result<_, _>>()?;
        let cursor = match objects.last() {
            None => RuleCursor::End,
            Some(o) if by_tag.is_some() => RuleCursor::Id(o.id),
            Some(o) => RuleCursor::Key(o.key.clone()),
        };
        Ok((objects, cursor))
    }

    /// Hot objects created at or before `created_before` in buckets without a lifecycle
    /// configuration (the default policy `all`), after id `after_id`, in id order.
    pub async fn default_policy_candidates(
        &self,
        created_before: i64,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<CatalogObject>, CatalogError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM objects o JOIN buckets b ON b.id = o.bucket_id \
             WHERE o.tier = 'hot' AND o.created_at <= $1 AND o.id > $2 \
             AND NOT EXISTS (SELECT 1 FROM bucket_lifecycle l WHERE l.bucket_id = o.bucket_id) ORDER BY o.id LIMIT $3"
        ))
        .bind(created_before)
        .bind(after_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(object_from_row).collect()
    }

    /// Deletes `object` by a lifecycle expiration if it is still that version (an overwrite
    /// since it was matched is a new object, with its own age); its backing objects go to
    /// `gc_queue` in the same transaction, whichever tier holds them. Whether it was deleted.
    pub async fn expire_object(&self, object: &CatalogObject, gc_grace: Duration) -> Result<bool, CatalogError> {
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query("DELETE FROM objects WHERE id = $1 AND version_id = $2 RETURNING hot_key, cold_key")
            .bind(object.id)
            .bind(object.version_id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(false);
        };
        enqueue_row_keys(
            &mut tx,
            row.try_get("hot_key")?,
            row.try_get("cold_key")?,
            "expired by a lifecycle rule",
            gc_grace,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Multipart uploads of the bucket under `prefix` created at or before `created_cutoff`,
    /// after upload row id `after`, in id order, with their row ids.
    pub async fn rule_stale_uploads(
        &self,
        bucket_id: i64,
        prefix: &str,
        created_cutoff: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, MultipartUpload)>, CatalogError> {
        let end = prefix_end(prefix);
        let sql = format!(
            "SELECT id, {UPLOAD_COLUMNS} FROM multipart_uploads WHERE bucket_id = $1 AND key >= $2 AND created_at <= $3 \
             AND id > $4 {} ORDER BY id LIMIT $5",
            if end.is_some() { "AND key < $6" } else { "" }
        );
        let mut query = sqlx::query(&sql).bind(bucket_id).bind(prefix).bind(created_cutoff).bind(after).bind(limit);
        if let Some(end) = end {
            query = query.bind(end);
        }
        let rows = query.fetch_all(self.pool()).await?;
        rows.iter().map(|r| Ok((col(r, "id")?, upload_from_row(r)?))).collect()
    }

    /// Stores what each rule did in run `run_id` (rules that matched nothing are left out).
    pub async fn record_rule_results(&self, run_id: i64, results: &[RuleResult]) -> Result<(), CatalogError> {
        let mut tx = self.pool().begin().await?;
        for r in results.iter().filter(|r| !r.is_empty()) {
            sqlx::query(
                "INSERT INTO tiering_rule_results (run_id, owner_id, bucket, rule_id, matched, moved, move_failed, \
                 bytes_moved, expired, expire_failed, bytes_expired, aborted, abort_failed) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(run_id)
            .bind(r.owner.map(|o| o.0))
            .bind(r.bucket.clone())
            .bind(r.rule_id.clone())
            .bind(r.matched)
            .bind(r.moved)
            .bind(r.move_failed)
            .bind(r.bytes_moved)
            .bind(r.expired)
            .bind(r.expire_failed)
            .bind(r.bytes_expired)
            .bind(r.aborted)
            .bind(r.abort_failed)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// What each rule did in run `run_id` (a pass records its expirations and its transitions
    /// apart; they are added up here); with `owner`, only that user's rules (the default
    /// policy's figures span every user, so they are left out too).
    pub async fn rule_results(&self, run_id: i64, owner: Option<UserId>) -> Result<Vec<RuleResult>, CatalogError> {
        let rows = sqlx::query(
            "SELECT owner_id, bucket, rule_id, CAST(SUM(matched) AS BIGINT) AS matched, CAST(SUM(moved) AS BIGINT) AS moved, \
             CAST(SUM(move_failed) AS BIGINT) AS move_failed, CAST(SUM(bytes_moved) AS BIGINT) AS bytes_moved, \
             CAST(SUM(expired) AS BIGINT) AS expired, CAST(SUM(expire_failed) AS BIGINT) AS expire_failed, \
             CAST(SUM(bytes_expired) AS BIGINT) AS bytes_expired, CAST(SUM(aborted) AS BIGINT) AS aborted, \
             CAST(SUM(abort_failed) AS BIGINT) AS abort_failed FROM tiering_rule_results \
             WHERE run_id = $1 AND ($2 = 0 OR owner_id = $2) GROUP BY owner_id, bucket, rule_id ORDER BY MIN(id)",
        )
        .bind(run_id)
        .bind(owner.map_or(0, |o| o.0))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RuleResult {
                    owner: col::<Option<i64>>(r, "owner_id")?.map(UserId),
                    bucket: col(r, "bucket")?,
                    rule_id: col(r, "rule_id")?,
                    matched: col(r, "matched")?,
                    moved: col(r, "moved")?,
                    move_failed: col(r, "move_failed")?,
                    bytes_moved: col(r, "bytes_moved")?,
                    expired: col(r, "expired")?,
                    expire_failed: col(r, "expire_failed")?,
                    bytes_expired: col(r, "bytes_expired")?,
                    aborted: col(r, "aborted")?,
                    abort_failed: col(r, "abort_failed")?,
                })
            })
            .collect()
    }

    /// See [`ActionTotals`].
    pub async fn lifecycle_action_totals(&self) -> Result<ActionTotals, CatalogError> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(r.moved), 0) AS BIGINT) AS moved, \
             CAST(COALESCE(SUM(r.move_failed), 0) AS BIGINT) AS move_failed, \
             CAST(COALESCE(SUM(r.expired), 0) AS BIGINT) AS expired, \
             CAST(COALESCE(SUM(r.expire_failed), 0) AS BIGINT) AS expire_failed, \
             CAST(COALESCE(SUM(r.aborted), 0) AS BIGINT) AS aborted, \
             CAST(COALESCE(SUM(r.abort_failed), 0) AS BIGINT) AS abort_failed \
             FROM tiering_rule_results r JOIN tiering_runs t ON t.id = r.run_id \
             WHERE t.dry_run = 0 AND t.status <> 'running' AND r.rule_id IS NOT NULL",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(ActionTotals {
            moved: col(&row, "moved")?,
            move_failed: col(&row, "move_failed")?,
            expired: col(&row, "expired")?,
            expire_failed: col(&row, "expire_failed")?,
            aborted: col(&row, "aborted")?,
            abort_failed: col(&row, "abort_failed")?,
        })
    }
}
