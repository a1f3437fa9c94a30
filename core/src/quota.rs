//! Quotas on the one write path: room is held before the bytes go out, and the commit checks
//! again (see `catalog::quota`).

use crate::catalog::{CatalogError, Quota, QuotaCheck, QuotaLimit, Reservation};
use crate::domain::UserId;
use crate::objects::WriteError;
use crate::Core;

/// Room held for one write of a user who has a quota.
#[derive(Debug)]
pub struct QuotaHold {
    pub quota: Quota,
    pub reservation: Reservation,
}

impl QuotaHold {
    /// What the commit is checked with.
    pub fn check(&self) -> QuotaCheck<'_> {
        QuotaCheck { quota: self.quota, reservation: Some(&self.reservation) }
    }

    /// The limit to cut a body of unknown length off at: the room there was, with the size of
    /// the version it replaces (`replacing`) added back, as an overwrite counts the difference.
    pub fn body_limit(&self, replacing: u64) -> Option<u64> {
        self.reservation.room_bytes.map(|room| room.saturating_add(replacing))
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
        let Some(quota) = self.quota_of(owner).await? else { return Ok(None) };
        let wanted = bytes.unwrap_or(0);
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
        Ok(Some(QuotaHold { quota, reservation }))
    }
}
