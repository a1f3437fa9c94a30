//! Listings, answered from the catalog (never by listing a backend), in S3's order: keys sort
//! by their UTF-8 bytes. ListObjectsV2, ListObjects (v1) and ListObjectVersions share one walk.

use base64::Engine;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use s3s::dto::*;
use s3s::{s3_error, S3Request, S3Response, S3Result};
use tiergate_core::catalog::{Bucket as CatalogBucket, CatalogObject};
use tiergate_core::listing::Listing;

use crate::bucket::owner;
use crate::ctx::ReqCtx;
use crate::error::ResultExt;
use crate::timestamp;

/// S3's answer to `max-keys` above this is this.
const MAX_KEYS: i32 = 1000;

/// What `encoding-type=url` leaves as it is (as S3 does: unreserved characters and `/`).
const URL_ENCODE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~').remove(b'/');

/// The bucket's keys from after `after`, rolled up by `delimiter` (`Core::walk_bucket`).
async fn walk(
    cx: &ReqCtx<'_>,
    bucket: &CatalogBucket,
    prefix: &str,
    delimiter: Option<&str>,
    after: Option<String>,
    max: usize,
) -> S3Result<Listing> {
    cx.core.walk_bucket(cx.user, bucket.id, prefix, delimiter, after, max).await.s3()
}

fn max_keys(requested: Option<i32>) -> S3Result<usize> {
    match requested {
        None => Ok(MAX_KEYS as usize),
        Some(n) if n < 0 => Err(s3_error!(InvalidArgument, "max-keys must not be negative")),
        Some(n) => Ok(n.min(MAX_KEYS) as usize),
    }
}

/// An empty `delimiter=` means no delimiter.
fn delimiter(raw: &Option<String>) -> Option<&str> {
    raw.as_deref().filter(|d| !d.is_empty())
}

/// Applies `encoding-type=url` (the only type S3 defines) to a name in a response, and notes a
/// name sent as it is that XML 1.0 cannot carry (a control character in a key or a prefix).
struct Encoder {
    url: bool,
    unsafe_name: std::cell::Cell<bool>,
}

impl Encoder {
    fn new(encoding: &Option<EncodingType>) -> S3Result<Self> {
        let url = match encoding {
            None => false,
            Some(e) if e.as_str().eq_ignore_ascii_case("url") => true,
            Some(_) => return Err(s3_error!(InvalidArgument, "Invalid Encoding Method specified in Request")),
        };
        Ok(Self { url, unsafe_name: std::cell::Cell::new(false) })
    }

    #[cfg(test)]
    fn url(url: bool) -> Self {
        Self { url, unsafe_name: std::cell::Cell::new(false) }
    }

    fn apply(&self, s: String) -> String {
        if self.url {
            utf8_percent_encode(&s, URL_ENCODE).to_string()
        } else {
            self.raw(s)
        }
    }

    /// A name the response carries as it is, whatever the encoding type.
    fn raw(&self, s: String) -> String {
        if !tiergate_core::domain::xml_safe(&s) {
            self.unsafe_name.set(true);
        }
        s
    }

    /// Refuses a response that would carry a name XML cannot: a clear 400 instead of a broken
    /// document (s3s would answer 500).
    fn check(&self) -> S3Result<()> {
        if self.unsafe_name.get() {
            return Err(s3_error!(
                InvalidArgument,
                "The listing has a key or prefix with characters XML 1.0 cannot carry (control characters); list with encoding-type=url."
            ));
        }
        Ok(())
    }
}

fn object_entry(cx: &ReqCtx<'_>, o: &CatalogObject, enc: &Encoder, owner: Option<Owner>) -> Object {
    Object {
        key: Some(enc.apply(o.key.clone())),
        last_modified: Some(timestamp(o.created_at)),
        e_tag: Some(ETag::Strong(o.etag.clone())),
        size: Some(o.size as i64),
        storage_class: Some(ObjectStorageClass::from(cx.core.tier(o.tier).storage_class.clone())),
        owner,
        ..Default::default()
    }
}

fn prefixes(listing: &Listing, enc: &Encoder) -> Option<Vec<CommonPrefix>> {
    Some(listing.prefixes.iter().map(|p| CommonPrefix { prefix: Some(enc.apply(p.clone())) }).collect())
}

fn encode_token(last: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(last)
}

fn decode_token(token: &str) -> S3Result<String> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| s3_error!(InvalidArgument, "The continuation token provided is incorrect"))
}

pub async fn list_objects_v2(
    cx: &ReqCtx<'_>,
    req: S3Request<ListObjectsV2Input>,
) -> S3Result<S3Response<ListObjectsV2Output>> {
    let input = req.input;
    let bucket = cx.bucket(&input.bucket).await?;
    let enc = Encoder::new(&input.encoding_type)?;
    let prefix = input.prefix.clone().unwrap_or_default();
    let max = max_keys(input.max_keys)?;
    let after = match &input.continuation_token {
        Some(token) => Some(decode_token(token)?),
        None => input.start_after.clone().filter(|s| !s.is_empty()),
    };
    let listing = walk(cx, &bucket, &prefix, delimiter(&input.delimiter), after, max).await?;
    let owner = if input.fetch_owner == Some(true) { Some(owner(cx).await?) } else { None };
    let contents: Vec<Object> = listing.objects.iter().map(|o| object_entry(cx, o, &enc, owner.clone())).collect();
    let key_count = (contents.len() + listing.prefixes.len()) as i32;
    let out = ListObjectsV2Output {
        name: Some(bucket.name.clone()),
        prefix: Some(enc.apply(prefix)),
        delimiter: delimiter(&input.delimiter).map(|d| enc.apply(d.to_string())),
        max_keys: Some(max as i32),
        key_count: Some(key_count),
        is_truncated: Some(listing.truncated),
        continuation_token: input.continuation_token.clone(),
        next_continuation_token: listing.truncated.then(|| listing.last.as_deref().map(encode_token)).flatten(),
        start_after: input.start_after.clone().map(|s| enc.apply(s)),
        common_prefixes: prefixes(&listing, &enc),
        contents: Some(contents),
        encoding_type: input.encoding_type.clone(),
        ..Default::default()
    };
    enc.check()?;
    Ok(S3Response::new(out))
}

