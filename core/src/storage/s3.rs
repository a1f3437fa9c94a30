//! The `s3` plugin: a tier in a bucket of any S3 service (MinIO, AWS, R2, Garage…), through
//! aws-sdk-s3. Bodies stream; a body of unknown length goes up as a multipart upload of
//! `part_size` parts, so at most one part per upload is held in memory.

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use async_trait::async_trait;
use aws_credential_types::Credentials;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{Region, StalledStreamProtectionConfig};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream as SdkByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, ServerSideEncryption, StorageClass};
use aws_sdk_s3::Client;
use bytes::Bytes;
use futures::stream::FuturesOrdered;
use futures::StreamExt;
use http_body::{Frame, SizeHint};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;
use url::Url;

use super::{
    validate_key, BackendPart, BackingObjectInfo, ByteRange, ByteStream, PresignOverrides, PutOptions, PutReceipt,
    Reported, StorageBackend, StorageError,
};
use crate::domain::BackingKey;
use crate::objects::Meter;
use crate::settings::S3TierSettings;

/// Bytes as semaphore permits of 1 KiB, rounded up.
fn kib(bytes: u64) -> u32 {
    u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX)
}

/// The ETag of a single PUT as an MD5, when it is one (SSE-KMS and multipart ETags are not).
fn etag_md5(etag: Option<&str>) -> Option<String> {
    let etag = etag?.trim_matches('"').to_ascii_lowercase();
    (etag.len() == 32 && etag.bytes().all(|b| b.is_ascii_hexdigit())).then_some(etag)
}

/// A tier in an S3 bucket.
#[derive(Debug)]
pub struct S3Backend {
    client: Client,
    /// Signs presigned URLs for the address clients use (the same client unless configured).
    presign_client: Client,
    bucket: String,
    prefix: String,
    part_size: u64,
    /// A body of known length above this goes up in streamed parts (`tiers.*.multipart_threshold`).
    multipart_threshold: u64,
    /// Permits, in KiB, for the second part buffer of an overlapped upload.
    overlap: Arc<Semaphore>,
    storage_class: Option<StorageClass>,
    /// Whether this bucket's ETags are the MD5s of what it stores, as MinIO's and AWS's are
    /// unless objects are encrypted with SSE-KMS or SSE-C. The first answer that shows
    /// otherwise turns this off for good, and callers hash bodies themselves from then on.
    etags_are_md5: AtomicBool,
}

fn map_err<E>(err: SdkError<E, aws_smithy_runtime_api::http::Response>) -> StorageError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let mut message = DisplayErrorContext(&err).to_string();
    match &err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            StorageError::Unavailable(message)
        }
        SdkError::ServiceError(se) => match se.err().code() {
            // An answer without a body (to a HEAD, or a proxy's) has no S3 code: the SDK says
            // only "unhandled error". Its status says what happened.
            None if se.raw().status().as_u16() == 404 => StorageError::NotFound,
            None => {
                let status = se.raw().status().as_u16();
                let hint = match status {
                    401 | 403 => ": access denied (check the tier's credentials, bucket and region)",
                    301 | 307 | 400 => ": check the tier's endpoint, region and path_style",
                    _ => "",
                };
                message = format!("HTTP {status}{hint} ({message})");
                if status >= 500 {
                    StorageError::Unavailable(message)
                } else {
                    StorageError::Backend(message)
                }
            }
            Some("NoSuchKey" | "NotFound" | "NoSuchUpload") => StorageError::NotFound,
            // MinIO's XMinioStorageFull (507): no room for writes now; reads still work.
            Some("SlowDown" | "ServiceUnavailable" | "XMinioServerNotInitialized" | "XMinioStorageFull") => {
                StorageError::Unavailable(message)
            }
            _ if message.contains("status code: 404") || message.contains("404 Not Found") => StorageError::NotFound,
            _ => StorageError::Backend(message),
        },
        _ => StorageError::Backend(message),
    }
}

