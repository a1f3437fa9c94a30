//! Body checksums a client asks us to verify: `x-amz-checksum-*` in a header, or in a trailer
//! of an aws-chunked body (announced by `x-amz-trailer`). A mismatch is `BadDigest` and the
//! write leaves nothing behind (the core discards the bytes before any commit).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use futures::TryStreamExt;
use http::HeaderMap;
use s3s::checksum::ChecksumHasher;
use s3s::dto::{Checksum, ChecksumAlgorithm, ChecksumType};
use s3s::TrailingHeaders;
use tiergate_core::multipart::CHECKSUM_TYPE;
use tiergate_core::objects::{BodyCheck, WriteError};
use tiergate_core::storage::ByteStream;

/// The algorithms we verify, with their header suffix and S3 name.
const ALGORITHMS: [(&str, &str); 5] =
    [("crc32", "CRC32"), ("crc32c", "CRC32C"), ("crc64nvme", "CRC64NVME"), ("sha1", "SHA1"), ("sha256", "SHA256")];

/// The checksum fields of a PutObject or UploadPart request.
#[derive(Default)]
pub struct Expected {
    pub crc32: Option<String>,
    pub crc32c: Option<String>,
    pub crc64nvme: Option<String>,
    pub sha1: Option<String>,
    pub sha256: Option<String>,
    pub algorithm: Option<ChecksumAlgorithm>,
}

impl Expected {
    fn header_value(&self, name: &str) -> Option<&String> {
        match name {
            "crc32" => self.crc32.as_ref(),
            "crc32c" => self.crc32c.as_ref(),
            "crc64nvme" => self.crc64nvme.as_ref(),
            "sha1" => self.sha1.as_ref(),
            "sha256" => self.sha256.as_ref(),
            _ => None,
        }
    }

    /// The checksums given, by algorithm key (`sha256`…), as the core records them.
    pub fn claimed(&self) -> BTreeMap<String, String> {
        ALGORITHMS
            .iter()
            .filter_map(|(name, _)| self.header_value(name).map(|v| (name.to_string(), v.trim().to_string())))
            .collect()
    }
}

fn computed<'a>(sums: &'a Checksum, name: &str) -> Option<&'a String> {
    match name {
        "crc32" => sums.checksum_crc32.as_ref(),
        "crc32c" => sums.checksum_crc32c.as_ref(),
        "crc64nvme" => sums.checksum_crc64nvme.as_ref(),
        "sha1" => sums.checksum_sha1.as_ref(),
        "sha256" => sums.checksum_sha256.as_ref(),
        _ => None,
    }
}

fn enable(hasher: &mut ChecksumHasher, name: &str) {
    match name {
        "crc32" => hasher.crc32 = Some(Default::default()),
        "crc32c" => hasher.crc32c = Some(Default::default()),
        "crc64nvme" => hasher.crc64nvme = Some(Default::default()),
        "sha1" => hasher.sha1 = Some(Default::default()),
        "sha256" => hasher.sha256 = Some(Default::default()),
        _ => {}
    }
}

