//! Every error the REST API answers, as JSON `{"error": {"code", "message"}}` with its status.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use tiergate_core::catalog::{CatalogError, QuotaLimit};
use tiergate_core::domain::InvalidInput;
use tiergate_core::identity::IdentityError;
use tiergate_core::objects::{ReadError, WriteError};
use tiergate_core::storage::StorageError;

/// An error answer of the control plane.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<&'static str>,
    /// Close the connection after answering (the request body was not read).
    pub close: bool,
    /// Seconds after which a retry may succeed, sent as `Retry-After`.
    pub retry_after: Option<u64>,
    /// What the audit log should know of the request (e.g. the account a failed login named).
    pub note: Option<Box<crate::audit::AuditNote>>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), field: None, close: false, retry_after: None, note: None }
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "this file belongs to another user")
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
    }

    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            field: Some(field),
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_error", format!("{field}: {message}"))
        }
    }

    pub fn too_large(limit: u64) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the file is larger than the limit of {limit} bytes"),
        )
    }

    /// 413 `quota_exceeded`: the upload would pass the user's quota (named in the message).
    pub fn quota_exceeded(limit: QuotaLimit) -> Self {
        let which = match limit {
            QuotaLimit::Bytes(_) => "bytes",
            QuotaLimit::Objects(_) => "objects",
        };
        tiergate_core::metrics::metrics().quota_refusals.with_label_values(&[which]).inc();
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "quota_exceeded",
            format!("the upload would pass your storage quota: {limit}; delete files, or ask an admin for more"),
        )
    }

    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(error = %error, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error")
    }

    pub fn closing(mut self) -> Self {
        self.close = true;
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = serde_json::json!({ "code": self.code, "message": self.message });
        if let Some(field) = self.field {
            error["field"] = field.into();
        }
        let mut response = (self.status, Json(serde_json::json!({ "error": error }))).into_response();
        if self.close {
            response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response.extensions_mut().insert(crate::audit::ErrorCode(self.code));
        if let Some(note) = self.note {
            response.extensions_mut().insert(*note);
        }
        response
    }
}

impl From<InvalidInput> for ApiError {
    fn from(e: InvalidInput) -> Self {
        ApiError::invalid(e.field, e.message)
    }
}

/// A wait as `Retry-After` gives it: whole seconds, rounded up, at least 1.
pub fn retry_after_secs(wait: std::time::Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

impl From<IdentityError> for ApiError {
    fn from(e: IdentityError) -> Self {
        match e {
            IdentityError::Busy { retry_after } => ApiError {
                retry_after: Some(retry_after_secs(retry_after)),
                ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", e.to_string())
            },
            other => ApiError::internal(other),
        }
    }
}

impl From<CatalogError> for ApiError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::Unavailable(m) => {
                tracing::warn!(error = %m, "catalog unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "catalog_unavailable",
                    "the catalog is unavailable; try again later",
                )
            }
            CatalogError::QuotaExceeded(limit) => ApiError::quota_exceeded(limit),
            other => ApiError::internal(other),
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Unavailable(m) => {
                tracing::warn!(error = %m, "storage unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_unavailable",
                    "storage is unavailable; try again later",
                )
            }
            StorageError::NotFound => ApiError::not_found("file content"),
            other => ApiError::internal(other),
        }
    }
}

impl From<WriteError> for ApiError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::NoSuchBucket => {
                ApiError::new(StatusCode::NOT_FOUND, "no_such_bucket", "the bucket does not exist")
            }
            WriteError::TooLarge { limit } => ApiError::too_large(limit),
            WriteError::BadDigest | WriteError::BadChecksum { .. } => {
                ApiError::new(StatusCode::BAD_REQUEST, "bad_digest", "the file does not match its checksum")
            }
            e @ (WriteError::InvalidChecksum(_)
            | WriteError::MalformedTrailer(_)
            | WriteError::ConditionalRequestConflict
            | WriteError::InvalidPart(_)
            | WriteError::InvalidPartOrder
            | WriteError::EntityTooSmall(_)) => ApiError::new(StatusCode::BAD_REQUEST, "bad_request", e.to_string()),
            WriteError::IncompleteBody { .. } | WriteError::Body(_) => {
                ApiError::new(StatusCode::BAD_REQUEST, "incomplete_body", "the upload was cut short")
            }
            WriteError::QuotaExceeded(limit) => ApiError::quota_exceeded(limit),
            WriteError::NoSuchUpload => ApiError::not_found("multipart upload"),
            WriteError::Storage(s) => s.into(),
            WriteError::Catalog(c) => c.into(),
        }
    }
}

impl From<ReadError> for ApiError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::NotFound => ApiError::not_found("file"),
            ReadError::Storage(s) => s.into(),
            ReadError::Catalog(c) => c.into(),
        }
    }
}