/// An http-body over our stream with an exact length, as the SDK needs to checksum a
/// streamed body. `SyncWrapper` gives the `Sync` the SDK asks of bodies.
struct SizedBody {
    inner: sync_wrapper::SyncWrapper<ByteStream>,
    remaining: u64,
    /// The last chunk, held until the stream underneath has ended.
    held: Option<Bytes>,
    /// The client may poll again after the end; the stream underneath must not be.
    done: bool,
}

impl http_body::Body for SizedBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = &mut *self;
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            // The last bytes are handed on only once the stream below has ended: a client's
            // body may carry a trailer (an aws-chunked checksum) that is read at its very end,
            // and a client that sends more than it announced is refused.
            if let Some(last) = this.held.take() {
                return match this.inner.get_mut().as_mut().poll_next(cx) {
                    Poll::Ready(None) => {
                        this.done = true;
                        Poll::Ready(Some(Ok(Frame::data(last))))
                    }
                    Poll::Ready(Some(Ok(extra))) if extra.is_empty() => {
                        this.held = Some(last);
                        continue;
                    }
                    Poll::Ready(Some(Ok(_))) => {
                        this.done = true;
                        Poll::Ready(Some(Err(io::Error::new(io::ErrorKind::InvalidData, "body longer than announced"))))
                    }
                    Poll::Ready(Some(Err(e))) => {
                        this.done = true;
                        Poll::Ready(Some(Err(e)))
                    }
                    Poll::Pending => {
                        this.held = Some(last);
                        Poll::Pending
                    }
                };
            }
            return match this.inner.get_mut().as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    this.remaining = this.remaining.saturating_sub(chunk.len() as u64);
                    if this.remaining == 0 {
                        this.held = Some(chunk);
                        continue;
                    }
                    Poll::Ready(Some(Ok(Frame::data(chunk))))
                }
                Poll::Ready(Some(Err(e))) => {
                    this.done = true;
                    Poll::Ready(Some(Err(e)))
                }
                Poll::Ready(None) => {
                    this.done = true;
                    Poll::Ready(None)
                }
                Poll::Pending => Poll::Pending,
            };
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }

    fn size_hint(&self) -> SizeHint {
        let held = self.held.as_ref().map_or(0, |h| h.len() as u64);
        SizeHint::with_exact(self.remaining + held)
    }
}

fn sized_body(stream: ByteStream, len: u64) -> SdkByteStream {
    SdkByteStream::from_body_1_x(SizedBody {
        inner: sync_wrapper::SyncWrapper::new(stream),
        remaining: len,
        held: None,
        done: false,
    })
}

fn chunks_body(chunks: Vec<Bytes>) -> (SdkByteStream, u64) {
    let len = chunks.iter().map(|c| c.len() as u64).sum();
    let stream: ByteStream = Box::pin(futures::stream::iter(chunks.into_iter().map(Ok)));
    (sized_body(stream, len), len)
}

fn sdk_stream_to_ours(body: SdkByteStream) -> ByteStream {
    Box::pin(
        futures::stream::unfold(body, |mut body| async move {
            match body.try_next().await {
                Ok(Some(chunk)) => Some((Ok(chunk), body)),
                Ok(None) => None,
                Err(e) => Some((Err(io::Error::other(e)), body)),
            }
        })
        .fuse(),
    )
}

/// The source of a streamed multipart upload, shared by the parts one after the other.
struct PartSource {
    body: ByteStream,
    leftover: Option<Bytes>,
}

/// Exactly `remaining` bytes of the shared source, as the body of one part.
struct PartStream {
    source: Arc<Mutex<PartSource>>,
    remaining: u64,
}

