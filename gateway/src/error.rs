//! Every internal error maps to one S3 error code, here and nowhere else.

use std::io;

use s3s::stream::aws_chunked_stream::AwsChunkedStreamError;
use s3s::stream::upload_stream::UploadStreamError;
use s3s::{s3_error, S3Error, S3ErrorCode};
use tiergate_core::catalog::{CatalogError, QuotaLimit};
use tiergate_core::objects::{ReadError, WriteError};
use tiergate_core::storage::StorageError;

/// Converts a core error into the S3 error a client should see.
pub trait IntoS3Error {
    fn into_s3(self) -> S3Error;
}

impl IntoS3Error for CatalogError {
    fn into_s3(self) -> S3Error {
        match self {
            CatalogError::Unavailable(m) => {
                tracing::warn!(error = %m, "catalog unavailable");
                s3_error!(ServiceUnavailable, "The catalog is unavailable; please retry.")
            }
            CatalogError::Conflict => s3_error!(OperationAborted, "A conflicting operation is in progress."),
            CatalogError::PreconditionFailed { exists: true } => {
                s3_error!(PreconditionFailed, "At least one of the pre-conditions you specified did not hold")
            }
            CatalogError::PreconditionFailed { exists: false } => {
                s3_error!(NoSuchKey, "The specified key does not exist.")
            }
            CatalogError::QuotaExceeded(limit) => quota_exceeded(limit),
            CatalogError::NoSuchUpload => no_such_upload(),
            other => internal(other),
        }
    }
}

impl IntoS3Error for StorageError {
    fn into_s3(self) -> S3Error {
        match self {
            StorageError::Unavailable(m) => {
                tracing::warn!(error = %m, "storage unavailable");
                s3_error!(ServiceUnavailable, "The storage backend is unavailable; please retry.")
            }
            StorageError::NotFound => s3_error!(NoSuchKey),
            StorageError::Body(e) => body_error(&e),
            other => internal(other),
        }
    }
}

impl IntoS3Error for WriteError {
    fn into_s3(self) -> S3Error {
        match self {
            WriteError::NoSuchBucket => crate::ctx::no_such_bucket(),
            WriteError::TooLarge { .. } => s3_error!(EntityTooLarge),
            WriteError::BadDigest => {
                s3_error!(BadDigest, "The Content-MD5 you specified did not match what we received.")
            }
            WriteError::BadChecksum { algorithm } => S3Error::with_message(
                S3ErrorCode::BadDigest,
                format!("The {algorithm} you specified did not match the calculated checksum."),
            ),
            WriteError::InvalidChecksum(m) => S3Error::with_message(S3ErrorCode::InvalidArgument, m),
            WriteError::MalformedTrailer(m) => {
                let mut e = S3Error::with_message(S3ErrorCode::Custom("MalformedTrailerError".into()), m);
                e.set_status_code(http::StatusCode::BAD_REQUEST);
                e
            }
            WriteError::IncompleteBody { .. } => s3_error!(IncompleteBody),
            WriteError::Body(e) => body_error(&e),
            WriteError::InvalidPart(n) => S3Error::with_message(
                S3ErrorCode::InvalidPart,
                format!("Part {n} could not be found or its ETag does not match."),
            ),
            WriteError::InvalidPartOrder => s3_error!(InvalidPartOrder),
            WriteError::ConditionalRequestConflict => s3_error!(
                ConditionalRequestConflict,
                "A conflicting operation occurred while this upload completed; create a new multipart upload."
            ),
            WriteError::EntityTooSmall(_) => s3_error!(EntityTooSmall),
            WriteError::QuotaExceeded(limit) => quota_exceeded(limit),
            WriteError::NoSuchUpload => no_such_upload(),
            WriteError::Storage(e) => e.into_s3(),
            WriteError::Catalog(e) => e.into_s3(),
        }
    }
}

impl IntoS3Error for ReadError {
    fn into_s3(self) -> S3Error {
        match self {
            ReadError::NotFound => s3_error!(NoSuchKey),
            ReadError::Storage(e) => e.into_s3(),
            ReadError::Catalog(e) => e.into_s3(),
        }
    }
}

/// The body failed while streaming: a chunk signature that did not verify, a body cut short.
fn body_error(e: &io::Error) -> S3Error {
    let mut source: Option<&(dyn std::error::Error + 'static)> = e.get_ref().map(|e| e as _);
    while let Some(err) = source {
        if let Some(chunked) = err.downcast_ref::<AwsChunkedStreamError>() {
            return S3Error::new(chunked.to_s3_error_code());
        }
        if let Some(upload) = err.downcast_ref::<UploadStreamError>() {
            if matches!(upload, UploadStreamError::Sha256Mismatch) {
                // AWS's own code for it; s3s calls it BadDigest, whose message speaks of Content-MD5.
                let mut e = S3Error::with_message(
                    S3ErrorCode::Custom("XAmzContentSHA256Mismatch".into()),
                    "The provided 'x-amz-content-sha256' header does not match what was computed.",
                );
                e.set_status_code(http::StatusCode::BAD_REQUEST);
                return e;
            }
            return S3Error::new(upload.to_s3_error_code());
        }
        if let Some(s3) = err.downcast_ref::<S3Error>() {
            return S3Error::new(s3.code().clone());
        }
        source = err.source();
    }
    s3_error!(IncompleteBody, "The request body ended before it was complete.")
}

/// `403 QuotaExceeded`, with the limit in the message (the code MinIO and Ceph RGW answer
/// with too, so clients that know it stop retrying).
pub fn quota_exceeded(limit: QuotaLimit) -> S3Error {
    let which = match limit {
        QuotaLimit::Bytes(_) => "bytes",
        QuotaLimit::Objects(_) => "objects",
    };
    tiergate_core::metrics::metrics().quota_refusals.with_label_values(&[which]).inc();
    let mut e = S3Error::with_message(
        S3ErrorCode::Custom("QuotaExceeded".into()),
        format!("The write would pass your storage quota: {limit}. Delete objects, or ask an admin for more."),
    );
    e.set_status_code(http::StatusCode::FORBIDDEN);
    e
}

fn no_such_upload() -> S3Error {
    s3_error!(
        NoSuchUpload,
        "The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."
    )
}

fn internal(e: impl std::fmt::Display) -> S3Error {
    tracing::error!(error = %e, "internal error");
    s3_error!(InternalError)
}

/// `.s3()` on results whose error maps to an S3 error.
pub trait ResultExt<T> {
    fn s3(self) -> Result<T, S3Error>;
}

impl<T, E: IntoS3Error> ResultExt<T> for Result<T, E> {
    fn s3(self) -> Result<T, S3Error> {
        self.map_err(IntoS3Error::into_s3)
    }
}
