//! Multipart uploads: create, upload a part, complete, abort, list parts and uploads.

use s3s::dto::*;
use s3s::{s3_error, S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use tiergate_core::catalog::{Bucket as CatalogBucket, CatalogObject, MultipartUpload as Upload};
use tiergate_core::checksum::UploadChecksum;
use tiergate_core::multipart::{RequestedPart, UploadOptions, MAX_PARTS, UPLOAD_ID};

use crate::body::from_blob;
use crate::bucket::owner;
use crate::checksum::{self, set_checksums};
use crate::ctx::{object_key, ReqCtx};
use crate::error::ResultExt;
use crate::put::{check_storage_class, check_user_metadata, content_md5, refuse_unsupported, stored_headers};
use crate::timestamp;

const MAX_LISTED: i32 = 1000;

/// The caller's upload `upload_id` of `key` in `bucket`, or `NoSuchUpload`.
pub async fn find_upload(
    cx: &ReqCtx<'_>,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> S3Result<(CatalogBucket, Upload)> {
    let bucket = cx.bucket(bucket).await?;
    let upload = cx
        .core
        .catalog
        .multipart_upload(cx.user, bucket.id, upload_id)
        .await
        .s3()?
        .filter(|u| u.key == key)
        .ok_or_else(|| {
            s3_error!(NoSuchUpload, "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")
        })?;
    Ok((bucket, upload))
}

/// The algorithm and type of an upload, as S3 answers them.
fn upload_checksum_dto(upload: &Upload) -> (Option<ChecksumAlgorithm>, Option<ChecksumType>) {
    match upload.checksum {
        Some(c) => (
            Some(ChecksumAlgorithm::from(c.algorithm.as_str().to_string())),
            Some(ChecksumType::from(c.kind.as_str().to_string())),
        ),
        None => (None, None),
    }
}

/// The answer to CompleteMultipartUpload, also when it is repeated.
fn completed(bucket: &CatalogBucket, object: &CatalogObject) -> CompleteMultipartUploadOutput {
    let mut out = CompleteMultipartUploadOutput {
        bucket: Some(bucket.name.clone()),
        key: Some(object.key.clone()),
        e_tag: Some(ETag::Strong(object.etag.clone())),
        location: Some(format!("/{}/{}", bucket.name, object.key)),
        ..Default::default()
    };
    set_checksums!(out, checksum::to_dto(&object.checksums), with_type);
    out
}

/// The checksum algorithm an UploadPart computes: the upload's, when it has one. A client that
/// also sends another (SDKs add CRC32 by default) gets that one checked as well.
pub fn part_algorithm(upload: &Upload, requested: Option<ChecksumAlgorithm>) -> Option<ChecksumAlgorithm> {
    upload.checksum.map(|c| ChecksumAlgorithm::from(c.algorithm.as_str().to_string())).or(requested)
}

pub fn check_part_number(n: i32) -> S3Result<()> {
    if (1..=MAX_PARTS).contains(&n) {
        Ok(())
    } else {
        Err(s3_error!(InvalidArgument, "Part number must be an integer between 1 and 10000, inclusive"))
    }
}

pub async fn create_multipart_upload(
    cx: &ReqCtx<'_>,
    req: S3Request<CreateMultipartUploadInput>,
) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
    let input = req.input;
    let bucket = cx.bucket(&input.bucket).await?;
    let key = object_key(&input.key)?;
    // The answer (and ListParts, CompleteMultipartUpload) names the key in XML: one XML cannot
    // carry would make an upload the client never learns the id of.
    if !tiergate_core::domain::xml_safe(key.as_str()) {
        return Err(s3_error!(
            InvalidArgument,
            "A multipart upload's key must be text XML can carry (no control characters); upload it with PutObject."
        ));
    }
    refuse_unsupported(
        input.acl.as_ref(),
        input.server_side_encryption.as_ref(),
        input.sse_customer_algorithm.as_ref(),
        input.object_lock_mode.is_some() || input.object_lock_legal_hold_status.is_some(),
    )?;
    let tags = crate::tagging::from_header(input.tagging.as_deref())?;
    check_storage_class(cx, input.storage_class.as_ref())?;
    check_user_metadata(input.metadata.as_ref())?;
    let checksum = UploadChecksum::parse(
        input.checksum_algorithm.as_ref().map(ChecksumAlgorithm::as_str),
        input.checksum_type.as_ref().map(ChecksumType::as_str),
    )
    .map_err(|e| S3Error::with_message(S3ErrorCode::InvalidRequest, e.to_string()))?;
    let headers = stored_headers(
        input.cache_control,
        input.content_disposition,
        input.content_encoding,
        input.content_language,
        input.expires,
    );
    let upload = cx
        .core
        .create_multipart(
            cx.user,
            &bucket,
            &key,
            UploadOptions {
                content_type: input.content_type,
                user_metadata: input.metadata.unwrap_or_default().into_iter().collect(),
                headers,
                checksum,
                tags,
            },
        )
        .await
        .s3()?;
    let (checksum_algorithm, checksum_type) = upload_checksum_dto(&upload);
    Ok(S3Response::new(CreateMultipartUploadOutput {
        bucket: Some(bucket.name),
        key: Some(upload.key),
        upload_id: Some(upload.upload_id),
        checksum_algorithm,
        checksum_type,
        ..Default::default()
    }))
}

