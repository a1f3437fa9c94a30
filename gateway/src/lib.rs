//! The S3 gateway: any S3 client, with credentials derived from a Tiergate login, sees its own
//! buckets. One file per operation family; every error maps to an S3 code in `error.rs`.

mod audit;
mod auth;
mod body;
mod bucket;
mod checksum;
mod copy;
mod ctx;
mod delete;
mod error;
mod get;
mod lifecycle;
mod list;
mod multipart;
mod post;
mod put;
mod s3;
mod server;
mod sts;
mod tagging;

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use s3s::host::SingleDomain;
use s3s::service::{S3Service, S3ServiceBuilder};
use tiergate_core::Core;

pub use s3::Gateway;
pub use server::serve;

/// Counts and times one S3 operation; the status is what the client will see.
pub(crate) fn observe(op: &str, started: Instant, error: Option<&s3s::S3Error>) {
    let status = match error {
        None => 200,
        Some(e) => {
            e.status_code().map(|s| s.as_u16()).unwrap_or_else(|| e.code().status_code().map_or(500, |s| s.as_u16()))
        }
    };
    record(op, started, status, error.map(|e| e.code().as_str()));
}

/// The `op` label of a request that no operation answered: refused before one ran (a bad
/// signature, an expired key, a malformed request) or not one Tiergate implements.
const NO_OP: &str = "none";

/// One line per refused or failed request (INFO when refused, WARN when failed), and the
/// request metrics. s3s's own ERROR echo of the same errors is dropped (`telemetry.rs`).
pub(crate) fn record(op: &str, started: Instant, status: u16, code: Option<&str>) {
    let m = tiergate_core::metrics::metrics();
    m.s3_requests.with_label_values(&[op, &status.to_string()]).inc();
    m.s3_request_duration.with_label_values(&[op]).observe(started.elapsed().as_secs_f64());
    let millis = started.elapsed().as_secs_f64() * 1000.0;
    let code = code.unwrap_or("");
    match status {
        // NotImplemented is no fault of the server's: the client asked for what Tiergate does not do.
        501 => tracing::info!(op, status, code, millis, "S3 request refused"),
        500.. => tracing::warn!(op, status, code, millis, "S3 request failed"),
        400.. => tracing::info!(op, status, code, millis, "S3 request refused"),
        _ => tracing::debug!(op, status, millis, "S3 request"),
    }
}

/// The `<Code>` of an error answer held in memory (S3 and STS errors both have one).
pub(crate) fn error_code(body: &s3s::Body) -> Option<String> {
    error_field(body, "Code")
}

/// The text of the first `<name>` element of an answer held in memory, as it is in the XML.
fn error_field(body: &s3s::Body, name: &str) -> Option<String> {
    let bytes = body.bytes()?;
    let xml = std::str::from_utf8(&bytes).ok()?;
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let start = xml.find(&open)? + open.len();
    let len = xml[start..].find(&close)?;
    Some(xml[start..start + len].to_string())
}

/// S3 timestamps from catalog milliseconds.
pub(crate) fn timestamp(ms: i64) -> s3s::dto::Timestamp {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    s3s::dto::Timestamp::from(t)
}

/// The S3 service: derived-key auth, revocation checks, STS, and virtual-host style when a
/// domain is configured.
pub fn service(core: Core) -> Result<S3Service, String> {
    let mut builder = S3ServiceBuilder::new(Gateway::new(core.clone()));
    // SigV2 is verified by s3s only when a SigV2 form upload is allowed; the access check
    // refuses every other SigV2 request (`auth.rs`).
    let mut config = s3s::config::S3Config::default();
    config.enable_sig_v2 = core.settings.server.allow_sigv2_post;
    config.xml_max_body_size = core.settings.server.max_xml_body_bytes;
    // A form upload's fields (all but the file) are held before its signature is checked.
    config.form_max_fields_size = core.settings.server.max_xml_body_bytes;
    builder.set_config(Arc::new(s3s::config::StaticConfigProvider::new(Arc::new(config))));
    builder.set_auth(auth::DerivedKeyAuth::new(core.clone()));
    builder.set_access(auth::DerivedKeyAuth::new(core.clone()));
    builder.set_route(sts::AssumeRoleWithWebIdentity::new(core.clone()));
    if let Some(domain) = &core.settings.server.gateway_domain {
        let host = SingleDomain::new(domain).map_err(|e| format!("server.gateway_domain: {e}"))?;
        builder.set_host(host);
    }
    Ok(builder.build())
}

