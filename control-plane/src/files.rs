//! Files: browser uploads, the caller's file list, details, download links and delete.
//! A file is an object in one of the caller's buckets; uploads go to the default bucket.

use std::io;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use tiergate_core::catalog::{CatalogObject, FileCursor, FileQuery, FileSort, SortOrder};
use tiergate_core::domain::{sanitize_name, truncate_utf8, ObjectKey, Tier};
use tiergate_core::objects::{blob_link_message, content_disposition, display_name, ObjectWrite, BLOB_LINK_PURPOSE};
use tiergate_core::range::{unsatisfied_content_range, RangeError, RangeRequest};
use tiergate_core::storage::{ByteRange, ByteStream};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::AppState;

/// How long a download link stays valid.
const LINK_TTL: Duration = Duration::from_secs(15 * 60);
/// Room for the multipart envelope around the file when judging Content-Length.
const MULTIPART_SLACK: u64 = 1024 * 1024;
/// How long we keep reading a refused body so the client can read our answer.
const DRAIN_TIME: Duration = Duration::from_secs(3);

/// A file as the REST API shows it; the names are those of the first design.
#[derive(Debug, Serialize)]
pub struct FileView {
    pub id: i64,
    pub filename: String,
    pub original_filename: String,
    pub file_size: u64,
    pub content_type: String,
    pub storage_location: String,
    pub tier: Tier,
    pub bucket: String,
    pub etag: String,
    pub access_url: String,
    pub uploaded_at: String,
    pub synced_at: Option<String>,
    /// The object's S3 tags.
    pub tags: std::collections::BTreeMap<String, String>,
}

