//! The one object write/read/delete path, shared by the REST upload and the S3 gateway.
//!
//! Writes put the bytes in the hot tier under a fresh backing key first, hashing them as they
//! stream, and only then commit the catalog row (invariants 1 and 2). Reads that find their
//! backing object gone re-read the row once before answering "no such key" (invariant 4).

use std::collections::BTreeMap;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use md5::{Digest, Md5};
use thiserror::Error;
use url::Url;

use crate::catalog::{Bucket, CatalogError, CatalogObject, Commit, NewObjectRow, QuotaLimit, WriteCondition};
use crate::domain::{BackingKey, ObjectKey, Tier, UserId, VersionId};
use crate::storage::{
    ByteRange, ByteStream, PresignOverrides, PutOptions, PutReceipt, Reported, StorageError, StorageTier,
};
use crate::Core;

/// Metadata names under which a backing object records where it belongs, so a store can be
/// read without the catalog.
pub const META_BUCKET: &str = "tiergate-bucket";
pub const META_KEY: &str = "tiergate-key";
pub const META_OWNER: &str = "tiergate-owner";
/// A cold copy's tags, in `x-amz-tagging` form (`k=v&…`, percent-encoded); written when it moves.
pub const META_TAGS: &str = "tiergate-tags";

/// Everything about a write except its bytes.
#[derive(Debug, Clone)]
pub struct ObjectWrite {
    pub owner: UserId,
    pub bucket: Bucket,
    pub key: ObjectKey,
    pub content_type: Option<String>,
    pub user_metadata: BTreeMap<String, String>,
    /// Response headers to store with the object (cache-control, content-disposition, …).
    pub headers: BTreeMap<String, String>,
    pub original_filename: Option<String>,
    /// The object's tags (`x-amz-tagging`, validated).
    pub tags: crate::tagging::TagSet,
    /// The announced length, when the client gave one.
    pub content_length: Option<u64>,
    /// A body longer than this is refused with [`WriteError::TooLarge`].
    pub max_bytes: Option<u64>,
    /// The MD5 the client says the body has (Content-MD5).
    pub expected_md5: Option<[u8; 16]>,
    /// What must hold of the key's current version when the write commits (S3 conditional
    /// writes); checked atomically with the commit, else nothing is written.
    pub condition: WriteCondition,
}

/// A last check of a body once it is stored and before it is committed (a checksum the
/// client sent in a header or trailer); returns the checksums to record with the object.
pub type BodyCheck = Box<dyn FnOnce() -> Result<BTreeMap<String, String>, WriteError> + Send>;

#[derive(Debug, Error)]
pub enum WriteError {
    #[error("the bucket does not exist")]
    NoSuchBucket,
    #[error("the body is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("the body does not match its Content-MD5")]
    BadDigest,
    #[error("the body does not match its {algorithm} checksum")]
    BadChecksum { algorithm: String },
    #[error("invalid checksum: {0}")]
    InvalidChecksum(String),
    /// The trailers of an aws-chunked body are not the ones its `x-amz-trailer` announced.
    #[error("malformed trailer: {0}")]
    MalformedTrailer(String),
    #[error("part {0} was not uploaded or its ETag does not match")]
    InvalidPart(i32),
    /// A conditional CompleteMultipartUpload whose condition stopped holding while it completed
    /// (another write of the key committed first): the upload is over, as AWS ends it with
    /// `409 ConditionalRequestConflict`.
    #[error("another write of the key committed while this upload completed")]
    ConditionalRequestConflict,
    #[error("the parts are not in ascending order")]
    InvalidPartOrder,
    #[error("part {0} is smaller than the minimum of 5 MiB")]
    EntityTooSmall(i32),
    #[error("the body has {got} bytes, {announced} were announced")]
    IncompleteBody { announced: u64, got: u64 },
    #[error("reading the body failed: {0}")]
    Body(io::Error),
    /// The write would pass its owner's quota; nothing was written.
    #[error("the write would pass {0}")]
    QuotaExceeded(QuotaLimit),
    /// The multipart upload was completed or aborted meanwhile.
    #[error("no such multipart upload")]
    NoSuchUpload,
    #[error(transparent)]
    Storage(StorageError),
    #[error(transparent)]
    Catalog(CatalogError),
}

