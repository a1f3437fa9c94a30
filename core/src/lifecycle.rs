//! Bucket lifecycle configurations in S3's own terms
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lifecycle-mgmt.html>): rules
//! with a filter (prefix, tags, object size) and the actions Tiergate performs — `Transition`
//! to the cold tier, `Expiration` (delete), `AbortIncompleteMultipartUpload`.
//!
//! Both surfaces build a [`ConfigurationDraft`] from what the client sent (the S3 gateway from
//! the XML s3s parsed, the control plane from JSON) and [`LifecycleConfiguration::from_draft`]
//! validates it as AWS does; the validated form is what the catalog stores (as JSON) and what
//! the tiering pass and the `x-amz-expiration` header evaluate. A validated configuration
//! turns back into a draft for GET, in the shape it came in (a legacy `Prefix` stays one).
//!
//! Time: a rule's `Days` count lifecycle days of `tiering.day_length` (24 h in production); an
//! object becomes due at its creation time plus that many days, rounded up to the next multiple
//! of the day length since the Unix epoch — midnight UTC for real days, as AWS rounds
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-expire-general-considerations.html>).
//! A `Date` is a midnight UTC; from then on the action applies to every object the rule
//! matches.

use serde::{Deserialize, Serialize};

use crate::tagging::{check_tag, TagError, TagSet};

/// At most this many rules in one configuration (AWS's limit).
pub const MAX_RULES: usize = 1000;
/// A rule ID has at most this many characters.
pub const MAX_ID_CHARS: usize = 255;
/// Under `all_storage_classes_128K` (AWS's default since September 2024), objects smaller than
/// this do not transition unless the rule's filter names a size.
pub const DEFAULT_MIN_TRANSITION_BYTES: u64 = 128 * 1024;
const DAY_MS: i64 = 86_400_000;
/// `Days` and `DaysAfterInitiation` are S3 integers (32 bits).
pub const MAX_DAYS: i64 = i32::MAX as i64;
/// A `Date` is at most 9999-12-31 (midnight), the last day S3's ISO 8601 dates can name.
const LATEST_DATE_MS: i64 = 253_402_214_400_000;
/// A configuration holds at most about this much (1,000 rules with long prefixes fit); a pass
/// holds a page of them at once.
pub const MAX_CONFIGURATION_BYTES: usize = 2 << 20;
/// A prefix is at most as long as a key (AWS: 1,024 bytes).
pub const MAX_PREFIX_BYTES: usize = 1024;
/// An object has at most 10 tags, so an `And` naming more never matches.
const MAX_FILTER_TAGS: usize = 10;
/// The largest object size a filter may name (AWS: 1,000 TiB).
const MAX_FILTER_SIZE: i64 = 1_099_511_627_776_000;

/// Text that goes into XML and headers: no control characters (XML 1.0 cannot carry most of
/// them, so S3 clients could never read the configuration back).
fn printable(what: &str, value: &str, name: &str) -> Result<(), LifecycleError> {
    if value.chars().any(char::is_control) || !crate::domain::xml_safe(value) {
        return err(
            InvalidArgument,
            format!("{what} of {name} contains a character XML cannot carry (a control character, U+FFFE or U+FFFF)."),
        );
    }
    Ok(())
}

/// The S3 error code a refused configuration is answered with (the message says why).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LifecycleErrorCode {
    /// The document breaks the schema: a missing or doubled element, both `Days` and `Date`,
    /// an unknown `Status`, a `Filter` with more than one condition outside `And`.
    MalformedXml,
    /// A value out of range: `Days` ≤ 0 for an expiration, a `Date` not at midnight UTC, an ID
    /// too long or used twice, more than 1000 rules, a bad tag, an expiration not after the
    /// transition (AWS answers that one with this code too).
    InvalidArgument,
    /// Actions or filters that cannot go together: `Days` and `Date` mixed in one rule, two
    /// transitions to one class, a tag or size filter on `AbortIncompleteMultipartUpload`,
    /// duplicate tag keys, sizes that exclude every object, a rule with no action, an element
    /// that applies only to versioned buckets, an unknown default minimum object size.
    InvalidRequest,
    /// A transition to a storage class other than the cold tier's.
    InvalidStorageClass,
}

impl LifecycleErrorCode {
    /// S3's name for the code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MalformedXml => "MalformedXML",
            Self::InvalidArgument => "InvalidArgument",
            Self::InvalidRequest => "InvalidRequest",
            Self::InvalidStorageClass => "InvalidStorageClass",
        }
    }
}

/// A refused lifecycle configuration (HTTP 400 with [`LifecycleError::code`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LifecycleError {
    pub code: LifecycleErrorCode,
    pub message: String,
}

fn err<T>(code: LifecycleErrorCode, message: impl Into<String>) -> Result<T, LifecycleError> {
    Err(LifecycleError { code, message: message.into() })
}
use LifecycleErrorCode::{InvalidArgument, InvalidRequest, InvalidStorageClass, MalformedXml};

// ---- drafts: what a client sent, unvalidated ----

/// A lifecycle configuration as a client sent it, before validation. The control plane's JSON
/// is this shape (camelCase); the gateway fills it from s3s's XML types.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigurationDraft {
    #[serde(default)]
    pub rules: Vec<RuleDraft>,
    /// `x-amz-transition-default-minimum-object-size`: `all_storage_classes_128K` (default)
    /// or `varies_by_storage_class`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transition_default_minimum_object_size: Option<String>,
}

/// One `<Rule>` as sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuleDraft {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `Enabled` or `Disabled`.
    pub status: String,
    /// The legacy top-level `<Prefix>` (instead of a `<Filter>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<FilterDraft>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transitions: Vec<TransitionDraft>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<ExpirationDraft>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abort_incomplete_multipart_upload: Option<AbortDraft>,
    /// The name of an element given that applies only to versioned buckets
    /// (`NoncurrentVersionExpiration`, `NoncurrentVersionTransition`), if any. Not in JSON.
    #[serde(skip)]
    pub versioned_only: Option<&'static str>,
}

