//! Settings: `config/default.toml` (built in) ← optional `--config FILE` ← `TIERGATE_*`
//! environment variables (`__` between levels), read into one typed struct. A bad value stops
//! start-up with an error that names its key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::providers::{Env, Format, Toml};
use figment::Figment;
use serde::Deserialize;
use thiserror::Error;
use url::Url;

use crate::domain::{BucketName, Email};

/// The defaults, the same text as `config/default.toml` in the repository.
pub const DEFAULT_TOML: &str = include_str!("../../config/default.toml");

/// A setting that could not be read; `key` is its dotted path, e.g. `catalog.url`.
#[derive(Debug, Error)]
pub enum SettingsError {
    #[error("invalid setting `{key}`: {message}")]
    Invalid { key: String, message: String },
    #[error("invalid settings: {0}")]
    Figment(#[from] Box<figment::Error>),
}

fn invalid(key: impl Into<String>, message: impl Into<String>) -> SettingsError {
    SettingsError::Invalid { key: key.into(), message: message.into() }
}

/// Everything Tiergate is configured with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub server: ServerSettings,
    pub catalog: CatalogSettings,
    pub tiers: TierPair,
    pub auth: AuthSettings,
    pub upload: UploadSettings,
    pub tiering: TieringSettings,
    pub gc: GcSettings,
    pub quota: QuotaSettings,
    pub audit: AuditSettings,
}

#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub control_plane_addr: SocketAddr,
    pub gateway_addr: SocketAddr,
    pub data_dir: PathBuf,
    /// Base URL that links (signed downloads, access URLs) are built on.
    pub public_url: Url,
    /// The S3 endpoint users are told to use.
    pub gateway_public_url: Url,
    /// Base domain for virtual-host style requests (`bucket.domain`); path style always works.
    pub gateway_domain: Option<String>,
    /// Threads serving S3 connections, each with a runtime of its own (at least 1).
    pub gateway_threads: usize,
    /// Accept browser form uploads (PostObject) signed with Signature Version 2, which AWS
    /// deprecated; every other SigV2 request stays refused. Off by default.
    pub allow_sigv2_post: bool,
    /// The largest XML (or form) body the gateway reads whole, in bytes: DeleteObjects,
    /// CompleteMultipartUpload, STS forms… A larger one is refused before it is read.
    pub max_xml_body_bytes: usize,
    /// How long a client has to send a request's headers (and, between requests, to start the
    /// next one) and the whole of a body the gateway reads whole; then the connection closes.
    pub request_read_timeout: Duration,
    /// Connections each listener (S3 gateway, control plane) serves at once; one more is closed
    /// as soon as it is accepted.
    pub max_connections: usize,
    /// Where a process without a control plane (`gateway`, `tiering`) serves `/metrics` and
    /// `/healthz`; `serve` and `control-plane` serve them on the control plane (and here too when
    /// set).
    pub metrics_addr: Option<SocketAddr>,
    /// How long start-up waits for a catalog or tier that does not answer yet (retrying).
    pub startup_wait: Duration,
    pub cors_origins: Vec<String>,
    pub log_format: LogFormat,
    pub log_level: String,
    pub web_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct CatalogSettings {
    pub url: CatalogUrl,
    pub max_connections: u32,
}

/// A catalog location: Postgres or SQLite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogUrl {
    Postgres(String),
    Sqlite(String),
}

impl CatalogUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let lower = raw.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            Url::parse(raw).map_err(|e| format!("not a valid URL: {e}"))?;
            Ok(Self::Postgres(raw.to_string()))
        } else if let Some(rest) = lower.strip_prefix("sqlite:") {
            if rest.trim_start_matches('/').is_empty() {
                return Err("names no database file".into());
            }
            Ok(Self::Sqlite(raw.to_string()))
        } else {
            Err(format!("{raw:?} is neither a postgres:// nor a sqlite:// URL"))
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Postgres(u) | Self::Sqlite(u) => u,
        }
    }

    /// The file of a SQLite catalog (`None` for Postgres, or an in-memory database).
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        let Self::Sqlite(url) = self else { return None };
        let path = url.split_once(':').map(|(_, rest)| rest).unwrap_or(url);
        let path = path.strip_prefix("//").unwrap_or(path);
        let path = path.split('?').next().unwrap_or(path);
        (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
    }
}

