//! Long-lived S3 access keys: listed and revocable. Their secrets are derived, never stored.

use sqlx::Row;

use super::key_cache::REVOKED_CHANNEL;
use super::{col, now_ms, Catalog, CatalogError, CatalogKind};
use crate::domain::UserId;
use crate::identity::DerivedKey;

/// A long-lived access key as the catalog holds it.
#[derive(Debug, Clone)]
pub struct AccessKeyRow {
    pub id: i64,
    pub user: UserId,
    pub access_key_id: String,
    pub description: Option<String>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

fn key_from_row(row: &sqlx::any::AnyRow) -> Result<AccessKeyRow, CatalogError> {
    Ok(AccessKeyRow {
        id: col(row, "id")?,
        user: UserId(col(row, "user_id")?),
        access_key_id: col(row, "access_key_id")?,
        description: col(row, "description")?,
        created_at: col(row, "created_at")?,
        expires_at: col(row, "expires_at")?,
        revoked_at: col(row, "revoked_at")?,
    })
}

const KEY_COLUMNS: &str = "id, user_id, access_key_id, description, created_at, expires_at, revoked_at";

impl Catalog {
    /// Records a new long-lived key; its id (the row id as serial) is derived here.
    pub async fn create_access_key(
        &self,
        user: UserId,
        description: Option<&str>,
        expires_at: Option<i64>,
    ) -> Result<(AccessKeyRow, DerivedKey), CatalogError> {
        let mut tx = self.pool().begin().await?;
        let placeholder = format!("pending-{}", uuid::Uuid::new_v4().simple());
        let id: i64 = sqlx::query(
            "INSERT INTO access_keys (user_id, access_key_id, serial, kind, description, created_at, expires_at) \
             VALUES ($1, $2, 0, 'long_lived', $3, $4, $5) RETURNING id",
        )
        .bind(user.0)
        .bind(&placeholder)
        .bind(description.map(str::to_string))
        .bind(now_ms())
        .bind(expires_at)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        let key = DerivedKey::new(user, expires_at.unwrap_or(0), id);
        let row = sqlx::query(&format!(
            "UPDATE access_keys SET access_key_id = $2, serial = $1 WHERE id = $1 RETURNING {KEY_COLUMNS}"
        ))
        .bind(id)
        .bind(&key.access_key_id)
        .fetch_one(&mut *tx)
        .await?;
        let row = key_from_row(&row)?;
        tx.commit().await?;
        Ok((row, key))
    }

    /// The user's long-lived keys, newest first, revoked ones included.
    pub async fn access_keys(&self, user: UserId) -> Result<Vec<AccessKeyRow>, CatalogError> {
        let rows = sqlx::query(&format!("SELECT {KEY_COLUMNS} FROM access_keys WHERE user_id = $1 ORDER BY id DESC"))
            .bind(user.0)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(key_from_row).collect()
    }

    /// Revokes the user's key `id`; false when they have no such key. Every process sharing the
    /// catalog hears of it (see `key_cache`).
    pub async fn revoke_access_key(&self, user: UserId, id: i64) -> Result<bool, CatalogError> {
        let mut tx = self.pool().begin().await?;
        let done =
            sqlx::query("UPDATE access_keys SET revoked_at = COALESCE(revoked_at, $3) WHERE id = $1 AND user_id = $2")
                .bind(id)
                .bind(user.0)
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() > 0 && self.kind() == CatalogKind::Postgres {
            // Delivered when the transaction commits.
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(REVOKED_CHANNEL)
                .bind(format!("{}:{id}", user.0))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.keys.forget(user, id);
        Ok(done.rows_affected() > 0)
    }

    /// Whether the long-lived key with this serial still works for this user (not revoked, and
    /// its user not disabled or deleted).
    pub async fn access_key_active(&self, user: UserId, serial: i64) -> Result<bool, CatalogError> {
        let generation = match self.keys.known_active(user, serial) {
            Ok(()) => return Ok(true),
            Err(generation) => generation,
        };
        let row = sqlx::query(
            "SELECT k.id FROM access_keys k JOIN users u ON u.id = k.user_id \
             WHERE k.id = $1 AND k.user_id = $2 AND k.revoked_at IS NULL AND u.disabled_at IS NULL",
        )
        .bind(serial)
        .bind(user.0)
        .fetch_optional(self.pool())
        .await?;
        if row.is_some() {
            self.keys.remember(user, serial, generation);
        }
        Ok(row.is_some())
    }
}