/// `<Filter>` as sent: at most one of its members, unless inside `<And>`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FilterDraft {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<TagDraft>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_size_greater_than: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_size_less_than: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub and: Option<AndDraft>,
}

/// `<And>`: every condition must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AndDraft {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<TagDraft>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_size_greater_than: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_size_less_than: Option<i64>,
}

/// `<Tag><Key/><Value/></Tag>`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagDraft {
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
}

/// `<Transition>`: `Days` or `Date` (Unix milliseconds), and the storage class.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TransitionDraft {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<i64>,
    /// Unix milliseconds (JSON: an RFC 3339 date is not accepted; the dashboard sends days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
}

/// `<Expiration>`: `Days` or `Date`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExpirationDraft {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<i64>,
    /// Applies to versioned buckets only; `true` is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired_object_delete_marker: Option<bool>,
}

/// `<AbortIncompleteMultipartUpload>`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AbortDraft {
    #[serde(default)]
    pub days_after_initiation: Option<i64>,
}

// ---- the validated form ----

/// When an action applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// This many lifecycle days after the object's creation, rounded up to a day boundary.
    Days(u32),
    /// From this moment (Unix milliseconds, a midnight UTC) on.
    Date(i64),
}

impl Trigger {
    /// When an object created at `created_at` (Unix ms) becomes due.
    pub fn due_at(self, created_at: i64, day_length_ms: i64) -> i64 {
        match self {
            Trigger::Days(days) => due_after_days(created_at, days, day_length_ms),
            Trigger::Date(date) => date,
        }
    }

    /// The latest creation time (inclusive) of objects due at `now`, or `None` when nothing is
    /// due yet (a `Date` in the future). `i64::MAX` when every object is due.
    pub fn created_cutoff(self, now: i64, day_length_ms: i64) -> Option<i64> {
        match self {
            Trigger::Days(days) => {
                // due_at(c) <= now  <=>  c + days*L <= floor(now / L) * L
                let boundary = now.div_euclid(day_length_ms).saturating_mul(day_length_ms);
                Some(boundary.saturating_sub(i64::from(days).saturating_mul(day_length_ms)))
            }
            Trigger::Date(date) => (date <= now).then_some(i64::MAX),
        }
    }
}

/// The smallest string greater than every string that starts with `prefix` (in code point
/// order, which is UTF-8 byte order and the catalog's key order): the end of a prefix's key
/// range. `None` when there is none (an empty prefix, or one of U+10FFFF only).
pub fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut next = u32::from(last) + 1;
        if (0xD800..=0xDFFF).contains(&next) {
            next = 0xE000;
        }
        if let Some(c) = char::from_u32(next) {
            chars.push(c);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// `created_at + days × L`, rounded up to a multiple of `L` since the epoch.
pub fn due_after_days(created_at: i64, days: u32, day_length_ms: i64) -> i64 {
    let t = created_at.saturating_add(i64::from(days).saturating_mul(day_length_ms));
    let rem = t.rem_euclid(day_length_ms);
    if rem == 0 {
        t
    } else {
        t.saturating_add(day_length_ms - rem)
    }
}

/// How a rule's filter was written, so that GET gives it back the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FilterForm {
    /// The legacy top-level `<Prefix>`.
    Legacy,
    /// `<Filter>` with one condition, or none (the whole bucket).
    Single,
    /// `<Filter><And>…</And></Filter>`.
    And,
}

/// Which objects a rule applies to: all of the conditions hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleFilter {
    pub form: FilterForm,
    /// Keys starting with this (empty: every key).
    pub prefix: String,
    /// The object has every one of these tags (key and value).
    pub tags: Vec<(String, String)>,
    /// Size in bytes strictly greater than this.
    pub size_greater_than: Option<u64>,
    /// Size in bytes strictly less than this.
    pub size_less_than: Option<u64>,
}

impl RuleFilter {
    /// Whether an object with this key, size and tags is one the rule applies to.
    pub fn matches(&self, key: &str, size: u64, tags: &TagSet) -> bool {
        key.starts_with(&self.prefix)
            && self.size_greater_than.is_none_or(|gt| size > gt)
            && self.size_less_than.is_none_or(|lt| size < lt)
            && self.tags.iter().all(|(k, v)| tags.get(k) == Some(v.as_str()))
    }

    /// Whether the filter names an object size (then the default minimum transition size does
    /// not apply).
    pub fn has_size(&self) -> bool {
        self.size_greater_than.is_some() || self.size_less_than.is_some()
    }
}

/// A transition to the cold tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    pub trigger: Trigger,
    /// The class named in the rule (the cold tier's when it was stored).
    pub storage_class: String,
}

/// One validated rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleRule {
    pub id: String,
    pub enabled: bool,
    pub filter: RuleFilter,
    pub transition: Option<Transition>,
    pub expiration: Option<Trigger>,
    /// Abort multipart uploads this many lifecycle days after they were created.
    pub abort_incomplete_multipart_upload_days: Option<u32>,
}

/// `x-amz-transition-default-minimum-object-size`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum MinimumObjectSize {
    /// Objects under 128 KiB do not transition unless a rule's filter names a size (AWS's
    /// default).
    #[default]
    #[serde(rename = "all_storage_classes_128K")]
    AllStorageClasses128K,
    /// As above, except for transitions to the Glacier Flexible Retrieval and Deep Archive
    /// classes, which take objects of any size.
    #[serde(rename = "varies_by_storage_class")]
    VariesByStorageClass,
}

