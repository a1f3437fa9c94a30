//! Tiergate core: settings, the catalog, storage tiers, identity, and the one object path that
//! the control plane and the S3 gateway share.

pub mod accounts;
pub mod audit;
pub mod catalog;
pub mod checksum;
pub mod domain;
pub mod gc;
pub mod identity;
pub mod lifecycle;
pub mod listing;
pub mod metrics;
pub mod multipart;
pub mod net;
pub mod objects;
pub mod quota;
pub mod range;
pub mod settings;
pub mod storage;
pub mod tagging;
pub mod telemetry;

use std::sync::Arc;

use thiserror::Error;

use catalog::{Catalog, CatalogError};
use identity::{Identity, IdentityError};
use settings::Settings;
use storage::{StorageError, StorageTier};

/// An error that may go away by itself: a service that does not answer (yet).
trait MayComeUp {
    fn is_down(&self) -> bool;
}

impl MayComeUp for CatalogError {
    fn is_down(&self) -> bool {
        matches!(self, CatalogError::Unavailable(_))
    }
}

impl MayComeUp for StorageError {
    fn is_down(&self) -> bool {
        matches!(self, StorageError::Unavailable(_))
    }
}

/// Runs `attempt` until it succeeds, fails otherwise than by a service being down, or `deadline`
/// passes (then its last error), waiting 0.5 s, then longer, up to 5 s, between attempts.
async fn until_up<T, E, F, Fut>(what: &str, deadline: std::time::Instant, mut attempt: F) -> Result<T, E>
where
    E: MayComeUp + std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let mut pause = std::time::Duration::from_millis(500);
    loop {
        match attempt().await {
            Err(e) if e.is_down() && std::time::Instant::now() + pause < deadline => {
                let left = deadline.saturating_duration_since(std::time::Instant::now()).as_secs();
                tracing::warn!(error = %e, "{what} does not answer yet; retrying for up to {left} s more (server.startup_wait)");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_secs(5));
            }
            other => return other,
        }
    }
}

/// Why Tiergate could not start.
#[derive(Debug, Error)]
pub enum StartError {
    #[error("catalog: {0}")]
    Catalog(#[from] CatalogError),
    #[error("tiers.{tier}: {source}")]
    Tier { tier: &'static str, source: StorageError },
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error("audit.target: {source}")]
    Audit { source: std::io::Error },
}

/// The shared handles every part of Tiergate works with; cheap to clone.
#[derive(Debug, Clone)]
pub struct Core {
    pub settings: Arc<Settings>,
    pub catalog: Catalog,
    pub hot: StorageTier,
    pub cold: StorageTier,
    pub identity: Arc<Identity>,
    pub audit: Arc<audit::AuditLog>,
    /// Bucket lifecycle configurations consulted for `x-amz-expiration`.
    pub lifecycles: Arc<lifecycle::LifecycleCache>,
}

impl Core {
    /// Connects to the catalog (applying migrations), opens both tiers and loads the secrets. A
    /// catalog or tier that does not answer yet (a container started before its database) is
    /// retried, with a log line each time, for up to `server.startup_wait`; then the error names
    /// what is down.
    pub async fn open(settings: Settings) -> Result<Self, StartError> {
        let deadline = std::time::Instant::now() + settings.server.startup_wait;
        let catalog = until_up("the catalog", deadline, || async {
            let catalog = Catalog::connect(&settings.catalog).await?;
            catalog.migrate().await?;
            Ok::<_, CatalogError>(catalog)
        })
        .await?;
        Self::open_with_catalog_until(settings, catalog, deadline).await
    }

    /// As [`Core::open`], on a catalog that is already connected and migrated.
    pub async fn open_with_catalog(settings: Settings, catalog: Catalog) -> Result<Self, StartError> {
        let deadline = std::time::Instant::now() + settings.server.startup_wait;
        Self::open_with_catalog_until(settings, catalog, deadline).await
    }

    async fn open_with_catalog_until(
        settings: Settings,
        catalog: Catalog,
        deadline: std::time::Instant,
    ) -> Result<Self, StartError> {
        let hot = until_up("the hot tier", deadline, || StorageTier::open(&settings.tiers.hot))
            .await
            .map_err(|source| StartError::Tier { tier: "hot", source })?;
        let cold = until_up("the cold tier", deadline, || StorageTier::open(&settings.tiers.cold))
            .await
            .map_err(|source| StartError::Tier { tier: "cold", source })?;
        let identity = Identity::open(&settings.auth, &settings.server.data_dir)?;
        let audit = audit::AuditLog::open(&settings.audit).map_err(|source| StartError::Audit { source })?;
        Ok(Self {
            settings: Arc::new(settings),
            catalog,
            hot,
            cold,
            identity: Arc::new(identity),
            audit: Arc::new(audit),
            lifecycles: Arc::default(),
        })
    }
}
