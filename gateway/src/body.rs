//! Bodies between s3s and the core: both sides stream, neither holds an object in memory.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::{Stream, StreamExt, TryStreamExt};
use s3s::dto::StreamingBlob;
use tiergate_core::storage::ByteStream;

/// A request body as the core's byte stream; s3s's own errors (a chunk signature that does
/// not verify) travel inside the `io::Error` so they can be reported by their S3 code.
pub fn from_blob(blob: Option<StreamingBlob>) -> ByteStream {
    match blob {
        Some(blob) => Box::pin(blob.map_err(io::Error::other)),
        None => Box::pin(futures::stream::empty()),
    }
}

/// A core byte stream as a response body. s3s asks for `Sync`; `SyncWrapper` gives it, since
/// the stream is only ever polled through `&mut`.
pub fn to_blob(stream: ByteStream) -> StreamingBlob {
    StreamingBlob::wrap(SyncStream(sync_wrapper::SyncWrapper::new(stream.fuse())))
}

struct SyncStream(sync_wrapper::SyncWrapper<futures::stream::Fuse<ByteStream>>);

impl Stream for SyncStream {
    type Item = Result<Bytes, io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(self.0.get_mut()).poll_next(cx)
    }
}