impl From<CatalogError> for WriteError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::QuotaExceeded(limit) => WriteError::QuotaExceeded(limit),
            CatalogError::NoSuchUpload => WriteError::NoSuchUpload,
            e => WriteError::Catalog(e),
        }
    }
}

/// What is known of a stored body's bytes.
struct StoredDigest {
    /// Their MD5 (lowercase hex), unless they were stored in parts of unknown MD5.
    md5: Option<String>,
    /// The object's S3 ETag: the MD5, or a multipart ETag.
    etag: String,
}

#[derive(Debug, Error)]
pub enum ReadError {
    #[error("no such object")]
    NotFound,
    #[error(transparent)]
    Storage(StorageError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

/// What the meter learned of a body as it streamed through.
#[derive(Default)]
struct MeterState {
    bytes: u64,
    too_large: bool,
    ended: bool,
}

/// Chunks queued for the hasher at most; a hasher that falls behind slows the body down.
const HASH_QUEUE: usize = 16;

/// Counts a body as it streams, cuts it off past a size limit, and hashes it (MD5) when no
/// backend will. Hashing is the costliest thing done to every byte, so it runs on a task of
/// its own, beside the transfer rather than in its way.
pub struct Meter {
    state: Arc<Mutex<MeterState>>,
    hasher: Option<tokio::task::JoinHandle<[u8; 16]>>,
}

/// What a [`Meter`] measured of a body.
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    pub bytes: u64,
    /// The body went past the limit (and was cut off there).
    pub too_large: bool,
    /// The body was read to its end.
    pub ended: bool,
    /// The MD5 of the whole body, when it was hashed and read to its end.
    pub md5: Option<[u8; 16]>,
}

struct MeteredBody {
    inner: ByteStream,
    limit: Option<u64>,
    state: Arc<Mutex<MeterState>>,
    feed: Option<futures::channel::mpsc::Sender<Bytes>>,
}

impl Meter {
    /// Wraps `body` to be counted and hashed; the returned stream is what to read instead.
    pub fn hashing(body: ByteStream, limit: Option<u64>) -> (ByteStream, Meter) {
        let (feed, mut chunks) = futures::channel::mpsc::channel::<Bytes>(HASH_QUEUE);
        let hasher = tokio::spawn(async move {
            let mut md5 = Md5::new();
            while let Some(chunk) = chunks.next().await {
                md5.update(&chunk);
            }
            md5.finalize().into()
        });
        let state = Arc::new(Mutex::new(MeterState::default()));
        let body = MeteredBody { inner: body, limit, state: state.clone(), feed: Some(feed) };
        (Box::pin(body), Meter { state, hasher: Some(hasher) })
    }

    /// Wraps `body` to be counted only (the backend that stores it reports its MD5).
    pub fn counting(body: ByteStream, limit: Option<u64>) -> (ByteStream, Meter) {
        let state = Arc::new(Mutex::new(MeterState::default()));
        let body = MeteredBody { inner: body, limit, state: state.clone(), feed: None };
        (Box::pin(body), Meter { state, hasher: None })
    }