/// Wraps `body` so the requested checksums are computed as it streams, and returns the check
/// to run once it is stored. `None` when the client asked for nothing.
pub fn verified(
    body: ByteStream,
    expected: Expected,
    headers: &HeaderMap,
    trailers: Option<TrailingHeaders>,
) -> Result<(ByteStream, Option<BodyCheck>), WriteError> {
    let trailer_names: Vec<String> = headers
        .get("x-amz-trailer")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(',').map(|s| s.trim().to_ascii_lowercase()).filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let algorithm = expected.algorithm.as_ref().map(|a| a.as_str().to_ascii_lowercase());
    let wanted: Vec<&'static str> = ALGORITHMS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| {
            expected.header_value(name).is_some()
                || algorithm.as_deref() == Some(*name)
                || trailer_names.iter().any(|t| t == &format!("x-amz-checksum-{name}"))
        })
        .collect();
    if let Some(t) =
        trailer_names.iter().find(|t| !ALGORITHMS.iter().any(|(name, _)| **t == format!("x-amz-checksum-{name}")))
    {
        return Err(WriteError::InvalidChecksum(format!("unsupported trailer {t} in x-amz-trailer")));
    }
    if let Some(alg) = &algorithm {
        if !ALGORITHMS.iter().any(|(name, _)| name == alg) {
            return Err(WriteError::InvalidChecksum(format!("unsupported checksum algorithm {alg}")));
        }
    }
    if wanted.is_empty() {
        return Ok((body, None));
    }
    let mut hasher = ChecksumHasher::default();
    for name in &wanted {
        enable(&mut hasher, name);
    }
    let hasher = Arc::new(Mutex::new(Some(hasher)));
    let feeding = hasher.clone();
    let body: ByteStream = Box::pin(body.inspect_ok(move |chunk| {
        if let Some(h) = feeding.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            h.update(chunk);
        }
    }));
    let check: BodyCheck = Box::new(move || {
        let sums =
            hasher.lock().unwrap_or_else(|p| p.into_inner()).take().map(ChecksumHasher::finalize).unwrap_or_default();
        let trailed = trailers.and_then(|t| t.take()).unwrap_or_default();
        // The trailers sent must be the ones announced: a checksum announced and not sent, or
        // sent under another name, would otherwise go unchecked.
        for name in &trailer_names {
            match trailed.get_all(name.as_str()).iter().count() {
                0 => return Err(WriteError::MalformedTrailer(format!("the announced trailer {name} was not sent"))),
                1 => {}
                _ => return Err(WriteError::MalformedTrailer(format!("the trailer {name} was sent more than once"))),
            }
        }
        if let Some(name) = trailed.keys().find(|k| !trailer_names.iter().any(|t| t == k.as_str())) {
            return Err(WriteError::MalformedTrailer(format!("the trailer {name} was not announced in x-amz-trailer")));
        }
        let mut recorded = BTreeMap::new();
        for name in wanted {
            let Some(actual) = computed(&sums, name) else { continue };
            let header = format!("x-amz-checksum-{name}");
            let claimed = expected
                .header_value(name)
                .cloned()
                .or_else(|| trailed.get(header.as_str()).and_then(|v| v.to_str().ok()).map(str::to_string));
            if let Some(claimed) = claimed {
                if claimed.trim() != actual {
                    let label = ALGORITHMS.iter().find(|(n, _)| *n == name).map(|(_, l)| *l).unwrap_or(name);
                    return Err(WriteError::BadChecksum { algorithm: label.to_string() });
                }
            }
            recorded.insert(name.to_string(), actual.clone());
        }
        Ok(recorded)
    });
    Ok((body, Some(check)))
}

/// The [`Expected`] checksums of an S3 input or completed part (any struct with the
/// `checksum_*` fields), with the algorithm asked for.
macro_rules! expected {
    ($src:expr, $algorithm:expr) => {
        $crate::checksum::Expected {
            crc32: $src.checksum_crc32,
            crc32c: $src.checksum_crc32c,
            crc64nvme: $src.checksum_crc64nvme,
            sha1: $src.checksum_sha1,
            sha256: $src.checksum_sha256,
            algorithm: $algorithm,
        }
    };
}
pub(crate) use expected;

/// The recorded checksums of an object or part, as S3 answers them. A checksum of a whole
/// single-part object is of type FULL_OBJECT; a multipart object records its type.
pub fn to_dto(recorded: &BTreeMap<String, String>) -> Checksum {
    let any = ALGORITHMS.iter().any(|(name, _)| recorded.contains_key(*name));
    Checksum {
        checksum_crc32: recorded.get("crc32").cloned(),
        checksum_crc32c: recorded.get("crc32c").cloned(),
        checksum_crc64nvme: recorded.get("crc64nvme").cloned(),
        checksum_sha1: recorded.get("sha1").cloned(),
        checksum_sha256: recorded.get("sha256").cloned(),
        checksum_type: any.then(|| {
            ChecksumType::from(recorded.get(CHECKSUM_TYPE).cloned().unwrap_or_else(|| ChecksumType::FULL_OBJECT.into()))
        }),
        ..Default::default()
    }
}