impl MinimumObjectSize {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AllStorageClasses128K => "all_storage_classes_128K",
            Self::VariesByStorageClass => "varies_by_storage_class",
        }
    }

    /// Parses the header's value.
    ///
    /// # Errors
    /// `InvalidRequest` for any other value (as AWS).
    pub fn parse(raw: &str) -> Result<Self, LifecycleError> {
        match raw {
            "all_storage_classes_128K" => Ok(Self::AllStorageClasses128K),
            "varies_by_storage_class" => Ok(Self::VariesByStorageClass),
            other => err(
                InvalidRequest,
                format!(
                    "Invalid TransitionDefaultMinimumObjectSize found: {other:?} (all_storage_classes_128K or varies_by_storage_class)."
                ),
            ),
        }
    }

    /// The smallest object that transitions to `storage_class` when the rule names no size.
    pub fn min_transition_bytes(self, storage_class: &str) -> u64 {
        match (self, storage_class) {
            (Self::VariesByStorageClass, "GLACIER" | "DEEP_ARCHIVE") => 0,
            _ => DEFAULT_MIN_TRANSITION_BYTES,
        }
    }
}

/// A validated bucket lifecycle configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleConfiguration {
    pub rules: Vec<LifecycleRule>,
    pub minimum_object_size: MinimumObjectSize,
}

/// The expiration that applies to an object: when, and by which rule (`x-amz-expiration`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpirationInfo {
    /// Unix milliseconds.
    pub expiry: i64,
    pub rule_id: String,
}

impl ExpirationInfo {
    /// The `x-amz-expiration` header's value: `expiry-date="Fri, 23 Dec 2012 00:00:00 GMT",
    /// rule-id="<rule id, URL-encoded>"`, as AWS writes it
    /// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html#API_PutObject_ResponseSyntax>).
    pub fn header_value(&self) -> String {
        let when = time::OffsetDateTime::from_unix_timestamp(self.expiry.div_euclid(1000))
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        let format = time::format_description::parse_borrowed::<2>(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT",
        )
        .expect("a valid format description");
        let date = when.format(&format).unwrap_or_default();
        // Clients read the ID between quotes; what a header cannot carry is percent-encoded.
        const UNSAFE: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS.add(b'"').add(b'%').add(b'\\');
        let id = percent_encoding::utf8_percent_encode(&self.rule_id, UNSAFE);
        format!("expiry-date=\"{date}\", rule-id=\"{id}\"")
    }
}

impl LifecycleConfiguration {
    /// Validates a draft as AWS validates PutBucketLifecycleConfiguration; `cold_class` is the
    /// one storage class a transition may name (`tiers.cold.storage_class`). Rules without an
    /// ID get one. `new_id` makes those IDs.
    ///
    /// # Errors
    /// [`LifecycleError`] with the S3 code and a message naming the rule.
    pub fn from_draft(
        draft: ConfigurationDraft,
        cold_class: &str,
        mut new_id: impl FnMut() -> String,
    ) -> Result<Self, LifecycleError> {
        let minimum_object_size = match draft.transition_default_minimum_object_size.as_deref() {
            None => MinimumObjectSize::default(),
            Some(raw) => MinimumObjectSize::parse(raw)?,
        };
        if draft.rules.is_empty() {
            return err(MalformedXml, "A lifecycle configuration must have at least one Rule.");
        }
        if draft.rules.len() > MAX_RULES {
            return err(
                InvalidArgument,
                format!("A lifecycle configuration has at most {MAX_RULES} rules; {} were given.", draft.rules.len()),
            );
        }
        let mut rules = Vec::with_capacity(draft.rules.len());
        let mut ids = std::collections::HashSet::new();
        for (index, rule) in draft.rules.into_iter().enumerate() {
            let rule = validate_rule(rule, index, cold_class, &mut new_id)?;
            if !ids.insert(rule.id.clone()) {
                return err(
                    InvalidArgument,
                    format!("Rule ID must be unique. Found same ID for more than one rule: {:?}.", rule.id),
                );
            }
            rules.push(rule);
        }
        let config = Self { rules, minimum_object_size };
        if config.approx_bytes() > MAX_CONFIGURATION_BYTES {
            return err(
                InvalidArgument,
                format!("The lifecycle configuration is larger than {} MiB.", MAX_CONFIGURATION_BYTES >> 20),
            );
        }
        Ok(config)
    }

    /// The configuration as a draft, in the shape it was given (for GET).
    pub fn to_draft(&self) -> ConfigurationDraft {
        ConfigurationDraft {
            rules: self.rules.iter().map(LifecycleRule::to_draft).collect(),
            transition_default_minimum_object_size: Some(self.minimum_object_size.as_str().to_string()),
        }
    }

    /// The catalog's JSON form.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a configuration serialises")
    }

    /// About how many bytes the configuration holds in memory.
    pub fn approx_bytes(&self) -> usize {
        self.rules
            .iter()
            .map(|r| {
                200 + r.id.len()
                    + r.filter.prefix.len()
                    + r.filter.tags.iter().map(|(k, v)| 48 + k.len() + v.len()).sum::<usize>()
            })
            .sum()
    }

    /// Reads the catalog's JSON form.
    ///
    /// # Errors
    /// The JSON is not a configuration (a corrupt catalog).
    pub fn from_json(raw: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(raw)
    }

    /// The earliest expiration of an object with this key, size, tags and creation time (Unix
    /// ms) among the enabled rules; ties go to the rule listed first.
    pub fn expiration(
        &self,
        key: &str,
        size: u64,
        tags: &TagSet,
        created_at: i64,
        day_length_ms: i64,
    ) -> Option<ExpirationInfo> {
        self.rules
            .iter()
            .filter(|r| r.enabled && r.filter.matches(key, size, tags))
            .filter_map(|r| r.expiration.map(|t| (t.due_at(created_at, day_length_ms), &r.id)))
            .min_by_key(|(due, _)| *due)
            .map(|(expiry, id)| ExpirationInfo { expiry, rule_id: id.clone() })
    }
}

impl LifecycleRule {
    /// The smallest object this rule's transition moves (0 when its filter names a size, which
    /// takes precedence over the default, as on AWS).
    pub fn min_transition_bytes(&self, minimum: MinimumObjectSize) -> u64 {
        match &self.transition {
            Some(t) if !self.filter.has_size() => minimum.min_transition_bytes(&t.storage_class),
            _ => 0,
        }
    }

