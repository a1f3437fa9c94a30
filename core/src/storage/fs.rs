//! The `fs` plugin: a tier in a local folder. Keys never escape the root; writes go to a
//! temporary file that is renamed into place once complete, so a reader sees whole objects only.

use std::io::{self, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use futures::StreamExt;
use md5::{Digest, Md5};
use tokio::fs;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio_util::io::ReaderStream;
use url::Url;

use super::{
    validate_key, BackendPart, BackingObjectInfo, ByteRange, ByteStream, PresignOverrides, PutOptions, PutReceipt,
    Reported, StorageBackend, StorageError,
};
use crate::domain::BackingKey;

const TMP_DIR: &str = ".tmp";
const MULTIPART_DIR: &str = ".multipart";
const META_SUFFIX: &str = ".meta.json";
const READ_CHUNK: usize = 256 * 1024;
/// Temporary files older than this are left-overs of a crash and are swept at start-up.
const STALE_TMP_AGE: Duration = Duration::from_secs(3600);

/// A tier in a local folder.
#[derive(Debug)]
pub struct FsBackend {
    root: PathBuf,
}

fn io_err(e: io::Error) -> StorageError {
    match e.kind() {
        io::ErrorKind::NotFound => StorageError::NotFound,
        // A full disk is a tier that cannot take writes now, as MinIO's storage-full answer is.
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
            StorageError::Unavailable(format!("out of space: {e}"))
        }
        _ => StorageError::Backend(e.to_string()),
    }
}

impl FsBackend {
    /// Opens (creating if needed) the folder, and sweeps temporary files left by a crash.
    pub async fn open(root: &Path) -> Result<Self, StorageError> {
        fs::create_dir_all(root.join(TMP_DIR))
            .await
            .map_err(|e| StorageError::Unavailable(format!("cannot create {}: {e}", root.display())))?;
        fs::create_dir_all(root.join(MULTIPART_DIR)).await.map_err(io_err)?;
        let backend = Self { root: root.to_path_buf() };
        backend.sweep_stale_tmp().await;
        Ok(backend)
    }

    async fn sweep_stale_tmp(&self) {
        let Ok(mut dir) = fs::read_dir(self.root.join(TMP_DIR)).await else { return };
        while let Ok(Some(entry)) = dir.next_entry().await {
            let stale = entry
                .metadata()
                .await
                .ok()
                .and_then(|m| m.modified().ok())
                .and_then(|t| SystemTime::now().duration_since(t).ok())
                .is_some_and(|age| age > STALE_TMP_AGE);
            if stale {
                let _ = fs::remove_file(entry.path()).await;
            }
        }
    }

    fn path_of(&self, key: &BackingKey) -> Result<PathBuf, StorageError> {
        validate_key(key.as_str())?;
        if key.as_str().starts_with('.') {
            return Err(StorageError::InvalidKey(key.to_string()));
        }
        Ok(self.root.join(key.as_str()))
    }

    fn meta_path(path: &Path) -> PathBuf {
        let mut os = path.as_os_str().to_owned();
        os.push(META_SUFFIX);
        PathBuf::from(os)
    }

    fn tmp_path(&self) -> PathBuf {
        self.root.join(TMP_DIR).join(uuid::Uuid::new_v4().simple().to_string())
    }

    fn upload_dir(&self, upload_id: &str) -> Result<PathBuf, StorageError> {
        if upload_id.is_empty() || !upload_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StorageError::NotFound);
        }
        Ok(self.root.join(MULTIPART_DIR).join(upload_id))
    }

    /// Streams `body` into a fresh temporary file, returning its path, length and MD5. The
    /// hashing of one chunk overlaps the write of the one before (tokio writes on a thread of
    /// its own), and it is the only hashing the bytes get: the receipt reports it.
    async fn write_tmp(&self, mut body: ByteStream) -> Result<(PathBuf, u64, [u8; 16]), StorageError> {
        let tmp = self.tmp_path();
        let result = async {
            let mut file = fs::File::create(&tmp).await.map_err(io_err)?;
            let mut md5 = Md5::new();
            let mut len = 0u64;
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(StorageError::Body)?;
                md5.update(&chunk);
                len += chunk.len() as u64;
                file.write_all(&chunk).await.map_err(io_err)?;
            }
            file.sync_all().await.map_err(io_err)?;
            Ok((len, md5.finalize().into()))
        }
        .await;
        match result {
            Ok((len, md5)) => Ok((tmp, len, md5)),
            Err(e) => {
                let _ = fs::remove_file(&tmp).await;
                Err(e)
            }
        }
    }

    async fn place(&self, tmp: &Path, path: &Path, opts: &PutOptions) -> Result<(), StorageError> {
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).await.map_err(io_err)?;
        }
        let meta = serde_json::json!({
            "content_type": opts.content_type,
            "metadata": opts.metadata.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
        });
        let meta_tmp = self.tmp_path();
        fs::write(&meta_tmp, meta.to_string()).await.map_err(io_err)?;
        fs::rename(&meta_tmp, Self::meta_path(path)).await.map_err(io_err)?;
        fs::rename(tmp, path).await.map_err(io_err)
    }
}