impl futures::Stream for PartStream {
    type Item = Result<Bytes, io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let source = self.source.clone();
        let mut src = source.lock().unwrap_or_else(|p| p.into_inner());
        let mut chunk = match src.leftover.take() {
            Some(c) => c,
            None => match src.body.as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(c))) => c,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => {
                    return Poll::Ready(Some(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "body shorter than announced",
                    ))))
                }
                Poll::Pending => return Poll::Pending,
            },
        };
        if chunk.len() as u64 > self.remaining {
            src.leftover = Some(chunk.split_off(self.remaining as usize));
        }
        self.remaining -= chunk.len() as u64;
        Poll::Ready(Some(Ok(chunk)))
    }
}

/// An announced-empty body, read to its end: the HTTP client never polls a body of length
/// 0, and the caller (who meters it) must see it end. One that is not empty is refused.
async fn read_empty(mut body: ByteStream) -> Result<SdkByteStream, StorageError> {
    let (_, len, _) = fill(&mut body, 1).await?;
    if len > 0 {
        return Err(longer_than_announced());
    }
    Ok(SdkByteStream::from_static(b""))
}

/// Reads from `body` until at least `want` bytes are held or the body ends.
async fn fill(body: &mut ByteStream, want: u64) -> Result<(Vec<Bytes>, u64, bool), StorageError> {
    let mut chunks = Vec::new();
    let mut len = 0u64;
    while len < want {
        match body.next().await {
            Some(Ok(c)) => {
                len += c.len() as u64;
                chunks.push(c);
            }
            Some(Err(e)) => return Err(StorageError::Body(e)),
            None => return Ok((chunks, len, true)),
        }
    }
    Ok((chunks, len, false))
}

impl S3Backend {
    /// Builds the client; with `create_bucket` set, creates the bucket when it is missing.
    pub async fn open(settings: &S3TierSettings) -> Result<Self, StorageError> {
        let mut config = aws_sdk_s3::config::Builder::new()
            .behavior_version_latest()
            .http_client(super::http_client::tier_http_client())
            .region(Region::new(settings.region.clone()))
            .force_path_style(settings.path_style)
            .retry_config(RetryConfig::standard().with_max_attempts(3))
            .timeout_config(TimeoutConfig::builder().connect_timeout(Duration::from_secs(5)).build())
            // Bodies stream at the client's pace; a slow client must not fail the upload.
            .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
            // We check what the backend stored against our own MD5s (its ETags); the SDK's
            // extra CRC trailer (and, over plain http, signed chunks) would cost CPU on every byte.
            .request_checksum_calculation(aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired)
            // Reads are served as they stream; a CRC of the whole body, known only at its end,
            // would come too late to refuse bytes a client already has.
            .response_checksum_validation(aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired);
        if let (Some(id), Some(secret)) = (&settings.access_key_id, &settings.secret_access_key) {
            config = config.credentials_provider(Credentials::new(id, secret, None, None, "tiergate-settings"));
        }
        let presign_config = match settings.presign_endpoint.as_ref().or(settings.endpoint.as_ref()) {
            Some(endpoint) => config.clone().endpoint_url(endpoint.as_str().trim_end_matches('/')),
            None => config.clone(),
        };
        if let Some(endpoint) = &settings.endpoint {
            config = config.endpoint_url(endpoint.as_str().trim_end_matches('/'));
        }
        let backend = Self {
            client: Client::from_conf(config.build()),
            presign_client: Client::from_conf(presign_config.build()),
            bucket: settings.bucket.clone(),
            prefix: settings.prefix.clone(),
            part_size: settings.part_size,
            multipart_threshold: settings.multipart_threshold,
            overlap: Arc::new(Semaphore::new(kib(settings.overlap_bytes) as usize)),
            storage_class: settings.backend_storage_class.as_deref().map(StorageClass::from),
            etags_are_md5: AtomicBool::new(true),
        };
        if settings.create_bucket {
            backend.ensure_bucket().await?;
        }
        Ok(backend)
    }

