//! Tiergate core: settings, the catalog, storage tiers, identity, and the one object path that
//! the control plane and the S3 gateway share.

pub mod accounts;
pub mod audit;
pub mod catalog;
pub mod checksum;
pub mod domain;
pub mod gc;
pub mod identity;
pub mod metrics;
pub mod multipart;
pub mod net;
pub mod objects;
pub mod quota;
pub mod range;
pub mod settings;
pub mod storage;
pub mod telemetry;

use std::sync::Arc;

use thiserror::Error;

use catalog::{Catalog, CatalogError};
use identity::{Identity, IdentityError};
use settings::Settings;
use storage::{StorageError, StorageTier};

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
}

impl Core {
    /// Connects to the catalog (applying migrations), opens both tiers and loads the secrets.
    pub async fn open(settings: Settings) -> Result<Self, StartError> {
        let catalog = Catalog::connect(&settings.catalog).await?;
        catalog.migrate().await?;
        Self::open_with_catalog(settings, catalog).await
    }

    /// As [`Core::open`], on a catalog that is already connected and migrated.
    pub async fn open_with_catalog(settings: Settings, catalog: Catalog) -> Result<Self, StartError> {
        let hot =
            StorageTier::open(&settings.tiers.hot).await.map_err(|source| StartError::Tier { tier: "hot", source })?;
        let cold = StorageTier::open(&settings.tiers.cold)
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
        })
    }
}
