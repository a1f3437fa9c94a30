//! Quotas: what each user may store, what they store, and room reserved by writes in flight.
//!
//! Usage (`user_usage`) is kept by triggers in the statement that changes an object or a part
//! (migration 0004), so it is exact whatever path wrote and whenever a process died. A write
//! whose size is known reserves room before its bytes go out ([`Catalog::reserve_quota`]), so
//! that concurrent writes are refused early instead of after their upload; and the commit checks
//! the quota again under the usage row's lock ([`QuotaCheck`]), which is what makes the limit
//! hold. A reservation is renewed while its write runs and lapses if its process dies.

use std::time::Duration;

use sqlx::{Any, Row, Transaction};

use super::{col, ms, now_ms, Catalog, CatalogError};
use crate::domain::UserId;

/// How long a reservation lasts unless renewed; its holder renews it every third of this.
const RESERVATION_TTL: Duration = Duration::from_secs(300);

/// Limits on what a user stores; `None` is unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Quota {
    /// Bytes of objects (hot and cold alike) and of multipart parts in progress.
    pub bytes: Option<u64>,
    pub objects: Option<u64>,
}

impl Quota {
    pub fn is_unlimited(&self) -> bool {
        self.bytes.is_none() && self.objects.is_none()
    }
}

/// Which limit a write would pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaLimit {
    Bytes(u64),
    Objects(u64),
}

impl std::fmt::Display for QuotaLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QuotaLimit::Bytes(n) => write!(f, "a quota of {n} bytes"),
            QuotaLimit::Objects(n) => write!(f, "a quota of {n} objects"),
        }
    }
}

/// What a user stores now (`user_usage`): in all, and of that in the cold tier (the rest,
/// multipart parts included, is in the hot tier).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Usage {
    pub bytes: u64,
    pub objects: u64,
    pub cold_bytes: u64,
    pub cold_objects: u64,
}

pub(super) fn usage_from_row(row: &sqlx::any::AnyRow) -> Result<Usage, CatalogError> {
    Ok(Usage {
        bytes: u64_col(row, "bytes")?,
        objects: u64_col(row, "objects")?,
        cold_bytes: u64_col(row, "cold_bytes")?,
        cold_objects: u64_col(row, "cold_objects")?,
    })
}

/// Room taken for a write in flight. Dropping it gives the room back (on a task of its own);
/// a commit that takes it ([`QuotaCheck`]) removes it in the commit's transaction.
#[derive(Debug)]
pub struct Reservation {
    id: i64,
    catalog: Catalog,
    renewal: tokio::task::JoinHandle<()>,
    /// Bytes the user may still add beyond this reservation when it was made (`None`:
    /// unlimited).
    pub room_bytes: Option<u64>,
}

impl Reservation {
    pub fn id(&self) -> i64 {
        self.id
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.renewal.abort();
        let (catalog, id) = (self.catalog.clone(), self.id);
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                // Gone already when its write committed; a failure lapses with the TTL.
                let _ =
                    sqlx::query("DELETE FROM quota_reservations WHERE id = $1").bind(id).execute(catalog.pool()).await;
            });
        }
    }
}

/// How a commit is held to its owner's quota: checked under the usage row's lock once the
/// row has changed, counting the reservations of other writes; the write's own reservation
/// is removed in the same transaction.
#[derive(Debug, Clone, Copy)]
pub struct QuotaCheck<'a> {
    pub quota: Quota,
    pub reservation: Option<&'a Reservation>,
}

pub(super) const USAGE_COLUMNS: &str = "bytes, objects, cold_bytes, cold_objects";

fn u64_col(row: &sqlx::any::AnyRow, name: &str) -> Result<u64, CatalogError> {
    let v: i64 = col(row, name)?;
    Ok(v.max(0) as u64)
}

