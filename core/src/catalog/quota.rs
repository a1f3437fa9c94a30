//! Quotas: what each user may store, what they store, and room reserved by writes in flight.
//!
//! Usage (`user_usage`) is kept by triggers in the statement that changes an object or a part
//! (migration 0004), so it is exact whatever path wrote and whenever a process died. A write
//! whose size is known reserves room before its bytes go out ([`Catalog::reserve_quota`]): one
//! conditional update of the user's `reserved_*` counters, atomic on both databases, so of
//! concurrent writes those that would pass the quota together are refused at once. A commit that
//! adds no more than its reservation covers needs no further check; one that adds more (an
//! upload of unknown length, a completed multipart upload's object, an overwrite whose old
//! version went meanwhile) is checked under the usage row's lock in its own transaction
//! ([`QuotaCheck`]). Each reservation is also a row with a lease, renewed while its write runs;
//! one whose process died is swept, and its room given back, when the lease has passed.

use std::time::Duration;

use sqlx::{Any, Row, Transaction};

use super::{col, ms, now_ms, Catalog, CatalogError, CatalogKind};
use crate::domain::UserId;

/// How long a reservation lasts unless renewed; its holder renews it every third of this. A
/// process killed mid-write holds the room it reserved this long (`tiergate quota recount
/// --drop-reservations` gives it back at once when no process serves).
const RESERVATION_TTL: Duration = Duration::from_secs(120);

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

pub(super) const USAGE_COLUMNS: &str = "bytes, objects, cold_bytes, cold_objects";

fn u64_col(row: &sqlx::any::AnyRow, name: &str) -> Result<u64, CatalogError> {
    let v: i64 = col(row, name)?;
    Ok(v.max(0) as u64)
}

fn i64_of(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

pub(super) fn usage_from_row(row: &sqlx::any::AnyRow) -> Result<Usage, CatalogError> {
    Ok(Usage {
        bytes: u64_col(row, "bytes")?,
        objects: u64_col(row, "objects")?,
        cold_bytes: u64_col(row, "cold_bytes")?,
        cold_objects: u64_col(row, "cold_objects")?,
    })
}

/// Room taken for a write in flight: `bytes` and `objects` more. [`Reservation::release`] gives
/// it back once the write committed or failed; dropping it unreleased does so on a task of its
/// own.
#[derive(Debug)]
pub struct Reservation {
    id: i64,
    pub bytes: u64,
    pub objects: u64,
    /// Bytes the user may still add beyond this reservation when it was made (`None`:
    /// unlimited).
    pub room_bytes: Option<u64>,
    catalog: Catalog,
    renewal: tokio::task::JoinHandle<()>,
    released: bool,
}

impl Reservation {
    /// Gives the room back (after the write's commit, whose usage now counts it, or its
    /// failure). A failure here leaves it to lapse.
    pub async fn release(mut self) {
        self.released = true;
        self.renewal.abort();
        if let Err(e) = self.catalog.release_reservation(self.id).await {
            tracing::warn!(error = %e, "could not release a quota reservation; it lapses with its lease");
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.released {
            return;
        }
        self.renewal.abort();
        let (catalog, id) = (self.catalog.clone(), self.id);
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                let _ = catalog.release_reservation(id).await;
            });
        }
    }
}

/// How a commit is held to its owner's quota: what its reservation covers (none for a commit
/// that reserved nothing). A commit that adds more than that is checked under the usage row's
/// lock, counting what other writes reserved.
#[derive(Debug, Clone, Copy)]
pub struct QuotaCheck {
    pub quota: Quota,
    /// (bytes, objects) the write's reservation holds.
    pub reserved: (u64, u64),
}

impl QuotaCheck {
    /// Whether a commit that changes usage by `delta` needs a check (adds more than reserved).
    pub(super) fn needed(&self, delta: (i64, i64)) -> bool {
        delta.0 > i64_of(self.reserved.0) || delta.1 > i64_of(self.reserved.1)
    }