/// The id of one request, in its extensions, in the `x-amz-request-id` header of its answer
/// and in the `<RequestId>` of an error.
#[derive(Clone)]
pub(crate) struct RequestId(pub String);

/// In a request's extensions: set once an operation of ours has counted and logged it.
#[derive(Clone, Default)]
pub(crate) struct Observed(Arc<AtomicBool>);

impl Observed {
    pub(crate) fn mark(extensions: &http::Extensions) {
        if let Some(o) = extensions.get::<Observed>() {
            o.0.store(true, Ordering::Relaxed);
        }
    }
}

/// The S3 service with a request id on every request and answer; a request that no operation
/// answered is counted and logged here. Before s3s sees a request, this refuses empty condition
/// headers and checksum algorithms Tiergate does not verify, and reads a body that s3s would read
/// whole (an XML body) within its size, time and shared-memory bounds, checking its Content-MD5
/// and `x-amz-checksum-*`. After, it makes a ranged HEAD 206 and a broken POST policy condition
/// 403, as S3 answers them.
#[derive(Clone)]
pub(crate) struct WithRequestId {
    inner: S3Service,
    /// `server.gateway_domain`, to tell a virtual-host style object path from a bucket's.
    domain: Option<Arc<str>>,
    /// `server.max_xml_body_bytes`.
    max_body: usize,
    /// `server.request_read_timeout`: the time a body read whole may take to arrive.
    read_timeout: std::time::Duration,
    /// KiB of request bodies held here at once, across all connections (bodies are read before
    /// their signature is checked, so this bounds what anyone on the network can make us hold).
    buffered: Arc<tokio::sync::Semaphore>,
    audit: Arc<tiergate_core::audit::AuditLog>,
    /// The address of the client on this connection.
    peer: Option<std::net::IpAddr>,
}

/// Request bodies held for checking at once, in multiples of `server.max_xml_body_bytes`.
const BUFFERED_BODIES: usize = 4;

impl WithRequestId {
    pub(crate) fn new(inner: S3Service, core: &Core) -> Self {
        let server = &core.settings.server;
        Self {
            audit: core.audit.clone(),
            peer: None,
            inner,
            domain: server.gateway_domain.as_deref().map(Arc::from),
            max_body: server.max_xml_body_bytes,
            read_timeout: server.request_read_timeout,
            buffered: Arc::new(tokio::sync::Semaphore::new(BUFFERED_BODIES * server.max_xml_body_bytes.div_ceil(1024))),
        }
    }

    /// The service for one connection, from `peer`.
    pub(crate) fn for_peer(&self, peer: Option<std::net::SocketAddr>) -> Self {
        Self { peer: peer.map(|p| p.ip()), ..self.clone() }
    }
}