/// Whether an object or part has a checksum to answer.
pub fn is_empty(sums: &Checksum) -> bool {
    sums.checksum_type.is_none()
}

/// Moves a [`Checksum`] into an S3 output or part with the same fields; `with_type` for those
/// that also carry `checksum_type`.
macro_rules! set_checksums {
    ($target:expr, $sums:expr) => {{
        let sums: s3s::dto::Checksum = $sums;
        $target.checksum_crc32 = sums.checksum_crc32;
        $target.checksum_crc32c = sums.checksum_crc32c;
        $target.checksum_crc64nvme = sums.checksum_crc64nvme;
        $target.checksum_sha1 = sums.checksum_sha1;
        $target.checksum_sha256 = sums.checksum_sha256;
    }};
    ($target:expr, $sums:expr, with_type) => {{
        let sums: s3s::dto::Checksum = $sums;
        $target.checksum_type = sums.checksum_type.clone();
        $crate::checksum::set_checksums!($target, sums);
    }};
}
pub(crate) use set_checksums;

/// The checksum algorithms S3 knows and Tiergate does not verify (SHA512, MD5, XXHASH*): a
/// request that sends one is refused with `501 NotImplemented` rather than stored unverified.
const UNVERIFIED: [&str; 5] = ["sha512", "md5", "xxhash64", "xxhash3", "xxhash128"];

/// Why a request's checksum headers cannot be honoured: an `x-amz-checksum-*` value, a trailer
/// announced in `x-amz-trailer`, or an algorithm asked for (`x-amz-sdk-checksum-algorithm`,
/// `x-amz-checksum-algorithm`) that Tiergate does not verify.
pub fn unverified_algorithm(headers: &HeaderMap) -> Option<String> {
    let named = |value: &str| {
        value
            .split(',')
            .map(|v| v.trim().to_ascii_lowercase())
            .map(|v| v.strip_prefix("x-amz-checksum-").map(str::to_string).unwrap_or(v))
            .find(|v| UNVERIFIED.contains(&v.as_str()))
    };
    let in_names =
        UNVERIFIED.iter().find(|a| headers.contains_key(format!("x-amz-checksum-{a}").as_str())).map(|a| a.to_string());
    let in_values = ["x-amz-trailer", "x-amz-sdk-checksum-algorithm", "x-amz-checksum-algorithm"]
        .iter()
        .filter_map(|h| headers.get(*h).and_then(|v| v.to_str().ok()))
        .find_map(named);
    in_names.or(in_values).map(|a| a.to_ascii_uppercase())
}

/// What the gateway checks of a request body that s3s reads whole before an operation sees it
/// (the XML bodies of DeleteObjects, CompleteMultipartUpload, CreateBucket and every
/// `?subresource` PUT or POST, and STS forms): its size, and the integrity values sent with it.
/// The bodies of PutObject and UploadPart stream to the operation, which verifies them as they
/// pass ([`verified`]); a PostObject form carries its own fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WholeBodyCheck {
    /// The body is read whole; no integrity value came with it.
    SizeOnly,
    /// Content-MD5 only: CompleteMultipartUpload's `x-amz-checksum-*` headers are the object's
    /// checksum (checked against its parts), not its XML's.
    ContentMd5,
    /// Content-MD5 and `x-amz-checksum-*`.
    All,
}