    /// What other writes reserved, of all the user's `reserved` counters (this write's own
    /// reservation is in them too).
    fn others(&self, reserved: (u64, u64)) -> (u64, u64) {
        (reserved.0.saturating_sub(self.reserved.0), reserved.1.saturating_sub(self.reserved.1))
    }
}

/// Whether `adding` to `usage` and what is `reserved` stays within `share` (0–1) of every limit.
pub fn well_within(quota: &Quota, usage: Usage, reserved: (u64, u64), adding: (u64, u64), share: f64) -> bool {
    let within = |limit: Option<u64>, used: u64, reserved: u64, add: u64| {
        limit.is_none_or(|l| (used.saturating_add(reserved).saturating_add(add) as f64) <= l as f64 * share)
    };
    within(quota.bytes, usage.bytes, reserved.0, adding.0) && within(quota.objects, usage.objects, reserved.1, adding.1)
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

/// Reads the user's usage and reserved counters (through `tx` in a commit, whose statements
/// locked the row when they changed it; through the pool elsewhere).
async fn read_usage<'e>(
    executor: impl sqlx::Executor<'e, Database = Any>,
    user: UserId,
) -> Result<(Usage, (u64, u64)), CatalogError> {
    let row = sqlx::query(&format!(
        "SELECT {USAGE_COLUMNS}, reserved_bytes, reserved_objects FROM user_usage WHERE user_id = $1"
    ))
    .bind(user.0)
    .fetch_optional(executor)
    .await?
    .ok_or(CatalogError::Gone)?;
    Ok((usage_from_row(&row)?, (u64_col(&row, "reserved_bytes")?, u64_col(&row, "reserved_objects")?)))
}

/// Which limit a write of `adding` (bytes, objects) that its reservation (`check.reserved`) does
/// not cover would pass now, reading the counters; `None` when it fits (it was refused for
/// another reason, or the room came free since).
pub(super) async fn refusal(
    catalog: &Catalog,
    user: UserId,
    check: &QuotaCheck,
    adding: (u64, u64),
) -> Result<Option<QuotaLimit>, CatalogError> {
    let (usage, reserved) = read_usage(catalog.pool(), user).await?;
    Ok(passes(&check.quota, usage, check.others(reserved), adding))
}

