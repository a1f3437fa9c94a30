//! Who is calling: credentials derived from a Tiergate login. The secret of an access key is
//! recomputed from the key id (no database read); expiry, and revocation of long-lived keys,
//! are checked before any operation runs.

use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::{Credentials, S3Auth, SecretKey};
use s3s::{s3_error, S3Result};
use tiergate_core::catalog::now_ms;
use tiergate_core::domain::UserId;
use tiergate_core::identity::DerivedKey;
use tiergate_core::Core;

use crate::error::ResultExt;

/// Recomputes derived secrets and checks that keys are still good.
pub struct DerivedKeyAuth {
    core: Core,
}

impl DerivedKeyAuth {
    pub fn new(core: Core) -> Self {
        Self { core }
    }
}

fn parse_live(access_key: &str) -> S3Result<DerivedKey> {
    let key = DerivedKey::parse(access_key).ok_or_else(|| {
        s3_error!(InvalidAccessKeyId, "The access key Id you provided does not exist in our records.")
    })?;
    if key.is_expired(now_ms() / 1000) {
        return Err(s3_error!(ExpiredToken, "The provided token has expired."));
    }
    Ok(key)
}

#[async_trait::async_trait]
impl S3Auth for DerivedKeyAuth {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        let key = parse_live(access_key)?;
        Ok(SecretKey::from(self.core.identity.derived_secret(&key.access_key_id)))
    }
}

#[async_trait::async_trait]
impl S3Access for DerivedKeyAuth {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        let Some(credentials) = cx.credentials() else {
            return Err(s3_error!(AccessDenied, "Anonymous access is not allowed; sign the request."));
        };
        let key = parse_live(&credentials.access_key)?;
        if key.serial != 0 && !self.core.catalog.access_key_active(key.user, key.serial).await.s3()? {
            return Err(s3_error!(InvalidAccessKeyId, "The access key has been revoked."));
        }
        Ok(())
    }
}

/// The user behind a verified request.
pub fn caller(credentials: Option<&Credentials>) -> S3Result<UserId> {
    let credentials = credentials.ok_or_else(|| s3_error!(AccessDenied))?;
    Ok(parse_live(&credentials.access_key)?.user)
}