/// Reserved by other writes of `user` that have not lapsed: `(bytes, objects)`.
async fn reserved_by_others(
    tx: &mut Transaction<'_, Any>,
    user: UserId,
    except: i64,
) -> Result<(u64, u64), CatalogError> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(bytes), 0) AS BIGINT) AS rb, CAST(COALESCE(SUM(objects), 0) AS BIGINT) AS ro \
         FROM quota_reservations WHERE user_id = $1 AND expires_at > $2 AND id <> $3",
    )
    .bind(user.0)
    .bind(now_ms())
    .bind(except)
    .fetch_one(&mut **tx)
    .await?;
    Ok((u64_col(&row, "rb")?, u64_col(&row, "ro")?))
}

/// Which limit `usage` plus what is `reserved` plus `adding` would pass; what is not added to
/// (`adding` of 0) is never refused, so a user over a lowered quota can still overwrite with
/// less or delete.
fn passes(quota: &Quota, usage: Usage, reserved: (u64, u64), adding: (u64, u64)) -> Option<QuotaLimit> {
    let over = |limit: Option<u64>, used: u64, reserved: u64, add: u64| {
        limit.filter(|&l| add > 0 && used.saturating_add(reserved).saturating_add(add) > l)
    };
    over(quota.bytes, usage.bytes, reserved.0, adding.0)
        .map(QuotaLimit::Bytes)
        .or_else(|| over(quota.objects, usage.objects, reserved.1, adding.1).map(QuotaLimit::Objects))
}

/// Locks the user's usage row for the transaction and reads it.
async fn lock_usage(tx: &mut Transaction<'_, Any>, user: UserId) -> Result<Usage, CatalogError> {
    let row = sqlx::query(&format!("UPDATE user_usage SET bytes = bytes WHERE user_id = $1 RETURNING {USAGE_COLUMNS}"))
        .bind(user.0)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(CatalogError::Gone)?;
    usage_from_row(&row)
}

/// Checks a commit that changed `user`'s usage by `delta` (bytes, objects) against `check`,
/// in the commit's transaction; removes the write's reservation. `QuotaExceeded` when a
/// dimension that grew is now over its limit.
pub(super) async fn check_commit(
    tx: &mut Transaction<'_, Any>,
    user: UserId,
    check: &QuotaCheck<'_>,
    delta: (i64, i64),
) -> Result<(), CatalogError> {
    let own = check.reservation.map_or(0, Reservation::id);
    if own != 0 {
        sqlx::query("DELETE FROM quota_reservations WHERE id = $1").bind(own).execute(&mut **tx).await?;
    }
    if delta.0 <= 0 && delta.1 <= 0 {
        return Ok(());
    }
    // The trigger has already added the delta; take it off to ask "may this much be added?".
    let after = lock_usage(tx, user).await?;
    let before = Usage {
        bytes: after.bytes.saturating_sub(delta.0.max(0) as u64),
        objects: after.objects.saturating_sub(delta.1.max(0) as u64),
        ..after
    };
    let reserved = reserved_by_others(tx, user, own).await?;
    match passes(&check.quota, before, reserved, (delta.0.max(0) as u64, delta.1.max(0) as u64)) {
        Some(limit) => Err(CatalogError::QuotaExceeded(limit)),
        None => Ok(()),
    }
}

impl Catalog {
    /// The quota in effect for `user`: their own when an admin set one, else `defaults`
    /// (settings `quota.*`). `Gone` when there is no such user.
    pub async fn quota(&self, user: UserId, defaults: &Quota) -> Result<Quota, CatalogError> {
        let row = sqlx::query("SELECT quota_custom, quota_bytes, quota_objects FROM users WHERE id = $1")
            .bind(user.0)
            .fetch_optional(self.pool())
            .await?
            .ok_or(CatalogError::Gone)?;
        quota_from_row(&row, defaults)
    }

    /// What `user` stores now.
    pub async fn usage(&self, user: UserId) -> Result<Usage, CatalogError> {
        let row = sqlx::query(&format!("SELECT {USAGE_COLUMNS} FROM user_usage WHERE user_id = $1"))
            .bind(user.0)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(usage_from_row).transpose().map(Option::unwrap_or_default)
    }

