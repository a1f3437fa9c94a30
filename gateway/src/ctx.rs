//! The request context every operation gets: the core handles and the caller.

use s3s::{s3_error, S3Error, S3Request, S3Result};
use tiergate_core::catalog::Bucket;
use tiergate_core::domain::{BucketName, ObjectKey, UserId};
use tiergate_core::Core;

use crate::auth::caller;
use crate::error::ResultExt;

/// What an operation needs: the shared handles and who is asking.
pub struct ReqCtx<'a> {
    pub core: &'a Core,
    pub user: UserId,
}

impl<'a> ReqCtx<'a> {
    pub fn new<T>(core: &'a Core, req: &S3Request<T>) -> S3Result<Self> {
        Ok(Self { core, user: caller(req.credentials.as_ref())? })
    }

    /// The caller's bucket of that name. Another user's bucket of the same name is not the
    /// caller's, so it is `NoSuchBucket` here as well: nobody learns of others' buckets.
    pub async fn bucket(&self, name: &str) -> S3Result<Bucket> {
        let parsed = bucket_name(name)?;
        self.core.catalog.bucket(self.user, &parsed).await.s3()?.ok_or_else(no_such_bucket)
    }

    /// As [`ReqCtx::bucket`], for a write: the bucket may come from the catalog's memory of
    /// buckets written to (the write then checks it still exists).
    pub async fn bucket_for_write(&self, name: &str) -> S3Result<Bucket> {
        let parsed = bucket_name(name)?;
        self.core.catalog.bucket_for_write(self.user, &parsed).await.s3()?.ok_or_else(no_such_bucket)
    }
}

/// A bucket name from a request.
pub fn bucket_name(raw: &str) -> S3Result<BucketName> {
    BucketName::parse(raw).map_err(|_| s3_error!(InvalidBucketName))
}

pub fn no_such_bucket() -> S3Error {
    s3_error!(NoSuchBucket, "The specified bucket does not exist.")
}

/// An object key from a request.
pub fn object_key(raw: &str) -> S3Result<ObjectKey> {
    ObjectKey::parse(raw).map_err(|e| {
        if raw.is_empty() {
            s3_error!(InvalidArgument, "{e}")
        } else {
            s3_error!(KeyTooLongError)
        }
    })
}

/// S3 answers `null` as the version of every object in an unversioned bucket; any other
/// version id names nothing.
pub fn check_version(version_id: Option<&str>) -> S3Result<()> {
    match version_id {
        None | Some("null") => Ok(()),
        Some(_) => Err(s3_error!(NoSuchVersion, "The specified version does not exist.")),
    }
}