    /// What was measured; once the body has ended, waits for the hasher to catch up.
    pub async fn finish(self) -> Measured {
        let (bytes, too_large, ended) = {
            let st = self.state.lock().unwrap_or_else(|p| p.into_inner());
            (st.bytes, st.too_large, st.ended)
        };
        let md5 = match self.hasher {
            Some(hasher) if ended => hasher.await.ok(),
            Some(hasher) => {
                hasher.abort();
                None
            }
            None => None,
        };
        Measured { bytes, too_large, ended, md5 }
    }
}

impl Stream for MeteredBody {
    type Item = Result<Bytes, io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if let Some(feed) = this.feed.as_mut() {
            // Room in the hasher's queue before the next chunk is read.
            match feed.poll_ready(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(_)) => return Poll::Ready(Some(Err(io::Error::other("the body's hasher stopped")))),
            }
        }
        match this.inner.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                let mut st = this.state.lock().unwrap_or_else(|p| p.into_inner());
                st.bytes += chunk.len() as u64;
                if this.limit.is_some_and(|limit| st.bytes > limit) {
                    st.too_large = true;
                    this.feed = None;
                    return Poll::Ready(Some(Err(io::Error::new(
                        io::ErrorKind::FileTooLarge,
                        "body over the size limit",
                    ))));
                }
                drop(st);
                if let Some(feed) = this.feed.as_mut() {
                    // Cannot fail: poll_ready made room.
                    let _ = feed.start_send(chunk.clone());
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(None) => {
                this.state.lock().unwrap_or_else(|p| p.into_inner()).ended = true;
                // Closing the queue lets the hasher finish.
                this.feed = None;
                Poll::Ready(None)
            }
            other => other,
        }
    }
}

/// The MD5 (lowercase hex) of stored bytes, from the one hashed here and the one the backend
/// reported, whichever are known; when both are, they must agree.
pub(crate) fn agreed_md5(
    ours: Option<[u8; 16]>,
    reported: Option<String>,
    what: &str,
) -> Result<Option<String>, WriteError> {
    match (ours.map(hex::encode), reported) {
        (Some(ours), Some(theirs)) if ours != theirs => Err(WriteError::Storage(StorageError::Backend(format!(
            "the hot tier holds other bytes than were sent for {what} (MD5 {theirs}, sent {ours})"
        )))),
        (ours, theirs) => Ok(ours.or(theirs)),
    }
}

/// The metadata a backing object carries: owner, bucket and key (percent-encoded: S3
/// metadata must be ASCII).
pub fn backing_metadata(owner: UserId, bucket: &str, key: &str) -> Vec<(String, String)> {
    let enc = |s: &str| percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
    vec![
        (META_OWNER.to_string(), owner.to_string()),
        (META_BUCKET.to_string(), bucket.to_string()),
        (META_KEY.to_string(), enc(key)),
    ]
}

impl Core {
    /// The tier that holds `tier`'s objects.
    pub fn tier(&self, tier: Tier) -> &StorageTier {
        match tier {
            Tier::Hot => &self.hot,
            Tier::Cold => &self.cold,
        }
    }

    /// Writes an object: bytes to the hot tier, then the catalog row. On any failure nothing
    /// is left that the catalog points to, and the partial bytes are removed.
    pub async fn put_object(&self, write: ObjectWrite, body: ByteStream) -> Result<CatalogObject, WriteError> {
        self.put_object_checked(write, body, None).await
    }

