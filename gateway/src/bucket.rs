//! Buckets: names are per user, so two users may both own `photos`.

use s3s::dto::*;
use s3s::{s3_error, S3Request, S3Response, S3Result};
use tiergate_core::catalog::{BucketDeletion, CatalogError};
use tiergate_core::domain::BucketName;

use crate::ctx::ReqCtx;
use crate::error::{IntoS3Error, ResultExt};
use crate::timestamp;

/// The caller as S3 names an owner.
pub async fn owner(cx: &ReqCtx<'_>) -> S3Result<Owner> {
    let user = cx.core.catalog.user_by_id(cx.user).await.s3()?;
    Ok(Owner { id: Some(cx.user.to_string()), display_name: user.map(|u| u.email) })
}

pub async fn list_buckets(
    cx: &ReqCtx<'_>,
    req: S3Request<ListBucketsInput>,
) -> S3Result<S3Response<ListBucketsOutput>> {
    let input = req.input;
    let prefix = input.prefix.clone().unwrap_or_default();
    // The continuation token is the last name of the previous page; names sort by bytes.
    let after = input.continuation_token.clone().unwrap_or_default();
    let max = match input.max_buckets {
        None => usize::MAX,
        Some(n) if (1..=10_000).contains(&n) => n as usize,
        Some(_) => return Err(s3_error!(InvalidArgument, "max-buckets must be from 1 to 10000")),
    };
    let mut matching: Vec<_> = cx
        .core
        .catalog
        .buckets(cx.user)
        .await
        .s3()?
        .into_iter()
        .filter(|b| b.name.starts_with(&prefix) && b.name.as_str() > after.as_str())
        .collect();
    let truncated = matching.len() > max;
    matching.truncate(max);
    let next = truncated.then(|| matching.last().map(|b| b.name.clone())).flatten();
    let buckets = matching
        .into_iter()
        .map(|b| Bucket { name: Some(b.name), creation_date: Some(timestamp(b.created_at)), ..Default::default() })
        .collect();
    Ok(S3Response::new(ListBucketsOutput {
        buckets: Some(buckets),
        owner: Some(owner(cx).await?),
        continuation_token: next,
        prefix: input.prefix,
    }))
}

pub async fn create_bucket(
    cx: &ReqCtx<'_>,
    req: S3Request<CreateBucketInput>,
) -> S3Result<S3Response<CreateBucketOutput>> {
    let name = BucketName::parse(&req.input.bucket).map_err(|e| s3_error!(InvalidBucketName, "{}", e.message))?;
    if req.input.object_lock_enabled_for_bucket == Some(true) {
        return Err(s3_error!(NotImplemented, "Object lock is not supported."));
    }
    // Nothing is ever public: a canned ACL or grant that would share the bucket is refused, as
    // PutObject refuses one, rather than accepted and ignored.
    let input = &req.input;
    let grants = [
        &input.grant_full_control,
        &input.grant_read,
        &input.grant_read_acp,
        &input.grant_write,
        &input.grant_write_acp,
    ];
    if input.acl.as_ref().is_some_and(|acl| acl.as_str() != BucketCannedACL::PRIVATE)
        || grants.iter().any(|g| g.is_some())
    {
        return Err(s3_error!(NotImplemented, "Only private buckets are supported."));
    }
    match cx.core.catalog.create_bucket(cx.user, &name).await {
        Ok(_) => {}
        Err(CatalogError::Conflict) => {
            return Err(s3_error!(
                BucketAlreadyOwnedByYou,
                "Your previous request to create the named bucket succeeded and you already own it."
            ))
        }
        Err(e) => return Err(e.into_s3()),
    }
    tracing::info!(user_id = cx.user.0, bucket = %name, "bucket created");
    Ok(S3Response::new(CreateBucketOutput { location: Some(format!("/{name}")), ..Default::default() }))
}

pub async fn head_bucket(cx: &ReqCtx<'_>, req: S3Request<HeadBucketInput>) -> S3Result<S3Response<HeadBucketOutput>> {
    cx.bucket(&req.input.bucket).await?;
    Ok(S3Response::new(HeadBucketOutput { bucket_region: Some("us-east-1".into()), ..Default::default() }))
}

pub async fn delete_bucket(
    cx: &ReqCtx<'_>,
    req: S3Request<DeleteBucketInput>,
) -> S3Result<S3Response<DeleteBucketOutput>> {
    let bucket = cx.bucket(&req.input.bucket).await?;
    let empty = cx.core.catalog.list_bucket_objects(cx.user, bucket.id, "", None, 1).await.s3()?.is_empty();
    if !empty {
        return Err(s3_error!(BucketNotEmpty, "The bucket you tried to delete is not empty."));
    }
    // Unfinished multipart uploads do not keep a bucket alive, as in S3: they are aborted.
    for upload in cx.core.catalog.bucket_multipart_uploads(cx.user, bucket.id).await.s3()? {
        cx.core.abort_multipart(&upload).await.s3()?;
    }
    match cx.core.catalog.delete_bucket(cx.user, bucket.id).await.s3()? {
        BucketDeletion::Deleted => {
            tracing::info!(user_id = cx.user.0, bucket = %bucket.name, "bucket deleted");
            Ok(S3Response::new(DeleteBucketOutput {}))
        }
        BucketDeletion::NotEmpty => Err(s3_error!(BucketNotEmpty, "The bucket you tried to delete is not empty.")),
        BucketDeletion::NotFound => Err(s3_error!(NoSuchBucket)),
    }
}

pub async fn get_bucket_location(
    cx: &ReqCtx<'_>,
    req: S3Request<GetBucketLocationInput>,
) -> S3Result<S3Response<GetBucketLocationOutput>> {
    cx.bucket(&req.input.bucket).await?;
    // us-east-1 is answered as an empty constraint, as AWS does.
    Ok(S3Response::new(GetBucketLocationOutput { location_constraint: None }))
}

pub async fn get_bucket_versioning(
    cx: &ReqCtx<'_>,
    req: S3Request<GetBucketVersioningInput>,
) -> S3Result<S3Response<GetBucketVersioningOutput>> {
    cx.bucket(&req.input.bucket).await?;
    // Versioning was never enabled: no Status element, as S3 answers for such buckets.
    Ok(S3Response::new(GetBucketVersioningOutput::default()))
}