#[async_trait]
impl StorageBackend for FsBackend {
    fn kind(&self) -> &'static str {
        "fs"
    }

    /// Everything written is hashed on its way to the file.
    fn reports(&self, _len: Option<u64>) -> Reported {
        Reported::Md5
    }

    async fn check(&self) -> Result<(), StorageError> {
        let probe = self.tmp_path();
        fs::write(&probe, b"ok")
            .await
            .map_err(|e| StorageError::Unavailable(format!("{} is not writable: {e}", self.root.display())))?;
        let _ = fs::remove_file(&probe).await;
        Ok(())
    }

    async fn put(&self, key: &BackingKey, body: ByteStream, opts: PutOptions) -> Result<PutReceipt, StorageError> {
        let path = self.path_of(key)?;
        let (tmp, len, md5) = self.write_tmp(body).await?;
        if let Some(expected) = opts.content_length {
            if expected != len {
                let _ = fs::remove_file(&tmp).await;
                return Err(StorageError::Body(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("body has {len} bytes, {expected} were announced"),
                )));
            }
        }
        if let Err(e) = self.place(&tmp, &path, &opts).await {
            let _ = fs::remove_file(&tmp).await;
            return Err(e);
        }
        Ok(PutReceipt { size: len, md5: Some(hex::encode(md5)), multipart_etag: None })
    }

    async fn get(&self, key: &BackingKey, range: Option<ByteRange>) -> Result<ByteStream, StorageError> {
        let path = self.path_of(key)?;
        let mut file = fs::File::open(&path).await.map_err(io_err)?;
        match range {
            None => Ok(Box::pin(ReaderStream::with_capacity(file, READ_CHUNK))),
            Some(r) => {
                file.seek(SeekFrom::Start(r.start)).await.map_err(io_err)?;
                Ok(Box::pin(ReaderStream::with_capacity(file.take(r.len()), READ_CHUNK)))
            }
        }
    }

    async fn head(&self, key: &BackingKey) -> Result<BackingObjectInfo, StorageError> {
        let meta = fs::metadata(self.path_of(key)?).await.map_err(io_err)?;
        Ok(BackingObjectInfo { size: meta.len() })
    }

    async fn delete(&self, key: &BackingKey) -> Result<(), StorageError> {
        let path = self.path_of(key)?;
        for p in [path.clone(), Self::meta_path(&path)] {
            match fs::remove_file(&p).await {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(e)),
            }
        }
        // Leave no empty per-user folders behind; a folder still in use simply stays.
        if let Some(parent) = path.parent() {
            if parent != self.root {
                let _ = fs::remove_dir(parent).await;
            }
        }
        Ok(())
    }

    async fn create_multipart(&self, key: &BackingKey, opts: PutOptions) -> Result<String, StorageError> {
        self.path_of(key)?;
        let upload_id = uuid::Uuid::new_v4().simple().to_string();
        let dir = self.upload_dir(&upload_id)?;
        fs::create_dir_all(&dir).await.map_err(io_err)?;
        let meta = serde_json::json!({
            "key": key.as_str(),
            "content_type": opts.content_type,
            "metadata": opts.metadata,
        });
        fs::write(dir.join("upload.json"), meta.to_string()).await.map_err(io_err)?;
        Ok(upload_id)
    }

    async fn upload_part(
        &self,
        key: &BackingKey,
        upload_id: &str,
        part_number: i32,
        body: ByteStream,
        content_length: u64,
    ) -> Result<BackendPart, StorageError> {
        self.path_of(key)?;
        let dir = self.upload_dir(upload_id)?;
        if fs::metadata(&dir).await.is_err() {
            return Err(StorageError::NotFound);
        }
        let (tmp, len, md5) = self.write_tmp(body).await?;
        if len != content_length {
            let _ = fs::remove_file(&tmp).await;
            return Err(StorageError::Body(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("part has {len} bytes, {content_length} were announced"),
            )));
        }
        fs::rename(&tmp, dir.join(format!("{part_number:05}"))).await.map_err(io_err)?;
        let md5 = hex::encode(md5);
        Ok(BackendPart { part_number, etag: md5.clone(), md5: Some(md5) })
    }

    async fn complete_multipart(
        &self,
        key: &BackingKey,
        upload_id: &str,
        parts: Vec<BackendPart>,
    ) -> Result<(), StorageError> {
        let path = self.path_of(key)?;
        let dir = self.upload_dir(upload_id)?;
        let meta: serde_json::Value = serde_json::from_slice(&fs::read(dir.join("upload.json")).await.map_err(io_err)?)
            .map_err(|e| StorageError::Backend(e.to_string()))?;
        let tmp = self.tmp_path();
        let result = async {
            let mut out = fs::File::create(&tmp).await.map_err(io_err)?;
            for part in &parts {
                let mut input = fs::File::open(dir.join(format!("{:05}", part.part_number))).await.map_err(io_err)?;
                tokio::io::copy(&mut input, &mut out).await.map_err(io_err)?;
            }
            out.sync_all().await.map_err(io_err)
        }
        .await;
        if let Err(e) = result {
            let _ = fs::remove_file(&tmp).await;
            return Err(e);
        }
        let opts = PutOptions {
            content_type: meta["content_type"].as_str().map(str::to_string),
            metadata: serde_json::from_value(meta["metadata"].clone()).unwrap_or_default(),
            content_length: None,
        };
        self.place(&tmp, &path, &opts).await?;
        let _ = fs::remove_dir_all(&dir).await;
        Ok(())
    }

    async fn abort_multipart(&self, key: &BackingKey, upload_id: &str) -> Result<(), StorageError> {
        self.path_of(key)?;
        match fs::remove_dir_all(self.upload_dir(upload_id)?).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err(e)),
        }
    }

    async fn presign_get(
        &self,
        _: &BackingKey,
        _: Duration,
        _: &PresignOverrides,
    ) -> Result<Option<Url>, StorageError> {
        // A folder has no URLs of its own; the control plane signs links it serves itself.
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn body(chunks: &[&'static [u8]]) -> ByteStream {
        let items: Vec<Result<Bytes, io::Error>> = chunks.iter().map(|c| Ok(Bytes::from_static(c))).collect();
        Box::pin(futures::stream::iter(items))
    }

    async fn read_all(mut s: ByteStream) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(c) = s.next().await {
            out.extend_from_slice(&c.unwrap());
        }
        out
    }

    #[test]
    fn a_full_disk_is_unavailable_not_broken() {
        assert!(matches!(io_err(io::ErrorKind::StorageFull.into()), StorageError::Unavailable(_)));
        assert!(matches!(io_err(io::ErrorKind::QuotaExceeded.into()), StorageError::Unavailable(_)));
        assert!(matches!(io_err(io::ErrorKind::NotFound.into()), StorageError::NotFound));
        assert!(matches!(io_err(io::ErrorKind::PermissionDenied.into()), StorageError::Backend(_)));
    }

    #[tokio::test]
    async fn put_get_range_delete() {
        let dir = tempfile::tempdir().unwrap();
        let fs = FsBackend::open(dir.path()).await.unwrap();
        let key = BackingKey::from_catalog("user-1/v1-hello.txt".into());
        assert_eq!(fs.put(&key, body(&[b"hello ", b"world"]), PutOptions::default()).await.unwrap().size, 11);
        assert_eq!(read_all(fs.get(&key, None).await.unwrap()).await, b"hello world");
        let r = ByteRange { start: 6, end_inclusive: 10 };
        assert_eq!(read_all(fs.get(&key, Some(r)).await.unwrap()).await, b"world");
        assert_eq!(fs.head(&key).await.unwrap().size, 11);
        fs.delete(&key).await.unwrap();
        fs.delete(&key).await.unwrap();
        assert!(matches!(fs.get(&key, None).await, Err(StorageError::NotFound)));
    }

    #[tokio::test]
    async fn keys_cannot_escape_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let fs = FsBackend::open(&dir.path().join("tier")).await.unwrap();
        for bad in ["../x", "a/../../x", "/etc/passwd", "a//b", ".tmp/x", "a/./b", "a\\b"] {
            let key = BackingKey::from_catalog(bad.into());
            let r = fs.put(&key, body(&[b"x"]), PutOptions::default()).await;
            assert!(matches!(r, Err(StorageError::InvalidKey(_))), "{bad}");
        }
        assert!(!dir.path().join("x").exists());
    }

    #[tokio::test]
    async fn failed_body_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let fs = FsBackend::open(dir.path()).await.unwrap();
        let key = BackingKey::from_catalog("user-1/v1-x".into());
        let items: Vec<Result<Bytes, io::Error>> =
            vec![Ok(Bytes::from_static(b"abc")), Err(io::Error::other("client went away"))];
        let r = fs.put(&key, Box::pin(futures::stream::iter(items)), PutOptions::default()).await;
        assert!(matches!(r, Err(StorageError::Body(_))));
        assert!(matches!(fs.head(&key).await, Err(StorageError::NotFound)));
        assert_eq!(std::fs::read_dir(dir.path().join(TMP_DIR)).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn multipart_concatenates_parts_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let fs = FsBackend::open(dir.path()).await.unwrap();
        let key = BackingKey::from_catalog("user-1/v1-mp".into());
        let id = fs.create_multipart(&key, PutOptions::default()).await.unwrap();
        let p2 = fs.upload_part(&key, &id, 2, body(&[b"world"]), 5).await.unwrap();
        let p1 = fs.upload_part(&key, &id, 1, body(&[b"hello "]), 6).await.unwrap();
        assert_eq!(p1.etag, hex::encode(Md5::digest(b"hello ")));
        fs.complete_multipart(&key, &id, vec![p1, p2]).await.unwrap();
        assert_eq!(read_all(fs.get(&key, None).await.unwrap()).await, b"hello world");
        assert!(matches!(fs.upload_part(&key, &id, 3, body(&[b"x"]), 1).await, Err(StorageError::NotFound)));
    }
}
