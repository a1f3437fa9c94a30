//! GetObject and HeadObject: answered from the catalog row, bytes from whichever tier holds
//! them; ranges, conditional requests and stored response headers.

use s3s::dto::*;
use s3s::{s3_error, S3Request, S3Response, S3Result};
use tiergate_core::catalog::{CatalogObject, CurrentVersion, EtagMatch, Lookup, WriteCondition};
use tiergate_core::multipart::{part_checksums, part_sizes};
use tiergate_core::range::{unsatisfied_content_range, RangeRequest};
use tiergate_core::storage::ByteRange;
use time::OffsetDateTime;

use crate::body::to_blob;
use crate::checksum::{self, set_checksums};
use crate::ctx::{bucket_name, check_version, no_such_bucket, object_key, ReqCtx};
use crate::error::ResultExt;
use crate::timestamp;

/// The Content-Type S3 answers for an object stored without one (PutObject's reference: "Default:
/// binary/octet-stream").
const DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";

fn etag_matches(condition: &ETagCondition, etag: &str) -> bool {
    match condition {
        ETagCondition::Any => true,
        ETagCondition::ETag(e) => e.value() == etag,
    }
}

fn seconds(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

/// Unix seconds of an S3 timestamp.
pub fn unix(t: &Timestamp) -> i64 {
    OffsetDateTime::from(t.clone()).unix_timestamp()
}

/// A 304 or 412 carries the object's validators, as S3 sends them.
fn with_validators(mut e: s3s::S3Error, object: &CatalogObject) -> s3s::S3Error {
    let mut headers = http::HeaderMap::new();
    if let Ok(v) = http::HeaderValue::from_str(&format!("\"{}\"", object.etag)) {
        headers.insert(http::header::ETAG, v);
    }
    let modified = time::OffsetDateTime::from_unix_timestamp(seconds(object.created_at))
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc2822).ok());
    if let Some(v) = modified.and_then(|m| http::HeaderValue::from_str(&m.replace("+0000", "GMT")).ok()) {
        headers.insert(http::header::LAST_MODIFIED, v);
    }
    e.set_headers(headers);
    e
}

/// Conditional GET/HEAD (RFC 9110 §13.2.2): 412 PreconditionFailed or 304 NotModified.
pub fn check_read_conditions(
    object: &CatalogObject,
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
    if_modified_since: Option<&Timestamp>,
    if_unmodified_since: Option<&Timestamp>,
) -> S3Result<()> {
    evaluate_read_conditions(object, if_match, if_none_match, if_modified_since, if_unmodified_since)
        .map_err(|e| with_validators(e, object))
}

fn evaluate_read_conditions(
    object: &CatalogObject,
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
    if_modified_since: Option<&Timestamp>,
    if_unmodified_since: Option<&Timestamp>,
) -> S3Result<()> {
    let modified = seconds(object.created_at);
    match (if_match, if_unmodified_since) {
        (Some(c), _) if !etag_matches(c, &object.etag) => return Err(s3_error!(PreconditionFailed)),
        (None, Some(t)) if modified > unix(t) => return Err(s3_error!(PreconditionFailed)),
        _ => {}
    }
    match (if_none_match, if_modified_since) {
        (Some(c), _) if etag_matches(c, &object.etag) => Err(s3_error!(NotModified, "Not Modified")),
        (None, Some(t)) if modified <= unix(t) => Err(s3_error!(NotModified, "Not Modified")),
        _ => Ok(()),
    }
}

/// A conditional write's `If-Match` / `If-None-Match`, as the catalog checks it when the write
/// commits: `If-None-Match: *` creates only; `If-Match` overwrites only that ETag.
pub fn write_condition(if_match: Option<&ETagCondition>, if_none_match: Option<&ETagCondition>) -> WriteCondition {
    let side = |c: &ETagCondition| match c {
        ETagCondition::Any => EtagMatch::Any,
        ETagCondition::ETag(e) => EtagMatch::ETag(e.value().to_string()),
    };
    WriteCondition { if_match: if_match.map(side), if_none_match: if_none_match.map(side), ..Default::default() }
}