    /// As [`Core::put_object`], with a last check of the stored body before the commit.
    pub async fn put_object_checked(
        &self,
        write: ObjectWrite,
        body: ByteStream,
        check: Option<BodyCheck>,
    ) -> Result<CatalogObject, WriteError> {
        let version = VersionId::generate();
        let backing = BackingKey::for_write(write.owner, &version, &write.key);
        let limit = match (write.max_bytes, write.content_length) {
            (Some(max), Some(len)) if len > max => return Err(WriteError::TooLarge { limit: max }),
            (max, _) => max,
        };
        // Room is held before any byte goes out; a body of unknown length is cut off where the
        // room ends.
        let hold = self.hold_room(write.owner, write.bucket.id, write.key.as_str(), write.content_length).await?;
        let room = match (&hold, write.content_length) {
            (Some(hold), None) => {
                let replacing = self.catalog.object(write.owner, write.bucket.id, write.key.as_str()).await?;
                hold.body_limit(replacing.map_or(0, |o| o.size))
            }
            _ => None,
        };
        let cut_at = match (limit, room) {
            (Some(l), Some(r)) => Some(l.min(r)),
            (l, r) => l.or(r),
        };
        // Each byte is hashed once: by the backend when it reports the MD5 (or, for a body it
        // stores in parts, a multipart ETag, unless the client's Content-MD5 wants the MD5).
        let hash = match self.hot.backend.reports(write.content_length) {
            Reported::Md5 => false,
            Reported::MultipartEtag => write.expected_md5.is_some(),
            Reported::Nothing => true,
        };
        let (metered, meter) = if hash { Meter::hashing(body, cut_at) } else { Meter::counting(body, cut_at) };
        let opts = PutOptions {
            content_type: write.content_type.clone(),
            metadata: backing_metadata(write.owner, &write.bucket.name, write.key.as_str()),
            content_length: write.content_length,
        };
        let put = self.hot.backend.put(&backing, metered, opts).await;
        let measured = meter.finish().await;
        if measured.too_large {
            self.discard(&backing).await;
            if let (Some(hold), Some(room)) = (&hold, room) {
                if limit.is_none_or(|l| room < l) {
                    return Err(hold.exceeded());
                }
            }
            return Err(WriteError::TooLarge { limit: limit.unwrap_or(0) });
        }
        let receipt = match put {
            Ok(receipt) => receipt,
            Err(StorageError::Body(e)) => return Err(WriteError::Body(e)),
            Err(e) => return Err(WriteError::Storage(e)),
        };
        let size = measured.bytes;
        if let Some(announced) = write.content_length {
            if announced != size {
                self.discard(&backing).await;
                return Err(WriteError::IncompleteBody { announced, got: size });
            }
        }
        if !measured.ended {
            self.discard(&backing).await;
            return Err(WriteError::Body(io::Error::new(io::ErrorKind::UnexpectedEof, "the body did not end")));
        }
        let digest = match self.stored_digest(&backing, &measured, receipt).await {
            Ok(digest) => digest,
            Err(e) => {
                self.discard(&backing).await;
                return Err(e);
            }
        };
        if write.expected_md5.is_some_and(|expected| digest.md5 != Some(hex::encode(expected))) {
            self.discard(&backing).await;
            return Err(WriteError::BadDigest);
        }
        let mut checksums = match check.map(|check| check()).transpose() {
            Ok(sums) => sums.unwrap_or_default(),
            Err(e) => {
                self.discard(&backing).await;
                return Err(e);
            }
        };
        if let Some(md5) = &digest.md5 {
            checksums.insert("md5".to_string(), md5.clone());
        }
        let mut row = NewObjectRow {
            owner: write.owner,
            bucket_id: write.bucket.id,
            key: write.key.as_str().to_string(),
            version_id: version,
            size,
            etag: digest.etag,
            content_type: write.content_type,
            user_metadata: write.user_metadata,
            headers: write.headers,
            checksums,
            original_filename: write.original_filename,
            tags: write.tags,
            hot_key: backing.clone(),
        };
        let commit = Commit {
            condition: &write.condition,
            quota: hold.as_ref().map(|h| h.check()),
            completes_upload: None,
            gc_grace: self.settings.gc.grace,
        };
        let mut committed = self.catalog.commit_object(&row, &commit).await;
        if let Err(CatalogError::Gone) = committed {
            // The bucket was deleted since this process last wrote to it (a remembered bucket,
            // see `Catalog::bucket_for_write`); one made since under that name is the one now.
            self.catalog.forget_bucket(write.owner, write.bucket.id);
            committed = match self.bucket_now(write.owner, &write.bucket.name).await {
                Ok(Some(bucket)) => {
                    row.bucket_id = bucket.id;
                    self.catalog.commit_object(&row, &commit).await
                }
                Ok(None) => Err(CatalogError::Gone),
                Err(e) => Err(e),
            };
        }
        let result = match committed {
            Ok(object) => Ok(object),
            Err(e) => {
                self.discard(&backing).await;
                Err(match e {
                    CatalogError::Gone => WriteError::NoSuchBucket,
                    e => e.into(),
                })
            }
        };
        // Committed, the bytes count in the usage now; failed, they never will.
        if let Some(hold) = hold {
            hold.release().await;
        }
        result
    }

    async fn bucket_now(&self, owner: UserId, name: &str) -> Result<Option<Bucket>, CatalogError> {
        match crate::domain::BucketName::parse(name) {
            Ok(name) => self.catalog.bucket(owner, &name).await,
            Err(_) => Ok(None),
        }
    }