    fn to_draft(&self) -> RuleDraft {
        let f = &self.filter;
        let tag = |(k, v): &(String, String)| TagDraft { key: Some(k.clone()), value: Some(v.clone()) };
        let size = |v: Option<u64>| v.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
        let (prefix, filter) = match f.form {
            FilterForm::Legacy => (Some(f.prefix.clone()), None),
            FilterForm::Single => (
                None,
                Some(FilterDraft {
                    prefix: (!f.prefix.is_empty()).then(|| f.prefix.clone()),
                    tag: f.tags.first().map(tag),
                    object_size_greater_than: size(f.size_greater_than),
                    object_size_less_than: size(f.size_less_than),
                    and: None,
                }),
            ),
            FilterForm::And => (
                None,
                Some(FilterDraft {
                    and: Some(AndDraft {
                        prefix: (!f.prefix.is_empty()).then(|| f.prefix.clone()),
                        tags: f.tags.iter().map(tag).collect(),
                        object_size_greater_than: size(f.size_greater_than),
                        object_size_less_than: size(f.size_less_than),
                    }),
                    ..Default::default()
                }),
            ),
        };
        let when = |t: Trigger| match t {
            Trigger::Days(d) => (Some(i64::from(d)), None),
            Trigger::Date(ms) => (None, Some(ms)),
        };
        RuleDraft {
            id: Some(self.id.clone()),
            status: if self.enabled { "Enabled" } else { "Disabled" }.to_string(),
            prefix,
            filter,
            transitions: self
                .transition
                .iter()
                .map(|t| {
                    let (days, date) = when(t.trigger);
                    TransitionDraft { days, date, storage_class: Some(t.storage_class.clone()) }
                })
                .collect(),
            expiration: self.expiration.map(|t| {
                let (days, date) = when(t);
                ExpirationDraft { days, date, expired_object_delete_marker: None }
            }),
            abort_incomplete_multipart_upload: self
                .abort_incomplete_multipart_upload_days
                .map(|d| AbortDraft { days_after_initiation: Some(i64::from(d)) }),
            versioned_only: None,
        }
    }
}

fn validate_rule(
    rule: RuleDraft,
    index: usize,
    cold_class: &str,
    new_id: &mut impl FnMut() -> String,
) -> Result<LifecycleRule, LifecycleError> {
    // Messages name a rule by the ID the client gave, else by its place (not by an ID it never saw).
    let (id, name) = match rule.id {
        Some(id) if !id.is_empty() => {
            let name = format!("rule {id:?}");
            (id, name)
        }
        _ => (new_id(), format!("rule {} (no ID)", index + 1)),
    };
    if id.chars().count() > MAX_ID_CHARS {
        return err(
            InvalidArgument,
            format!("ID length should not exceed allowed limit of {MAX_ID_CHARS} (rule {}).", index + 1),
        );
    }
    printable("The ID", &id, &name)?;
    let enabled = match rule.status.as_str() {
        "Enabled" => true,
        "Disabled" => false,
        other => return err(MalformedXml, format!("Status of {name} must be Enabled or Disabled, not {other:?}.")),
    };
    if let Some(element) = rule.versioned_only {
        return err(
            InvalidRequest,
            format!("{element} in {name} applies to noncurrent object versions; Tiergate buckets are unversioned, so it would never act. Remove it."),
        );
    }
    let filter = validate_filter(rule.prefix, rule.filter, &name)?;

    let transition = match rule.transitions.len() {
        0 => None,
        1 => {
            let t = rule.transitions.into_iter().next().expect("one transition");
            let trigger = trigger(t.days, t.date, "Transition", &name, 0)?;
            let class = match t.storage_class {
                Some(c) if !c.is_empty() => c,
                _ => return err(MalformedXml, format!("The Transition in {name} must name a StorageClass.")),
            };
            if class != cold_class {
                return err(
                    InvalidStorageClass,
                    format!("The storage class {class:?} in {name} is not valid: transitions go to the cold tier, whose storage class is {cold_class:?}."),
                );
            }
            Some(Transition { trigger, storage_class: class })
        }
        _ => {
            return err(
                InvalidRequest,
                format!("'StorageClass' must be different for 'Transition' actions in same 'Rule' ({name}): Tiergate has one cold storage class, {cold_class:?}."),
            )
        }
    };
    let expiration = match rule.expiration {
        None => None,
        Some(e) => {
            if e.expired_object_delete_marker == Some(true) {
                return err(
                    InvalidRequest,
                    format!("ExpiredObjectDeleteMarker in {name} applies to versioned buckets; Tiergate buckets are unversioned, so it would never act. Remove it."),
                );
            }
            if e.days.is_none() && e.date.is_none() {
                return err(MalformedXml, format!("The Expiration in {name} must have Days or Date."));
            }
            Some(trigger(e.days, e.date, "Expiration", &name, 1)?)
        }
    };
    let abort = match rule.abort_incomplete_multipart_upload {
        None => None,
        Some(a) => {
            let Some(days) = a.days_after_initiation else {
                return err(
                    MalformedXml,
                    format!("AbortIncompleteMultipartUpload in {name} must have DaysAfterInitiation."),
                );
            };
            if days <= 0 || days > MAX_DAYS {
                return err(InvalidArgument, format!("'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer of at most {MAX_DAYS} ({name})."));
            }
            if !filter.tags.is_empty() {
                return err(
                    InvalidRequest,
                    format!("Tag-based filter cannot be used with AbortIncompleteMultipartUpload action ({name})."),
                );
            }
            if filter.has_size() {
                return err(
                    InvalidRequest,
                    format!("Object size filters cannot be used with AbortIncompleteMultipartUpload action ({name})."),
                );
            }
            Some(u32::try_from(days).unwrap_or(u32::MAX))
        }
    };
    if transition.is_none() && expiration.is_none() && abort.is_none() {
        return err(InvalidRequest, format!("At least one action needs to be specified in a rule ({name})."));
    }
    if let (Some(t), Some(e)) = (&transition, expiration) {
        match (t.trigger, e) {
            (Trigger::Days(td), Trigger::Days(ed)) if ed <= td => {
                return err(
                    InvalidArgument,
                    format!("'Days' in the Expiration action of {name} must be greater than 'Days' in the Transition action ({ed} ≤ {td})."),
                )
            }
            (Trigger::Date(td), Trigger::Date(ed)) if ed <= td => {
                return err(InvalidArgument, format!("'Date' in the Expiration action of {name} must be later than 'Date' in the Transition action."))
            }
            (Trigger::Days(_), Trigger::Date(_)) | (Trigger::Date(_), Trigger::Days(_)) => {
                return err(InvalidRequest, format!("Found mixed 'Date' and 'Days' based Expiration and Transition actions in {name}."))
            }
            _ => {}
        }
    }
    Ok(LifecycleRule { id, enabled, filter, transition, expiration, abort_incomplete_multipart_upload_days: abort })
}

