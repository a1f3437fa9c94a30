//! CopyObject and UploadPartCopy, between the caller's own buckets. The bytes stream from
//! whichever tier holds the source through the one write path, so a cold source copies too.

use s3s::dto::*;
use s3s::{s3_error, S3Request, S3Response, S3Result};
use tiergate_core::catalog::CatalogObject;
use tiergate_core::objects::ObjectWrite;
use tiergate_core::range::RangeRequest;
use tiergate_core::storage::ByteRange;
use time::OffsetDateTime;

use crate::checksum::{self, set_checksums, Expected};
use crate::ctx::{check_version, object_key, ReqCtx};
use crate::error::ResultExt;
use crate::get::find_object;
use crate::multipart::{find_upload, part_algorithm};
use crate::put::{check_storage_class, check_user_metadata, refuse_unsupported, stored_headers};
use crate::timestamp;

/// The source object of a copy; it must be in one of the caller's buckets.
async fn source(cx: &ReqCtx<'_>, copy_source: &CopySource) -> S3Result<CatalogObject> {
    let CopySource::Bucket { bucket, key, version_id } = copy_source else {
        return Err(s3_error!(NotImplemented, "Only bucket/key copy sources are supported."));
    };
    check_version(version_id.as_deref())?;
    find_object(cx, bucket, key).await
}

/// `x-amz-copy-source-if-*`: any that does not hold is 412.
fn check_source_conditions(
    object: &CatalogObject,
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
    if_modified_since: Option<&Timestamp>,
    if_unmodified_since: Option<&Timestamp>,
) -> S3Result<()> {
    match crate::get::check_read_conditions(object, if_match, if_none_match, if_modified_since, if_unmodified_since) {
        Err(e) if *e.code() == s3s::S3ErrorCode::NotModified => Err(s3_error!(PreconditionFailed)),
        other => other,
    }
}

pub async fn copy_object(cx: &ReqCtx<'_>, req: S3Request<CopyObjectInput>) -> S3Result<S3Response<CopyObjectOutput>> {
    let input = req.input;
    refuse_unsupported(
        input.acl.as_ref(),
        input.server_side_encryption.as_ref(),
        input.sse_customer_algorithm.as_ref(),
        input.object_lock_mode.is_some() || input.object_lock_legal_hold_status.is_some(),
    )?;
    // x-amz-tagging-directive: COPY (the default) keeps the source's tags, REPLACE takes
    // x-amz-tagging's (none without it), as on S3.
    let replace_tags = match input.tagging_directive.as_ref().map(|d| d.as_str()) {
        None | Some("COPY") => false,
        Some("REPLACE") => true,
        Some(_) => return Err(s3_error!(InvalidArgument, "Unknown tagging directive.")),
    };
    let new_tags = if replace_tags { Some(crate::tagging::from_header(input.tagging.as_deref())?) } else { None };
    check_storage_class(cx, input.storage_class.as_ref())?;
    let src = source(cx, &input.copy_source).await?;
    check_source_conditions(
        &src,
        input.copy_source_if_match.as_ref(),
        input.copy_source_if_none_match.as_ref(),
        input.copy_source_if_modified_since.as_ref(),
        input.copy_source_if_unmodified_since.as_ref(),
    )?;
    let bucket = cx.bucket(&input.bucket).await?;
    let key = object_key(&input.key)?;
    let condition = crate::get::write_condition(input.if_match.as_ref(), input.if_none_match.as_ref());
    crate::get::check_write_condition(cx, bucket.id, key.as_str(), &condition).await?;
    let replace = match input.metadata_directive.as_ref().map(|d| d.as_str()) {
        None | Some("COPY") => false,
        Some("REPLACE") => true,
        Some(_) => return Err(s3_error!(InvalidArgument, "Unknown metadata directive.")),
    };
    if !replace && src.bucket_id == bucket.id && src.key == key.as_str() {
        return Err(s3_error!(
            InvalidRequest,
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes."
        ));
    }
    if replace {
        check_user_metadata(input.metadata.as_ref())?;
    }
    let (content_type, user_metadata, headers) = if replace {
        (
            input.content_type,
            input.metadata.unwrap_or_default().into_iter().collect(),
            stored_headers(
                input.cache_control,
                input.content_disposition,
                input.content_encoding,
                input.content_language,
                input.expires,
            ),
        )
    } else {
        (src.content_type.clone(), src.user_metadata.clone(), src.headers.clone())
    };
    let (src, stream) = cx.core.open_object(&src, None).await.s3()?;
    let write = ObjectWrite {
        owner: cx.user,
        bucket,
        key,
        content_type,
        user_metadata,
        headers,
        original_filename: src.original_filename.clone(),
        tags: new_tags.unwrap_or_else(|| src.tags.clone()),
        content_length: Some(src.size),
        max_bytes: None,
        expected_md5: None,
        condition,
    };
    let object = cx.core.put_object(write, stream).await.s3()?;
    let expiration = crate::get::expiration(cx, &object, object.expiring_rules).await;
    Ok(S3Response::new(CopyObjectOutput {
        expiration,
        copy_object_result: Some(CopyObjectResult {
            e_tag: Some(ETag::Strong(object.etag)),
            last_modified: Some(timestamp(object.created_at)),
            ..Default::default()
        }),
        ..Default::default()
    }))
}

