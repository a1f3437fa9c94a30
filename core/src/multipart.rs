//! Multipart uploads through the one write path: the parts go to a backend multipart upload
//! under the upload's backing key; completing it commits the catalog row like any write.

use std::collections::BTreeMap;
use std::time::Duration;

use md5::{Digest, Md5};

use crate::catalog::{
    now_ms, Bucket, CatalogError, CatalogObject, MultipartPart, MultipartUpload, NewMultipartUpload, NewObjectRow,
    WriteCondition,
};
use crate::catalog::{Commit, QuotaCheck};
use crate::checksum::{ChecksumAlgorithm, UploadChecksum};
use crate::domain::{BackingKey, ObjectKey, UserId, VersionId};
use crate::objects::{agreed_md5, backing_metadata, BodyCheck, Meter, WriteError};
use crate::storage::{BackendPart, ByteStream, PutOptions, Reported, StorageError};
use crate::Core;

/// The smallest part S3 accepts, except for the last one.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// The most parts one upload may have.
pub const MAX_PARTS: i32 = 10_000;
/// Where a multipart object records its part sizes (comma-separated, in order).
pub const PART_SIZES: &str = "part_sizes";
/// Where a multipart object records the upload that made it.
pub const UPLOAD_ID: &str = "multipart_upload_id";
/// Where a multipart object with an additional checksum records its type (`COMPOSITE`…).
pub const CHECKSUM_TYPE: &str = "checksum_type";
/// Where it records its parts' checksums (base64, comma-separated, in order).
pub const PART_CHECKSUMS: &str = "part_checksums";

/// A part as CompleteMultipartUpload names it: number, ETag, and any checksums the client
/// lists for it, by algorithm key.
#[derive(Debug, Clone, Default)]
pub struct RequestedPart {
    pub number: i32,
    pub etag: String,
    pub checksums: BTreeMap<String, String>,
}

/// The part sizes of a multipart object; a single-part object is one part.
pub fn part_sizes(object: &crate::catalog::CatalogObject) -> Vec<u64> {
    match object.checksums.get(PART_SIZES) {
        Some(sizes) => sizes.split(',').filter_map(|s| s.parse().ok()).collect(),
        None => vec![object.size],
    }
}

/// The additional checksum of part `n` (1-based) of a multipart object, recorded as an
/// object's are (algorithm key and type); empty when the object has none.
pub fn part_checksums(object: &CatalogObject, n: i32) -> BTreeMap<String, String> {
    let (Some(kind), Some(parts)) = (object.checksums.get(CHECKSUM_TYPE), object.checksums.get(PART_CHECKSUMS)) else {
        return BTreeMap::new();
    };
    let algorithm = ChecksumAlgorithm::ALL.into_iter().find(|a| object.checksums.contains_key(a.key()));
    let part = usize::try_from(n - 1).ok().and_then(|i| parts.split(',').nth(i));
    match (algorithm, part) {
        (Some(a), Some(sum)) => {
            BTreeMap::from([(a.key().to_string(), sum.to_string()), (CHECKSUM_TYPE.to_string(), kind.clone())])
        }
        _ => BTreeMap::new(),
    }
}

/// Whether `claimed` is the object checksum `actual`; a composite one may be given without
/// its `-N` suffix.
fn same_checksum(claimed: &str, actual: &str) -> bool {
    let claimed = claimed.trim();
    claimed == actual || actual.rsplit_once('-').is_some_and(|(sum, _)| sum == claimed)
}

fn storage(e: StorageError) -> WriteError {
    match e {
        StorageError::Body(e) => WriteError::Body(e),
        other => WriteError::Storage(other),
    }
}

/// The S3 ETag of a multipart object: the MD5 of the parts' MD5s, then `-` and the count.
pub fn multipart_etag(part_md5s_hex: &[&str]) -> String {
    let mut md5 = Md5::new();
    for hex_md5 in part_md5s_hex {
        md5.update(hex::decode(hex_md5).unwrap_or_default());
    }
    format!("{}-{}", hex::encode(md5.finalize()), part_md5s_hex.len())
}

fn unquote(etag: &str) -> &str {
    etag.trim().trim_start_matches("W/").trim_matches('"')
}