#[derive(Debug, Clone)]
pub struct TierPair {
    pub hot: TierSettings,
    pub cold: TierSettings,
}

/// One storage tier: a label shown to users and the backend that holds the bytes.
#[derive(Debug, Clone)]
pub struct TierSettings {
    pub label: String,
    pub backend: TierBackend,
    /// Base URL under which the tier's objects are publicly readable, if they are.
    pub public_url_base: Option<Url>,
    /// Storage class reported over S3 for objects in this tier.
    pub storage_class: String,
}

#[derive(Debug, Clone)]
pub enum TierBackend {
    Fs { root: PathBuf },
    S3(Box<S3TierSettings>),
}

#[derive(Debug, Clone)]
pub struct S3TierSettings {
    pub endpoint: Option<Url>,
    /// The endpoint presigned URLs name, when clients reach the service at another address
    /// than Tiergate does (e.g. `http://minio:9000` inside Docker, `http://localhost:9000` outside).
    pub presign_endpoint: Option<Url>,
    pub region: String,
    pub bucket: String,
    pub prefix: String,
    pub path_style: bool,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Storage class asked of the backend on write (e.g. STANDARD_IA on AWS).
    pub backend_storage_class: Option<String>,
    pub part_size: u64,
    /// A body of known length above this goes up as a multipart upload of `part_size` parts
    /// streamed from it; up to it, as one PUT. At most 5 GiB, S3's limit for one PUT; lower
    /// for a store whose limit is lower.
    pub multipart_threshold: u64,
    /// Memory, shared by every upload of unknown length to this tier, for more part buffers.
    /// Each such upload holds one part in any case; with another from this budget it reads
    /// the next part while the last is sent, and sends two at once. Without, it waits.
    pub overlap_bytes: u64,
    pub create_bucket: bool,
}

#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub jwt_secret: Option<String>,
    pub key_secret: Option<String>,
    pub token_ttl: Duration,
    pub admins: Vec<Email>,
    /// Password hashes (argon2id, ~19 MiB of memory each) computed at once, at least 1: sign-ups
    /// and logins beyond it wait their turn, which bounds the memory they take.
    pub password_hash_concurrency: usize,
    /// How long a sign-up or login waits for its turn to hash before it is refused with 503 and
    /// `Retry-After`.
    pub password_hash_wait: Duration,
    /// Login attempts an account takes within `login_failure_window` that do not prove its
    /// password; more are refused with 429 until the window has passed (counted in the catalog,
    /// so on every process).
    pub login_failures_per_account: u32,
    pub login_failure_window: Duration,
    /// Login attempts per minute from one client address (a token bucket).
    pub login_attempts_per_address: u32,
    /// Sign-ups per hour from one client address (a token bucket).
    pub signups_per_address: u32,
    /// Who may sign up.
    pub signup: SignupPolicy,
    /// How long an invite made by an admin stays good.
    pub invite_ttl: Duration,
}

/// `auth.signup`: who may create an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SignupPolicy {
    /// Anyone who reaches the control plane.
    Open,
    /// Only with a single-use invite an admin made (`POST /api/admin/invites`).
    Invite,
    /// Nobody; admins named in `auth.admins` may still sign up, so a fresh install can be set up.
    Closed,
}

/// `[quota]`: what a user may store when an admin has not set their own quota. `None`:
/// unlimited. Bytes count every object (hot and cold alike) and the parts of multipart uploads
/// in progress.
#[derive(Debug, Clone, Default)]
pub struct QuotaSettings {
    pub default_bytes: Option<u64>,
    pub default_objects: Option<u64>,
}