/// `x-amz-copy-source-range: bytes=a-b`, inside the source.
fn source_range(raw: Option<&str>, size: u64) -> S3Result<Option<ByteRange>> {
    let Some(raw) = raw else { return Ok(None) };
    // A malformed range is a bad argument; a well-formed one outside the source is not satisfiable.
    let malformed =
        || s3_error!(InvalidArgument, "The x-amz-copy-source-range value must be of the form bytes=first-last.");
    // Unlike a GET's Range, both ends are required and the last may not pass the source's end.
    let (first, last) = match RangeRequest::parse(raw) {
        Ok(RangeRequest::FromTo { first, last: Some(last) }) => (first, last),
        _ => return Err(malformed()),
    };
    if last >= size {
        return Err(crate::get::unsatisfiable(
            size,
            "The x-amz-copy-source-range value is not valid for the source object.",
        ));
    }
    // `parse` saw to first <= last.
    Ok(Some(ByteRange { start: first, end_inclusive: last }))
}

pub async fn upload_part_copy(
    cx: &ReqCtx<'_>,
    req: S3Request<UploadPartCopyInput>,
) -> S3Result<S3Response<UploadPartCopyOutput>> {
    let input = req.input;
    let src = source(cx, &input.copy_source).await?;
    check_source_conditions(
        &src,
        input.copy_source_if_match.as_ref(),
        input.copy_source_if_none_match.as_ref(),
        input.copy_source_if_modified_since.as_ref(),
        input.copy_source_if_unmodified_since.as_ref(),
    )?;
    let (_, upload) = find_upload(cx, &input.bucket, &input.key, &input.upload_id).await?;
    crate::multipart::check_part_number(input.part_number)?;
    let range = source_range(input.copy_source_range.as_deref(), src.size)?;
    let len = range.map_or(src.size, |r| r.len());
    let (_, stream) = cx.core.open_object(&src, range).await.s3()?;
    // A part of an upload with a checksum algorithm gets its checksum, as an uploaded one does.
    let expected = Expected { algorithm: part_algorithm(&upload, None), ..Default::default() };
    let (stream, check) = checksum::verified(stream, expected, &http::HeaderMap::new(), None).s3()?;
    let part = cx.core.upload_part(&upload, input.part_number, stream, len, None, check).await.s3()?;
    let mut result = CopyPartResult {
        e_tag: Some(ETag::Strong(part.etag)),
        last_modified: Some(OffsetDateTime::now_utc().into()),
        ..Default::default()
    };
    set_checksums!(result, checksum::to_dto(&part.checksums));
    Ok(S3Response::new(UploadPartCopyOutput { copy_part_result: Some(result), ..Default::default() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_source_ranges() {
        assert_eq!(source_range(Some("bytes=0-9"), 10).unwrap(), Some(ByteRange { start: 0, end_inclusive: 9 }));
        assert!(source_range(Some("bytes=0-10"), 10).is_err());
        assert!(source_range(Some("bytes=5-4"), 10).is_err());
        // An empty source has no byte to copy, whatever the range.
        for r in ["bytes=0-0", "bytes=0-5", "bytes=-1", "bytes=0-"] {
            assert!(source_range(Some(r), 0).is_err(), "{r}");
        }
        assert!(source_range(Some("0-4"), 10).is_err());
        let code = |r: &str| source_range(Some(r), 10).unwrap_err().code().as_str().to_string();
        assert_eq!(code("bytes=hello-world"), "InvalidArgument");
        assert_eq!(code("bytes=0-2,3-5"), "InvalidArgument");
        assert_eq!(code("bytes=5-20"), "InvalidRange");
        assert_eq!(source_range(None, 10).unwrap(), None);
    }
}