/// `Days` (at least `min_days`) or `Date` (a midnight UTC), exactly one.
fn trigger(
    days: Option<i64>,
    date: Option<i64>,
    action: &str,
    name: &str,
    min_days: i64,
) -> Result<Trigger, LifecycleError> {
    match (days, date) {
        (Some(_), Some(_)) => err(MalformedXml, format!("The {action} in {name} has both Days and Date; give one.")),
        (None, None) => err(MalformedXml, format!("The {action} in {name} must have Days or Date.")),
        (Some(d), None) if d < min_days => {
            let what = if min_days > 0 { "a positive integer" } else { "a non-negative integer" };
            err(InvalidArgument, format!("'Days' for {action} action must be {what} ({name}: {d})."))
        }
        (Some(d), None) if d > MAX_DAYS => {
            err(InvalidArgument, format!("'Days' for {action} action must be at most {MAX_DAYS} ({name}: {d})."))
        }
        (Some(d), None) => Ok(Trigger::Days(u32::try_from(d).unwrap_or(u32::MAX))),
        (None, Some(ms)) if !(0..=LATEST_DATE_MS).contains(&ms) => err(
            InvalidArgument,
            format!("'Date' in the {action} action of {name} must be from 1970-01-01 to 9999-12-31."),
        ),
        (None, Some(ms)) if ms.rem_euclid(DAY_MS) != 0 => {
            err(InvalidArgument, format!("'Date' in the {action} action of {name} must be at midnight GMT."))
        }
        (None, Some(ms)) => Ok(Trigger::Date(ms)),
    }
}

fn validate_filter(
    legacy: Option<String>,
    filter: Option<FilterDraft>,
    name: &str,
) -> Result<RuleFilter, LifecycleError> {
    let whole = |form| RuleFilter {
        form,
        prefix: String::new(),
        tags: Vec::new(),
        size_greater_than: None,
        size_less_than: None,
    };
    let filter = match (legacy, filter) {
        (Some(_), Some(_)) => return err(MalformedXml, format!("{name} has both a Prefix and a Filter; give one.")),
        // s3s reads an empty <Prefix/> as absent: a rule with neither applies to the whole bucket.
        (None, None) => return Ok(whole(FilterForm::Legacy)),
        (Some(prefix), None) => {
            if prefix.len() > MAX_PREFIX_BYTES {
                return err(InvalidArgument, format!("The prefix of {name} is longer than {MAX_PREFIX_BYTES} bytes."));
            }
            printable("The prefix", &prefix, name)?;
            return Ok(RuleFilter { prefix, ..whole(FilterForm::Legacy) });
        }
        (None, Some(f)) => f,
    };
    let given = [
        filter.prefix.is_some(),
        filter.tag.is_some(),
        filter.object_size_greater_than.is_some(),
        filter.object_size_less_than.is_some(),
        filter.and.is_some(),
    ]
    .iter()
    .filter(|g| **g)
    .count();
    if given > 1 {
        return err(MalformedXml, format!("The Filter of {name} has more than one condition; put them in an And."));
    }
    let (form, prefix, tags, gt, lt) = match filter.and {
        Some(and) => (FilterForm::And, and.prefix, and.tags, and.object_size_greater_than, and.object_size_less_than),
        None => (
            FilterForm::Single,
            filter.prefix,
            filter.tag.into_iter().collect(),
            filter.object_size_greater_than,
            filter.object_size_less_than,
        ),
    };
    if let Some(p) = prefix.as_deref() {
        if p.len() > MAX_PREFIX_BYTES {
            return err(InvalidArgument, format!("The prefix of {name} is longer than {MAX_PREFIX_BYTES} bytes."));
        }
        printable("The prefix", p, name)?;
    }
    if tags.len() > MAX_FILTER_TAGS {
        return err(
            InvalidArgument,
            format!(
                "The Filter of {name} names more than {MAX_FILTER_TAGS} tags; an object has at most {MAX_FILTER_TAGS}."
            ),
        );
    }
    let mut checked = Vec::with_capacity(tags.len());
    for t in tags {
        let (Some(key), value) = (t.key, t.value.unwrap_or_default()) else {
            return err(MalformedXml, format!("A Tag in the Filter of {name} has no Key."));
        };
        match check_tag(&key, &value) {
            Ok(()) | Err(TagError::Reserved(_)) => {}
            Err(e) => return err(InvalidArgument, format!("{e} ({name})")),
        }
        if checked.iter().any(|(k, _): &(String, String)| *k == key) {
            return err(InvalidRequest, format!("Duplicate Tag Keys are not allowed ({name}: {key:?})."));
        }
        checked.push((key, value));
    }
    let size = |v: Option<i64>, what: &str| -> Result<Option<u64>, LifecycleError> {
        match v {
            Some(n) if n < 0 => err(InvalidArgument, format!("{what} in the Filter of {name} must not be negative.")),
            Some(n) if n > MAX_FILTER_SIZE => {
                err(InvalidRequest, format!("'{what}' should be between 0 and {MAX_FILTER_SIZE} ({name})."))
            }
            other => Ok(other.map(|n| n as u64)),
        }
    };
    let (gt, lt) = (size(gt, "ObjectSizeGreaterThan")?, size(lt, "ObjectSizeLessThan")?);
    if lt == Some(0) {
        return err(InvalidRequest, format!("'ObjectSizeLessThan' should be between 1 and 1099511627776000 ({name})."));
    }
    if let (Some(g), Some(l)) = (gt, lt) {
        if l <= g {
            return err(
                InvalidRequest,
                format!("'ObjectSizeLessThan' has to be a value greater than 'ObjectSizeGreaterThan' ({name})."),
            );
        }
    }
    Ok(RuleFilter {
        form,
        prefix: prefix.unwrap_or_default(),
        tags: checked,
        size_greater_than: gt,
        size_less_than: lt,
    })
}