pub(crate) fn rfc3339(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

impl FileView {
    fn new(app: &AppState, o: &CatalogObject) -> Self {
        let mut access = app.core.settings.server.public_url.clone();
        access.set_path(&format!("/api/files/{}/download", o.id));
        FileView {
            id: o.id,
            filename: o.key.clone(),
            original_filename: display_name(o),
            file_size: o.size,
            content_type: o.content_type.clone().unwrap_or_else(|| "application/octet-stream".into()),
            storage_location: app.core.tier(o.tier).label.clone(),
            tier: o.tier,
            bucket: o.bucket.clone(),
            etag: o.etag.clone(),
            access_url: access.to_string(),
            uploaded_at: rfc3339(o.created_at),
            synced_at: o.tiered_at.map(rfc3339),
            tags: o.tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }
}

/// Reads and discards what is left of a refused body for a short while, so the client gets
/// to read the answer instead of a reset connection.
async fn drain(body: impl futures::Stream<Item = Result<axum::body::Bytes, impl std::fmt::Debug>> + Unpin) {
    let mut body = body;
    let _ = tokio::time::timeout(DRAIN_TIME, async { while let Some(Ok(_)) = body.next().await {} }).await;
}

/// The S3 key a browser upload is stored under: `{uuid}-{name}`, made safe and cut to fit.
fn upload_key(original: &str) -> ObjectKey {
    let prefix = uuid::Uuid::new_v4().to_string();
    let name = sanitize_name(original);
    let name = truncate_utf8(&name, ObjectKey::MAX_BYTES - prefix.len() - 1);
    ObjectKey::parse(&format!("{prefix}-{name}")).expect("a uuid prefix makes a valid key")
}

/// The RFC 5987 `filename*=UTF-8''…` parameter of a Content-Disposition value, decoded; it
/// carries any name, even one with characters a quoted `filename` cannot hold.
fn filename_star(header: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(header).ok()?;
    let value = text.split(';').map(str::trim).find_map(|p| {
        let (name, value) = p.split_once('=')?;
        name.trim().eq_ignore_ascii_case("filename*").then_some(value.trim())
    })?;
    let (charset, rest) = value.split_once('\'')?;
    let (_language, encoded) = rest.split_once('\'')?;
    if !charset.eq_ignore_ascii_case("utf-8") {
        return None;
    }
    percent_encoding::percent_decode_str(encoded).decode_utf8().ok().map(|c| c.into_owned())
}

/// `POST /api/files/upload` (multipart/form-data, one `file` field): streams the file into the
/// hot tier of the caller's default bucket; 201 with the file, 413 over the limit.
pub async fn upload(State(app): State<AppState>, user: AuthUser, request: Request) -> Result<Response, ApiError> {
    let max = app.core.settings.upload.max_bytes;
    let headers = request.headers().clone();
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| multer::parse_boundary(v).ok())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the file as multipart/form-data",
            )
        })?;
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > max.saturating_add(MULTIPART_SLACK)) {
        let expects_continue =
            headers.get(header::EXPECT).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
        if !expects_continue {
            drain(request.into_body().into_data_stream()).await;
        }
        return Err(ApiError::too_large(max).closing());
    }
    // The user may have deleted the default bucket over S3; an upload brings it back.
    let bucket = app.core.catalog.bucket_or_create(user.id, &app.core.settings.upload.default_bucket).await?;

    let mut multipart = multer::Multipart::new(request.into_body().into_data_stream(), boundary);
    let mut stored = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    format!("malformed multipart body: {e}"),
                ))
            }
        };
        if field.name() != Some("file") || stored.is_some() {
            continue; // multer skips the rest of a field we do not read
        }
        let original = field
            .headers()
            .get(header::CONTENT_DISPOSITION)
            .and_then(|v| filename_star(v.as_bytes()))
            .or_else(|| field.file_name().map(str::to_string))
            .unwrap_or_else(|| "upload".into());
        let content_type = field.content_type().map(|m| m.to_string());
        let body: ByteStream = Box::pin(field.map_err(|e| io::Error::other(e.to_string())));
        let write = ObjectWrite {
            owner: user.id,
            bucket: bucket.clone(),
            key: upload_key(&original),
            content_type,
            user_metadata: Default::default(),
            headers: Default::default(),
            original_filename: Some(original),
            tags: Default::default(),
            content_length: None,
            max_bytes: Some(max),
            expected_md5: None,
            condition: Default::default(),
        };
        match app.core.put_object(write, body).await {
            Ok(object) => stored = Some(object),
            Err(e) => {
                let err = ApiError::from(e);
                if err.status == StatusCode::PAYLOAD_TOO_LARGE {
                    let _ = tokio::time::timeout(DRAIN_TIME, async {
                        while let Ok(Some(_)) = multipart.next_field().await {}
                    })
                    .await;
                    return Err(err.closing());
                }
                return Err(err);
            }
        }
    }
    let object =
        stored.ok_or_else(|| ApiError::invalid("file", "is required: send one multipart field named 'file'"))?;
    tracing::info!(user_id = user.id.0, file_id = object.id, bytes = object.size, "file uploaded");
    let view = FileView::new(&app, &object);
    let note = crate::audit::AuditNote {
        bucket: Some(object.bucket.clone()),
        key: Some(object.key.clone()),
        bytes: Some(object.size),
        ..Default::default()
    };
    let mut response = crate::audit::noted(note, (StatusCode::CREATED, Json(view)));
    if let Ok(location) = HeaderValue::from_str(&format!("/api/files/{}", object.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

#[derive(Deserialize)]
pub struct ListQuery {
    limit: Option<String>,
    offset: Option<String>,
    sort: Option<String>,
    order: Option<String>,
    bucket: Option<String>,
    prefix: Option<String>,
    delimiter: Option<String>,
    search: Option<String>,
    cursor: Option<String>,
}

#[derive(Serialize)]
pub struct FileList {
    files: Vec<FileView>,
    /// How many files the listing has in all: the caller's whole count when nothing narrows
    /// it, else absent (counting a filtered set would read all of it).
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<i64>,
    limit: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    offset: Option<i64>,
    /// "Folders" under the prefix, with `delimiter` (as S3's CommonPrefixes).
    #[serde(skip_serializing_if = "Option::is_none")]
    common_prefixes: Option<Vec<String>>,
    /// Pass as `cursor` for the next page; null on the last.
    next_cursor: Option<String>,
}

/// Where a keyset page continues: after this row, in this order.
#[derive(Serialize, Deserialize)]
struct PageToken {
    desc: bool,
    at: FileCursor,
}

/// Opaque cursors: base64url of JSON.
fn encode_cursor<T: Serialize>(value: &T) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap_or_default())
}

fn decode_cursor<T: serde::de::DeserializeOwned>(raw: &str) -> Result<T, ApiError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| ApiError::invalid("cursor", "is not a cursor this listing gave"))
}