/// A conditional write's early check against the version read before the body is taken, so a
/// write that would lose does not upload first; the commit checks again, atomically.
pub async fn check_write_condition(
    cx: &ReqCtx<'_>,
    bucket_id: i64,
    key: &str,
    condition: &WriteCondition,
) -> S3Result<()> {
    if condition.is_none() {
        return Ok(());
    }
    let current = cx.core.catalog.object(cx.user, bucket_id, key).await.s3()?;
    condition.check(current.as_ref().map(CurrentVersion::from)).s3()
}

/// The caller's current object `key` in `bucket` (one catalog query), or `NoSuchBucket` /
/// `NoSuchKey`.
pub async fn find_object(cx: &ReqCtx<'_>, bucket: &str, key: &str) -> S3Result<CatalogObject> {
    let bucket = bucket_name(bucket)?;
    let key = object_key(key)?;
    match cx.core.catalog.lookup_object(cx.user, bucket.as_str(), key.as_str()).await.s3()? {
        Lookup::Found(object) => Ok(*object),
        Lookup::NoSuchKey => Err(s3_error!(NoSuchKey, "The specified key does not exist.")),
        Lookup::NoSuchBucket => Err(no_such_bucket()),
    }
}

/// `x-amz-expiration` for `object` under its bucket's configuration of revision `expiring_rules`
/// (the [`CatalogObject::expiring_rules`] of the lookup or commit the answer comes from).
pub async fn expiration(cx: &ReqCtx<'_>, object: &CatalogObject, expiring_rules: Option<i64>) -> Option<String> {
    cx.core.expiration_of(object, expiring_rules?).await.map(|e| e.header_value())
}

fn storage_class(cx: &ReqCtx<'_>, object: &CatalogObject) -> StorageClass {
    StorageClass::from(cx.core.tier(object.tier).storage_class.clone())
}

fn header(object: &CatalogObject, name: &str) -> Option<String> {
    object.headers.get(name).cloned()
}

/// The byte range of part `n` and how many parts the object has; a single-part object is
/// its only part. Another number is `InvalidPart` (400), as S3 answers it.
fn part_range(object: &CatalogObject, part_number: Option<i32>) -> S3Result<Option<(Option<ByteRange>, i32)>> {
    let Some(n) = part_number else { return Ok(None) };
    let sizes = part_sizes(object);
    let count = sizes.len() as i32;
    if n < 1 || n > count {
        let mut e = s3_error!(InvalidPart, "The requested partnumber is not satisfiable");
        e.set_status_code(http::StatusCode::BAD_REQUEST);
        return Err(e);
    }
    let start: u64 = sizes[..(n - 1) as usize].iter().sum();
    let len = sizes[(n - 1) as usize];
    let range = (len > 0 && len < object.size).then(|| ByteRange { start, end_inclusive: start + len - 1 });
    Ok(Some((range, count)))
}

/// The range a GET or HEAD asks for, resolved against the object's size; one that names no byte
/// of it (any range of an empty object, for one) is 416 `InvalidRange` with
/// `Content-Range: bytes */size`, as S3 answers it.
fn requested_range(range: Option<&Range>, size: u64) -> S3Result<Option<ByteRange>> {
    let Some(range) = range else { return Ok(None) };
    let request = match *range {
        Range::Int { first, last } => RangeRequest::FromTo { first, last },
        Range::Suffix { length } => RangeRequest::Suffix { length },
    };
    request.resolve(size).map(Some).map_err(|_| unsatisfiable(size, "The requested range is not satisfiable"))
}

/// 416 `InvalidRange` with `Content-Range: bytes */size`, as S3 answers a range that names no
/// byte of the object.
pub fn unsatisfiable(size: u64, message: &str) -> s3s::S3Error {
    let mut e = s3s::S3Error::with_message(s3s::S3ErrorCode::InvalidRange, message.to_string());
    if let Ok(v) = http::HeaderValue::from_str(&unsatisfied_content_range(size)) {
        e.set_headers(http::HeaderMap::from_iter([(http::header::CONTENT_RANGE, v)]));
    }
    e
}

