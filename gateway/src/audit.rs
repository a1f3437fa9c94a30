//! Audit events for S3 requests: the request wrapper (`WithRequestId`) puts an [`AuditSlot`]
//! in every request, the access check fills it with the operation and the caller, and the
//! wrapper records the event once the answer's status is final.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use tiergate_core::audit::{is_read_operation, AuditEvent, AuditLog, Surface};
use tiergate_core::identity::DerivedKey;

/// What the access check learned of a request.
#[derive(Debug, Clone)]
struct Seen {
    operation: String,
    /// Known otherwise than from the access key id (STS: from the login token).
    user_id: Option<i64>,
    access_key_id: String,
    bucket: Option<String>,
    key: Option<String>,
}

/// In a request's extensions: filled by the access check.
#[derive(Debug, Clone, Default)]
pub(crate) struct AuditSlot(Arc<Mutex<Option<Seen>>>);

impl AuditSlot {
    /// Called by the access check, once the signature is verified.
    pub(crate) fn fill(
        extensions: &http::Extensions,
        operation: String,
        access_key_id: &str,
        (bucket, key): (Option<String>, Option<String>),
        user_id: Option<i64>,
    ) {
        let Some(slot) = extensions.get::<AuditSlot>() else { return };
        let seen = Seen { operation, user_id, access_key_id: access_key_id.to_string(), bucket, key };
        *slot.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(seen);
    }
}

/// The bucket and key a request names.
pub(crate) fn target(path: &s3s::path::S3Path) -> (Option<String>, Option<String>) {
    match path {
        s3s::path::S3Path::Root => (None, None),
        s3s::path::S3Path::Bucket { bucket } => (Some(bucket.to_string()), None),
        s3s::path::S3Path::Object { bucket, key } => (Some(bucket.to_string()), Some(key.to_string())),
    }
}

/// What the wrapper knows of a request before it is answered.
pub(crate) struct Request {
    pub slot: AuditSlot,
    pub is_read_method: bool,
    /// The body's length as sent (decoded length of an aws-chunked body).
    pub bytes_in: Option<u64>,
    /// The access key id the Authorization header names (unverified: for requests refused
    /// before the access check).
    pub claimed_key: Option<String>,
    pub client: Option<IpAddr>,
}

impl Request {
    pub(crate) fn of(req: &http::Request<s3s::Body>, client: Option<IpAddr>) -> Self {
        let header_u64 = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()?.parse().ok());
        let claimed_key = req
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split("Credential=").nth(1))
            .and_then(|c| c.split('/').next())
            .map(|k| k.chars().take(64).collect());
        Self {
            slot: AuditSlot::default(),
            is_read_method: matches!(*req.method(), http::Method::GET | http::Method::HEAD),
            bytes_in: header_u64("x-amz-decoded-content-length").or_else(|| header_u64("content-length")),
            claimed_key,
            client,
        }
    }

    /// Records the event for this request's answer, if the log wants it.
    pub(crate) fn finish(self, log: &AuditLog, res: &http::Response<s3s::Body>, request_id: &str) {
        let seen = self.slot.0.lock().unwrap_or_else(|p| p.into_inner()).take();
        let operation = seen.as_ref().map_or("none", |s| s.operation.as_str()).to_string();
        let is_read = match &seen {
            Some(s) => is_read_operation(&s.operation),
            None => self.is_read_method,
        };
        if !log.wants(is_read) {
            return;
        }
        let status = res.status().as_u16();
        let mut event = AuditEvent::new(Surface::S3, operation, status);
        event.request_id = Some(request_id.to_string());
        event.client = self.client;
        let key_id = seen.as_ref().map(|s| s.access_key_id.clone()).or(self.claimed_key).filter(|k| !k.is_empty());
        event.user_id = seen
            .as_ref()
            .and_then(|s| s.user_id)
            .or_else(|| key_id.as_deref().and_then(DerivedKey::parse).map(|k| k.user.0));
        event.access_key_id = key_id;
        if let Some(seen) = seen {
            event.bucket = seen.bucket;
            event.key = seen.key;
        }
        event.bytes = if is_read {
            res.headers().get(http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse().ok())
        } else {
            self.bytes_in
        };
        if status >= 400 {
            event.error = crate::error_code(res.body());
        }
        log.record(&event);
    }
}