fn parse_number(
    field: &'static str,
    raw: Option<&str>,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, ApiError> {
    match raw {
        None => Ok(default),
        Some(s) => s.parse::<i64>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
            ApiError::invalid(field, format!("must be a number from {} to {}", range.start(), range.end()))
        }),
    }
}

/// `GET /api/files`: the caller's files, newest first by default, a page at a time.
///
/// - `bucket`, `prefix`, `search` (name or key contains, case-insensitive) narrow the listing;
///   `sort` (`uploaded_at`, `filename`, `file_size`) and `order` order it; `cursor` (the last
///   page's `next_cursor`) continues it: keyset pages, as fast at the 100,000th file as at the
///   first.
/// - With `bucket` and `delimiter` (e.g. `/`), the bucket is browsed as S3 consoles do: keys in
///   S3 order under `prefix`, deeper keys rolled up into `common_prefixes`.
/// - `offset` (without `cursor`) is the older numbered paging, kept for existing clients.
pub async fn list(
    State(app): State<AppState>,
    user: AuthUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<FileList>, ApiError> {
    let limit = parse_number("limit", q.limit.as_deref(), 50, 1..=1000)?;
    let offset = parse_number("offset", q.offset.as_deref(), 0, 0..=i64::MAX)?;
    let sort = match q.sort.as_deref().unwrap_or("uploaded_at") {
        "uploaded_at" => FileSort::UploadedAt,
        "filename" | "name" => FileSort::Name,
        "file_size" | "size" => FileSort::Size,
        _ => return Err(ApiError::invalid("sort", "must be uploaded_at, filename or file_size")),
    };
    let order = match q.order.as_deref() {
        None if sort == FileSort::UploadedAt => SortOrder::Desc,
        None | Some("asc") => SortOrder::Asc,
        Some("desc") => SortOrder::Desc,
        Some(_) => return Err(ApiError::invalid("order", "must be asc or desc")),
    };
    let bucket = match q.bucket.as_deref().filter(|b| !b.is_empty()) {
        None => None,
        Some(name) => {
            let name = tiergate_core::domain::BucketName::parse(name).map_err(|_| ApiError::not_found("bucket"))?;
            Some(app.core.catalog.bucket(user.id, &name).await?.ok_or_else(|| ApiError::not_found("bucket"))?)
        }
    };
    let prefix = q.prefix.clone().unwrap_or_default();
    let search = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if search.is_some_and(|s| s.chars().count() > 256 || s.chars().any(char::is_control)) {
        return Err(ApiError::invalid("search", "must be at most 256 characters, without control characters"));
    }
    if let Some(delimiter) = q.delimiter.as_deref().filter(|d| !d.is_empty()) {
        let Some(bucket) = bucket else {
            return Err(ApiError::invalid("delimiter", "needs a bucket to browse"));
        };
        if search.is_some() || q.offset.is_some() {
            return Err(ApiError::invalid("delimiter", "cannot be combined with search or offset"));
        }
        let after: Option<String> = q.cursor.as_deref().map(decode_cursor).transpose()?;
        let walk = app.core.walk_bucket(user.id, bucket.id, &prefix, Some(delimiter), after, limit as usize).await?;
        return Ok(Json(FileList {
            files: walk.objects.iter().map(|o| FileView::new(&app, o)).collect(),
            total: None,
            limit,
            offset: None,
            common_prefixes: Some(walk.prefixes),
            next_cursor: walk.truncated.then(|| walk.last.as_ref().map(encode_cursor)).flatten(),
        }));
    }
    let narrowed = bucket.is_some() || !prefix.is_empty() || search.is_some();
    if q.offset.is_some() && q.cursor.is_none() && !narrowed {
        let page = app.core.catalog.list_user_objects(user.id, sort, order, limit, offset).await?;
        return Ok(Json(FileList {
            files: page.objects.iter().map(|o| FileView::new(&app, o)).collect(),
            total: Some(page.total),
            limit,
            offset: Some(offset),
            common_prefixes: None,
            next_cursor: None,
        }));
    }
    let token: Option<PageToken> = q.cursor.as_deref().map(decode_cursor).transpose()?;
    if token.as_ref().is_some_and(|t| t.desc != (order == SortOrder::Desc)) {
        return Err(ApiError::invalid("cursor", "belongs to the other order"));
    }
    let after = token.map(|t| t.at);
    let query = FileQuery {
        sort,
        order,
        bucket_id: bucket.as_ref().map(|b| b.id),
        prefix: &prefix,
        search,
        after: after.as_ref(),
        limit: limit + 1,
    };
    let mut rows = app
        .core
        .catalog
        .list_user_files(user.id, &query)
        .await?
        .ok_or_else(|| ApiError::invalid("cursor", "belongs to another sort order"))?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let desc = order == SortOrder::Desc;
    let next_cursor =
        more.then(|| rows.last().map(|(_, at)| encode_cursor(&PageToken { desc, at: at.clone() }))).flatten();
    let total = if narrowed { None } else { Some(app.core.catalog.usage(user.id).await?.objects as i64) };
    Ok(Json(FileList {
        files: rows.iter().map(|(o, _)| FileView::new(&app, o)).collect(),
        total,
        limit,
        offset: None,
        common_prefixes: None,
        next_cursor,
    }))
}

/// The caller's file `id`: 404 when there is none, 403 when it is another user's.
async fn owned_file(app: &AppState, user: &AuthUser, id: &str) -> Result<CatalogObject, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("file"))?;
    let object = app.core.catalog.object_by_id(id).await?.ok_or_else(|| ApiError::not_found("file"))?;
    if object.owner != user.id {
        return Err(ApiError::forbidden());
    }
    Ok(object)
}

