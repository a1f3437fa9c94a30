//! Storage tiers: one streaming trait, implemented by the `fs` and `s3` plugins.
//!
//! Adding a kind of backend means one new module here and one line in [`open_backend`].

mod fs;
mod http_client;
mod s3;

pub use http_client::pool_tier_connections_per_thread;

use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::Stream;
use thiserror::Error;
use url::Url;

use crate::domain::BackingKey;
use crate::settings::{TierBackend, TierSettings};

pub use fs::FsBackend;
pub use s3::S3Backend;

/// A stream of bytes, as every body in Tiergate is: nothing holds a whole object in memory.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, io::Error>> + Send + 'static>>;

/// An inclusive byte range of an object, already resolved against its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end_inclusive: u64,
}

impl ByteRange {
    pub fn len(&self) -> u64 {
        self.end_inclusive - self.start + 1
    }

    pub fn is_empty(&self) -> bool {
        false
    }
}

/// Metadata written with a backing object so a store can be read without the catalog.
#[derive(Debug, Clone, Default)]
pub struct PutOptions {
    pub content_type: Option<String>,
    /// `(name, value)` pairs stored as object metadata (`x-amz-meta-*` on S3).
    pub metadata: Vec<(String, String)>,
    /// The body's exact length, when known in advance.
    pub content_length: Option<u64>,
}

/// What a backend reports of a body it stored.
///
/// Every byte is hashed once, by whoever stores it: a backend that computes the MD5 of what it
/// holds (MinIO and S3 do, for the ETag; the `fs` plugin does as it writes) reports it here,
/// and the caller hashes only what no backend reports ([`StorageBackend::reports`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutReceipt {
    /// The bytes stored.
    pub size: u64,
    /// The MD5 (lowercase hex) of what the backend holds, when it reports one (the ETag of a
    /// single S3 PUT).
    pub md5: Option<String>,
    /// The S3 ETag of an object the backend stored in parts (`md5-of-part-md5s-N`), built from
    /// the MD5s it reported for each part. Set only when `md5` is not.
    pub multipart_etag: Option<String>,
}

impl PutReceipt {
    /// Whether the backend reports holding other bytes than those whose MD5 is `md5_hex`.
    pub fn contradicts(&self, md5_hex: &str) -> bool {
        self.md5.as_deref().is_some_and(|stored| stored != md5_hex)
    }
}

/// What a backend's [`PutReceipt`] reports of the bytes it stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reported {
    /// Their MD5.
    Md5,
    /// Their MD5 when they fit one part, else a multipart ETag.
    MultipartEtag,
    /// Nothing: the caller hashes them.
    Nothing,
}

/// What a backend knows of a stored object.
#[derive(Debug, Clone)]
pub struct BackingObjectInfo {
    pub size: u64,
}

/// One uploaded part of a backend multipart upload.
#[derive(Debug, Clone)]
pub struct BackendPart {
    pub part_number: i32,
    pub etag: String,
    /// The MD5 (lowercase hex) of the part's bytes, when the backend reports it.
    pub md5: Option<String>,
}

/// Response header overrides for a presigned GET.
#[derive(Debug, Clone, Default)]
pub struct PresignOverrides {
    pub content_disposition: Option<String>,
    pub content_type: Option<String>,
}

#[derive(Debug, Error)]
pub enum StorageError {
    #[error("no such backing object")]
    NotFound,
    #[error("storage backend unavailable: {0}")]
    Unavailable(String),
    #[error("reading the body failed: {0}")]
    Body(io::Error),
    #[error("invalid backing key: {0}")]
    InvalidKey(String),
    #[error("storage backend error: {0}")]
    Backend(String),
}

/// One storage backend: a local folder, an S3 bucket, ….
#[async_trait]
pub trait StorageBackend: Send + Sync + fmt::Debug {
    /// `fs` or `s3`, for logs and health reports.
    fn kind(&self) -> &'static str;

    /// Answers whether the backend is reachable and usable.
    async fn check(&self) -> Result<(), StorageError>;

    /// Stores `body` under `key`; the object appears whole or not at all. A caller that gets
    /// a receipt whose MD5 [contradicts](PutReceipt::contradicts) its own deletes the object.
    async fn put(&self, key: &BackingKey, body: ByteStream, opts: PutOptions) -> Result<PutReceipt, StorageError>;

    /// What the receipt of a [`put`](Self::put) of `len` bytes (`None`: unknown) will report
    /// of them; for [`upload_part`](Self::upload_part), anything but [`Reported::Nothing`]
    /// means the part's MD5 is reported. A backend that learns it cannot (an S3 bucket whose
    /// ETags turn out not to be MD5s) answers [`Reported::Nothing`] from then on.
    fn reports(&self, len: Option<u64>) -> Reported;

    /// Streams the object, or the given range of it.
    async fn get(&self, key: &BackingKey, range: Option<ByteRange>) -> Result<ByteStream, StorageError>;

    async fn head(&self, key: &BackingKey) -> Result<BackingObjectInfo, StorageError>;

    /// Deletes the object; deleting a missing object succeeds.
    async fn delete(&self, key: &BackingKey) -> Result<(), StorageError>;

    async fn create_multipart(&self, key: &BackingKey, opts: PutOptions) -> Result<String, StorageError>;

    async fn upload_part(
        &self,
        key: &BackingKey,
        upload_id: &str,
        part_number: i32,
        body: ByteStream,
        content_length: u64,
    ) -> Result<BackendPart, StorageError>;

    async fn complete_multipart(
        &self,
        key: &BackingKey,
        upload_id: &str,
        parts: Vec<BackendPart>,
    ) -> Result<(), StorageError>;

    async fn abort_multipart(&self, key: &BackingKey, upload_id: &str) -> Result<(), StorageError>;

    /// A URL that lets anyone GET the object until `expires_in`, where the backend has one.
    async fn presign_get(
        &self,
        key: &BackingKey,
        expires_in: Duration,
        overrides: &PresignOverrides,
    ) -> Result<Option<Url>, StorageError>;
}

/// A configured tier: its label and the backend behind it.
#[derive(Debug, Clone)]
pub struct StorageTier {
    pub label: String,
    pub storage_class: String,
    pub public_url_base: Option<Url>,
    pub backend: Arc<dyn StorageBackend>,
}

/// Opens the backend a tier is configured with.
pub async fn open_backend(settings: &TierSettings) -> Result<Arc<dyn StorageBackend>, StorageError> {
    Ok(match &settings.backend {
        TierBackend::Fs { root } => Arc::new(FsBackend::open(root).await?),
        TierBackend::S3(s3) => Arc::new(S3Backend::open(s3).await?),
    })
}

impl StorageTier {
    pub async fn open(settings: &TierSettings) -> Result<Self, StorageError> {
        Ok(Self {
            label: settings.label.clone(),
            storage_class: settings.storage_class.clone(),
            public_url_base: settings.public_url_base.clone(),
            backend: open_backend(settings).await?,
        })
    }
}

/// Checks that a backing key is relative and has no empty, `.` or `..` segment.
pub(crate) fn validate_key(key: &str) -> Result<(), StorageError> {
    let bad = key.is_empty()
        || key.len() > 1024
        || key.starts_with('/')
        || key.contains('\0')
        || key.contains('\\')
        || key.split('/').any(|seg| seg.is_empty() || seg == "." || seg == "..");
    if bad {
        Err(StorageError::InvalidKey(key.to_string()))
    } else {
        Ok(())
    }
}