/// The object's additional checksum from its parts, checked against the one the client
/// sent; recorded with the parts' own so that a part can be answered with its checksum.
fn object_checksum(
    upload: &MultipartUpload,
    chosen: &[&MultipartPart],
    expected: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, WriteError> {
    let Some(checksum) = upload.checksum else {
        return match expected.keys().next() {
            Some(key) => Err(WriteError::InvalidChecksum(format!(
                "the upload was created without a checksum algorithm, so its {key} checksum cannot be checked"
            ))),
            None => Ok(BTreeMap::new()),
        };
    };
    let key = checksum.algorithm.key();
    let mut listed = Vec::with_capacity(chosen.len());
    for part in chosen {
        let sum = part.checksums.get(key).ok_or(WriteError::InvalidPart(part.part_number))?;
        listed.push((sum.as_str(), part.size));
    }
    let whole = checksum.combine(&listed).map_err(|e| WriteError::InvalidChecksum(e.to_string()))?;
    for (claimed_key, claimed) in expected {
        if claimed_key != key {
            return Err(WriteError::InvalidChecksum(format!(
                "the upload was created with the {} checksum algorithm, not {claimed_key}",
                checksum.algorithm.as_str()
            )));
        }
        if !same_checksum(claimed, &whole) {
            return Err(WriteError::BadChecksum { algorithm: checksum.algorithm.as_str().to_string() });
        }
    }
    Ok(BTreeMap::from([
        (key.to_string(), whole),
        (CHECKSUM_TYPE.to_string(), checksum.kind.as_str().to_string()),
        (PART_CHECKSUMS.to_string(), listed.iter().map(|(sum, _)| *sum).collect::<Vec<_>>().join(",")),
    ]))
}

/// What the object of a new multipart upload gets besides its bytes.
#[derive(Debug, Clone, Default)]
pub struct UploadOptions {
    pub content_type: Option<String>,
    pub user_metadata: BTreeMap<String, String>,
    pub headers: BTreeMap<String, String>,
    pub checksum: Option<UploadChecksum>,
    /// The object's tags (`x-amz-tagging` on CreateMultipartUpload), applied on completion.
    pub tags: crate::tagging::TagSet,
}

impl Core {
    /// Starts a multipart upload of `key` in the owner's bucket.
    pub async fn create_multipart(
        &self,
        owner: UserId,
        bucket: &Bucket,
        key: &ObjectKey,
        options: UploadOptions,
    ) -> Result<MultipartUpload, WriteError> {
        let UploadOptions { content_type, user_metadata, headers, checksum, tags } = options;
        // An upload whose object would pass the owner's object quota is refused at once rather
        // than when it completes (which checks again).
        if let Some(quota) = self.quota_of(owner).await? {
            if quota.objects.is_some() && self.catalog.object(owner, bucket.id, key.as_str()).await?.is_none() {
                self.catalog.check_quota(owner, &quota, 0, 1).await?;
            }
        }
        let version = VersionId::generate();
        let backing = BackingKey::for_write(owner, &version, key);
        let opts = PutOptions {
            content_type: content_type.clone(),
            metadata: backing_metadata(owner, &bucket.name, key.as_str()),
            content_length: None,
        };
        let backend_upload_id = self.hot.backend.create_multipart(&backing, opts).await.map_err(storage)?;
        let new = NewMultipartUpload {
            upload_id: uuid::Uuid::now_v7().simple().to_string(),
            owner,
            bucket_id: bucket.id,
            key: key.as_str().to_string(),
            version_id: version,
            backing_key: backing.clone(),
            backend_upload_id: backend_upload_id.clone(),
            content_type,
            user_metadata,
            headers,
            checksum,
            tags,
        };
        match self.catalog.create_multipart_upload(&new).await {
            Ok(upload) => Ok(upload),
            Err(e) => {
                let _ = self.hot.backend.abort_multipart(&backing, &backend_upload_id).await;
                Err(e.into())
            }
        }
    }

    /// Stores one part; a part of the same number uploaded before is replaced.
    pub async fn upload_part(
        &self,
        upload: &MultipartUpload,
        part_number: i32,
        body: ByteStream,
        content_length: u64,
        expected_md5: Option<[u8; 16]>,
        check: Option<BodyCheck>,
    ) -> Result<MultipartPart, WriteError> {
        // Hashed here only when the backend does not report the part's MD5 (its ETag).
        let hold = match self.quota_of(upload.owner).await? {
            Some(quota) => Some(self.catalog.reserve_quota(upload.owner, &quota, content_length, 0).await?),
            None => None,
        };
        let (metered, meter) = if self.hot.backend.reports(Some(content_length)) != Reported::Nothing {
            Meter::counting(body, None)
        } else {
            Meter::hashing(body, None)
        };
        let stored = self
            .hot
            .backend
            .upload_part(&upload.backing_key, &upload.backend_upload_id, part_number, metered, content_length)
            .await;
        let measured = meter.finish().await;
        // The backend's upload gone: aborted or completed meanwhile.
        let stored = stored.map_err(|e| match e {
            StorageError::NotFound => WriteError::NoSuchUpload,
            e => storage(e),
        })?;
        let size = measured.bytes;
        if !measured.ended || size != content_length {
            return Err(WriteError::IncompleteBody { announced: content_length, got: size });
        }
        let Some(md5) = agreed_md5(measured.md5, stored.md5.clone(), &format!("part {part_number}"))? else {
            return Err(storage(StorageError::Backend(format!(
                "the hot tier reported no MD5 of part {part_number}; send it again"
            ))));
        };
        // A part that fails its checks is simply not recorded: completing the upload names
        // parts by the ETags we answered, so the backend's copy of it is never used.
        if expected_md5.is_some_and(|expected| hex::encode(expected) != md5) {
            return Err(WriteError::BadDigest);
        }
        let checksums = check.map(|check| check()).transpose()?.unwrap_or_default();
        let part =
            MultipartPart { part_number, size, etag: md5, backend_etag: stored.etag, checksums, created_at: now_ms() };
        let recorded = self.catalog.put_multipart_part(upload, &part).await.map_err(|e| match e {
            CatalogError::Gone => WriteError::NoSuchUpload,
            e => e.into(),
        });
        // The part's row counts its bytes now (never more than were reserved).
        if let Some(hold) = hold {
            hold.release().await;
        }
        recorded.map(|()| part)
    }

    /// Completes an upload from the parts the client names, in order. `expected` holds the
    /// object checksums the client sent (by algorithm key), checked before anything commits.
    pub async fn complete_multipart(
        &self,
        upload: &MultipartUpload,
        requested: &[RequestedPart],
        expected: &BTreeMap<String, String>,
        condition: &WriteCondition,
    ) -> Result<CatalogObject, WriteError> {
        if requested.is_empty() {
            return Err(WriteError::InvalidPart(0));
        }
        let stored: BTreeMap<i32, MultipartPart> = self
            .catalog
            .multipart_parts(&upload.upload_id, 0, i64::from(MAX_PARTS))
            .await?
            .into_iter()
            .map(|p| (p.part_number, p))
            .collect();
        // Part numbers ascend; a part listed again right after itself (a client that re-sent
        // it) counts once, as the last entry gives it.
        let mut named: Vec<&RequestedPart> = Vec::with_capacity(requested.len());
        for part in requested {
            match named.last_mut() {
                Some(last) if last.number == part.number => *last = part,
                Some(last) if last.number > part.number => return Err(WriteError::InvalidPartOrder),
                _ => named.push(part),
            }
        }
        let mut chosen = Vec::with_capacity(named.len());
        for wanted in named {
            // A checksum the client lists for a part must be the one the part was stored with.
            let part = stored
                .get(&wanted.number)
                .filter(|p| p.etag == unquote(&wanted.etag))
                .filter(|p| {
                    wanted.checksums.iter().all(|(k, v)| p.checksums.get(k).map(String::as_str) == Some(v.trim()))
                })
                .ok_or(WriteError::InvalidPart(wanted.number))?;
            chosen.push(part);
        }
        if let Some(small) = chosen[..chosen.len() - 1].iter().find(|p| p.size < MIN_PART_SIZE) {
            return Err(WriteError::EntityTooSmall(small.part_number));
        }
        let mut checksums = object_checksum(upload, &chosen, expected)?;
        // Checked before the backend completes (which cannot be undone): the object it makes
        // counts one more (its bytes are counted already, as parts). The commit checks again.
        let quota = self.quota_of(upload.owner).await?;
        if let Some(quota) = &quota {
            if self.catalog.object(upload.owner, upload.bucket_id, &upload.key).await?.is_none() {
                self.catalog.check_quota(upload.owner, quota, 0, 1).await?;
            }
        }
        let parts: Vec<BackendPart> = chosen
            .iter()
            .map(|p| BackendPart { part_number: p.part_number, etag: p.backend_etag.clone(), md5: None })
            .collect();
        self.hot
            .backend
            .complete_multipart(&upload.backing_key, &upload.backend_upload_id, parts)
            .await
            .map_err(storage)?;
        let md5s: Vec<&str> = chosen.iter().map(|p| p.etag.as_str()).collect();
        // Kept so GET ?partNumber= can find a part, and a repeated Complete be recognised.
        checksums
            .insert(PART_SIZES.to_string(), chosen.iter().map(|p| p.size.to_string()).collect::<Vec<_>>().join(","));
        checksums.insert(UPLOAD_ID.to_string(), upload.upload_id.clone());
        let row = NewObjectRow {
            owner: upload.owner,
            bucket_id: upload.bucket_id,
            key: upload.key.clone(),
            version_id: upload.version_id.clone(),
            size: chosen.iter().map(|p| p.size).sum(),
            etag: multipart_etag(&md5s),
            content_type: upload.content_type.clone(),
            user_metadata: upload.user_metadata.clone(),
            headers: upload.headers.clone(),
            checksums,
            original_filename: None,
            tags: upload.tags.clone(),
            hot_key: upload.backing_key.clone(),
        };
        // The upload's rows go in the commit's transaction, so its parts stop counting against
        // the quota as the object starts to.
        let commit = Commit {
            condition,
            quota: quota.map(|quota| QuotaCheck { quota, reserved: (0, 0) }),
            completes_upload: Some(&upload.upload_id),
            gc_grace: self.settings.gc.grace,
        };
        match self.catalog.commit_object(&row, &commit).await {
            Ok(object) => Ok(object),
            Err(CatalogError::NoSuchUpload) => {
                // Completed by a concurrent request (the bytes are that object's now), or
                // aborted.
                match self.catalog.object(upload.owner, upload.bucket_id, &upload.key).await? {
                    Some(object) if object.checksums.get(UPLOAD_ID) == Some(&upload.upload_id) => Ok(object),
                    _ => Err(WriteError::NoSuchUpload),
                }
            }
            Err(e) => {
                self.discard(&upload.backing_key).await;
                // The backend upload is complete and its bytes discarded: the upload is over.
                self.catalog.delete_multipart_upload(&upload.upload_id).await?;
                Err(match e {
                    // The condition held when the completion began, and another write got in
                    // first (AWS: 409, "re-initiate the multipart upload").
                    CatalogError::PreconditionFailed { .. } => WriteError::ConditionalRequestConflict,
                    e => e.into(),
                })
            }
        }
    }

    /// Aborts an upload: the backend drops its parts and the catalog forgets it.
    pub async fn abort_multipart(&self, upload: &MultipartUpload) -> Result<(), WriteError> {
        self.hot.backend.abort_multipart(&upload.backing_key, &upload.backend_upload_id).await.map_err(storage)?;
        self.catalog.delete_multipart_upload(&upload.upload_id).await?;
        Ok(())
    }

    /// Aborts uploads older than `max_age`; returns how many.
    pub async fn expire_multipart_uploads(&self, max_age: Duration) -> Result<usize, WriteError> {
        let before = now_ms() - crate::catalog::ms(max_age);
        let stale = self.catalog.stale_multipart_uploads(before, 100).await?;
        let mut n = 0;
        for upload in stale {
            match self.abort_multipart(&upload).await {
                Ok(()) => n += 1,
                Err(e) => {
                    tracing::warn!(upload_id = %upload.upload_id, error = %e, "could not expire a multipart upload")
                }
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_etags_are_the_md5_of_the_md5s() {
        // Two parts "a" and "b": md5(md5("a") ++ md5("b")).
        let a = hex::encode(Md5::digest(b"a"));
        let b = hex::encode(Md5::digest(b"b"));
        let mut both = Md5::digest(b"a").to_vec();
        both.extend_from_slice(&Md5::digest(b"b"));
        assert_eq!(multipart_etag(&[&a, &b]), format!("{}-2", hex::encode(Md5::digest(&both))));
    }
}
