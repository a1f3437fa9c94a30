//! Quotas on the one write path: room is held before the bytes go out, and the commit checks
//! again (see `catalog::quota`).

use crate::catalog::{well_within, CatalogError, Quota, QuotaCheck, QuotaLimit, Reservation};
use crate::domain::UserId;
use crate::objects::WriteError;
use crate::Core;

/// A write that adds to usage this far from every limit is not reserved for: its commit's
/// check (in the commit's transaction) is all it needs, and costs less than a reservation.
/// Nearer, room is reserved before the bytes go out, so concurrent writes that would together
/// pass the quota are refused before they upload rather than after.
const UNRESERVED_SHARE: f64 = 0.5;

/// How one write of a user who has a quota is held to it.
#[derive(Debug)]
pub struct QuotaHold {
    pub quota: Quota,
    /// Room reserved, when the write comes near a limit.
    pub reservation: Option<Reservation>,
    /// Bytes the user could still add when the write began (`None`: unlimited).
    room_bytes: Option<u64>,
}

impl QuotaHold {
    /// What the commit is checked with.
    pub fn check(&self) -> QuotaCheck {
        let reserved = self.reservation.as_ref().map_or((0, 0), |r| (r.bytes, r.objects));
        QuotaCheck { quota: self.quota, reserved }
    }

    /// Gives reserved room back once the write committed (its usage counts it now) or failed.
    pub async fn release(self) {
        if let Some(reservation) = self.reservation {
            reservation.release().await;
        }
    }

    /// The limit to cut a body of unknown length off at: the room there was, with the size of
    /// the version it replaces (`replacing`) added back, as an overwrite counts the difference.
    pub fn body_limit(&self, replacing: u64) -> Option<u64> {
        self.room_bytes.map(|room| room.saturating_add(replacing))
    }

    /// The error for a body cut off at [`QuotaHold::body_limit`].
    pub fn exceeded(&self) -> WriteError {
        WriteError::QuotaExceeded(QuotaLimit::Bytes(self.quota.bytes.unwrap_or(0)))
    }
}

impl Core {
    /// The quota defaults of the settings (`quota.default_bytes`, `quota.default_objects`).
    pub fn default_quota(&self) -> Quota {
        Quota { bytes: self.settings.quota.default_bytes, objects: self.settings.quota.default_objects }
    }

    /// The quota in effect for `owner`, or `None` when they may store without limit.
    pub async fn quota_of(&self, owner: UserId) -> Result<Option<Quota>, CatalogError> {
        let quota = self.catalog.quota(owner, &self.default_quota()).await?;
        Ok((!quota.is_unlimited()).then_some(quota))
    }

    /// Holds room for a write to `key` in `bucket_id`: `bytes` more (when known; else none, and
    /// the body is cut off at [`QuotaHold::body_limit`]) and one object more. When that does not
    /// fit and the key has a current version, only the growth is held, as an overwrite counts
    /// the difference. `None` for a user without a quota; `QuotaExceeded` names the limit.
    pub async fn hold_room(
        &self,
        owner: UserId,
        bucket_id: i64,
        key: &str,
        bytes: Option<u64>,
    ) -> Result<Option<QuotaHold>, WriteError> {
        let (quota, usage, reserved) = self.catalog.quota_and_usage(owner, &self.default_quota()).await?;
        if quota.is_unlimited() {
            return Ok(None);
        }
        let wanted = bytes.unwrap_or(0);
        if bytes.is_some() && well_within(&quota, usage, reserved, (wanted, 1), UNRESERVED_SHARE) {
            let room_bytes = quota.bytes.map(|q| q.saturating_sub(usage.bytes + reserved.0));
            return Ok(Some(QuotaHold { quota, reservation: None, room_bytes }));
        }
        let reservation = match self.catalog.reserve_quota(owner, &quota, wanted, 1).await {
            Ok(r) => r,
            Err(CatalogError::QuotaExceeded(limit)) => {
                let Some(current) = self.catalog.object(owner, bucket_id, key).await? else {
                    return Err(WriteError::QuotaExceeded(limit));
                };
                self.catalog.reserve_quota(owner, &quota, wanted.saturating_sub(current.size), 0).await?
            }
            Err(e) => return Err(e.into()),
        };
        let room_bytes = reservation.room_bytes;
        Ok(Some(QuotaHold { quota, reservation: Some(reservation), room_bytes }))
    }
}
