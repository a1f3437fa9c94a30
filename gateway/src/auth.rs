//! Who is calling: credentials derived from a Tiergate login. The secret of an access key is
//! recomputed from the key id (no database read); expiry, and revocation of long-lived keys,
//! are checked before any operation runs.

use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::{Credentials, S3Auth, SecretKey};
use s3s::{s3_error, S3Result};
use tiergate_core::catalog::{now_ms, UserStatus};
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
        let access_key = cx.credentials().map(|c| c.access_key.clone());
        if let Some(access_key) = &access_key {
            let (operation, target) = (cx.s3_op().name().to_string(), crate::audit::target(cx.s3_path()));
            crate::audit::AuditSlot::fill(cx.extensions_mut(), operation, access_key, target, None);
        }
        let Some(credentials) = cx.credentials() else {
            return Err(s3_error!(AccessDenied, "Anonymous access is not allowed; sign the request."));
        };
        if is_sigv2(cx.headers(), cx.uri()) {
            // Only a form upload may use SigV2, and only with `server.allow_sigv2_post`
            // (s3s verifies no SigV2 signature without it).
            return Err(s3_error!(AccessDenied, "Signature Version 2 is disabled; sign with Signature Version 4."));
        }
        let key = parse_live(&credentials.access_key)?;
        check_session_token(&self.core, &key, cx.headers(), cx.uri())?;
        // A revoked key, or any key of a disabled or deleted account, stops working at once.
        let active = match key.revocable_id() {
            Some(id) => self.core.catalog.access_key_active(key.user, id).await.s3()?,
            None => self.core.catalog.user_status(key.user).await.s3()? == UserStatus::Active,
        };
        if !active {
            return Err(s3_error!(InvalidAccessKeyId, "The access key has been revoked, or its account disabled."));
        }
        Ok(())
    }
}

/// Whether a request is signed with Signature Version 2 in its header (`Authorization: AWS
/// key:signature`) or as a presigned URL (`AWSAccessKeyId` and `Signature`). A form upload's
/// SigV2 is in its form, not here.
fn is_sigv2(headers: &http::HeaderMap, uri: &http::Uri) -> bool {
    let in_header = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("AWS "));
    let in_query = uri.query().is_some_and(|q| {
        let mut names = url::form_urlencoded::parse(q.as_bytes()).map(|(k, _)| k);
        names.any(|k| k == "AWSAccessKeyId")
    });
    in_header || in_query
}

/// Session credentials (from STS) are good only with their session token, in the
/// `x-amz-security-token` header or, on a presigned URL, the `X-Amz-Security-Token` parameter;
/// AWS refuses them without it, and so do we. Other keys need none, and a token sent with one
/// is refused too, since it names a session that key is not.
fn check_session_token(core: &Core, key: &DerivedKey, headers: &http::HeaderMap, uri: &http::Uri) -> S3Result<()> {
    let in_query = || {
        uri.query().and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k.eq_ignore_ascii_case("X-Amz-Security-Token"))
                .map(|(_, v)| v.into_owned())
        })
    };
    let token = match headers.get("x-amz-security-token") {
        Some(v) => Some(v.to_str().map(str::to_string).unwrap_or_default()),
        None => in_query(),
    };
    let invalid = || {
        let mut e = s3_error!(InvalidToken, "The provided token is malformed or otherwise invalid.");
        e.set_status_code(http::StatusCode::FORBIDDEN);
        e
    };
    match (key.is_session(), token) {
        (true, Some(token)) if core.identity.verify_session_token(key, &token) => Ok(()),
        (true, Some(_)) => Err(invalid()),
        (true, None) => Err(s3_error!(
            InvalidAccessKeyId,
            "These are session credentials: send their session token (x-amz-security-token) with them."
        )),
        (false, Some(_)) => Err(invalid()),
        (false, None) => Ok(()),
    }
}

/// The user behind a verified request.
pub fn caller(credentials: Option<&Credentials>) -> S3Result<UserId> {
    let credentials = credentials.ok_or_else(|| s3_error!(AccessDenied))?;
    Ok(parse_live(&credentials.access_key)?.user)
}
