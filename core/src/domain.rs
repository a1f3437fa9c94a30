//! Domain types parsed at the edges: code past the edge cannot hold an invalid value.

use std::fmt;

use thiserror::Error;

/// Why a value from outside was refused; `field` names the input it came from.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("{field}: {message}")]
pub struct InvalidInput {
    pub field: &'static str,
    pub message: String,
}

impl InvalidInput {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self { field, message: message.into() }
    }
}

/// A user's id in the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct UserId(pub i64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A normalised e-mail address (trimmed, lower-cased), used as the login name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let email = raw.trim().to_lowercase();
        let invalid = |why: &str| Err(InvalidInput::new("email", why.to_string()));
        if email.is_empty() {
            return invalid("is required");
        }
        if email.len() > 254 {
            return invalid("is longer than 254 characters");
        }
        let Some((local, domain)) = email.rsplit_once('@') else {
            return invalid("is not an e-mail address");
        };
        if local.is_empty() || local.len() > 64 || local.contains('@') {
            return invalid("is not an e-mail address");
        }
        let labels_ok = domain.split('.').count() >= 2
            && domain.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        let local_ok = local.chars().all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..");
        if !labels_ok || !local_ok {
            return invalid("is not an e-mail address");
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password that meets the rules (8 to 1024 characters); never printed.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 8;
    const MAX_CHARS: usize = 1024;

    pub fn parse(raw: String) -> Result<Self, InvalidInput> {
        let n = raw.chars().count();
        if n < Self::MIN_CHARS {
            return Err(InvalidInput::new("password", "must be at least 8 characters"));
        }
        if n > Self::MAX_CHARS {
            return Err(InvalidInput::new("password", "must be at most 1024 characters"));
        }
        Ok(Self(raw))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A bucket name that follows S3's naming rules (3-63 chars, lower-case letters, digits, `.`, `-`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BucketName(String);

impl BucketName {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let invalid = |why: &str| Err(InvalidInput::new("bucket", why.to_string()));
        let b = raw.as_bytes();
        if !(3..=63).contains(&b.len()) {
            return invalid("must be 3 to 63 characters long");
        }
        if !b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'.' || *c == b'-') {
            return invalid("may contain only lower-case letters, digits, '.' and '-'");
        }
        let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        if !alnum(b[0]) || !alnum(b[b.len() - 1]) {
            return invalid("must begin and end with a letter or digit");
        }
        if raw.contains("..") || raw.contains(".-") || raw.contains("-.") {
            return invalid("must not contain adjacent periods or a period next to a hyphen");
        }
        if raw.split('.').count() == 4 && raw.split('.').all(|p| p.parse::<u8>().is_ok()) {
            return invalid("must not be formatted as an IP address");
        }
        if raw.starts_with("xn--")
            || raw.starts_with("sthree-")
            || raw.ends_with("-s3alias")
            || raw.ends_with("--ol-s3")
        {
            return invalid("uses a prefix or suffix reserved by S3");
        }
        Ok(Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BucketName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An object key: 1 to 1024 bytes of UTF-8, as S3 allows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey(String);

impl ObjectKey {
    pub const MAX_BYTES: usize = 1024;

    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        if raw.is_empty() {
            return Err(InvalidInput::new("key", "must not be empty"));
        }
        if raw.len() > Self::MAX_BYTES {
            return Err(InvalidInput::new("key", "must be at most 1024 bytes"));
        }
        Ok(Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last path segment, made safe for use inside a backing key: no separators,
    /// no control characters, no `.`/`..` segment.
    pub fn safe_basename(&self) -> String {
        let last = self.0.rsplit('/').next().unwrap_or_default();
        sanitize_name(last)
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether XML 1.0 can carry `s` (its `Char` production: tab, line feed, carriage return and
/// U+0020 up, except the surrogates and U+FFFE/U+FFFF). S3 responses are XML: a key or a
/// lifecycle prefix that fails this cannot be answered as it is.
pub fn xml_safe(s: &str) -> bool {
    s.chars().all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..))
}

/// Replaces what is unsafe in a file name (path separators, control characters, NUL)
/// with `_`, and turns an empty, `.` or `..` name into `_`.
pub fn sanitize_name(raw: &str) -> String {
    let cleaned: String = raw.chars().map(|c| if c == '/' || c == '\\' || c.is_control() { '_' } else { c }).collect();
    match cleaned.as_str() {
        "" | "." | ".." => "_".to_string(),
        _ => cleaned,
    }
}

/// Cuts a string to at most `max` bytes without splitting a character.
pub fn truncate_utf8(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The id of one write of an object; every write gets a new one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VersionId(String);

impl VersionId {
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7().simple().to_string())
    }

    pub fn from_catalog(raw: String) -> Self {
        Self(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for VersionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The immutable key of one write's bytes in a tier: `user-{user_id}/{version_id}-{basename}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BackingKey(String);

impl BackingKey {
    /// The basename is informational (the version id makes the key unique), so it is cut to
    /// keep the last segment, with an fs tier's `.meta.json` sidecar suffix, under the 255-byte
    /// file-name limit of common file systems, and the key far under S3's 1024 bytes.
    const MAX_BASENAME_BYTES: usize = 200;

    pub fn for_write(user: UserId, version: &VersionId, key: &ObjectKey) -> Self {
        let base = key.safe_basename();
        let base = truncate_utf8(&base, Self::MAX_BASENAME_BYTES);
        Self(format!("user-{}/{}-{base}", user.0, version.as_str()))
    }

    pub fn from_catalog(raw: String) -> Self {
        Self(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BackingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which tier holds an object's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Hot,
    Cold,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Hot => "hot",
            Tier::Cold => "cold",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "hot" => Some(Tier::Hot),
            "cold" => Some(Tier::Cold),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised_and_checked() {
        assert_eq!(Email::parse("  Ann@Example.COM ").unwrap().as_str(), "ann@example.com");
        for bad in
            ["", "ann", "ann@", "@example.com", "ann@example", "a b@example.com", "ann@@example.com", "ann@-x.com"]
        {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn password_needs_eight_characters() {
        assert!(Password::parse("1234567".into()).is_err());
        assert!(Password::parse("12345678".into()).is_ok());
        assert_eq!(format!("{:?}", Password::parse("hunter2hunter2".into()).unwrap()), "Password(***)");
    }

    #[test]
    fn bucket_names_follow_s3_rules() {
        for ok in ["photos", "my-bucket.2024", "abc"] {
            assert!(BucketName::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["ab", "Photos", "-abc", "abc-", "a..b", "192.168.1.1", "a_b", "xn--abc", &"a".repeat(64)] {
            assert!(BucketName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn backing_keys_are_safe_and_bounded() {
        let v = VersionId::generate();
        let k = BackingKey::for_write(UserId(7), &v, &ObjectKey::parse("a/../..").unwrap());
        assert_eq!(k.as_str(), format!("user-7/{}-_", v.as_str()));
        let k = BackingKey::for_write(UserId(7), &v, &ObjectKey::parse("x\0y").unwrap());
        assert!(k.as_str().ends_with("-x_y"));
        let long = "é".repeat(500);
        let k = BackingKey::for_write(UserId(7), &v, &ObjectKey::parse(&long[..1000]).unwrap());
        let last = k.as_str().rsplit('/').next().unwrap();
        assert!(last.len() + ".meta.json".len() <= 255, "{}", last.len());
        assert!(std::str::from_utf8(k.as_str().as_bytes()).is_ok());
    }
}