    /// What is known of a body's bytes once stored: the MD5 we computed or the backend
    /// reported (both, compared, when both are known), else the backend's multipart ETag. A
    /// backend that reported neither, though it said it would (its ETags turned out not to be
    /// MD5s), has its copy read back and hashed.
    async fn stored_digest(
        &self,
        backing: &BackingKey,
        measured: &Measured,
        receipt: PutReceipt,
    ) -> Result<StoredDigest, WriteError> {
        match (agreed_md5(measured.md5, receipt.md5, "the object")?, receipt.multipart_etag) {
            (Some(md5), _) => Ok(StoredDigest { etag: md5.clone(), md5: Some(md5) }),
            (None, Some(etag)) => Ok(StoredDigest { md5: None, etag }),
            (None, None) => {
                let mut stored = self.hot.backend.get(backing, None).await.map_err(WriteError::Storage)?;
                let mut md5 = Md5::new();
                while let Some(chunk) = stored.next().await {
                    md5.update(&chunk.map_err(WriteError::Body)?);
                }
                let md5 = hex::encode(md5.finalize());
                Ok(StoredDigest { etag: md5.clone(), md5: Some(md5) })
            }
        }
    }

    /// Best-effort removal of bytes no row points to (a failed write's).
    pub(crate) async fn discard(&self, backing: &BackingKey) {
        if let Err(e) = self.hot.backend.delete(backing).await {
            tracing::warn!(key = %backing, error = %e, "could not remove the bytes of a failed write; they are garbage");
        }
    }

    /// Opens the object's bytes (or a range). If the backing object is gone, the row is read
    /// again once: it was overwritten or moved while we looked.
    pub async fn open_object(
        &self,
        object: &CatalogObject,
        range: Option<ByteRange>,
    ) -> Result<(CatalogObject, ByteStream), ReadError> {
        match self.open_backing(object, range).await {
            Ok(stream) => Ok((object.clone(), stream)),
            Err(ReadError::NotFound) => {
                let fresh = self
                    .catalog
                    .object(object.owner, object.bucket_id, &object.key)
                    .await?
                    .ok_or(ReadError::NotFound)?;
                if fresh.version_id == object.version_id && fresh.tier == object.tier {
                    return Err(ReadError::NotFound);
                }
                if range.is_some() && fresh.version_id != object.version_id {
                    // A range of another version would mix two objects' bytes.
                    return Err(ReadError::NotFound);
                }
                let stream = self.open_backing(&fresh, range).await?;
                Ok((fresh, stream))
            }
            Err(e) => Err(e),
        }
    }

    async fn open_backing(&self, object: &CatalogObject, range: Option<ByteRange>) -> Result<ByteStream, ReadError> {
        let key = object.serving_key().ok_or(ReadError::NotFound)?;
        self.tier(object.tier).backend.get(key, range).await.map_err(|e| match e {
            StorageError::NotFound => ReadError::NotFound,
            other => ReadError::Storage(other),
        })
    }

    /// A URL the object can be downloaded from for `expires_in`: the cold tier's public URL
    /// when one is configured, a backend presigned GET, or a link Tiergate signs and serves.
    pub async fn download_url(&self, object: &CatalogObject, expires_in: Duration) -> Result<Url, ReadError> {
        let tier = self.tier(object.tier);
        let key = object.serving_key().ok_or(ReadError::NotFound)?;
        if let Some(base) = &tier.public_url_base {
            let path = key
                .as_str()
                .split('/')
                .map(|seg| percent_encoding::utf8_percent_encode(seg, percent_encoding::NON_ALPHANUMERIC).to_string());
            let mut base = base.clone();
            if !base.path().ends_with('/') {
                base.set_path(&format!("{}/", base.path()));
            }
            return base
                .join(&path.collect::<Vec<_>>().join("/"))
                .map_err(|e| ReadError::Storage(StorageError::Backend(format!("public URL of {key}: {e}"))));
        }
        let overrides = PresignOverrides {
            content_disposition: Some(content_disposition(&display_name(object))),
            content_type: None,
        };
        if let Some(url) = tier.backend.presign_get(key, expires_in, &overrides).await.map_err(ReadError::Storage)? {
            return Ok(url);
        }
        Ok(self.signed_link(object, expires_in))
    }

