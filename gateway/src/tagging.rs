//! Object tagging: PutObjectTagging, GetObjectTagging, DeleteObjectTagging, and the
//! `x-amz-tagging` header that PutObject, CreateMultipartUpload and CopyObject carry. Limits
//! and storage are core's (`tiergate_core::tagging`); tags change no version and no
//! Last-Modified, as on S3.

use s3s::dto::*;
use s3s::{s3_error, S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use tiergate_core::tagging::{TagError, TagSet};

use crate::ctx::{check_version, object_key, ReqCtx};
use crate::error::ResultExt;

/// `InvalidTag` (or `InvalidArgument` for a header that does not parse), naming the rule.
pub fn tag_error(e: TagError) -> S3Error {
    let code = match e {
        TagError::MalformedHeader => S3ErrorCode::InvalidArgument,
        _ => S3ErrorCode::InvalidTag,
    };
    S3Error::with_message(code, e.to_string())
}

/// The tag set an `x-amz-tagging` header asks for (empty without one).
pub fn from_header(header: Option<&str>) -> S3Result<TagSet> {
    header.map_or(Ok(TagSet::empty()), |h| TagSet::from_header(h).map_err(tag_error))
}

/// The tag set of a `<Tagging>` body.
fn from_body(tagging: Tagging) -> S3Result<TagSet> {
    let pairs = tagging.tag_set.into_iter().map(|t| (t.key.unwrap_or_default(), t.value.unwrap_or_default()));
    TagSet::new(pairs).map_err(tag_error)
}

/// `x-amz-tagging-count`: present only when the object has tags.
pub fn count(tags: &TagSet) -> Option<i32> {
    (!tags.is_empty()).then(|| i32::try_from(tags.len()).unwrap_or(i32::MAX))
}

/// Replaces the tags of the caller's `key` in `bucket` (Put and DeleteObjectTagging), or
/// `NoSuchBucket` / `NoSuchKey` / `NoSuchVersion`. Unversioned buckets: S3 sends no version id.
async fn set_tags(cx: &ReqCtx<'_>, bucket: &str, key: &str, version: Option<&str>, tags: &TagSet) -> S3Result<()> {
    check_version(version)?;
    let bucket = cx.bucket(bucket).await?;
    let key = object_key(key)?;
    match cx.core.catalog.set_object_tags(cx.user, bucket.id, key.as_str(), tags).await.s3()? {
        Some(_) => Ok(()),
        None => Err(s3_error!(NoSuchKey, "The specified key does not exist.")),
    }
}

pub async fn put_object_tagging(
    cx: &ReqCtx<'_>,
    req: S3Request<PutObjectTaggingInput>,
) -> S3Result<S3Response<PutObjectTaggingOutput>> {
    let input = req.input;
    let tags = from_body(input.tagging)?;
    set_tags(cx, &input.bucket, &input.key, input.version_id.as_deref(), &tags).await?;
    Ok(S3Response::new(PutObjectTaggingOutput { version_id: None }))
}

pub async fn get_object_tagging(
    cx: &ReqCtx<'_>,
    req: S3Request<GetObjectTaggingInput>,
) -> S3Result<S3Response<GetObjectTaggingOutput>> {
    let input = req.input;
    check_version(input.version_id.as_deref())?;
    let bucket = cx.bucket(&input.bucket).await?;
    let key = object_key(&input.key)?;
    let Some(object) = cx.core.catalog.object(cx.user, bucket.id, key.as_str()).await.s3()? else {
        return Err(s3_error!(NoSuchKey, "The specified key does not exist."));
    };
    let tag_set =
        object.tags.iter().map(|(k, v)| Tag { key: Some(k.to_string()), value: Some(v.to_string()) }).collect();
    Ok(S3Response::new(GetObjectTaggingOutput { tag_set, version_id: None }))
}

pub async fn delete_object_tagging(
    cx: &ReqCtx<'_>,
    req: S3Request<DeleteObjectTaggingInput>,
) -> S3Result<S3Response<DeleteObjectTaggingOutput>> {
    let input = req.input;
    set_tags(cx, &input.bucket, &input.key, input.version_id.as_deref(), &TagSet::empty()).await?;
    Ok(S3Response::new(DeleteObjectTaggingOutput { version_id: None }))
}