// ---- on a running Tiergate ----

/// Why a lifecycle configuration was not stored.
#[derive(Debug, thiserror::Error)]
pub enum LifecycleWriteError {
    #[error(transparent)]
    Invalid(#[from] LifecycleError),
    #[error(transparent)]
    Catalog(#[from] crate::catalog::CatalogError),
}

/// Each process's copies of the bucket configurations that GET, HEAD and PUT consult for
/// `x-amz-expiration`, by bucket id, valid while their revision is the catalog's (the revision
/// comes with the object's own lookup, so a stale copy is never used). At most
/// [`LifecycleCache::CAPACITY`] entries and about [`LifecycleCache::MAX_BYTES`] of rules; a
/// full cache starts over.
#[derive(Debug, Default)]
pub struct LifecycleCache {
    entries: std::sync::Mutex<CacheEntries>,
}

#[derive(Debug, Default)]
struct CacheEntries {
    by_bucket: std::collections::HashMap<i64, (i64, std::sync::Arc<LifecycleConfiguration>)>,
    bytes: usize,
}

impl LifecycleCache {
    pub const CAPACITY: usize = 4096;
    pub const MAX_BYTES: usize = 64 << 20;

    fn get(&self, bucket_id: i64, revision: i64) -> Option<std::sync::Arc<LifecycleConfiguration>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.by_bucket.get(&bucket_id).filter(|(r, _)| *r == revision).map(|(_, c)| c.clone())
    }

    fn put(&self, bucket_id: i64, revision: i64, config: std::sync::Arc<LifecycleConfiguration>) {
        let size = config.approx_bytes();
        if size > Self::MAX_BYTES / 4 {
            return; // read from the catalog each time rather than crowd out every other bucket
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.by_bucket.len() >= Self::CAPACITY || entries.bytes + size > Self::MAX_BYTES {
            *entries = CacheEntries::default();
        }
        if let Some((_, old)) = entries.by_bucket.insert(bucket_id, (revision, config)) {
            entries.bytes = entries.bytes.saturating_sub(old.approx_bytes());
        }
        entries.bytes += size;
    }
}

impl crate::Core {
    /// Validates `draft` (against the cold tier's storage class) and makes it the bucket's
    /// lifecycle configuration, replacing any; the stored configuration is returned.
    ///
    /// # Errors
    /// [`LifecycleWriteError::Invalid`] with the S3 code; [`LifecycleWriteError::Catalog`]
    /// (`Gone` when the bucket was deleted meanwhile).
    pub async fn put_bucket_lifecycle(
        &self,
        bucket_id: i64,
        draft: ConfigurationDraft,
    ) -> Result<LifecycleConfiguration, LifecycleWriteError> {
        let config = LifecycleConfiguration::from_draft(draft, &self.cold.storage_class, || {
            uuid::Uuid::new_v4().simple().to_string()
        })?;
        let revision = self.catalog.put_bucket_lifecycle(bucket_id, &config).await?;
        self.lifecycles.put(bucket_id, revision, std::sync::Arc::new(config.clone()));
        Ok(config)
    }

    /// The length of one lifecycle day, in milliseconds.
    pub fn day_length_ms(&self) -> i64 {
        i64::try_from(self.settings.tiering.day_length.as_millis()).unwrap_or(DAY_MS).max(1)
    }

    /// The expiration that applies to `object` under its bucket's configuration of
    /// `revision` (its [`crate::catalog::CatalogObject::expiring_rules`]); `None` if no enabled rule expires
    /// it, or when the configuration cannot be read (logged: a header is not worth failing a
    /// read for).
    pub async fn expiration_of(&self, object: &crate::catalog::CatalogObject, revision: i64) -> Option<ExpirationInfo> {
        let config = match self.lifecycles.get(object.bucket_id, revision) {
            Some(config) => config,
            None => match self.catalog.bucket_lifecycle(object.bucket_id).await {
                Ok(Some(stored)) => {
                    let config = std::sync::Arc::new(stored.configuration);
                    self.lifecycles.put(object.bucket_id, stored.revision, config.clone());
                    config
                }
                Ok(None) => return None,
                Err(e) => {
                    tracing::warn!(error = %e, bucket_id = object.bucket_id, "cannot read a lifecycle configuration");
                    return None;
                }
            },
        };
        config.expiration(&object.key, object.size, &object.tags, object.created_at, self.day_length_ms())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLD: &str = "STANDARD_IA";

    fn rule(days_to_cold: Option<i64>, days_to_delete: Option<i64>) -> RuleDraft {
        RuleDraft {
            id: Some("r".into()),
            status: "Enabled".into(),
            filter: Some(FilterDraft { prefix: Some("logs/".into()), ..Default::default() }),
            transitions: days_to_cold
                .map(|d| TransitionDraft { days: Some(d), date: None, storage_class: Some(COLD.into()) })
                .into_iter()
                .collect(),
            expiration: days_to_delete.map(|d| ExpirationDraft { days: Some(d), ..Default::default() }),
            ..Default::default()
        }
    }

    fn validate(rules: Vec<RuleDraft>) -> Result<LifecycleConfiguration, LifecycleError> {
        let mut n = 0;
        LifecycleConfiguration::from_draft(
            ConfigurationDraft { rules, transition_default_minimum_object_size: None },
            COLD,
            || {
                n += 1;
                format!("generated-{n}")
            },
        )
    }

    fn code(rules: Vec<RuleDraft>) -> LifecycleErrorCode {
        validate(rules).expect_err("refused").code
    }

    #[test]
    fn a_valid_configuration_round_trips_through_its_draft_and_json() {
        let mut legacy = rule(None, Some(30));
        legacy.id = None;
        legacy.filter = None;
        legacy.prefix = Some("tmp/".into());
        let mut and = rule(Some(0), Some(365));
        and.id = Some("and".into());
        and.filter = Some(FilterDraft {
            and: Some(AndDraft {
                prefix: Some("a/".into()),
                tags: vec![TagDraft { key: Some("k".into()), value: Some("v".into()) }],
                object_size_greater_than: Some(10),
                object_size_less_than: Some(1 << 20),
            }),
            ..Default::default()
        });
        let config = validate(vec![rule(Some(30), Some(90)), legacy, and]).unwrap();
        assert_eq!(config.rules[1].id, "generated-1");
        assert_eq!(config.rules[1].filter.form, FilterForm::Legacy);
        assert_eq!(LifecycleConfiguration::from_json(&config.to_json()).unwrap(), config);
        let again = LifecycleConfiguration::from_draft(config.to_draft(), COLD, || unreachable!()).unwrap();
        assert_eq!(again, config);
    }

    #[test]
    fn bad_values_are_refused_with_aws_codes() {
        assert_eq!(code(vec![]), MalformedXml);
        assert_eq!(code(vec![rule(None, Some(0))]), InvalidArgument);
        assert_eq!(code(vec![rule(Some(-1), None)]), InvalidArgument);
        assert!(validate(vec![rule(Some(0), None)]).is_ok(), "AWS allows Days 0 for a transition");
        assert_eq!(code(vec![rule(Some(30), Some(30))]), InvalidArgument, "expiration not after the transition");
        assert_eq!(code(vec![rule(None, None)]), InvalidRequest);
        assert_eq!(code(vec![rule(None, Some(1)), rule(None, Some(2))]), InvalidArgument, "one ID twice");
        let mut long = rule(None, Some(1));
        long.id = Some("x".repeat(256));
        assert_eq!(code(vec![long]), InvalidArgument);
        let many: Vec<_> = (0..1001).map(|i| RuleDraft { id: Some(format!("r{i}")), ..rule(None, Some(1)) }).collect();
        assert_eq!(code(many), InvalidArgument);
        let mut status = rule(None, Some(1));
        status.status = "enabled".into();
        assert_eq!(code(vec![status]), MalformedXml);
        let mut date = rule(None, None);
        date.expiration = Some(ExpirationDraft { date: Some(DAY_MS * 20_000 + 1000), ..Default::default() });
        assert_eq!(code(vec![date.clone()]), InvalidArgument, "not midnight");
        date.expiration = Some(ExpirationDraft { date: Some(DAY_MS * 20_000), days: Some(3), ..Default::default() });
        assert_eq!(code(vec![date.clone()]), MalformedXml, "both Days and Date");
        date.expiration = Some(ExpirationDraft { date: Some(DAY_MS * 20_000), ..Default::default() });
        assert!(validate(vec![date.clone()]).is_ok());
        date.transitions = vec![TransitionDraft { days: Some(3), date: None, storage_class: Some(COLD.into()) }];
        assert_eq!(code(vec![date]), InvalidRequest, "Days and Date mixed");
        let mut class = rule(Some(30), None);
        class.transitions[0].storage_class = Some("GLACIER".into());
        let e = validate(vec![class]).unwrap_err();
        assert_eq!(e.code, InvalidStorageClass);
        assert!(e.message.contains(COLD), "{}", e.message);
        let mut marker = rule(None, None);
        marker.expiration = Some(ExpirationDraft { expired_object_delete_marker: Some(true), ..Default::default() });
        assert_eq!(code(vec![marker]), InvalidRequest);
        let mut far = rule(None, None);
        far.expiration = Some(ExpirationDraft { date: Some(570_240_000_000_000), ..Default::default() });
        assert_eq!(code(vec![far]), InvalidArgument, "a Date S3 cannot name (year 20040)");
        let mut before = rule(None, None);
        before.expiration = Some(ExpirationDraft { date: Some(-DAY_MS), ..Default::default() });
        assert_eq!(code(vec![before]), InvalidArgument, "a Date before 1970");
        assert_eq!(code(vec![rule(None, Some(9_000_000_000))]), InvalidArgument, "Days past 32 bits");
        let mut control = rule(None, Some(1));
        control.id = Some("a\u{1}b".into());
        assert_eq!(code(vec![control]), InvalidArgument, "a control character in an ID");
        let mut control = rule(None, Some(1));
        control.filter = Some(FilterDraft { prefix: Some("\0x".into()), ..Default::default() });
        assert_eq!(code(vec![control]), InvalidArgument, "a control character in a prefix");
        let mut nonchar = rule(None, Some(1));
        nonchar.filter = Some(FilterDraft { prefix: Some("a\u{FFFF}b".into()), ..Default::default() });
        assert_eq!(code(vec![nonchar]), InvalidArgument, "U+FFFF, which XML cannot carry");
        let mut long = rule(None, Some(1));
        long.filter = None;
        long.prefix = Some("p".repeat(1025));
        assert_eq!(code(vec![long]), InvalidArgument, "a prefix longer than a key");
        let mut noncurrent = rule(None, Some(1));
        noncurrent.versioned_only = Some("NoncurrentVersionExpiration");
        assert_eq!(code(vec![noncurrent]), InvalidRequest);
    }

    #[test]
    fn filters_are_checked() {
        let with = |filter: FilterDraft| RuleDraft { filter: Some(filter), ..rule(None, Some(5)) };
        let tag = |k: &str, v: &str| TagDraft { key: Some(k.into()), value: Some(v.into()) };
        // Two conditions outside And.
        assert_eq!(
            code(vec![with(FilterDraft { prefix: Some("a".into()), tag: Some(tag("k", "v")), ..Default::default() })]),
            MalformedXml
        );
        // Prefix and Filter together.
        assert_eq!(code(vec![RuleDraft { prefix: Some("a".into()), ..rule(None, Some(5)) }]), MalformedXml);
        // Sizes.
        assert_eq!(
            code(vec![with(FilterDraft { object_size_greater_than: Some(-1), ..Default::default() })]),
            InvalidArgument
        );
        let and = |gt, lt| FilterDraft {
            and: Some(AndDraft { object_size_greater_than: gt, object_size_less_than: lt, ..Default::default() }),
            ..Default::default()
        };
        assert_eq!(code(vec![with(and(Some(10), Some(10)))]), InvalidRequest);
        assert_eq!(code(vec![with(and(None, Some(0)))]), InvalidRequest);
        assert!(validate(vec![with(and(Some(10), Some(11)))]).is_ok());
        // Tags in And: unique keys, valid lengths.
        let tags = |t: Vec<TagDraft>| FilterDraft {
            and: Some(AndDraft { tags: t, ..Default::default() }),
            ..Default::default()
        };
        assert_eq!(code(vec![with(tags(vec![tag("k", "1"), tag("k", "2")]))]), InvalidRequest);
        assert_eq!(code(vec![with(tags(vec![tag(&"k".repeat(129), "1")]))]), InvalidArgument);
        // Abort with a tag filter.
        let mut abort = with(FilterDraft { tag: Some(tag("k", "v")), ..Default::default() });
        abort.expiration = None;
        abort.abort_incomplete_multipart_upload = Some(AbortDraft { days_after_initiation: Some(1) });
        assert_eq!(code(vec![abort]), InvalidRequest);
        // An empty filter is the whole bucket.
        let all = validate(vec![with(FilterDraft::default())]).unwrap();
        assert!(all.rules[0].filter.matches("anything", 0, &TagSet::empty()));
    }

    #[test]
    fn filters_match_prefix_tags_and_size() {
        let config = validate(vec![RuleDraft {
            filter: Some(FilterDraft {
                and: Some(AndDraft {
                    prefix: Some("logs/".into()),
                    tags: vec![TagDraft { key: Some("class".into()), value: Some("cold".into()) }],
                    object_size_greater_than: Some(100),
                    object_size_less_than: None,
                }),
                ..Default::default()
            }),
            ..rule(None, Some(5))
        }])
        .unwrap();
        let f = &config.rules[0].filter;
        let tags = TagSet::new([("class".to_string(), "cold".to_string())]).unwrap();
        assert!(f.matches("logs/a", 101, &tags));
        assert!(!f.matches("logs/a", 100, &tags), "strictly greater");
        assert!(!f.matches("other/a", 101, &tags));
        assert!(!f.matches("logs/a", 101, &TagSet::empty()));
    }

    #[test]
    fn a_prefix_range_ends_where_its_keys_end() {
        assert_eq!(prefix_end("logs/"), Some("logs0".into()));
        assert_eq!(prefix_end("a\u{10FFFF}"), Some("b".into()));
        assert_eq!(prefix_end("\u{D7FF}"), Some("\u{E000}".into()));
        assert_eq!(prefix_end(""), None);
        assert_eq!(prefix_end("\u{10FFFF}"), None);
        let end = prefix_end("é").unwrap();
        for key in ["é", "é/x", "é\u{10FFFF}\u{10FFFF}"] {
            assert!(key < end.as_str(), "{key}");
        }
        assert!("ê" >= end.as_str());
    }

    #[test]
    fn due_times_round_up_to_day_boundaries() {
        let day = DAY_MS;
        // Created at 10:00 on day 100, 1 day later rounds up to midnight starting day 102.
        assert_eq!(due_after_days(100 * day + 10 * 3_600_000, 1, day), 102 * day);
        // Exactly at midnight stays.
        assert_eq!(due_after_days(100 * day, 1, day), 101 * day);
        // The cutoff inverts it: due at `now` iff created at or before the cutoff.
        let t = Trigger::Days(1);
        for created in [100 * day, 100 * day + 1, 101 * day - 1, 101 * day] {
            for now in [101 * day, 102 * day - 1, 102 * day, 103 * day] {
                let due = t.due_at(created, day) <= now;
                assert_eq!(created <= t.created_cutoff(now, day).unwrap(), due, "created {created} now {now}");
            }
        }
        assert_eq!(Trigger::Date(5 * day).created_cutoff(4 * day, day), None);
        assert_eq!(Trigger::Date(5 * day).created_cutoff(5 * day, day), Some(i64::MAX));
        // Ten-second days for tests.
        assert_eq!(due_after_days(12_345, 2, 10_000), 40_000);
    }

    #[test]
    fn the_expiration_header_reads_as_aws_writes_it() {
        let info = ExpirationInfo { expiry: 1_356_220_800_000, rule_id: "rule 1/é".into() };
        assert_eq!(info.header_value(), "expiry-date=\"Sun, 23 Dec 2012 00:00:00 GMT\", rule-id=\"rule 1/%C3%A9\"");
    }

    #[test]
    fn small_objects_do_not_transition_unless_a_size_is_named() {
        let config = validate(vec![rule(Some(1), None)]).unwrap();
        assert_eq!(config.rules[0].min_transition_bytes(config.minimum_object_size), DEFAULT_MIN_TRANSITION_BYTES);
        let sized = validate(vec![RuleDraft {
            filter: Some(FilterDraft { object_size_greater_than: Some(0), ..Default::default() }),
            ..rule(Some(1), None)
        }])
        .unwrap();
        assert_eq!(sized.rules[0].min_transition_bytes(sized.minimum_object_size), 0);
        assert_eq!(MinimumObjectSize::VariesByStorageClass.min_transition_bytes("GLACIER"), 0);
        assert_eq!(MinimumObjectSize::VariesByStorageClass.min_transition_bytes(COLD), DEFAULT_MIN_TRANSITION_BYTES);
        assert_eq!(MinimumObjectSize::parse("nope").unwrap_err().code, InvalidRequest);
    }
}