    async fn ensure_bucket(&self) -> Result<(), StorageError> {
        match self.client.head_bucket().bucket(&self.bucket).send().await {
            Ok(_) => Ok(()),
            Err(e) => match map_err(e) {
                StorageError::NotFound | StorageError::Backend(_) => {
                    match self.client.create_bucket().bucket(&self.bucket).send().await {
                        Ok(_) => Ok(()),
                        Err(e) if e.code() == Some("BucketAlreadyOwnedByYou") => Ok(()),
                        Err(e) => Err(map_err(e)),
                    }
                }
                other => Err(other),
            },
        }
    }

    fn full_key(&self, key: &BackingKey) -> Result<String, StorageError> {
        validate_key(key.as_str())?;
        Ok(format!("{}{}", self.prefix, key.as_str()))
    }

    /// The MD5 an answer's ETag gives of the bytes stored, unless the answer shows that this
    /// bucket's ETags are something else (encrypted objects, or an ETag that is no MD5).
    fn reported_md5(
        &self,
        etag: Option<&str>,
        sse: Option<&ServerSideEncryption>,
        sse_c: Option<&str>,
    ) -> Option<String> {
        let encrypted =
            matches!(sse, Some(ServerSideEncryption::AwsKms | ServerSideEncryption::AwsKmsDsse)) || sse_c.is_some();
        match etag_md5(etag).filter(|_| !encrypted) {
            Some(md5) => Some(md5),
            None => {
                if self.etags_are_md5.swap(false, Ordering::Relaxed) {
                    tracing::warn!(
                        bucket = %self.bucket,
                        "this bucket's ETags are not MD5s (encrypted objects?); Tiergate hashes bodies itself from now on"
                    );
                }
                None
            }
        }
    }

    fn metadata(opts: &PutOptions) -> Option<HashMap<String, String>> {
        (!opts.metadata.is_empty()).then(|| opts.metadata.iter().cloned().collect())
    }

    async fn put_single(
        &self,
        key: &str,
        body: SdkByteStream,
        len: u64,
        opts: &PutOptions,
    ) -> Result<PutReceipt, StorageError> {
        let out = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_length(len as i64)
            .set_content_type(opts.content_type.clone())
            .set_metadata(Self::metadata(opts))
            .set_storage_class(self.storage_class.clone())
            .body(body)
            .send()
            .await
            .map_err(map_err)?;
        let md5 =
            self.reported_md5(out.e_tag.as_deref(), out.server_side_encryption.as_ref(), out.sse_customer_algorithm());
        Ok(PutReceipt { size: len, md5, multipart_etag: None })
    }

