//! The catalog: the source of truth for users, buckets, objects and their tiers, on Postgres
//! or SQLite through one set of queries (sqlx's `Any` driver; both take `$N` parameters).
//!
//! Every query about objects or buckets is scoped by the owner's user id (DESIGN.md,
//! invariant 6); the API crates never write SQL.

mod access_keys;
mod buckets;
mod gc;
mod invites;
mod key_cache;
mod lifecycle;
mod multipart;
mod objects;
mod quota;
mod tiering;
mod users;

use std::str::FromStr;
use std::sync::Once;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};
use thiserror::Error;

pub use access_keys::AccessKeyRow;
pub use buckets::{Bucket, BucketDeletion, BucketSummary};
pub use gc::GcEntry;
pub use invites::{Invite, InviteError};
pub use lifecycle::{ActionTotals, BucketRules, RuleCursor, RuleQuery, RuleResult, StoredLifecycle};
pub use multipart::{MultipartPart, MultipartUpload, NewMultipartUpload};
pub use objects::{
    CatalogObject, Commit, CurrentVersion, EtagMatch, FileCursor, FileQuery, FileSort, Lookup, NewObjectRow,
    ObjectPage, SortOrder, WriteCondition,
};
pub use quota::{well_within, Quota, QuotaCheck, QuotaLimit, Reservation, Usage};
pub use tiering::{RunTotals, TierTotals, TieringFailure, TieringRun};
pub use users::{AdminUser, User, UserStatus};

use crate::settings::{CatalogSettings, CatalogUrl};

static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");
static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");

#[derive(Debug, Error)]
pub enum CatalogError {
    #[error("already exists")]
    Conflict,
    /// A conditional write's condition did not hold against the current version
    /// ([`WriteCondition`]); `exists` says whether there is a current version at all.
    #[error("a write condition did not hold")]
    PreconditionFailed { exists: bool },
    /// The write would pass its owner's quota; nothing was written.
    #[error("the write would pass {0}")]
    QuotaExceeded(QuotaLimit),
    /// The multipart upload a commit completes was completed or aborted meanwhile.
    #[error("no such multipart upload")]
    NoSuchUpload,
    /// A row the write refers to (its bucket) is gone.
    #[error("a row this one refers to is gone")]
    Gone,
    #[error("catalog unavailable: {0}")]
    Unavailable(String),
    #[error("catalog error: {0}")]
    Database(String),
    #[error("catalog migration failed: {0}")]
    Migration(String),
    #[error("catalog row is corrupt: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for CatalogError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => CatalogError::Conflict,
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => CatalogError::Gone,
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => CatalogError::Unavailable(e.to_string()),
            _ => CatalogError::Database(e.to_string()),
        }
    }
}

/// Which database the catalog lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogKind {
    Postgres,
    Sqlite,
}

/// A handle on the catalog database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Catalog {
    pool: AnyPool,
    kind: CatalogKind,
    keys: std::sync::Arc<key_cache::KeyCache>,
    /// Buckets writes went to lately, by owner and name (see [`Catalog::bucket_for_write`]).
    buckets_written: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<(i64, String), buckets::Bucket>>>,
}

/// Now, in the catalog's unit: Unix milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

pub(crate) fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Catalog {
    /// Connects; a SQLite file (and its folder) is created when missing.
    pub async fn connect(settings: &CatalogSettings) -> Result<Self, CatalogError> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let kind = match &settings.url {
            CatalogUrl::Postgres(_) => CatalogKind::Postgres,
            CatalogUrl::Sqlite(_) => {
                create_sqlite_parent(&settings.url);
                CatalogKind::Sqlite
            }
        };
        let options = AnyConnectOptions::from_str(settings.url.as_str())
            .map_err(|e| CatalogError::Unavailable(format!("catalog.url: {e}")))?;
        let pool = AnyPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(Duration::from_secs(10))
            // No ping before each use: it doubled the round trips (and Postgres's work) of
            // every query. A connection that died meanwhile fails its query, which answers
            // 503 once and closes it; the pool opens a fresh one.
            .test_before_acquire(false)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if kind == CatalogKind::Sqlite {
                        // WAL lets readers run beside the one writer; the busy timeout makes a
                        // writer wait for the lock instead of failing.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA busy_timeout = 15000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let keys = match &settings.url {
            CatalogUrl::Postgres(url) => key_cache::KeyCache::listening(url.to_string()),
            CatalogUrl::Sqlite(_) => key_cache::KeyCache::disabled(),
        };
        Ok(Self { pool, kind, keys, buckets_written: Default::default() })
    }

    pub fn kind(&self) -> CatalogKind {
        self.kind
    }

    /// Applies the migrations of this kind of database.
    pub async fn migrate(&self) -> Result<(), CatalogError> {
        let migrator = match self.kind {
            CatalogKind::Postgres => &POSTGRES_MIGRATIONS,
            CatalogKind::Sqlite => &SQLITE_MIGRATIONS,
        };
        migrator.run(&self.pool).await.map_err(|e| CatalogError::Migration(e.to_string()))
    }

    /// Answers whether the database is reachable.
    pub async fn ping(&self) -> Result<(), CatalogError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

fn create_sqlite_parent(url: &CatalogUrl) {
    if let Some(parent) = url.sqlite_path().as_deref().and_then(std::path::Path::parent) {
        let _ = std::fs::create_dir_all(parent);
    }
}

/// Decodes a column, turning a decode failure into a `Corrupt` error that names it.
pub(crate) fn col<'r, T>(row: &'r sqlx::any::AnyRow, name: &str) -> Result<T, CatalogError>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    use sqlx::Row;
    row.try_get(name).map_err(|e| CatalogError::Corrupt(format!("{name}: {e}")))
}