/// `[audit]`: where audit events go, one JSON object a line.
#[derive(Debug, Clone)]
pub struct AuditSettings {
    pub target: AuditTarget,
    /// Also record reads (GetObject, HeadObject, listings, downloads).
    pub reads: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditTarget {
    Off,
    Stdout,
    /// Appended to; created when missing.
    File(PathBuf),
}

#[derive(Debug, Clone)]
pub struct UploadSettings {
    pub max_bytes: u64,
    pub default_bucket: BucketName,
    /// Multipart uploads left unfinished this long are aborted.
    pub multipart_expiry: Duration,
}

#[derive(Debug, Clone)]
pub struct TieringSettings {
    pub schedule: String,
    pub timezone: String,
    pub min_age: Duration,
    pub batch_size: u32,
    pub concurrency: u32,
    pub delete_hot_after_copy: bool,
    /// How long a pass's claim to be the only one lasts without being renewed (a pass that
    /// dies holds off the next one this long).
    pub lease_ttl: Duration,
    /// The length of one lifecycle "day" (default 24 h): a rule's `Days` count these, and due
    /// times are rounded up to a multiple of it since the Unix epoch (midnight UTC for real
    /// days, as AWS rounds). Shorter only for tests, as Ceph RGW's `rgw_lc_debug_interval`.
    pub day_length: Duration,
    /// What the pass does in a bucket with no lifecycle configuration.
    pub default_policy: DefaultPolicy,
}

/// `tiering.default_policy`: the tiering of buckets that have no lifecycle configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DefaultPolicy {
    /// Every hot object older than `tiering.min_age` moves to the cold tier (the first
    /// design's behaviour, and the default).
    All,
    /// Nothing moves: only lifecycle rules tier.
    None,
}

#[derive(Debug, Clone)]
pub struct GcSettings {
    /// How often the collector looks for superseded backing objects.
    pub interval: Duration,
    /// How long a superseded backing object is kept for readers still streaming it.
    pub grace: Duration,
}