    /// Completes a multipart upload of `parts`. The receipt's ETag is built from the MD5s the
    /// backend reported for the parts; an upload whose final ETag says otherwise (other parts
    /// than ours) is deleted.
    async fn finish_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: Vec<BackendPart>,
        size: u64,
    ) -> Result<PutReceipt, StorageError> {
        let multipart_etag = parts
            .iter()
            .map(|p| p.md5.as_deref())
            .collect::<Option<Vec<&str>>>()
            .map(|md5s| crate::multipart::multipart_etag(&md5s));
        let stored = self.complete_upload(key, upload_id, parts).await?;
        let stored = stored.as_deref().map(|e| e.trim_matches('"').to_ascii_lowercase());
        if let (Some(stored), Some(expected)) = (&stored, &multipart_etag) {
            if stored.contains('-') && stored != expected {
                let _ = self.client.delete_object().bucket(&self.bucket).key(key).send().await;
                return Err(StorageError::Backend(format!(
                    "the backend holds other bytes than were sent (ETag {stored}, expected {expected})"
                )));
            }
        }
        Ok(PutReceipt { size, md5: None, multipart_etag })
    }

    /// CompleteMultipartUpload of `parts` under the full `key`; returns the stored ETag.
    async fn complete_upload(
        &self,
        key: &str,
        upload_id: &str,
        parts: Vec<BackendPart>,
    ) -> Result<Option<String>, StorageError> {
        let parts =
            parts.into_iter().map(|p| CompletedPart::builder().part_number(p.part_number).e_tag(p.etag).build());
        let done = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts.collect())).build())
            .send()
            .await
            .map_err(map_err)?;
        Ok(done.e_tag)
    }

    /// Aborts the upload under the full `key`; one already gone is fine.
    async fn abort_upload(&self, key: &str, upload_id: &str) -> Result<(), StorageError> {
        match self.client.abort_multipart_upload().bucket(&self.bucket).key(key).upload_id(upload_id).send().await {
            Ok(_) => Ok(()),
            Err(e) => match map_err(e) {
                StorageError::NotFound => Ok(()),
                other => Err(other),
            },
        }
    }

    /// A body of known length as a multipart upload whose parts stream straight from it:
    /// nothing is buffered, and each part's ETag is checked against its MD5.
    async fn put_multipart_streamed(
        &self,
        key: &str,
        body: ByteStream,
        len: u64,
        opts: &PutOptions,
    ) -> Result<PutReceipt, StorageError> {
        let upload_id = self.start_multipart(key, opts).await?;
        let source = Arc::new(Mutex::new(PartSource { body, leftover: None }));
        let result = async {
            let mut parts = Vec::new();
            let mut sent = 0u64;
            let mut part_number = 1;
            while sent < len {
                let part_len = self.part_size.min(len - sent);
                let part: ByteStream = Box::pin(PartStream { source: source.clone(), remaining: part_len });
                // Hashed here: the caller does not hash a body this size, and a tiering pass
                // proves a copy by these MD5s (the backend's ETags are checked against them).
                let (part, meter) = Meter::hashing(part, None);
                let mut sent_part =
                    self.send_part(key, &upload_id, part_number, sized_body(part, part_len), part_len).await?;
                let md5 = meter.finish().await.md5.map(hex::encode).ok_or_else(|| {
                    StorageError::Body(io::Error::new(io::ErrorKind::UnexpectedEof, "body shorter than announced"))
                })?;
                if sent_part.md5.as_ref().is_some_and(|stored| *stored != md5) {
                    return Err(StorageError::Backend(format!("part {part_number} stored other bytes than were sent")));
                }
                sent_part.md5 = Some(md5);
                parts.push(sent_part);
                sent += part_len;
                part_number += 1;
            }
            // Read the body to its end (a trailer may follow the last byte), refusing extra bytes.
            let mut rest = {
                let mut src = source.lock().unwrap_or_else(|p| p.into_inner());
                if src.leftover.as_ref().is_some_and(|l| !l.is_empty()) {
                    return Err(longer_than_announced());
                }
                std::mem::replace(&mut src.body, Box::pin(futures::stream::empty()))
            };
            while let Some(item) = rest.next().await {
                if !item.map_err(StorageError::Body)?.is_empty() {
                    return Err(longer_than_announced());
                }
            }
            self.finish_multipart(key, &upload_id, parts, len).await
        }
        .await;
        if result.is_err() {
            let _ = self.abort_upload(key, &upload_id).await;
        }
        result
    }

    async fn start_multipart(&self, key: &str, opts: &PutOptions) -> Result<String, StorageError> {
        self.client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .set_content_type(opts.content_type.clone())
            .set_metadata(Self::metadata(opts))
            .set_storage_class(self.storage_class.clone())
            .send()
            .await
            .map_err(map_err)?
            .upload_id
            .ok_or_else(|| StorageError::Backend("CreateMultipartUpload returned no upload id".into()))
    }

    /// Sends one part of `len` bytes; returns the backend's ETag for it and the MD5 it reports.
    async fn send_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: i32,
        body: SdkByteStream,
        len: u64,
    ) -> Result<BackendPart, StorageError> {
        let out = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(part_number)
            .content_length(len as i64)
            .body(body)
            .send()
            .await
            .map_err(map_err)?;
        let md5 =
            self.reported_md5(out.e_tag.as_deref(), out.server_side_encryption.as_ref(), out.sse_customer_algorithm());
        Ok(BackendPart { part_number, etag: out.e_tag.unwrap_or_default(), md5 })
    }

    /// Sends a buffered part.
    async fn send_chunks(
        &self,
        key: &str,
        upload_id: &str,
        part_number: i32,
        chunks: Vec<Bytes>,
    ) -> Result<BackendPart, StorageError> {
        let (body, len) = chunks_body(chunks);
        self.send_part(key, upload_id, part_number, body, len).await
    }

    /// A body of unknown length as a multipart upload of buffered parts, `first` being the
    /// first. One part buffer is the upload's own; more come from the overlap budget (shared by
    /// all uploads) when it has room. With a second buffer the next part is read while the last
    /// is sent, and sent as soon as it is read, beside the last, so the backend works on two
    /// parts at once. Without one the upload waits for its oldest part to be sent.
    async fn put_multipart(
        &self,
        key: &str,
        first: Vec<Bytes>,
        mut body: ByteStream,
        opts: &PutOptions,
    ) -> Result<PutReceipt, StorageError> {
        let upload_id = self.start_multipart(key, opts).await?;
        let result = async {
            let mut parts = Vec::new();
            let mut sending = FuturesOrdered::new();
            let mut total: u64 = first.iter().map(|c| c.len() as u64).sum();
            let (mut part, mut permit, mut ended) = (first, None, false);
            loop {
                let send = self.send_chunks(key, &upload_id, parts.len() as i32 + sending.len() as i32 + 1, part);
                let buffer = permit.take();
                sending.push_back(async move {
                    let sent = send.await;
                    drop(buffer);
                    sent
                });
                if ended {
                    break;
                }
                // A buffer for the next part: the upload's own when no part is held, else one
                // from the budget; without one, the oldest part must be sent first.
                permit = loop {
                    if sending.is_empty() {
                        break None;
                    }
                    if let Ok(buffer) = self.overlap.clone().try_acquire_many_owned(kib(self.part_size)) {
                        break Some(buffer);
                    }
                    if let Some(sent) = sending.next().await {
                        parts.push(sent?);
                    }
                };
                // Read it while the parts held are sent.
                let (next, len, end) = {
                    let read = fill(&mut body, self.part_size);
                    tokio::pin!(read);
                    loop {
                        tokio::select! {
                            read = &mut read => break read?,
                            Some(sent) = sending.next() => parts.push(sent?),
                        }
                    }
                };
                if len == 0 {
                    break;
                }
                total += len;
                part = next;
                ended = end;
            }
            while let Some(sent) = sending.next().await {
                parts.push(sent?);
            }
            self.finish_multipart(key, &upload_id, parts, total).await
        }
        .await;
        if result.is_err() {
            let _ = self.abort_upload(key, &upload_id).await;
        }
        result
    }
}

