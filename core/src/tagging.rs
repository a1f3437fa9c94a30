//! Object tags: the tag set S3 keeps per object (PutObjectTagging, `x-amz-tagging`), with
//! AWS's limits (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html>):
//! at most 10 tags, keys of 1 to 128 and values of 0 to 256 Unicode characters (counted, as
//! AWS does, in UTF-16 code units), keys unique and case-sensitive, no key in the `aws:`
//! namespace, which AWS reserves for itself, and only letters, digits, spaces and
//! `+ - = . _ : / @` (<https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html>;
//! AWS refuses `%` and `,`, for instance).
//!
//! A tag set is stored in the catalog as a JSON object (`objects.tags`, `multipart_uploads.tags`);
//! a trigger copies it into the indexed `object_tags` table that lifecycle rules query
//! (migration 0005).

use std::collections::BTreeMap;

/// At most this many tags per object.
pub const MAX_TAGS: usize = 10;
/// A key has 1 to this many characters (UTF-16 code units).
pub const MAX_KEY_CHARS: usize = 128;
/// A value has 0 to this many characters (UTF-16 code units).
pub const MAX_VALUE_CHARS: usize = 256;

/// Why a tag set was refused: S3's `InvalidTag` (400), except [`TagError::MalformedHeader`],
/// which is `InvalidArgument`. (AWS itself answers more than 10 tags with `BadRequest`; ceph's
/// s3-tests and MinIO expect `InvalidTag`, which says more.)
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    #[error("Object tags cannot be greater than {MAX_TAGS}; {0} were given.")]
    TooMany(usize),
    #[error("The TagKey you have provided is invalid: a key has 1 to {MAX_KEY_CHARS} characters.")]
    KeyLength,
    #[error("The TagValue you have provided is invalid: a value has at most {MAX_VALUE_CHARS} characters.")]
    ValueLength,
    #[error("Cannot provide multiple Tags with the same key: {0:?}.")]
    DuplicateKey(String),
    #[error("Your TagKey cannot be prefixed with aws: ({0:?}); that namespace is reserved.")]
    Reserved(String),
    #[error("The TagKey or TagValue you have provided is invalid: only letters, digits, spaces and + - = . _ : / @ are allowed.")]
    InvalidCharacter,
    #[error("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")]
    MalformedHeader,
}

/// A valid tag set: keys unique, at most [`MAX_TAGS`], lengths within AWS's limits. Ordered
/// by key (UTF-8 bytes), which is also the order GetObjectTagging returns them in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagSet(BTreeMap<String, String>);

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

impl TagSet {
    /// The empty tag set.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Validates `pairs` (key, value) as one tag set.
    ///
    /// # Errors
    /// [`TagError`] for more than 10 tags, a key or value too long, an empty key, a key given
    /// twice, a key starting with `aws:`, or a control character.
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Result<Self, TagError> {
        let mut tags = BTreeMap::new();
        let mut count = 0usize;
        for (key, value) in pairs {
            count += 1;
            check_tag(&key, &value)?;
            if tags.insert(key.clone(), value).is_some() {
                return Err(TagError::DuplicateKey(key));
            }
        }
        if count > MAX_TAGS {
            return Err(TagError::TooMany(count));
        }
        Ok(Self(tags))
    }

    /// Parses the `x-amz-tagging` header (PutObject, CreateMultipartUpload, CopyObject with
    /// `x-amz-tagging-directive: REPLACE`, PostObject's `tagging` field holds XML instead): URL
    /// query parameters, `key1=value1&key2=value2`, percent-encoded UTF-8 (`+` is a space, as
    /// in MinIO's reading of it). A key without `=` has the empty value; an empty header is the
    /// empty set.
    ///
    /// # Errors
    /// [`TagError::MalformedHeader`] for a key given twice, an empty key, or bytes that are not UTF-8 after
    /// decoding; otherwise as [`TagSet::new`].
    pub fn from_header(raw: &str) -> Result<Self, TagError> {
        let mut pairs = Vec::new();
        for part in raw.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let key = decode(k)?;
            if key.is_empty() {
                return Err(TagError::MalformedHeader);
            }
            pairs.push((key, decode(v)?));
            if pairs.len() > 4 * MAX_TAGS {
                return Err(TagError::TooMany(pairs.len()));
            }
        }
        // A key given twice is the header's malformation (InvalidArgument), not a bad tag.
        Self::new(pairs).map_err(|e| match e {
            TagError::DuplicateKey(_) => TagError::MalformedHeader,
            e => e,
        })
    }

    /// The tag set as `x-amz-tagging` writes it (`k=v&…`, percent-encoded): the form kept in a
    /// cold copy's metadata, so a cold object's tags can be read without the catalog.
    pub fn to_header(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new()).extend_pairs(self.0.iter()).finish()
    }

    /// Reads the catalog's JSON form.
    ///
    /// # Errors
    /// The JSON does not hold a string-to-string object (a corrupt catalog).
    pub fn from_json(raw: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(raw).map(Self)
    }

    /// The catalog's JSON form: `{"key": "value", …}`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "{}".to_string())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of `key`, if the set has it.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// (key, value) in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// Checks one tag against AWS's limits (also used for the tags of lifecycle rule filters).