pub async fn upload_part(cx: &ReqCtx<'_>, req: S3Request<UploadPartInput>) -> S3Result<S3Response<UploadPartOutput>> {
    let input = req.input;
    check_part_number(input.part_number)?;
    let (_, upload) = find_upload(cx, &input.bucket, &input.key, &input.upload_id).await?;
    let len = input
        .content_length
        .and_then(|n| u64::try_from(n).ok())
        .ok_or_else(|| s3_error!(MissingContentLength, "You must provide the Content-Length HTTP header."))?;
    let expected_md5 = content_md5(input.content_md5.as_deref())?;
    let expected = checksum::expected!(input, part_algorithm(&upload, input.checksum_algorithm));
    let (body, check) = checksum::verified(from_blob(input.body), expected, &req.headers, req.trailing_headers).s3()?;
    let part = cx.core.upload_part(&upload, input.part_number, body, len, expected_md5, check).await.s3()?;
    let mut out = UploadPartOutput { e_tag: Some(ETag::Strong(part.etag)), ..Default::default() };
    set_checksums!(out, checksum::to_dto(&part.checksums));
    Ok(S3Response::new(out))
}

pub async fn complete_multipart_upload(
    cx: &ReqCtx<'_>,
    req: S3Request<CompleteMultipartUploadInput>,
) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
    let input = req.input;
    let (bucket, upload) = match find_upload(cx, &input.bucket, &input.key, &input.upload_id).await {
        Ok(found) => found,
        Err(e) => {
            // Completing an upload that already completed answers the same object again.
            let bucket = cx.bucket(&input.bucket).await?;
            let current = cx.core.catalog.object(cx.user, bucket.id, &input.key).await.s3()?;
            return match current.filter(|o| o.checksums.get(UPLOAD_ID) == Some(&input.upload_id)) {
                Some(object) => Ok(S3Response::new(completed(&bucket, &object))),
                None => Err(e),
            };
        }
    };
    let condition = crate::get::write_condition(input.if_match.as_ref(), input.if_none_match.as_ref());
    crate::get::check_write_condition(cx, bucket.id, &upload.key, &condition).await?;
    if let (Some(given), Some(upload_checksum)) = (&input.checksum_type, upload.checksum) {
        if given.as_str() != upload_checksum.kind.as_str() {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidRequest,
                format!(
                    "The upload was created using the {} checksum mode. The complete request must use the same checksum mode.",
                    upload_checksum.kind.as_str()
                ),
            ));
        }
    }
    let expected = checksum::expected!(input, None).claimed();
    let parts = input.multipart_upload.and_then(|m| m.parts).unwrap_or_default();
    if parts.is_empty() {
        return Err(s3_error!(MalformedXML, "You must specify at least one part."));
    }
    let requested = parts
        .into_iter()
        .map(|p| match (p.part_number, &p.e_tag) {
            (Some(number), Some(etag)) => Ok(RequestedPart {
                number,
                etag: etag.value().to_string(),
                checksums: checksum::expected!(p, None).claimed(),
            }),
            _ => Err(s3_error!(MalformedXML, "Every part needs a PartNumber and an ETag.")),
        })
        .collect::<S3Result<Vec<_>>>()?;
    let object = cx.core.complete_multipart(&upload, &requested, &expected, &condition).await.s3()?;
    tracing::info!(user_id = cx.user.0, bucket = %bucket.name, bytes = object.size, "multipart upload completed");
    let mut out = completed(&bucket, &object);
    out.expiration = crate::get::expiration(cx, &object, object.expiring_rules).await;
    Ok(S3Response::new(out))
}

pub async fn abort_multipart_upload(
    cx: &ReqCtx<'_>,
    req: S3Request<AbortMultipartUploadInput>,
) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
    let input = req.input;
    let (_, upload) = find_upload(cx, &input.bucket, &input.key, &input.upload_id).await?;
    cx.core.abort_multipart(&upload).await.s3()?;
    Ok(S3Response::new(AbortMultipartUploadOutput::default()))
}

fn limit(requested: Option<i32>, what: &str) -> S3Result<i32> {
    match requested {
        None => Ok(MAX_LISTED),
        Some(n) if n < 0 => Err(s3_error!(InvalidArgument, "{what} must not be negative")),
        Some(n) => Ok(n.min(MAX_LISTED)),
    }
}