    /// A link to `/api/blobs/{id}` that the control plane serves, signed for this version.
    pub fn signed_link(&self, object: &CatalogObject, expires_in: Duration) -> Url {
        let expires = crate::catalog::now_ms() / 1000 + expires_in.as_secs() as i64;
        let sig =
            self.identity.sign(BLOB_LINK_PURPOSE, &blob_link_message(object.id, object.version_id.as_str(), expires));
        let mut url = self.settings.server.public_url.clone();
        url.set_path(&format!("/api/blobs/{}", object.id));
        url.query_pairs_mut()
            .append_pair("v", object.version_id.as_str())
            .append_pair("exp", &expires.to_string())
            .append_pair("sig", &sig);
        url
    }
}

/// What a signed blob link's signature covers.
pub const BLOB_LINK_PURPOSE: &str = "blob-link";

pub fn blob_link_message(id: i64, version: &str, expires: i64) -> String {
    format!("{id}:{version}:{expires}")
}

/// The name a download is saved under: the uploader's file name, else the key's last segment.
pub fn display_name(object: &CatalogObject) -> String {
    object.original_filename.clone().unwrap_or_else(|| object.key.rsplit('/').next().unwrap_or(&object.key).to_string())
}

/// A `Content-Disposition: attachment` value that carries any file name safely (RFC 6266).
pub fn content_disposition(name: &str) -> String {
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    let encoded = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(parts: &[&'static [u8]]) -> ByteStream {
        Box::pin(futures::stream::iter(parts.iter().map(|p| Ok(Bytes::from_static(p))).collect::<Vec<_>>()))
    }

    #[tokio::test]
    async fn a_counting_meter_counts_and_sees_the_end_without_hashing() {
        let (mut body, meter) = Meter::counting(chunks(&[b"12345", b"67890"]), Some(10));
        while body.next().await.is_some() {}
        let measured = meter.finish().await;
        assert_eq!((measured.bytes, measured.too_large, measured.ended, measured.md5), (10, false, true, None));

        let (mut body, meter) = Meter::counting(chunks(&[b"12345", b"67890", b"abc"]), Some(10));
        while let Some(Ok(_)) = body.next().await {}
        let measured = meter.finish().await;
        assert!(measured.too_large && !measured.ended);
    }

    #[tokio::test]
    async fn the_meter_counts_and_hashes_what_streams_through() {
        // More chunks than the hasher's queue holds, so the body waits for it at times.
        let parts: Vec<&'static [u8]> = [b"hello ".as_slice(), b"world"].repeat(HASH_QUEUE * 3);
        let (mut body, meter) = Meter::hashing(chunks(&parts), None);
        let mut seen = Vec::new();
        while let Some(chunk) = body.next().await {
            seen.extend_from_slice(&chunk.unwrap());
        }
        let measured = meter.finish().await;
        assert_eq!(measured.bytes, seen.len() as u64);
        assert!(!measured.too_large);
        assert_eq!(measured.md5, Some(<[u8; 16]>::from(Md5::digest(&seen))));
    }

    #[tokio::test]
    async fn the_meter_cuts_off_past_the_limit_and_gives_no_md5_for_an_unfinished_body() {
        let (mut body, meter) = Meter::hashing(chunks(&[b"12345", b"67890", b"abc"]), Some(8));
        assert!(body.next().await.unwrap().is_ok());
        let err = body.next().await.unwrap().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
        let measured = meter.finish().await;
        assert!(measured.too_large);
        assert_eq!(measured.md5, None);

        let (mut body, meter) = Meter::hashing(chunks(&[b"12345", b"67890"]), None);
        assert!(body.next().await.unwrap().is_ok());
        assert_eq!(meter.finish().await.md5, None, "the body has not ended");
    }
}