/// `GET /api/files/{id}`.
pub async fn details(
    State(app): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<FileView>, ApiError> {
    let object = owned_file(&app, &user, &id).await?;
    Ok(Json(FileView::new(&app, &object)))
}

#[derive(Deserialize)]
pub struct DownloadQuery {
    redirect: Option<bool>,
}

/// `GET /api/files/{id}/download`: 302 to a short-lived URL of the tier that holds the file;
/// with `?redirect=false`, that URL as JSON (for pages that cannot follow a redirect with a token).
pub async fn download(
    State(app): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    Query(q): Query<DownloadQuery>,
) -> Result<Response, ApiError> {
    let object = owned_file(&app, &user, &id).await?;
    let url = app.core.download_url(&object, LINK_TTL).await?;
    if q.redirect == Some(false) {
        return Ok(Json(serde_json::json!({ "url": url.as_str(), "expires_in": LINK_TTL.as_secs() })).into_response());
    }
    let location = HeaderValue::from_str(url.as_str()).map_err(ApiError::internal)?;
    Ok((
        StatusCode::FOUND,
        [(header::LOCATION, location), (header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
    )
        .into_response())
}

/// `DELETE /api/files/{id}`: 204; the bytes are collected afterwards.
pub async fn delete(State(app): State<AppState>, user: AuthUser, Path(id): Path<String>) -> Result<Response, ApiError> {
    let object = owned_file(&app, &user, &id).await?;
    if !app.core.catalog.delete_object(user.id, object.id, app.core.settings.gc.grace).await? {
        return Err(ApiError::not_found("file"));
    }
    tracing::info!(user_id = user.id.0, file_id = object.id, "file deleted");
    let note = crate::audit::AuditNote {
        bucket: Some(object.bucket.clone()),
        key: Some(object.key.clone()),
        bytes: Some(object.size),
        ..Default::default()
    };
    Ok(crate::audit::noted(note, StatusCode::NO_CONTENT))
}

#[derive(Deserialize)]
pub struct BlobQuery {
    v: String,
    exp: i64,
    sig: String,
}

/// Parses a single `bytes=` range against the object's size (RFC 9110); `None` means whole.
fn parse_range(headers: &HeaderMap, size: u64) -> Result<Option<ByteRange>, RangeError> {
    let Some(raw) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else { return Ok(None) };
    if raw.contains(',') {
        return Ok(None); // several ranges: answer with the whole object, as RFC 9110 allows
    }
    RangeRequest::parse(raw)?.resolve(size).map(Some)
}

/// `GET /api/blobs/{id}?v&exp&sig`: the bytes behind a link this server signed (for tiers
/// without URLs of their own). Honours a single `Range`.
pub async fn blob(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<BlobQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let now = tiergate_core::catalog::now_ms() / 1000;
    let message = blob_link_message(id, &q.v, q.exp);
    if !app.core.identity.verify_signature(BLOB_LINK_PURPOSE, &message, &q.sig) {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "invalid_signature", "the link is not valid"));
    }
    if q.exp < now {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "link_expired", "the link has expired"));
    }
    let object = app.core.catalog.object_by_id(id).await?.filter(|o| o.version_id.as_str() == q.v);
    let object = object.ok_or_else(|| ApiError::not_found("file"))?;
    // A link handed out before its owner was disabled stops working with their other credentials.
    if app.core.catalog.user_status(object.owner).await? != tiergate_core::catalog::UserStatus::Active {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "account_disabled", "the file's account is disabled"));
    }
    let Ok(range) = parse_range(&headers, object.size) else {
        let mut refused = ApiError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "invalid_range",
            format!("the file has {} bytes", object.size),
        )
        .into_response();
        if let Ok(v) = HeaderValue::from_str(&unsatisfied_content_range(object.size)) {
            refused.headers_mut().insert(header::CONTENT_RANGE, v);
        }
        return Ok(refused);
    };
    let (object, stream) = app.core.open_object(&object, range).await?;
    let mut response = Response::new(Body::from_stream(stream));
    let h = response.headers_mut();
    let content_type = object.content_type.clone().unwrap_or_else(|| "application/octet-stream".into());
    let set = |h: &mut HeaderMap, name, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    };
    set(h, header::CONTENT_TYPE, content_type);
    set(h, header::CONTENT_DISPOSITION, content_disposition(&display_name(&object)));
    set(h, header::ETAG, format!("\"{}\"", object.etag));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    match range {
        Some(r) => {
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
            set(
                response.headers_mut(),
                header::CONTENT_RANGE,
                format!("bytes {}-{}/{}", r.start, r.end_inclusive, object.size),
            );
            set(response.headers_mut(), header::CONTENT_LENGTH, r.len().to_string());
        }
        None => set(response.headers_mut(), header::CONTENT_LENGTH, object.size.to_string()),
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(raw: &str, size: u64) -> Result<Option<ByteRange>, RangeError> {
        let mut h = HeaderMap::new();
        h.insert(header::RANGE, HeaderValue::from_str(raw).unwrap());
        parse_range(&h, size)
    }

    #[test]
    fn ranges() {
        assert_eq!(range("bytes=0-4", 10), Ok(Some(ByteRange { start: 0, end_inclusive: 4 })));
        assert_eq!(range("bytes=5-", 10), Ok(Some(ByteRange { start: 5, end_inclusive: 9 })));
        assert_eq!(range("bytes=-3", 10), Ok(Some(ByteRange { start: 7, end_inclusive: 9 })));
        assert_eq!(range("bytes=8-100", 10), Ok(Some(ByteRange { start: 8, end_inclusive: 9 })));
        assert_eq!(range("bytes=10-", 10), Err(RangeError::Unsatisfiable));
        assert_eq!(range("bytes=5-4", 10), Err(RangeError::Malformed));
        assert_eq!(range("items=0-1", 10), Err(RangeError::Malformed));
        assert_eq!(range("bytes=-1", 0), Err(RangeError::Unsatisfiable));
        assert_eq!(range("bytes=0-", 0), Err(RangeError::Unsatisfiable));
        assert_eq!(range("bytes=0-1,3-4", 10), Ok(None));
    }

    #[test]
    fn filename_star_is_decoded() {
        let h = b"form-data; name=\"file\"; filename=\"x\"; filename*=UTF-8''a%00b%E2%82%AC";
        assert_eq!(filename_star(h).as_deref(), Some("a\0b\u{20ac}"));
        assert_eq!(filename_star(b"form-data; name=\"file\"; filename=\"x\""), None);
        assert_eq!(filename_star(b"form-data; filename*=ISO-8859-1''a"), None);
    }

    #[test]
    fn upload_keys_are_safe() {
        let k = upload_key("../../etc/passwd");
        assert!(!k.as_str().contains('/'));
        let k = upload_key("a\0b");
        assert!(k.as_str().ends_with("-a_b"));
        let long = "ü".repeat(600);
        assert!(upload_key(&long).as_str().len() <= ObjectKey::MAX_BYTES);
    }
}