fn content_range(range: ByteRange, size: u64) -> String {
    format!("bytes {}-{}/{}", range.start, range.end_inclusive, size)
}

/// The checksums a GET or HEAD answers with `x-amz-checksum-mode: ENABLED`: the object's when
/// it reads the whole object, the part's for `partNumber`, none for another range.
fn answered_checksums(
    object: &CatalogObject,
    mode: Option<&ChecksumMode>,
    part_number: Option<i32>,
    range: Option<ByteRange>,
) -> Checksum {
    if mode.is_none_or(|m| m.as_str() != ChecksumMode::ENABLED) {
        return Checksum::default();
    }
    match (range, part_number) {
        (None, _) => checksum::to_dto(&object.checksums),
        (Some(_), Some(n)) => checksum::to_dto(&part_checksums(object, n)),
        (Some(_), None) => Checksum::default(),
    }
}

/// What GET and HEAD do first, on inputs whose fields have the same names: the object, its
/// part's range and the number of parts when `partNumber` is asked, the conditions checked.
macro_rules! open_for_reading {
    ($cx:expr, $input:expr) => {{
        check_version($input.version_id.as_deref())?;
        if $input.part_number.is_some() && $input.range.is_some() {
            return Err(s3_error!(InvalidRequest, "Cannot specify both Range header and partNumber query parameter."));
        }
        let object = find_object($cx, &$input.bucket, &$input.key).await?;
        let part = part_range(&object, $input.part_number)?;
        check_read_conditions(
            &object,
            $input.if_match.as_ref(),
            $input.if_none_match.as_ref(),
            $input.if_modified_since.as_ref(),
            $input.if_unmodified_since.as_ref(),
        )?;
        (object, part)
    }};
}

/// A GET or HEAD answer: the fields given, then what both say of the object (validators,
/// stored headers, metadata, storage class, tag count).
macro_rules! describe_object {
    ($output:ident { $($field:ident: $value:expr),* $(,)? }, $cx:expr, $object:expr) => {
        $output {
            $($field: $value,)*
            accept_ranges: Some("bytes".into()),
            e_tag: Some(ETag::Strong($object.etag.clone())),
            last_modified: Some(timestamp($object.created_at)),
            content_type: Some($object.content_type.clone().unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_string())),
            cache_control: header($object, "cache-control"),
            content_disposition: header($object, "content-disposition"),
            content_encoding: header($object, "content-encoding"),
            content_language: header($object, "content-language"),
            expires: header($object, "expires"),
            metadata: (!$object.user_metadata.is_empty()).then(|| $object.user_metadata.clone().into_iter().collect()),
            storage_class: Some(storage_class($cx, $object)),
            tag_count: crate::tagging::count(&$object.tags),
            ..Default::default()
        }
    };
}

pub async fn get_object(cx: &ReqCtx<'_>, req: S3Request<GetObjectInput>) -> S3Result<S3Response<GetObjectOutput>> {
    let input = req.input;
    if input.sse_customer_algorithm.is_some() {
        return Err(s3_error!(NotImplemented, "Server-side encryption is not supported."));
    }
    let (object, part) = open_for_reading!(cx, input);
    let range = match part {
        Some((range, _)) => range,
        None => requested_range(input.range.as_ref(), object.size)?,
    };
    // The object served may be a newer version read again (invariant 4): its expiry counts,
    // under the rules the lookup found.
    let expiring_rules = object.expiring_rules;
    let (object, stream) = cx.core.open_object(&object, range).await.s3()?;
    let expiration = expiration(cx, &object, expiring_rules).await;
    let sums = answered_checksums(&object, input.checksum_mode.as_ref(), input.part_number, range);
    let (content_length, range_header) = match range {
        Some(r) => (r.len(), Some(content_range(r, object.size))),
        None => (object.size, None),
    };
    let mut out = describe_object!(
        GetObjectOutput {
            body: Some(to_blob(stream)),
            content_length: Some(content_length as i64),
            content_range: range_header,
            parts_count: part.map(|(_, count)| count),
            expiration: expiration,
        },
        cx,
        &object
    );
    set_checksums!(out, sums, with_type);
    Ok(S3Response::new(out))
}