// ---- the raw shapes figment reads ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    server: RawServer,
    catalog: RawCatalog,
    tiers: RawTiers,
    auth: RawAuth,
    upload: RawUpload,
    tiering: RawTiering,
    gc: RawGc,
    #[serde(default)]
    quota: RawQuota,
    #[serde(default)]
    audit: RawAudit,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawQuota {
    default_bytes: Option<u64>,
    default_objects: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAudit {
    target: String,
    #[serde(default)]
    reads: bool,
}

impl Default for RawAudit {
    fn default() -> Self {
        Self { target: "stdout".to_string(), reads: false }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    control_plane_addr: SocketAddr,
    gateway_addr: SocketAddr,
    data_dir: PathBuf,
    public_url: Option<String>,
    gateway_public_url: Option<String>,
    gateway_domain: Option<String>,
    gateway_threads: usize,
    #[serde(default)]
    allow_sigv2_post: bool,
    #[serde(default = "default_max_xml_body_bytes")]
    max_xml_body_bytes: usize,
    #[serde(with = "humantime_serde", default = "default_request_read_timeout")]
    request_read_timeout: Duration,
    #[serde(default = "default_max_connections")]
    max_connections: usize,
    #[serde(default)]
    metrics_addr: Option<String>,
    #[serde(with = "humantime_serde", default = "default_startup_wait")]
    startup_wait: Duration,
    #[serde(default)]
    cors_origins: Vec<String>,
    log_format: String,
    log_level: String,
    web_dir: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    url: Option<String>,
    max_connections: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTiers {
    hot: RawTier,
    cold: RawTier,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTier {
    kind: String,
    label: String,
    root: Option<PathBuf>,
    endpoint: Option<String>,
    presign_endpoint: Option<String>,
    region: Option<String>,
    bucket: Option<String>,
    #[serde(default)]
    prefix: String,
    #[serde(default = "yes")]
    path_style: bool,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    storage_class: Option<String>,
    backend_storage_class: Option<String>,
    public_url_base: Option<String>,
    part_size: Option<u64>,
    multipart_threshold: Option<u64>,
    overlap_bytes: Option<u64>,
    #[serde(default)]
    create_bucket: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuth {
    jwt_secret: Option<String>,
    key_secret: Option<String>,
    #[serde(with = "humantime_serde")]
    token_ttl: Duration,
    #[serde(default, deserialize_with = "list_or_commas")]
    admins: Vec<String>,
    #[serde(default)]
    password_hash_concurrency: usize,
    #[serde(with = "humantime_serde", default = "default_password_hash_wait")]
    password_hash_wait: Duration,
    #[serde(default = "default_login_failures_per_account")]
    login_failures_per_account: u32,
    #[serde(with = "humantime_serde", default = "default_login_failure_window")]
    login_failure_window: Duration,
    #[serde(default = "default_login_attempts_per_address")]
    login_attempts_per_address: u32,
    #[serde(default = "default_signups_per_address")]
    signups_per_address: u32,
    #[serde(default = "default_signup")]
    signup: String,
    #[serde(with = "humantime_serde", default = "default_invite_ttl")]
    invite_ttl: Duration,
}

fn default_signup() -> String {
    "open".to_string()
}

fn default_invite_ttl() -> Duration {
    Duration::from_secs(7 * 24 * 3600)
}

/// A list, or (as an environment variable gives it) one string of comma-separated items:
/// `TIERGATE_AUTH__ADMINS=a@example.com,b@example.com`.
fn list_or_commas<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Many(Vec<String>),
        One(String),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::Many(v) => v,
        OneOrMany::One(s) => s.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect(),
    })
}

fn default_login_failures_per_account() -> u32 {
    5
}

fn default_login_failure_window() -> Duration {
    Duration::from_secs(60)
}

fn default_login_attempts_per_address() -> u32 {
    30
}

fn default_signups_per_address() -> u32 {
    20
}

/// `n`, or the number of cores for 0 (at least 1).
fn one_per_core_if_zero(n: usize) -> usize {
    match n {
        0 => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        n => n,
    }
}

fn default_request_read_timeout() -> Duration {
    Duration::from_secs(30)
}

fn default_startup_wait() -> Duration {
    Duration::from_secs(60)
}

fn default_max_connections() -> usize {
    4096
}

fn default_max_xml_body_bytes() -> usize {
    8 * 1024 * 1024
}

fn default_password_hash_wait() -> Duration {
    Duration::from_secs(10)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUpload {
    max_bytes: u64,
    default_bucket: String,
    #[serde(with = "humantime_serde")]
    multipart_expiry: Duration,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTiering {
    schedule: String,
    timezone: String,
    #[serde(with = "humantime_serde")]
    min_age: Duration,
    batch_size: u32,
    concurrency: u32,
    delete_hot_after_copy: bool,
    #[serde(with = "humantime_serde")]
    lease_ttl: Duration,
    #[serde(with = "humantime_serde")]
    day_length: Duration,
    default_policy: DefaultPolicy,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGc {
    #[serde(with = "humantime_serde")]
    interval: Duration,
    #[serde(with = "humantime_serde")]
    grace: Duration,
}

impl Settings {
    /// Reads the built-in defaults, then `file` if given, then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        let mut figment = Figment::from(Toml::string(DEFAULT_TOML));
        if let Some(file) = file {
            if !file.exists() {
                return Err(invalid("--config", format!("{} does not exist", file.display())));
            }
            figment = figment.merge(Toml::file(file));
        }
        // Settings always name a section (`TIERGATE_SECTION__KEY`); single-level variables such
        // as TIERGATE_CONFIG or the test harness's TIERGATE_TEST_* are not settings.
        figment = figment.merge(Env::prefixed("TIERGATE_").filter(|k| k.as_str().contains("__")).split("__"));
        Self::from_figment(figment)
    }

    /// Builds settings from any figment (tests layer their own values on the defaults).
    pub fn from_figment(figment: Figment) -> Result<Self, SettingsError> {
        let raw: Raw = figment.extract().map_err(|e| {
            if e.path.is_empty() {
                return SettingsError::Figment(Box::new(e));
            }
            let source = e.metadata.as_ref().map(|m| format!(" (from {})", m.name)).unwrap_or_default();
            invalid(e.path.join(".").to_ascii_lowercase(), format!("{}{source}", e.kind))
        })?;
        Self::from_raw(raw)
    }

    /// The built-in defaults with `overrides` (TOML text) on top; for tests and tools.
    pub fn defaults_with(overrides: &str) -> Result<Self, SettingsError> {
        Self::from_figment(Figment::from(Toml::string(DEFAULT_TOML)).merge(Toml::string(overrides)))
    }

    fn from_raw(raw: Raw) -> Result<Self, SettingsError> {
        let data_dir = raw.server.data_dir.clone();
        let log_format = match raw.server.log_format.as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => return Err(invalid("server.log_format", format!("{other:?} is not \"text\" or \"json\""))),
        };
        let public_url = match raw.server.public_url {
            Some(u) => parse_url("server.public_url", &u)?,
            None => local_url(raw.server.control_plane_addr),
        };
        let gateway_public_url = match raw.server.gateway_public_url {
            Some(u) => parse_url("server.gateway_public_url", &u)?,
            None => local_url(raw.server.gateway_addr),
        };
        let catalog_url = match raw.catalog.url.filter(|u| !u.trim().is_empty()) {
            Some(u) => CatalogUrl::parse(&u).map_err(|m| invalid("catalog.url", m))?,
            None => CatalogUrl::Sqlite(format!("sqlite://{}?mode=rwc", data_dir.join("catalog.db").display())),
        };
        if raw.catalog.max_connections == 0 {
            return Err(invalid("catalog.max_connections", "must be at least 1"));
        }
        let hot = tier_from_raw("tiers.hot", raw.tiers.hot, &data_dir.join("hot"))?;
        let cold = tier_from_raw("tiers.cold", raw.tiers.cold, &data_dir.join("cold"))?;
        let admins = raw
            .auth
            .admins
            .iter()
            .map(|a| Email::parse(a).map_err(|e| invalid("auth.admins", format!("{a:?} {}", e.message))))
            .collect::<Result<_, _>>()?;
        for (key, secret) in [("auth.jwt_secret", &raw.auth.jwt_secret), ("auth.key_secret", &raw.auth.key_secret)] {
            if let Some(s) = secret {
                if s.len() < 32 {
                    return Err(invalid(key, "must be at least 32 characters"));
                }
            }
        }
        if raw.auth.token_ttl.is_zero() {
            return Err(invalid("auth.token_ttl", "must be longer than zero"));
        }
        if raw.upload.max_bytes == 0 {
            return Err(invalid("upload.max_bytes", "must be at least 1"));
        }
        let default_bucket =
            BucketName::parse(&raw.upload.default_bucket).map_err(|e| invalid("upload.default_bucket", e.message))?;
        if raw.tiering.batch_size == 0 {
            return Err(invalid("tiering.batch_size", "must be at least 1"));
        }
        if raw.tiering.lease_ttl < Duration::from_millis(300) {
            return Err(invalid("tiering.lease_ttl", "must be at least 300ms"));
        }
        if raw.tiering.day_length < Duration::from_secs(1) || raw.tiering.day_length > Duration::from_secs(86_400) {
            return Err(invalid("tiering.day_length", "must be between 1s and 24h"));
        }
        if raw.tiering.concurrency == 0 {
            return Err(invalid("tiering.concurrency", "must be at least 1"));
        }
        for (key, value) in [
            ("auth.login_failures_per_account", raw.auth.login_failures_per_account),
            ("auth.login_attempts_per_address", raw.auth.login_attempts_per_address),
            ("auth.signups_per_address", raw.auth.signups_per_address),
        ] {
            if value == 0 {
                return Err(invalid(key, "must be at least 1"));
            }
        }
        if raw.auth.login_failure_window.is_zero() {
            return Err(invalid("auth.login_failure_window", "must be longer than zero"));
        }
        if raw.server.request_read_timeout.is_zero() {
            return Err(invalid("server.request_read_timeout", "must be longer than zero"));
        }
        let metrics_addr = match raw.server.metrics_addr.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
            None => None,
            Some(a) => {
                Some(a.parse::<SocketAddr>().map_err(|e| invalid("server.metrics_addr", format!("{a:?}: {e}")))?)
            }
        };
        if raw.server.max_connections == 0 {
            return Err(invalid("server.max_connections", "must be at least 1"));
        }
        let signup = match raw.auth.signup.as_str() {
            "open" => SignupPolicy::Open,
            "invite" => SignupPolicy::Invite,
            "closed" => SignupPolicy::Closed,
            other => {
                return Err(invalid("auth.signup", format!("{other:?} is not \"open\", \"invite\" or \"closed\"")))
            }
        };
        if raw.auth.invite_ttl.is_zero() {
            return Err(invalid("auth.invite_ttl", "must be longer than zero"));
        }
        let audit_target = match raw.audit.target.trim() {
            "off" => AuditTarget::Off,
            "stdout" => AuditTarget::Stdout,
            "" => return Err(invalid("audit.target", "must be \"off\", \"stdout\" or a file path")),
            path => AuditTarget::File(PathBuf::from(path)),
        };
        for (key, value) in
            [("quota.default_bytes", raw.quota.default_bytes), ("quota.default_objects", raw.quota.default_objects)]
        {
            if value.is_some_and(|v| v > i64::MAX as u64) {
                return Err(invalid(key, "is larger than 9223372036854775807"));
            }
        }
        if raw.server.max_xml_body_bytes < 64 * 1024 {
            return Err(invalid("server.max_xml_body_bytes", "must be at least 65536 (a DeleteObjects of 1000 keys)"));
        }
        Ok(Settings {
            server: ServerSettings {
                control_plane_addr: raw.server.control_plane_addr,
                gateway_addr: raw.server.gateway_addr,
                data_dir,
                public_url,
                gateway_public_url,
                gateway_domain: raw.server.gateway_domain.filter(|d| !d.trim().is_empty()),
                gateway_threads: one_per_core_if_zero(raw.server.gateway_threads),
                allow_sigv2_post: raw.server.allow_sigv2_post,
                max_xml_body_bytes: raw.server.max_xml_body_bytes,
                request_read_timeout: raw.server.request_read_timeout,
                max_connections: raw.server.max_connections,
                metrics_addr,
                startup_wait: raw.server.startup_wait,
                cors_origins: raw.server.cors_origins,
                log_format,
                log_level: raw.server.log_level,
                web_dir: raw.server.web_dir,
            },
            catalog: CatalogSettings { url: catalog_url, max_connections: raw.catalog.max_connections },
            tiers: TierPair { hot, cold },
            auth: AuthSettings {
                jwt_secret: raw.auth.jwt_secret,
                key_secret: raw.auth.key_secret,
                token_ttl: raw.auth.token_ttl,
                admins,
                password_hash_concurrency: one_per_core_if_zero(raw.auth.password_hash_concurrency),
                password_hash_wait: raw.auth.password_hash_wait,
                login_failures_per_account: raw.auth.login_failures_per_account,
                login_failure_window: raw.auth.login_failure_window,
                login_attempts_per_address: raw.auth.login_attempts_per_address,
                signups_per_address: raw.auth.signups_per_address,
                signup,
                invite_ttl: raw.auth.invite_ttl,
            },
            upload: UploadSettings {
                max_bytes: raw.upload.max_bytes,
                default_bucket,
                multipart_expiry: raw.upload.multipart_expiry,
            },
            tiering: TieringSettings {
                schedule: raw.tiering.schedule,
                timezone: raw.tiering.timezone,
                min_age: raw.tiering.min_age,
                batch_size: raw.tiering.batch_size,
                concurrency: raw.tiering.concurrency,
                delete_hot_after_copy: raw.tiering.delete_hot_after_copy,
                lease_ttl: raw.tiering.lease_ttl,
                day_length: raw.tiering.day_length,
                default_policy: raw.tiering.default_policy,
            },
            gc: GcSettings { interval: raw.gc.interval, grace: raw.gc.grace },
            quota: QuotaSettings { default_bytes: raw.quota.default_bytes, default_objects: raw.quota.default_objects },
            audit: AuditSettings { target: audit_target, reads: raw.audit.reads },
        })
    }
}

fn parse_url(key: &str, raw: &str) -> Result<Url, SettingsError> {
    Url::parse(raw).map_err(|e| invalid(key, format!("{raw:?} is not a valid URL: {e}")))
}

fn local_url(addr: SocketAddr) -> Url {
    let host = if addr.ip().is_unspecified() { "127.0.0.1".to_string() } else { addr.ip().to_string() };
    let host = if addr.is_ipv6() && !addr.ip().is_unspecified() { format!("[{host}]") } else { host };
    Url::parse(&format!("http://{host}:{}", addr.port())).expect("a socket address makes a valid URL")
}

fn tier_from_raw(key: &str, mut raw: RawTier, default_root: &Path) -> Result<TierSettings, SettingsError> {
    let k = |field: &str| format!("{key}.{field}");
    // An empty value is no value (a compose file passes `${VAR:-}` through as "").
    for value in [
        &mut raw.endpoint,
        &mut raw.presign_endpoint,
        &mut raw.access_key_id,
        &mut raw.secret_access_key,
        &mut raw.backend_storage_class,
        &mut raw.public_url_base,
    ] {
        if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
            *value = None;
        }
    }
    let public_url_base = raw.public_url_base.as_deref().map(|u| parse_url(&k("public_url_base"), u)).transpose()?;
    let backend = match raw.kind.as_str() {
        "fs" => TierBackend::Fs { root: raw.root.unwrap_or_else(|| default_root.to_path_buf()) },
        "s3" => {
            let bucket = raw
                .bucket
                .filter(|b| !b.trim().is_empty())
                .ok_or_else(|| invalid(k("bucket"), "is required for an s3 tier"))?;
            let endpoint = raw.endpoint.as_deref().map(|u| parse_url(&k("endpoint"), u)).transpose()?;
            let presign_endpoint =
                raw.presign_endpoint.as_deref().map(|u| parse_url(&k("presign_endpoint"), u)).transpose()?;
            let part_size = raw.part_size.unwrap_or(8 * 1024 * 1024);
            if !(5 * 1024 * 1024..=5 * 1024 * 1024 * 1024).contains(&part_size) {
                return Err(invalid(k("part_size"), "must be between 5 MiB and 5 GiB"));
            }
            let multipart_threshold = raw.multipart_threshold.unwrap_or(5 * 1024 * 1024 * 1024);
            if !(5 * 1024 * 1024..=5 * 1024 * 1024 * 1024).contains(&multipart_threshold) {
                return Err(invalid(k("multipart_threshold"), "must be between 5 MiB and 5 GiB"));
            }
            if raw.access_key_id.is_some() != raw.secret_access_key.is_some() {
                return Err(invalid(k("secret_access_key"), "access_key_id and secret_access_key go together"));
            }
            let prefix = raw.prefix.trim_matches('/').to_string();
            TierBackend::S3(Box::new(S3TierSettings {
                endpoint,
                presign_endpoint,
                region: raw.region.unwrap_or_else(|| "us-east-1".to_string()),
                bucket,
                prefix: if prefix.is_empty() { prefix } else { format!("{prefix}/") },
                path_style: raw.path_style,
                access_key_id: raw.access_key_id,
                secret_access_key: raw.secret_access_key,
                backend_storage_class: raw.backend_storage_class,
                part_size,
                multipart_threshold,
                overlap_bytes: raw.overlap_bytes.unwrap_or(part_size),
                create_bucket: raw.create_bucket,
            }))
        }
        other => return Err(invalid(k("kind"), format!("unknown tier kind {other:?} (expected \"fs\" or \"s3\")"))),
    };
    Ok(TierSettings {
        label: raw.label,
        backend,
        public_url_base,
        storage_class: raw.storage_class.unwrap_or_else(|| "STANDARD".to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_embedded_single_node() {
        let s = Settings::defaults_with("").unwrap();
        assert!(matches!(s.catalog.url, CatalogUrl::Sqlite(ref u) if u.contains("data/catalog.db")));
        assert!(matches!(s.tiers.hot.backend, TierBackend::Fs { ref root } if root.ends_with("hot")));
        assert_eq!(s.tiers.hot.label, "minio");
        assert_eq!(s.tiers.cold.label, "s3");
        assert_eq!(s.upload.max_bytes, 100 * 1024 * 1024);
        assert_eq!(s.auth.token_ttl, Duration::from_secs(24 * 3600));
        assert_eq!(s.tiering.schedule, "0 0 * * *");
        assert_eq!(s.tiering.batch_size, 10);
        assert!(!s.tiering.delete_hot_after_copy);
        let cores = std::thread::available_parallelism().unwrap().get();
        assert_eq!(s.server.gateway_threads, cores, "0 means one serving thread per core");
        assert_eq!(Settings::defaults_with("[server]\ngateway_threads = 3").unwrap().server.gateway_threads, 3);
    }

    #[test]
    fn admins_may_be_one_comma_separated_string_as_the_environment_gives_them() {
        let s = Settings::defaults_with("[auth]\nadmins = \"a@example.com, b@example.com\"").unwrap();
        let admins: Vec<&str> = s.auth.admins.iter().map(|e| e.as_str()).collect();
        assert_eq!(admins, ["a@example.com", "b@example.com"]);
        let s = Settings::defaults_with("[auth]\nadmins = [\"c@example.com\"]\nsignup = \"invite\"").unwrap();
        assert_eq!(s.auth.admins.len(), 1);
        assert_eq!(s.auth.signup, SignupPolicy::Invite);
        assert_eq!(s.quota.default_bytes, None, "unlimited unless set");
    }

    fn err(overrides: &str) -> String {
        Settings::defaults_with(overrides).unwrap_err().to_string()
    }

    #[test]
    fn bad_values_name_their_key() {
        assert!(err("[catalog]\nurl = \"mysql://x\"").contains("catalog.url"));
        assert!(err("[tiers.hot]\nkind = \"tape\"").contains("tiers.hot.kind"));
        assert!(err("[tiers.cold]\nkind = \"s3\"").contains("tiers.cold.bucket"));
        assert!(err("[upload]\ndefault_bucket = \"No_Such\"").contains("upload.default_bucket"));
        assert!(err("[auth]\nadmins = [\"nope\"]").contains("auth.admins"));
        assert!(err("[auth]\nsignup = \"maybe\"").contains("auth.signup"));
        assert!(err("[audit]\ntarget = \"\"").contains("audit.target"));
        assert!(err("[quota]\ndefault_bytes = -1").contains("quota.default_bytes"));
        assert!(err("[server]\ngateway_addr = \"nowhere\"").contains("gateway_addr"));
        assert!(err("[server]\ngateway_threads = -1").contains("server.gateway_threads"));
        assert!(err("[tiers.cold]\nkind = \"s3\"\nbucket = \"b\"\nendpoint = \"::\"").contains("tiers.cold.endpoint"));
        assert!(err("[tiers.hot]\nkind = \"s3\"\nbucket = \"b\"\nmultipart_threshold = 1024")
            .contains("tiers.hot.multipart_threshold"));
        assert!(err("[tiers.hot]\nkind = \"s3\"\nbucket = \"b\"\npart_size = 1024").contains("tiers.hot.part_size"));
        // Empty values are no values: an endpoint of "" is AWS's.
        let s = Settings::defaults_with("[tiers.cold]\nkind = \"s3\"\nbucket = \"b\"\nendpoint = \"\"\naccess_key_id = \"\"\nsecret_access_key = \"\"").unwrap();
        assert!(
            matches!(s.tiers.cold.backend, TierBackend::S3(ref t) if t.endpoint.is_none() && t.access_key_id.is_none())
        );
    }
}