fn longer_than_announced() -> StorageError {
    StorageError::Body(io::Error::new(io::ErrorKind::InvalidData, "body longer than announced"))
}

#[async_trait]
impl StorageBackend for S3Backend {
    fn kind(&self) -> &'static str {
        "s3"
    }

    async fn check(&self) -> Result<(), StorageError> {
        self.client.head_bucket().bucket(&self.bucket).send().await.map_err(|e| match map_err(e) {
            StorageError::NotFound => StorageError::Unavailable(format!("bucket {} does not exist", self.bucket)),
            StorageError::Backend(m) => StorageError::Unavailable(m),
            other => other,
        })?;
        Ok(())
    }

    /// A single PUT's ETag is the MD5 of its body, and so is a part's (on MinIO and AWS
    /// without SSE-KMS/SSE-C); a larger body goes up in parts, whose MD5s make its ETag.
    fn reports(&self, len: Option<u64>) -> Reported {
        match len {
            _ if !self.etags_are_md5.load(Ordering::Relaxed) => Reported::Nothing,
            Some(len) if len <= self.multipart_threshold => Reported::Md5,
            _ => Reported::MultipartEtag,
        }
    }

    async fn put(&self, key: &BackingKey, mut body: ByteStream, opts: PutOptions) -> Result<PutReceipt, StorageError> {
        let key = self.full_key(key)?;
        match opts.content_length {
            Some(len) if len > self.multipart_threshold => self.put_multipart_streamed(&key, body, len, &opts).await,
            Some(0) => {
                let body = read_empty(body).await?;
                self.put_single(&key, body, 0, &opts).await
            }
            Some(len) => self.put_single(&key, sized_body(body, len), len, &opts).await,
            None => {
                let (first, len, ended) = fill(&mut body, self.part_size).await?;
                if ended {
                    let (body, len) = chunks_body(first);
                    self.put_single(&key, body, len, &opts).await
                } else {
                    debug_assert!(len >= self.part_size);
                    self.put_multipart(&key, first, body, &opts).await
                }
            }
        }
    }

    async fn get(&self, key: &BackingKey, range: Option<ByteRange>) -> Result<ByteStream, StorageError> {
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(self.full_key(key)?)
            .set_range(range.map(|r| format!("bytes={}-{}", r.start, r.end_inclusive)))
            .send()
            .await
            .map_err(map_err)?;
        Ok(sdk_stream_to_ours(out.body))
    }

    async fn head(&self, key: &BackingKey) -> Result<BackingObjectInfo, StorageError> {
        let out =
            self.client.head_object().bucket(&self.bucket).key(self.full_key(key)?).send().await.map_err(map_err)?;
        Ok(BackingObjectInfo { size: out.content_length.unwrap_or(0).max(0) as u64 })
    }

    async fn delete(&self, key: &BackingKey) -> Result<(), StorageError> {
        match self.client.delete_object().bucket(&self.bucket).key(self.full_key(key)?).send().await {
            Ok(_) => Ok(()),
            Err(e) => match map_err(e) {
                StorageError::NotFound => Ok(()),
                other => Err(other),
            },
        }
    }

    async fn create_multipart(&self, key: &BackingKey, opts: PutOptions) -> Result<String, StorageError> {
        self.start_multipart(&self.full_key(key)?, &opts).await
    }

    async fn upload_part(
        &self,
        key: &BackingKey,
        upload_id: &str,
        part_number: i32,
        body: ByteStream,
        content_length: u64,
    ) -> Result<BackendPart, StorageError> {
        let body = if content_length == 0 { read_empty(body).await? } else { sized_body(body, content_length) };
        self.send_part(&self.full_key(key)?, upload_id, part_number, body, content_length).await
    }

    async fn complete_multipart(
        &self,
        key: &BackingKey,
        upload_id: &str,
        parts: Vec<BackendPart>,
    ) -> Result<(), StorageError> {
        self.complete_upload(&self.full_key(key)?, upload_id, parts).await.map(drop)
    }

    async fn abort_multipart(&self, key: &BackingKey, upload_id: &str) -> Result<(), StorageError> {
        self.abort_upload(&self.full_key(key)?, upload_id).await
    }

    async fn presign_get(
        &self,
        key: &BackingKey,
        expires_in: Duration,
        overrides: &PresignOverrides,
    ) -> Result<Option<Url>, StorageError> {
        let config = PresigningConfig::expires_in(expires_in).map_err(|e| StorageError::Backend(e.to_string()))?;
        let req = self
            .presign_client
            .get_object()
            .bucket(&self.bucket)
            .key(self.full_key(key)?)
            .set_response_content_disposition(overrides.content_disposition.clone())
            .set_response_content_type(overrides.content_type.clone())
            .presigned(config)
            .await
            .map_err(map_err)?;
        Url::parse(req.uri()).map(Some).map_err(|e| StorageError::Backend(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(endpoint: &str, presign: Option<&str>) -> S3TierSettings {
        S3TierSettings {
            endpoint: Some(Url::parse(endpoint).unwrap()),
            presign_endpoint: presign.map(|p| Url::parse(p).unwrap()),
            region: "us-east-1".into(),
            bucket: "hot".into(),
            prefix: String::new(),
            path_style: true,
            access_key_id: Some("id".into()),
            secret_access_key: Some("secret".into()),
            backend_storage_class: None,
            part_size: 8 * 1024 * 1024,
            multipart_threshold: 5 * 1024 * 1024 * 1024,
            overlap_bytes: 16 * 1024 * 1024,
            create_bucket: false,
        }
    }

    #[test]
    fn a_full_backend_is_unavailable_not_broken() {
        use aws_sdk_s3::operation::put_object::PutObjectError;
        use aws_smithy_runtime_api::http::{Response, StatusCode};
        use aws_smithy_types::body::SdkBody;
        use aws_smithy_types::error::ErrorMetadata;
        let answer = |code: &str, status: u16| {
            let err = PutObjectError::generic(ErrorMetadata::builder().code(code).message("from the backend").build());
            map_err(SdkError::service_error(
                err,
                Response::new(StatusCode::try_from(status).unwrap(), SdkBody::empty()),
            ))
        };
        assert!(matches!(answer("XMinioStorageFull", 507), StorageError::Unavailable(_)));
        assert!(matches!(answer("SlowDown", 503), StorageError::Unavailable(_)));
        assert!(matches!(answer("NoSuchKey", 404), StorageError::NotFound));
        assert!(matches!(answer("AccessDenied", 403), StorageError::Backend(_)));
        // No body, so no code (a HEAD): the status speaks.
        let bare = |status: u16| {
            let err = PutObjectError::generic(ErrorMetadata::builder().build());
            map_err(SdkError::service_error(
                err,
                Response::new(StatusCode::try_from(status).unwrap(), SdkBody::empty()),
            ))
        };
        assert!(matches!(bare(403), StorageError::Backend(m) if m.starts_with("HTTP 403: access denied")));
        assert!(matches!(bare(503), StorageError::Unavailable(m) if m.starts_with("HTTP 503")));
        assert!(matches!(bare(404), StorageError::NotFound));
    }

    #[test]
    fn only_plain_md5_etags_are_reported_as_md5s() {
        assert_eq!(
            etag_md5(Some("\"9E107D9D372BB6826BD81D3542A419D6\"")).as_deref(),
            Some("9e107d9d372bb6826bd81d3542a419d6")
        );
        assert_eq!(etag_md5(Some("\"9e107d9d372bb6826bd81d3542a419d6-3\"")), None);
        assert_eq!(etag_md5(Some("not-an-md5")), None);
        assert_eq!(etag_md5(None), None);
        let receipt = PutReceipt { size: 1, md5: Some("aa".repeat(16)), multipart_etag: None };
        assert!(receipt.contradicts(&"bb".repeat(16)));
        assert!(!receipt.contradicts(&"aa".repeat(16)));
        assert!(!PutReceipt { size: 1, md5: None, multipart_etag: None }.contradicts(&"bb".repeat(16)));
    }

    #[tokio::test]
    async fn presigned_urls_name_the_endpoint_clients_use() {
        let key = BackingKey::from_catalog("user-1/v-a.txt".into());
        let inside = S3Backend::open(&settings("http://minio:9000", None)).await.unwrap();
        let url =
            inside.presign_get(&key, Duration::from_secs(60), &PresignOverrides::default()).await.unwrap().unwrap();
        assert_eq!(url.host_str(), Some("minio"));
        let outside = S3Backend::open(&settings("http://minio:9000", Some("https://files.example.com"))).await.unwrap();
        let url =
            outside.presign_get(&key, Duration::from_secs(60), &PresignOverrides::default()).await.unwrap().unwrap();
        assert_eq!(url.host_str(), Some("files.example.com"));
        assert!(url.path().ends_with("/hot/user-1/v-a.txt"), "{url}");
        assert!(url.query().unwrap().contains("X-Amz-Signature="));
    }
}