pub async fn list_parts(cx: &ReqCtx<'_>, req: S3Request<ListPartsInput>) -> S3Result<S3Response<ListPartsOutput>> {
    let input = req.input;
    let (bucket, upload) = find_upload(cx, &input.bucket, &input.key, &input.upload_id).await?;
    let max = limit(input.max_parts, "max-parts")?;
    let marker = input.part_number_marker.unwrap_or(0);
    let mut parts = cx.core.catalog.multipart_parts(&upload.upload_id, marker, i64::from(max) + 1).await.s3()?;
    let truncated = parts.len() > max as usize;
    parts.truncate(max as usize);
    let owner = owner(cx).await?;
    let (checksum_algorithm, checksum_type) = upload_checksum_dto(&upload);
    Ok(S3Response::new(ListPartsOutput {
        bucket: Some(bucket.name),
        key: Some(upload.key.clone()),
        upload_id: Some(upload.upload_id.clone()),
        part_number_marker: input.part_number_marker,
        next_part_number_marker: parts.last().map(|p| p.part_number),
        max_parts: Some(max),
        is_truncated: Some(truncated),
        initiator: Some(Initiator { id: owner.id.clone(), display_name: owner.display_name.clone() }),
        owner: Some(owner),
        storage_class: Some(StorageClass::from(cx.core.hot.storage_class.clone())),
        checksum_algorithm,
        checksum_type,
        parts: Some(
            parts
                .iter()
                .map(|p| {
                    let mut part = Part {
                        part_number: Some(p.part_number),
                        e_tag: Some(ETag::Strong(p.etag.clone())),
                        size: Some(p.size as i64),
                        last_modified: Some(timestamp(p.created_at)),
                        ..Default::default()
                    };
                    set_checksums!(part, checksum::to_dto(&p.checksums));
                    part
                })
                .collect(),
        ),
        ..Default::default()
    }))
}

pub async fn list_multipart_uploads(
    cx: &ReqCtx<'_>,
    req: S3Request<ListMultipartUploadsInput>,
) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
    let input = req.input;
    // The answer echoes these in XML, which cannot carry control characters.
    let echoed = [&input.prefix, &input.key_marker, &input.delimiter, &input.upload_id_marker];
    if echoed.iter().any(|v| v.as_deref().is_some_and(|v| !tiergate_core::domain::xml_safe(v))) {
        return Err(s3_error!(InvalidArgument, "prefix, delimiter and markers must be text XML can carry."));
    }
    let bucket = cx.bucket(&input.bucket).await?;
    let max = limit(input.max_uploads, "max-uploads")?;
    let prefix = input.prefix.clone().unwrap_or_default();
    let key_marker = input.key_marker.clone().unwrap_or_default();
    // Without a key marker the upload-id marker is ignored, as in S3.
    let upload_marker =
        if key_marker.is_empty() { String::new() } else { input.upload_id_marker.clone().unwrap_or_default() };
    let mut uploads = cx
        .core
        .catalog
        .list_multipart_uploads(cx.user, bucket.id, &prefix, &key_marker, &upload_marker, i64::from(max) + 1)
        .await
        .s3()?;
    let truncated = uploads.len() > max as usize;
    uploads.truncate(max as usize);
    let delimiter = input.delimiter.clone().filter(|d| !d.is_empty());
    let mut common: Vec<String> = Vec::new();
    let mut listed = Vec::new();
    for u in &uploads {
        let rolled = delimiter
            .as_deref()
            .and_then(|d| u.key[prefix.len()..].find(d).map(|i| u.key[..prefix.len() + i + d.len()].to_string()));
        match rolled {
            Some(cp) => {
                if common.last() != Some(&cp) {
                    common.push(cp);
                }
            }
            None => listed.push(u),
        }
    }
    let owner = owner(cx).await?;
    Ok(S3Response::new(ListMultipartUploadsOutput {
        bucket: Some(bucket.name),
        prefix: input.prefix.clone(),
        delimiter: input.delimiter.clone(),
        key_marker: input.key_marker.clone(),
        upload_id_marker: input.upload_id_marker.clone(),
        next_key_marker: uploads.last().filter(|_| truncated).map(|u| u.key.clone()),
        next_upload_id_marker: uploads.last().filter(|_| truncated).map(|u| u.upload_id.clone()),
        max_uploads: Some(max),
        is_truncated: Some(truncated),
        common_prefixes: Some(common.into_iter().map(|p| CommonPrefix { prefix: Some(p) }).collect()),
        uploads: Some(
            listed
                .into_iter()
                .map(|u| {
                    let (checksum_algorithm, checksum_type) = upload_checksum_dto(u);
                    MultipartUpload {
                        checksum_algorithm,
                        checksum_type,
                        key: Some(u.key.clone()),
                        upload_id: Some(u.upload_id.clone()),
                        initiated: Some(timestamp(u.created_at)),
                        initiator: Some(Initiator { id: owner.id.clone(), display_name: owner.display_name.clone() }),
                        owner: Some(owner.clone()),
                        storage_class: Some(StorageClass::from(cx.core.hot.storage_class.clone())),
                    }
                })
                .collect(),
        ),
        ..Default::default()
    }))
}