/// Checks a commit that changed `user`'s usage by `delta` (bytes, objects) against `check`, in
/// the commit's transaction, when it adds more than its reservation covers: `QuotaExceeded`
/// when a dimension that grew is now over its limit.
pub(super) async fn check_commit(
    tx: &mut Transaction<'_, Any>,
    user: UserId,
    check: &QuotaCheck,
    delta: (i64, i64),
) -> Result<(), CatalogError> {
    if !check.needed(delta) {
        return Ok(());
    }
    // The row is locked: the trigger updated it when the row that grew usage changed.
    let (after, reserved) = read_usage(&mut **tx, user).await?;
    let grew = (delta.0.max(0) as u64, delta.1.max(0) as u64);
    // The trigger has added the delta; take it off to ask "may this much be added?". Our own
    // reservation is still in the counters: it is not room others took.
    let before =
        Usage { bytes: after.bytes.saturating_sub(grew.0), objects: after.objects.saturating_sub(grew.1), ..after };
    match passes(&check.quota, before, check.others(reserved), grew) {
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

    /// The quota in effect for `user` (as [`Catalog::quota`]), what they store, and what writes
    /// in flight reserved (bytes, objects): one query.
    pub async fn quota_and_usage(
        &self,
        user: UserId,
        defaults: &Quota,
    ) -> Result<(Quota, Usage, (u64, u64)), CatalogError> {
        let row = sqlx::query(
            "SELECT u.quota_custom, u.quota_bytes, u.quota_objects, g.bytes, g.objects, g.cold_bytes, g.cold_objects, \
             g.reserved_bytes, g.reserved_objects FROM users u JOIN user_usage g ON g.user_id = u.id WHERE u.id = $1",
        )
        .bind(user.0)
        .fetch_optional(self.pool())
        .await?
        .ok_or(CatalogError::Gone)?;
        let reserved = (u64_col(&row, "reserved_bytes")?, u64_col(&row, "reserved_objects")?);
        Ok((quota_from_row(&row, defaults)?, usage_from_row(&row)?, reserved))
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
    /// other writes reserved, that would pass `quota`: then `QuotaExceeded` (naming the limit)
    /// and nothing is reserved. One conditional update of the user's counters decides, so
    /// concurrent reservations on any number of processes cannot pass the quota together. The
    /// reservation is renewed until it is released or dropped.
    pub async fn reserve_quota(
        &self,
        user: UserId,
        quota: &Quota,
        bytes: u64,
        objects: u64,
    ) -> Result<Reservation, CatalogError> {
        let expires_at = now_ms().saturating_add(ms(RESERVATION_TTL));
        let limit = |l: Option<u64>| l.map(i64_of);
        // The counters change only if it fits: a dimension the write adds nothing to never refuses.
        let fits = "($2 = 0 OR $4 IS NULL OR bytes + reserved_bytes + $2 <= $4) \
                    AND ($3 = 0 OR $5 IS NULL OR objects + reserved_objects + $3 <= $5)";
        let update = format!(
            "UPDATE user_usage SET reserved_bytes = reserved_bytes + $2, reserved_objects = reserved_objects + $3 \
             WHERE user_id = $1 AND {fits}"
        );
        let reserved = match self.kind() {
            // One statement: the row's new values are what the next writer's condition sees.
            CatalogKind::Postgres => sqlx::query(&format!(
                "WITH r AS ({update} RETURNING user_id, bytes, reserved_bytes) \
                 INSERT INTO quota_reservations (user_id, bytes, objects, expires_at) \
                 SELECT user_id, $2, $3, $6 FROM r RETURNING id, (SELECT bytes + reserved_bytes FROM r) AS taken"
            ))
            .bind(user.0)
            .bind(i64_of(bytes))
            .bind(i64_of(objects))
            .bind(limit(quota.bytes))
            .bind(limit(quota.objects))
            .bind(expires_at)
            .fetch_optional(self.pool())
            .await?
            .map(|row| Ok::<_, CatalogError>((col::<i64>(&row, "id")?, u64_col(&row, "taken")?)))
            .transpose()?,
            CatalogKind::Sqlite => {
                let mut tx = self.pool().begin().await?;
                let row = sqlx::query(&format!("{update} RETURNING bytes + reserved_bytes AS taken"))
                    .bind(user.0)
                    .bind(i64_of(bytes))
                    .bind(i64_of(objects))
                    .bind(limit(quota.bytes))
                    .bind(limit(quota.objects))
                    .fetch_optional(&mut *tx)
                    .await?;
                match row {
                    None => None,
                    Some(row) => {
                        let id: i64 = sqlx::query(
                            "INSERT INTO quota_reservations (user_id, bytes, objects, expires_at) \
                             VALUES ($1, $2, $3, $4) RETURNING id",
                        )
                        .bind(user.0)
                        .bind(i64_of(bytes))
                        .bind(i64_of(objects))
                        .bind(expires_at)
                        .fetch_one(&mut *tx)
                        .await?
                        .try_get("id")?;
                        tx.commit().await?;
                        Some((id, u64_col(&row, "taken")?))
                    }
                }
            }
        };
        let Some((id, taken)) = reserved else {
            // Refused (or no such user): say which limit.
            let check = QuotaCheck { quota: *quota, reserved: (0, 0) };
            let limit = refusal(self, user, &check, (bytes, objects))
                .await?
                .unwrap_or(QuotaLimit::Bytes(quota.bytes.unwrap_or(0)));
            return Err(CatalogError::QuotaExceeded(limit));
        };
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
        Ok(Reservation {
            id,
            bytes,
            objects,
            room_bytes: quota.bytes.map(|q| q.saturating_sub(taken)),
            catalog: self.clone(),
            renewal,
            released: false,
        })
    }

    /// Removes reservation `id` and takes it off its user's counters (whoever removes the row
    /// does, so a reservation is given back once).
    async fn release_reservation(&self, id: i64) -> Result<(), CatalogError> {
        match self.kind() {
            CatalogKind::Postgres => {
                sqlx::query(
                    "WITH d AS (DELETE FROM quota_reservations WHERE id = $1 RETURNING user_id, bytes, objects) \
                     UPDATE user_usage u SET reserved_bytes = u.reserved_bytes - d.bytes, \
                     reserved_objects = u.reserved_objects - d.objects FROM d WHERE u.user_id = d.user_id",
                )
                .bind(id)
                .execute(self.pool())
                .await?;
            }
            CatalogKind::Sqlite => {
                let mut tx = self.pool().begin().await?;
                let gone =
                    sqlx::query("DELETE FROM quota_reservations WHERE id = $1 RETURNING user_id, bytes, objects")
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                if let Some(row) = gone {
                    give_back(&mut tx, &row).await?;
                }
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// Removes reservations whose lease has passed (their process died) and gives their room
    /// back; returns how many. Run by the collector.
    pub async fn sweep_reservations(&self) -> Result<usize, CatalogError> {
        let mut tx = self.pool().begin().await?;
        let gone =
            sqlx::query("DELETE FROM quota_reservations WHERE expires_at <= $1 RETURNING user_id, bytes, objects")
                .bind(now_ms())
                .fetch_all(&mut *tx)
                .await?;
        for row in &gone {
            give_back(&mut tx, row).await?;
        }
        tx.commit().await?;
        Ok(gone.len())
    }

    /// Whether `user` may add `bytes` and `objects` now, reserving nothing: a check before work
    /// whose commit checks again (before a multipart upload completes at the backend).
    /// `QuotaExceeded` names the limit.
    pub async fn check_quota(&self, user: UserId, quota: &Quota, bytes: u64, objects: u64) -> Result<(), CatalogError> {
        if quota.is_unlimited() {
            return Ok(());
        }
        let check = QuotaCheck { quota: *quota, reserved: (0, 0) };
        match refusal(self, user, &check, (bytes, objects)).await? {
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
    /// reservations, or every reservation with `drop_reservations` (only when no process serves:
    /// a write in flight would lose its room) (`tiergate quota recount`). Returns the users whose usage was wrong, with
    /// what it said and what it is.
    pub async fn recount_usage(&self, drop_reservations: bool) -> Result<Vec<(UserId, Usage, Usage)>, CatalogError> {
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
        // Lapsed reservations go (all of them when no process serves); the counters become the
        // sums of those left.
        let until = if drop_reservations { i64::MAX } else { now_ms() };
        sqlx::query("DELETE FROM quota_reservations WHERE expires_at <= $1").bind(until).execute(&mut *tx).await?;
        sqlx::query(
            "UPDATE user_usage SET \
               reserved_bytes = (SELECT CAST(COALESCE(SUM(r.bytes), 0) AS BIGINT) FROM quota_reservations r \
                                 WHERE r.user_id = user_usage.user_id), \
               reserved_objects = (SELECT CAST(COALESCE(SUM(r.objects), 0) AS BIGINT) FROM quota_reservations r \
                                   WHERE r.user_id = user_usage.user_id)",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(fixed)
    }
}

/// Takes a removed reservation (a row with `user_id`, `bytes`, `objects`) off its user's counters.
async fn give_back(tx: &mut Transaction<'_, Any>, row: &sqlx::any::AnyRow) -> Result<(), CatalogError> {
    sqlx::query(
        "UPDATE user_usage SET reserved_bytes = reserved_bytes - $2, reserved_objects = reserved_objects - $3 \
         WHERE user_id = $1",
    )
    .bind(col::<i64>(row, "user_id")?)
    .bind(col::<i64>(row, "bytes")?)
    .bind(col::<i64>(row, "objects")?)
    .execute(&mut **tx)
    .await?;
    Ok(())
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