pub async fn head_object(cx: &ReqCtx<'_>, req: S3Request<HeadObjectInput>) -> S3Result<S3Response<HeadObjectOutput>> {
    let input = req.input;
    let (object, part) = open_for_reading!(cx, input);
    let range = match part {
        Some((range, _)) => range,
        None => requested_range(input.range.as_ref(), object.size)?,
    };
    let expiration = expiration(cx, &object, object.expiring_rules).await;
    let content_length = range.map_or(object.size, |r| r.len());
    let sums = answered_checksums(&object, input.checksum_mode.as_ref(), input.part_number, range);
    let mut out = describe_object!(
        HeadObjectOutput {
            content_length: Some(content_length as i64),
            content_range: range.map(|r| content_range(r, object.size)),
            parts_count: part.map(|(_, count)| count),
            expiration: expiration,
        },
        cx,
        &object
    );
    set_checksums!(out, sums, with_type);
    // A HEAD with a Range or a part answers as the GET would: 206 with the range's length and
    // Content-Range, as S3 does (the gateway's service sets the status; s3s keeps 200).
    Ok(S3Response::new(out))
}

/// GetObjectAttributes: size, ETag, storage class, checksums and parts, from the catalog.
pub async fn get_object_attributes(
    cx: &ReqCtx<'_>,
    req: S3Request<GetObjectAttributesInput>,
) -> S3Result<S3Response<GetObjectAttributesOutput>> {
    let input = req.input;
    check_version(input.version_id.as_deref())?;
    let object = find_object(cx, &input.bucket, &input.key).await?;
    // Clients send the attributes as one comma-separated header or as several.
    let wants =
        |name: &str| input.object_attributes.iter().flat_map(|a| a.as_str().split(',')).any(|a| a.trim() == name);
    let multipart = object.checksums.contains_key(tiergate_core::multipart::PART_SIZES);
    let sums = checksum::to_dto(&object.checksums);
    let has_sums = !checksum::is_empty(&sums);
    let object_parts = (wants(ObjectAttributes::OBJECT_PARTS) && multipart).then(|| {
        let sizes = part_sizes(&object);
        let marker = input.part_number_marker.unwrap_or(0).max(0);
        let max = input.max_parts.unwrap_or(1000).clamp(0, 1000);
        let listed: Vec<ObjectPart> = sizes
            .iter()
            .enumerate()
            .map(|(i, size)| (i as i32 + 1, *size))
            .filter(|(n, _)| *n > marker)
            .take(max as usize)
            .map(|(n, size)| {
                let mut part = ObjectPart { part_number: Some(n), size: Some(size as i64), ..Default::default() };
                set_checksums!(part, checksum::to_dto(&part_checksums(&object, n)));
                part
            })
            .collect();
        let last = listed.last().and_then(|p| p.part_number).unwrap_or(marker);
        GetObjectAttributesParts {
            total_parts_count: Some(sizes.len() as i32),
            part_number_marker: Some(marker),
            next_part_number_marker: Some(last),
            max_parts: Some(max),
            is_truncated: Some((last as usize) < sizes.len()),
            parts: Some(listed),
        }
    });
    Ok(S3Response::new(GetObjectAttributesOutput {
        e_tag: wants(ObjectAttributes::ETAG).then(|| ETag::Strong(object.etag.clone())),
        object_size: wants(ObjectAttributes::OBJECT_SIZE).then_some(object.size as i64),
        storage_class: wants(ObjectAttributes::STORAGE_CLASS).then(|| storage_class(cx, &object)),
        checksum: (wants(ObjectAttributes::CHECKSUM) && has_sums).then_some(sums),
        object_parts,
        last_modified: Some(timestamp(object.created_at)),
        ..Default::default()
    }))
}