impl WholeBodyCheck {
    /// What to check of this request's body; `None` when s3s does not read it whole.
    pub fn of(method: &http::Method, uri: &http::Uri, headers: &HeaderMap, domain: Option<&str>) -> Option<Self> {
        let is_form_upload = || {
            headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"))
        };
        let read_whole = match *method {
            http::Method::POST => !is_form_upload(),
            http::Method::PUT => has_subresource(uri) || !names_object(uri, headers, domain),
            _ => false,
        };
        if !read_whole {
            return None;
        }
        let completes_upload = *method == http::Method::POST && query_names(uri).any(|k| k == "uploadId");
        let has_md5 = headers.contains_key("content-md5");
        let has_checksum =
            ALGORITHMS.iter().any(|(name, _)| headers.contains_key(format!("x-amz-checksum-{name}").as_str()));
        Some(match (completes_upload, has_md5, has_checksum) {
            (true, true, _) => Self::ContentMd5,
            (false, true, _) | (false, _, true) => Self::All,
            _ => Self::SizeOnly,
        })
    }

    /// Verifies a body held whole against the Content-MD5 (and, for [`WholeBodyCheck::All`],
    /// the `x-amz-checksum-*` headers) sent with it, before it has any effect: `InvalidDigest`
    /// for a Content-MD5 that is not one, `BadDigest` for a value that does not match (as S3
    /// answers a DeleteObjects with a wrong Content-MD5).
    pub fn verify(self, body: &[u8], headers: &HeaderMap) -> s3s::S3Result<()> {
        let text = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or_default().trim().to_string());
        if self == Self::SizeOnly {
            return Ok(());
        }
        if let Some(expected) = crate::put::content_md5(text("content-md5").as_deref())? {
            use md5::Digest;
            if <[u8; 16]>::from(md5::Md5::digest(body)) != expected {
                return Err(s3s::s3_error!(BadDigest, "The Content-MD5 you specified did not match what we received."));
            }
        }
        if self == Self::ContentMd5 {
            return Ok(());
        }
        let claimed: Vec<(&str, &str, String)> = ALGORITHMS
            .iter()
            .filter_map(|(name, label)| text(&format!("x-amz-checksum-{name}")).map(|v| (*name, *label, v)))
            .collect();
        if claimed.is_empty() {
            return Ok(());
        }
        let mut hasher = ChecksumHasher::default();
        for (name, _, _) in &claimed {
            enable(&mut hasher, name);
        }
        hasher.update(body);
        let sums = hasher.finalize();
        for (name, label, value) in claimed {
            if computed(&sums, name).map(String::as_str) != Some(value.as_str()) {
                return Err(s3s::S3Error::with_message(
                    s3s::S3ErrorCode::BadDigest,
                    format!("The {label} you specified did not match the calculated checksum."),
                ));
            }
        }
        Ok(())
    }
}

fn query_names(uri: &http::Uri) -> impl Iterator<Item = String> + '_ {
    url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()).map(|(k, _)| k.into_owned())
}

/// A query parameter other than an object upload's own (`partNumber`, `uploadId`), s3s's
/// `x-id` and a presigned URL's `X-Amz-*`: `?tagging`, `?acl`, `?lifecycle`…
fn has_subresource(uri: &http::Uri) -> bool {
    query_names(uri)
        .any(|k| !(k == "partNumber" || k == "uploadId" || k == "x-id" || k.to_ascii_lowercase().starts_with("x-amz-")))
}

/// Whether the path names an object rather than a bucket: path-style `/bucket/key`, or `/key`
/// on a virtual-host style request (`bucket.domain`).
fn names_object(uri: &http::Uri, headers: &HeaderMap, domain: Option<&str>) -> bool {
    let path = uri.path().trim_start_matches('/');
    let host = headers.get(http::header::HOST).and_then(|v| v.to_str().ok()).map(|h| h.split(':').next().unwrap_or(h));
    let virtual_host = domain
        .zip(host)
        .is_some_and(|(d, h)| h.len() > d.len() + 1 && h.ends_with(d) && h.as_bytes()[h.len() - d.len() - 1] == b'.');
    if virtual_host {
        !path.is_empty()
    } else {
        path.split_once('/').is_some_and(|(_, key)| !key.is_empty())
    }
}