    /// Reserves room for `bytes` and `objects` more unless, with what `user` stores and what
    /// other writes reserved, that would pass `quota`: then `QuotaExceeded` and nothing is
    /// reserved. The reservation is renewed until it is dropped or committed.
    pub async fn reserve_quota(
        &self,
        user: UserId,
        quota: &Quota,
        bytes: u64,
        objects: u64,
    ) -> Result<Reservation, CatalogError> {
        let now = now_ms();
        let mut tx = self.pool().begin().await?;
        let usage = lock_usage(&mut tx, user).await?;
        sqlx::query("DELETE FROM quota_reservations WHERE user_id = $1 AND expires_at <= $2")
            .bind(user.0)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let reserved = reserved_by_others(&mut tx, user, 0).await?;
        if let Some(limit) = passes(quota, usage, reserved, (bytes, objects)) {
            tx.rollback().await?;
            return Err(CatalogError::QuotaExceeded(limit));
        }
        let (bytes_i, objects_i) =
            (i64::try_from(bytes).unwrap_or(i64::MAX), i64::try_from(objects).unwrap_or(i64::MAX));
        let id: i64 = sqlx::query(
            "INSERT INTO quota_reservations (user_id, bytes, objects, expires_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(user.0)
        .bind(bytes_i)
        .bind(objects_i)
        .bind(now.saturating_add(ms(RESERVATION_TTL)))
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        tx.commit().await?;
        let room_bytes =
            quota.bytes.map(|q| q.saturating_sub(usage.bytes.saturating_add(reserved.0).saturating_add(bytes)));
        let catalog = self.clone();
        let renewal = tokio::spawn(async move {
            loop {
                tokio::time::sleep(RESERVATION_TTL / 3).await;
                let renewed = sqlx::query("UPDATE quota_reservations SET expires_at = $2 WHERE id = $1")
                    .bind(id)
                    .bind(now_ms().saturating_add(ms(RESERVATION_TTL)))
                    .execute(catalog.pool())
                    .await;
                if let Err(e) = renewed {
                    tracing::warn!(error = %e, "could not renew a quota reservation");
                }
            }
        });
        Ok(Reservation { id, catalog: self.clone(), renewal, room_bytes })
    }

    /// Whether `user` may add `bytes` and `objects` now, reserving nothing: a check before work
    /// whose commit checks again (before a multipart upload completes at the backend).
    /// `QuotaExceeded` names the limit.
    pub async fn check_quota(&self, user: UserId, quota: &Quota, bytes: u64, objects: u64) -> Result<(), CatalogError> {
        if quota.is_unlimited() {
            return Ok(());
        }
        let mut tx = self.pool().begin().await?;
        let usage = sqlx::query(&format!("SELECT {USAGE_COLUMNS} FROM user_usage WHERE user_id = $1"))
            .bind(user.0)
            .fetch_optional(&mut *tx)
            .await?
            .as_ref()
            .map(usage_from_row)
            .transpose()?
            .unwrap_or_default();
        let reserved = reserved_by_others(&mut tx, user, 0).await?;
        tx.rollback().await?;
        match passes(quota, usage, reserved, (bytes, objects)) {
            Some(limit) => Err(CatalogError::QuotaExceeded(limit)),
            None => Ok(()),
        }
    }

    /// Sets `user`'s own quota (`None` in a field: unlimited), or with `None` makes them follow
    /// the settings' defaults again. False when there is no such user.
    pub async fn set_quota(&self, user: UserId, quota: Option<Quota>) -> Result<bool, CatalogError> {
        let as_i64 = |v: Option<u64>| v.map(|v| i64::try_from(v).unwrap_or(i64::MAX));
        let done = sqlx::query(
            "UPDATE users SET quota_custom = $2, quota_bytes = $3, quota_objects = $4, updated_at = $5 WHERE id = $1",
        )
        .bind(user.0)
        .bind(i64::from(quota.is_some()))
        .bind(as_i64(quota.and_then(|q| q.bytes)))
        .bind(as_i64(quota.and_then(|q| q.objects)))
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Recomputes every user's usage from their objects and parts, and drops lapsed
    /// reservations (`tiergate quota recount`). Returns the users whose usage was wrong, with
    /// what it said and what it is.
    pub async fn recount_usage(&self) -> Result<Vec<(UserId, Usage, Usage)>, CatalogError> {
        let mut tx = self.pool().begin().await?;
        let rows = sqlx::query(
            "SELECT u.user_id, u.bytes, u.objects, u.cold_bytes, u.cold_objects, \
               CAST(COALESCE((SELECT SUM(o.size) FROM objects o WHERE o.owner_id = u.user_id), 0) \
                  + COALESCE((SELECT SUM(p.size) FROM multipart_parts p WHERE p.owner_id = u.user_id), 0) AS BIGINT) \
                 AS true_bytes, \
               CAST((SELECT COUNT(*) FROM objects o WHERE o.owner_id = u.user_id) AS BIGINT) AS true_objects, \
               CAST(COALESCE((SELECT SUM(o.size) FROM objects o WHERE o.owner_id = u.user_id AND o.tier = 'cold'), 0) \
                 AS BIGINT) AS true_cold_bytes, \
               CAST((SELECT COUNT(*) FROM objects o WHERE o.owner_id = u.user_id AND o.tier = 'cold') AS BIGINT) \
                 AS true_cold_objects \
             FROM user_usage u",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut fixed = Vec::new();
        for row in &rows {
            let user = UserId(col(row, "user_id")?);
            let was = usage_from_row(row)?;
            let is = Usage {
                bytes: u64_col(row, "true_bytes")?,
                objects: u64_col(row, "true_objects")?,
                cold_bytes: u64_col(row, "true_cold_bytes")?,
                cold_objects: u64_col(row, "true_cold_objects")?,
            };
            if was != is {
                sqlx::query(
                    "UPDATE user_usage SET bytes = $2, objects = $3, cold_bytes = $4, cold_objects = $5 \
                     WHERE user_id = $1",
                )
                .bind(user.0)
                .bind(is.bytes as i64)
                .bind(is.objects as i64)
                .bind(is.cold_bytes as i64)
                .bind(is.cold_objects as i64)
                .execute(&mut *tx)
                .await?;
                fixed.push((user, was, is));
            }
        }
        sqlx::query("DELETE FROM quota_reservations WHERE expires_at <= $1").bind(now_ms()).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(fixed)
    }
}

/// The quota in effect, from a row with `quota_custom`, `quota_bytes` and `quota_objects`.
pub(super) fn quota_from_row(row: &sqlx::any::AnyRow, defaults: &Quota) -> Result<Quota, CatalogError> {
    let custom: i64 = col(row, "quota_custom")?;
    if custom == 0 {
        return Ok(*defaults);
    }
    let limit = |name| Ok::<_, CatalogError>(col::<Option<i64>>(row, name)?.map(|v| v.max(0) as u64));
    Ok(Quota { bytes: limit("quota_bytes")?, objects: limit("quota_objects")? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_grows_is_held_to_its_limit() {
        let q = Quota { bytes: Some(100), objects: Some(2) };
        let used = Usage { bytes: 60, objects: 1, ..Usage::default() };
        assert_eq!(passes(&q, used, (0, 0), (40, 1)), None, "exactly at the quota fits");
        assert_eq!(passes(&q, used, (0, 0), (41, 0)), Some(QuotaLimit::Bytes(100)));
        assert_eq!(passes(&q, used, (30, 0), (11, 0)), Some(QuotaLimit::Bytes(100)), "others' reservations count");
        assert_eq!(passes(&q, used, (0, 1), (0, 1)), Some(QuotaLimit::Objects(2)));
        // Over a lowered quota: adding nothing in a dimension is never refused.
        let over = Usage { bytes: 500, objects: 9, ..Usage::default() };
        assert_eq!(passes(&q, over, (0, 0), (0, 0)), None);
        assert_eq!(passes(&Quota::default(), over, (u64::MAX, 0), (u64::MAX, 1)), None, "unlimited");
    }
}