impl hyper::service::Service<http::Request<hyper::body::Incoming>> for WithRequestId {
    type Response = <S3Service as hyper::service::Service<http::Request<hyper::body::Incoming>>>::Response;
    type Error = <S3Service as hyper::service::Service<http::Request<hyper::body::Incoming>>>::Error;
    type Future = std::pin::Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn call(&self, req: http::Request<hyper::body::Incoming>) -> Self::Future {
        let started = Instant::now();
        let id = uuid::Uuid::new_v4().simple().to_string()[..16].to_ascii_uppercase();
        let observed = Observed::default();
        let mut req = req.map(s3s::Body::from);
        req.extensions_mut().insert(RequestId(id.clone()));
        req.extensions_mut().insert(observed.clone());
        let audited = audit::Request::of(&req, self.peer);
        req.extensions_mut().insert(audited.slot.clone());
        let audit_log = self.audit.clone();
        let inner = self.inner.clone();
        let check = checksum::WholeBodyCheck::of(req.method(), req.uri(), req.headers(), self.domain.as_deref());
        let is_head = req.method() == http::Method::HEAD;
        let limits =
            WholeBodyLimits { max: self.max_body, timeout: self.read_timeout, buffered: self.buffered.clone() };
        Box::pin(async move {
            let mut res = if has_negative_expiry(req.uri()) {
                error_response(http::StatusCode::FORBIDDEN, "AccessDenied", "Request has expired", &id)
            } else if let Some(name) = empty_condition(req.headers()) {
                let message = format!("The {name} header is empty.");
                error_response(http::StatusCode::BAD_REQUEST, "InvalidArgument", &message, &id)
            } else if let Some(algorithm) = checksum::unverified_algorithm(req.headers()) {
                let message =
                    format!("The {algorithm} checksum is not supported; use CRC32, CRC32C, CRC64NVME, SHA1 or SHA256.");
                error_response(http::StatusCode::NOT_IMPLEMENTED, "NotImplemented", &message, &id)
            } else if let Some(check) = check {
                match verified_whole(req, check, &limits).await {
                    Ok(req) => unpanicked(inner.call(req), &id).await?,
                    Err(e) => {
                        let status = e.status_code().unwrap_or(http::StatusCode::BAD_REQUEST);
                        let mut res = error_response(status, e.code().as_str(), e.message().unwrap_or(""), &id);
                        // The body may be left unread: the connection cannot carry another request.
                        res.headers_mut().insert(http::header::CONNECTION, http::HeaderValue::from_static("close"));
                        res
                    }
                }
            } else {
                unpanicked(inner.call(req), &id).await?
            };
            // s3s answers a HEAD 200 whatever its operation asks; one with a Range is partial.
            if is_head
                && res.status() == http::StatusCode::OK
                && res.headers().contains_key(http::header::CONTENT_RANGE)
            {
                *res.status_mut() = http::StatusCode::PARTIAL_CONTENT;
            }
            if let Some(refused) = policy_condition_failure(&res, &id) {
                res = refused;
            }
            if !observed.0.load(Ordering::Relaxed) {
                record(NO_OP, started, res.status().as_u16(), error_code(res.body()).as_deref());
            }
            audited.finish(&audit_log, &res, &id);
            if let Ok(v) = http::HeaderValue::from_str(&id) {
                res.headers_mut().insert("x-amz-request-id", v);
            }
            Ok(res)
        })
    }
}

/// Runs s3s on a request, answering a panic in any operation (a bug) as `500 InternalError`
/// with `Connection: close` instead of dropping the connection: the client learns what
/// happened, and the serving thread and its connection count carry on.
async fn unpanicked<F, B, E>(call: F, id: &str) -> Result<http::Response<B>, E>
where
    F: Future<Output = Result<http::Response<B>, E>>,
    B: From<s3s::Body>,
{
    use futures::FutureExt;
    match std::panic::AssertUnwindSafe(call).catch_unwind().await {
        Ok(answer) => answer,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(request_id = %id, panic = %what, "an S3 operation panicked; answered 500");
            let res = error_response(
                http::StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "We encountered an internal error. Please try again.",
                id,
            );
            let (mut parts, body) = res.into_parts();
            parts.headers.insert(http::header::CONNECTION, http::HeaderValue::from_static("close"));
            Ok(http::Response::from_parts(parts, B::from(body)))
        }
    }
}

/// How a body read whole is bounded: its size, the time it may take to arrive, and the KiB
/// that all such bodies may hold at once.
struct WholeBodyLimits {
    max: usize,
    timeout: std::time::Duration,
    buffered: Arc<tokio::sync::Semaphore>,
}

/// A body that s3s reads whole (an XML body, an STS form) is refused with
/// `400 MaxMessageLengthExceeded` past `server.max_xml_body_bytes`, at once from its
/// Content-Length, without reading it. One within the limit is read here, in at most
/// `server.request_read_timeout` (else `400 RequestTimeout`), while the bodies held at once stay
/// within their budget (else `503 SlowDown`); one cut short is `400 IncompleteBody`. It is then
/// checked against its Content-MD5 and `x-amz-checksum-*`, and the request goes on with the
/// body in memory. A body without a Content-Length goes on untouched: s3s refuses it
/// (`MissingContentLength`) or reads it as aws-chunked, within the same limit.
async fn verified_whole(
    req: http::Request<s3s::Body>,
    check: checksum::WholeBodyCheck,
    limits: &WholeBodyLimits,
) -> s3s::S3Result<http::Request<s3s::Body>> {
    let max = limits.max;
    let too_big = || s3s::s3_error!(MaxMessageLengthExceeded, "The request body is larger than {max} bytes.");
    let length = match req.headers().get(http::header::CONTENT_LENGTH) {
        None => return Ok(req),
        Some(v) => v.to_str().ok().and_then(|v| v.trim().parse::<u64>().ok()),
    };
    let length = length.ok_or_else(|| s3s::s3_error!(InvalidArgument, "The Content-Length is not a number."))?;
    if length > max as u64 {
        return Err(too_big());
    }
    let kib = u32::try_from(length.div_ceil(1024)).unwrap_or(u32::MAX);
    let _held = limits.buffered.clone().try_acquire_many_owned(kib).map_err(|_| {
        s3s::s3_error!(SlowDown, "Too many large request bodies are being received at once; please retry.")
    })?;
    let (parts, mut body) = req.into_parts();
    let read = tokio::time::timeout(limits.timeout, body.store_all_limited(max)).await.map_err(|_| {
        s3s::s3_error!(
            RequestTimeout,
            "Your socket connection to the server was not read from or written to within the timeout period."
        )
    })?;
    let bytes = read.map_err(|e| {
        if e.is::<s3s::BodySizeLimitExceeded>() || e.is::<http_body_util::LengthLimitError>() {
            too_big()
        } else {
            s3s::s3_error!(IncompleteBody, "The request body ended before it was complete.")
        }
    })?;
    if bytes.len() as u64 != length {
        return Err(s3s::s3_error!(IncompleteBody, "The request body ended before it was complete."));
    }
    check.verify(&bytes, &parts.headers)?;
    Ok(http::Request::from_parts(parts, s3s::Body::from(bytes)))
}

