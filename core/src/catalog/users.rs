//! Users, and their default bucket created with them.

use sqlx::Row;

use super::{col, now_ms, Catalog, CatalogError};
use crate::domain::{BucketName, Email, UserId};

/// A user as the catalog holds them.
#[derive(Debug, Clone)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub password_hash: String,
    pub created_at: i64,
}

fn user_from_row(row: &sqlx::any::AnyRow) -> Result<User, CatalogError> {
    Ok(User {
        id: UserId(col(row, "id")?),
        email: col(row, "email")?,
        password_hash: col(row, "password_hash")?,
        created_at: col(row, "created_at")?,
    })
}

impl Catalog {
    /// Creates a user and their default bucket in one transaction.
    /// `Conflict` when the e-mail is taken.
    pub async fn create_user(
        &self,
        email: &Email,
        password_hash: &str,
        default_bucket: &BucketName,
    ) -> Result<UserId, CatalogError> {
        let now = now_ms();
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query(
            "INSERT INTO users (email, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id",
        )
        .bind(email.as_str())
        .bind(password_hash)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        sqlx::query("INSERT INTO buckets (owner_id, name, created_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(default_bucket.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(UserId(id))
    }

    pub async fn user_by_email(&self, email: &Email) -> Result<Option<User>, CatalogError> {
        let row = sqlx::query("SELECT id, email, password_hash, created_at FROM users WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn user_by_id(&self, id: UserId) -> Result<Option<User>, CatalogError> {
        let row = sqlx::query("SELECT id, email, password_hash, created_at FROM users WHERE id = $1")
            .bind(id.0)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }
}
