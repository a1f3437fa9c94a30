//! PutObject: the same core write path as the REST upload.

use std::collections::BTreeMap;

use base64::Engine;
use s3s::dto::*;
use s3s::{s3_error, S3Request, S3Response, S3Result};
use tiergate_core::objects::ObjectWrite;

use crate::body::from_blob;
use crate::checksum;
use crate::ctx::{object_key, ReqCtx};
use crate::error::ResultExt;

/// The response headers an object keeps from its upload, by their HTTP names.
pub fn stored_headers(
    cache_control: Option<String>,
    content_disposition: Option<String>,
    content_encoding: Option<String>,
    content_language: Option<String>,
    expires: Option<String>,
) -> BTreeMap<String, String> {
    // aws-chunked is how the body travelled, not how the object is encoded.
    let content_encoding = content_encoding
        .map(|e| {
            e.split(',')
                .map(str::trim)
                .filter(|t| !t.eq_ignore_ascii_case("aws-chunked"))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .filter(|e| !e.is_empty());
    [
        ("cache-control", cache_control),
        ("content-disposition", content_disposition),
        ("content-encoding", content_encoding),
        ("content-language", content_language),
        ("expires", expires),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
    .collect()
}

/// A Content-MD5 header: 16 bytes in base64, else `InvalidDigest`.
pub fn content_md5(raw: Option<&str>) -> S3Result<Option<[u8; 16]>> {
    raw.map(|v| {
        base64::engine::general_purpose::STANDARD
            .decode(v.trim())
            .ok()
            .and_then(|b| <[u8; 16]>::try_from(b).ok())
            .ok_or_else(|| s3_error!(InvalidDigest, "The Content-MD5 you specified is not valid."))
    })
    .transpose()
}

/// Refuses what we do not do rather than succeed wrongly: server-side encryption, object
/// lock, and ACLs other than the owner-only ones every object has anyway.
pub fn refuse_unsupported(
    acl: Option<&ObjectCannedACL>,
    sse: Option<&ServerSideEncryption>,
    sse_customer: Option<&String>,
    lock: bool,
) -> S3Result<()> {
    if let Some(acl) = acl {
        if !matches!(acl.as_str(), "private" | "bucket-owner-full-control") {
            return Err(s3_error!(NotImplemented, "Only private objects are supported."));
        }
    }
    if sse.is_some() || sse_customer.is_some() {
        return Err(s3_error!(NotImplemented, "Server-side encryption is not supported."));
    }
    if lock {
        return Err(s3_error!(NotImplemented, "Object lock is not supported."));
    }
    Ok(())
}

/// The most bytes of user metadata an object may carry: the UTF-8 bytes of every key (without
/// `x-amz-meta-`) and value together, as S3 counts them
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html>: 2 KB).
const MAX_USER_METADATA_BYTES: usize = 2048;

/// `MetadataTooLarge` for user metadata over 2 KB, before any byte of the body is read.
pub fn check_user_metadata(metadata: Option<&Metadata>) -> S3Result<()> {
    let size: usize = metadata.into_iter().flatten().map(|(k, v)| k.len() + v.len()).sum();
    if size > MAX_USER_METADATA_BYTES {
        return Err(s3_error!(
            MetadataTooLarge,
            "Your metadata headers exceed the maximum allowed metadata size: {size} bytes, at most {MAX_USER_METADATA_BYTES}."
        ));
    }
    Ok(())
}

/// Checks a requested storage class: STANDARD and the hot tier's class are accepted (every
/// write lands in the hot tier and moves by the tiering policy, not by request); asking for
/// another class is refused rather than silently ignored.
pub fn check_storage_class(cx: &ReqCtx<'_>, class: Option<&StorageClass>) -> S3Result<()> {
    match class {
        None => Ok(()),
        Some(c) if c.as_str() == "STANDARD" || c.as_str() == cx.core.hot.storage_class => Ok(()),
        Some(_) => Err(s3_error!(InvalidStorageClass, "The storage class you specified is not valid.")),
    }
}

pub async fn put_object(cx: &ReqCtx<'_>, req: S3Request<PutObjectInput>) -> S3Result<S3Response<PutObjectOutput>> {
    let input = req.input;
    let condition = crate::get::write_condition(input.if_match.as_ref(), input.if_none_match.as_ref());
    // A conditional write reads the current object, so it needs the bucket as it is now.
    let bucket =
        if condition.is_none() { cx.bucket_for_write(&input.bucket).await? } else { cx.bucket(&input.bucket).await? };
    let key = object_key(&input.key)?;
    refuse_unsupported(
        input.acl.as_ref(),
        input.server_side_encryption.as_ref(),
        input.sse_customer_algorithm.as_ref(),
        input.object_lock_mode.is_some() || input.object_lock_legal_hold_status.is_some(),
    )?;
    check_storage_class(cx, input.storage_class.as_ref())?;
    check_user_metadata(input.metadata.as_ref())?;
    let tags = crate::tagging::from_header(input.tagging.as_deref())?;
    crate::get::check_write_condition(cx, bucket.id, key.as_str(), &condition).await?;
    let expected_md5 = content_md5(input.content_md5.as_deref())?;
    let expected = checksum::expected!(input, input.checksum_algorithm);
    let (body, check) = checksum::verified(from_blob(input.body), expected, &req.headers, req.trailing_headers).s3()?;
    let write = ObjectWrite {
        owner: cx.user,
        bucket,
        key,
        content_type: input.content_type,
        user_metadata: input.metadata.unwrap_or_default().into_iter().collect(),
        headers: stored_headers(
            input.cache_control,
            input.content_disposition,
            input.content_encoding,
            input.content_language,
            input.expires,
        ),
        original_filename: None,
        tags,
        content_length: input.content_length.and_then(|n| u64::try_from(n).ok()),
        max_bytes: None,
        expected_md5,
        condition,
    };
    let object = cx.core.put_object_checked(write, body, check).await.s3()?;
    let mut out = PutObjectOutput {
        e_tag: Some(ETag::Strong(object.etag.clone())),
        expiration: crate::get::expiration(cx, &object, object.expiring_rules).await,
        ..Default::default()
    };
    checksum::set_checksums!(out, checksum::to_dto(&object.checksums), with_type);
    Ok(S3Response::new(out))
}