pub async fn list_objects(
    cx: &ReqCtx<'_>,
    req: S3Request<ListObjectsInput>,
) -> S3Result<S3Response<ListObjectsOutput>> {
    let input = req.input;
    let bucket = cx.bucket(&input.bucket).await?;
    let enc = Encoder::new(&input.encoding_type)?;
    let prefix = input.prefix.clone().unwrap_or_default();
    let max = max_keys(input.max_keys)?;
    let marker = input.marker.clone().filter(|m| !m.is_empty());
    let listing = walk(cx, &bucket, &prefix, delimiter(&input.delimiter), marker, max).await?;
    let owner = owner(cx).await?;
    let delimited = delimiter(&input.delimiter).is_some();
    let out = ListObjectsOutput {
        name: Some(bucket.name.clone()),
        // In v1, S3 leaves Prefix as sent even with encoding-type=url; clients decode the rest.
        prefix: Some(enc.raw(prefix)),
        marker: Some(enc.apply(input.marker.clone().unwrap_or_default())),
        delimiter: delimiter(&input.delimiter).map(|d| enc.apply(d.to_string())),
        max_keys: Some(max as i32),
        is_truncated: Some(listing.truncated),
        // S3 gives NextMarker only when a delimiter was used; clients use the last key otherwise.
        next_marker: (listing.truncated && delimited).then(|| listing.last.clone().map(|l| enc.apply(l))).flatten(),
        common_prefixes: prefixes(&listing, &enc),
        contents: Some(listing.objects.iter().map(|o| object_entry(cx, o, &enc, Some(owner.clone()))).collect()),
        encoding_type: input.encoding_type.clone(),
        ..Default::default()
    };
    enc.check()?;
    Ok(S3Response::new(out))
}

/// Versions of an unversioned bucket: each object once, as version `null`, the latest.
pub async fn list_object_versions(
    cx: &ReqCtx<'_>,
    req: S3Request<ListObjectVersionsInput>,
) -> S3Result<S3Response<ListObjectVersionsOutput>> {
    let input = req.input;
    let bucket = cx.bucket(&input.bucket).await?;
    let enc = Encoder::new(&input.encoding_type)?;
    let prefix = input.prefix.clone().unwrap_or_default();
    let max = max_keys(input.max_keys)?;
    let marker = input.key_marker.clone().filter(|m| !m.is_empty());
    let listing = walk(cx, &bucket, &prefix, delimiter(&input.delimiter), marker, max).await?;
    let owner = owner(cx).await?;
    let versions = listing
        .objects
        .iter()
        .map(|o| ObjectVersion {
            key: Some(enc.apply(o.key.clone())),
            version_id: Some("null".into()),
            is_latest: Some(true),
            last_modified: Some(timestamp(o.created_at)),
            e_tag: Some(ETag::Strong(o.etag.clone())),
            size: Some(o.size as i64),
            storage_class: Some(ObjectVersionStorageClass::from(cx.core.tier(o.tier).storage_class.clone())),
            owner: Some(owner.clone()),
            ..Default::default()
        })
        .collect();
    let out = ListObjectVersionsOutput {
        name: Some(bucket.name.clone()),
        prefix: Some(enc.apply(prefix)),
        delimiter: delimiter(&input.delimiter).map(|d| enc.apply(d.to_string())),
        key_marker: input.key_marker.clone().map(|k| enc.apply(k)),
        version_id_marker: input.version_id_marker.clone(),
        max_keys: Some(max as i32),
        is_truncated: Some(listing.truncated),
        next_key_marker: listing.truncated.then(|| listing.last.clone().map(|l| enc.apply(l))).flatten(),
        next_version_id_marker: listing.truncated.then(|| "null".to_string()),
        common_prefixes: prefixes(&listing, &enc),
        versions: Some(versions),
        encoding_type: input.encoding_type.clone(),
        ..Default::default()
    };
    enc.check()?;
    Ok(S3Response::new(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoding_keeps_slashes() {
        assert_eq!(Encoder::url(true).apply("a b/ü+c".into()), "a%20b/%C3%BC%2Bc");
        assert_eq!(Encoder::url(false).apply("a b".into()), "a b");
        // A control character XML cannot carry: encoded it is fine, raw it is refused.
        let url = Encoder::url(true);
        assert_eq!(url.apply("a\u{1}b".into()), "a%01b");
        assert!(url.check().is_ok());
        let raw = Encoder::url(false);
        raw.apply("a\u{1}b".into());
        assert!(raw.check().is_err());
    }

    #[test]
    fn tokens_round_trip() {
        assert_eq!(decode_token(&encode_token("photos/ü")).unwrap(), "photos/ü");
        assert!(decode_token("!!").is_err());
    }
}