///
/// # Errors
/// [`TagError`] as described on [`TagSet::new`] (not the count or duplicates).
pub fn check_tag(key: &str, value: &str) -> Result<(), TagError> {
    let key_len = utf16_len(key);
    if key_len == 0 || key_len > MAX_KEY_CHARS {
        return Err(TagError::KeyLength);
    }
    if utf16_len(value) > MAX_VALUE_CHARS {
        return Err(TagError::ValueLength);
    }
    if key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
        return Err(TagError::Reserved(key.to_string()));
    }
    if !key.chars().chain(value.chars()).all(|c| c.is_alphanumeric() || c == ' ' || "+-=._:/@".contains(c)) {
        return Err(TagError::InvalidCharacter);
    }
    Ok(())
}

fn decode(raw: &str) -> Result<String, TagError> {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| TagError::MalformedHeader)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn aws_limits_are_kept() {
        let ten: Vec<_> = (0..10).map(|i| (format!("k{i}"), "v".to_string())).collect();
        assert_eq!(TagSet::new(ten.clone()).unwrap().len(), 10);
        let mut eleven = ten;
        eleven.push(("k10".into(), "v".into()));
        assert_eq!(TagSet::new(eleven), Err(TagError::TooMany(11)));
        // Lengths count UTF-16 units: 128 two-byte characters are fine, one emoji is two units.
        assert!(TagSet::new(pairs(&[(&"é".repeat(128), "")])).is_ok());
        assert_eq!(TagSet::new(pairs(&[(&"é".repeat(129), "")])), Err(TagError::KeyLength));
        assert_eq!(TagSet::new(pairs(&[(&"😀".repeat(65), "")])), Err(TagError::KeyLength));
        assert!(TagSet::new(pairs(&[("k", &"v".repeat(256))])).is_ok());
        assert_eq!(TagSet::new(pairs(&[("k", &"v".repeat(257))])), Err(TagError::ValueLength));
        assert_eq!(TagSet::new(pairs(&[("", "v")])), Err(TagError::KeyLength));
        assert_eq!(TagSet::new(pairs(&[("a", "1"), ("a", "2")])), Err(TagError::DuplicateKey("a".into())));
        assert_eq!(TagSet::new(pairs(&[("AWS:x", "1")])), Err(TagError::Reserved("AWS:x".into())));
        // A key whose fourth byte is inside a character (a panic once).
        for key in ["café", "abcé", "clé"] {
            assert!(TagSet::new(pairs(&[(key, "v")])).is_ok(), "{key}");
        }
        assert_eq!(TagSet::new(pairs(&[("a😀", "v")])), Err(TagError::InvalidCharacter));
        assert_eq!(TagSet::new(pairs(&[("k", "a\nb")])), Err(TagError::InvalidCharacter));
        assert_eq!(TagSet::new(pairs(&[("k", "a%20b")])), Err(TagError::InvalidCharacter));
        assert_eq!(TagSet::new(pairs(&[("k", "a,b")])), Err(TagError::InvalidCharacter));
        assert!(TagSet::new(pairs(&[("k+-=._:/@ é", "Ab9 +-=._:/@")])).is_ok());
        // Keys are case-sensitive: two tags.
        assert_eq!(TagSet::new(pairs(&[("Key", "1"), ("key", "2")])).unwrap().len(), 2);
    }

    #[test]
    fn header_form_round_trips() {
        let set = TagSet::from_header("project=blue%20sky&empty=&bare&sym=a%3Db%2Bd&sp=a+b&uni=%C3%A9t%C3%A9").unwrap();
        assert_eq!(set.get("project"), Some("blue sky"));
        assert_eq!(set.get("empty"), Some(""));
        assert_eq!(set.get("bare"), Some(""));
        assert_eq!(set.get("sym"), Some("a=b+d"));
        assert_eq!(set.get("sp"), Some("a b"));
        assert_eq!(set.get("uni"), Some("été"));
        assert_eq!(TagSet::from_header(&set.to_header()).unwrap(), set);
        assert_eq!(TagSet::from_header("").unwrap(), TagSet::empty());
        // What versitygw's users found must work: stray separators, keys without values.
        for ok in ["key", "&", "key=", "&&", "key1&key2", "key1=val1&key2"] {
            assert!(TagSet::from_header(ok).is_ok(), "{ok}");
        }
        assert_eq!(TagSet::from_header("="), Err(TagError::MalformedHeader));
        assert_eq!(TagSet::from_header("a=1&a=2"), Err(TagError::MalformedHeader));
        assert_eq!(TagSet::from_header("a=%FF"), Err(TagError::MalformedHeader));
        let many = (0..11).map(|i| format!("k{i}=v")).collect::<Vec<_>>().join("&");
        assert_eq!(TagSet::from_header(&many), Err(TagError::TooMany(11)));
    }

    #[test]
    fn json_form_round_trips() {
        let set = TagSet::new(pairs(&[("b", "2"), ("a", "x:y@z é")])).unwrap();
        assert_eq!(set.to_json(), r#"{"a":"x:y@z é","b":"2"}"#);
        assert_eq!(TagSet::from_json(&set.to_json()).unwrap(), set);
        assert_eq!(TagSet::from_json("{}").unwrap(), TagSet::empty());
    }
}
