//! The S3 gateway: any S3 client, with credentials derived from a Tiergate login, sees its own
//! buckets. One file per operation family; every error maps to an S3 code in `error.rs`.

mod auth;
mod body;
mod bucket;
mod checksum;
mod copy;
mod ctx;
mod delete;
mod error;
mod get;
mod list;
mod multipart;
mod put;
mod s3;
mod server;
mod sts;

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
        500.. => tracing::warn!(op, status, code, millis, "S3 request failed"),
        400.. => tracing::info!(op, status, code, millis, "S3 request refused"),
        _ => tracing::debug!(op, status, millis, "S3 request"),
    }
}

/// The `<Code>` of an error answer held in memory (S3 and STS errors both have one).
pub(crate) fn error_code(body: &s3s::Body) -> Option<String> {
    let bytes = body.bytes()?;
    let xml = std::str::from_utf8(&bytes).ok()?;
    let start = xml.find("<Code>")? + "<Code>".len();
    let len = xml[start..].find("</Code>")?;
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
/// answered is counted and logged here.
#[derive(Clone)]
pub(crate) struct WithRequestId(S3Service);

impl hyper::service::Service<http::Request<hyper::body::Incoming>> for WithRequestId {
    type Response = <S3Service as hyper::service::Service<http::Request<hyper::body::Incoming>>>::Response;
    type Error = <S3Service as hyper::service::Service<http::Request<hyper::body::Incoming>>>::Error;
    type Future = std::pin::Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn call(&self, mut req: http::Request<hyper::body::Incoming>) -> Self::Future {
        let started = Instant::now();
        let id = uuid::Uuid::new_v4().simple().to_string()[..16].to_ascii_uppercase();
        let observed = Observed::default();
        req.extensions_mut().insert(RequestId(id.clone()));
        req.extensions_mut().insert(observed.clone());
        let inner = self.0.clone();
        Box::pin(async move {
            let mut res = if has_negative_expiry(req.uri()) {
                expired_presigned_url(&id)
            } else {
                hyper::service::Service::call(&inner, req).await?
            };
            if !observed.0.load(Ordering::Relaxed) {
                record(NO_OP, started, res.status().as_u16(), error_code(res.body()).as_deref());
            }
            if let Ok(v) = http::HeaderValue::from_str(&id) {
                res.headers_mut().insert("x-amz-request-id", v);
            }
            Ok(res)
        })
    }
}

/// Whether a presigned URL's `X-Amz-Expires` is negative. S3 answers such a URL as expired
/// (403), where s3s would call it malformed (400); so it is answered before s3s sees it.
fn has_negative_expiry(uri: &http::Uri) -> bool {
    uri.query().is_some_and(|q| {
        url::form_urlencoded::parse(q.as_bytes()).any(|(k, v)| k == "X-Amz-Expires" && v.trim().starts_with('-'))
    })
}

fn expired_presigned_url(request_id: &str) -> http::Response<s3s::Body> {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code>\
         <Message>Request has expired</Message><RequestId>{request_id}</RequestId></Error>"
    );
    let mut res = http::Response::new(s3s::Body::from(xml));
    *res.status_mut() = http::StatusCode::FORBIDDEN;
    res.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/xml"));
    res
}