/// Headers that state a condition or an integrity value: sent empty, they say nothing a
/// request could be checked against, and taking them as absent would write unconditionally
/// (an empty `If-None-Match` overwrote); S3 refuses them.
const NEVER_EMPTY: [&str; 12] = [
    "if-match",
    "if-none-match",
    "if-modified-since",
    "if-unmodified-since",
    "content-md5",
    "x-amz-if-match-size",
    "x-amz-if-match-last-modified-time",
    "x-amz-copy-source-if-match",
    "x-amz-copy-source-if-none-match",
    "x-amz-copy-source-if-modified-since",
    "x-amz-copy-source-if-unmodified-since",
    "x-amz-security-token",
];

/// The first of [`NEVER_EMPTY`] (or an `x-amz-checksum-*` value) that came empty.
fn empty_condition(headers: &http::HeaderMap) -> Option<String> {
    headers
        .iter()
        .filter(|(_, v)| v.as_bytes().iter().all(u8::is_ascii_whitespace))
        .map(|(k, _)| k.as_str())
        .find(|k| NEVER_EMPTY.contains(k) || (k.starts_with("x-amz-checksum-") && *k != "x-amz-checksum-mode"))
        .map(str::to_string)
}

/// Whether a presigned URL's `X-Amz-Expires` is negative. S3 answers such a URL as expired
/// (403), where s3s would call it malformed (400); so it is answered before s3s sees it.
fn has_negative_expiry(uri: &http::Uri) -> bool {
    uri.query().is_some_and(|q| {
        url::form_urlencoded::parse(q.as_bytes()).any(|(k, v)| k == "X-Amz-Expires" && v.trim().starts_with('-'))
    })
}

/// A form upload whose field breaks a condition of its POST policy is `403 AccessDenied`
/// ("Invalid according to Policy: Policy Condition failed"), as AWS answers it
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html>; ceph
/// s3-tests `test_post_object_invalid_request_field_value`, `…_wrong_bucket`); s3s calls it a
/// malformed policy (400 `InvalidPolicyDocument`). Policies that really are malformed stay 400.
fn policy_condition_failure(res: &http::Response<s3s::Body>, request_id: &str) -> Option<http::Response<s3s::Body>> {
    if res.status() != http::StatusCode::BAD_REQUEST
        || error_code(res.body()).as_deref() != Some("InvalidPolicyDocument")
    {
        return None;
    }
    let message = error_field(res.body(), "Message")?;
    let condition_failed = message.starts_with("Policy condition") || message.starts_with("Bucket in form field");
    condition_failed.then(|| {
        let message = message.replace("&apos;", "'").replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">");
        let message = message.replace("&amp;", "&");
        error_response(
            http::StatusCode::FORBIDDEN,
            "AccessDenied",
            &format!("Invalid according to Policy: {message}"),
            request_id,
        )
    })
}

/// Text made safe to stand inside an XML element or attribute.
pub(crate) fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

/// An S3 error answer made here rather than by an operation.
fn error_response(status: http::StatusCode, code: &str, message: &str, request_id: &str) -> http::Response<s3s::Body> {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message>\
         <RequestId>{request_id}</RequestId></Error>",
        xml_escape(code),
        xml_escape(message)
    );
    let mut res = http::Response::new(s3s::Body::from(xml));
    *res.status_mut() = status;
    res.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/xml"));
    res
}
