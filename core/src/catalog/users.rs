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

    /// Counts a login attempt against the account before its password is checked, unless the
    /// account has had `limit` attempts within `window` already: then `Err(retry_after)` (time
    /// until the oldest of them leaves the window) and nothing is counted. One statement, so
    /// concurrent attempts on any number of processes cannot slip past the limit together. A
    /// successful login calls [`Catalog::clear_login_failures`].
    pub async fn count_login_attempt(
        &self,
        id: UserId,
        limit: u32,
        window: std::time::Duration,
    ) -> Result<Result<(), std::time::Duration>, CatalogError> {
        let now = now_ms();
        let window_ms = super::ms(window);
        let counted = sqlx::query(
            "UPDATE users SET \
               failed_logins = CASE WHEN failed_logins_since + $3 <= $2 THEN 1 ELSE failed_logins + 1 END, \
               failed_logins_since = CASE WHEN failed_logins_since + $3 <= $2 THEN $2 ELSE failed_logins_since END \
             WHERE id = $1 AND NOT (failed_logins >= $4 AND failed_logins_since + $3 > $2) \
             RETURNING id",
        )
        .bind(id.0)
        .bind(now)
        .bind(window_ms)
        .bind(i64::from(limit))
        .fetch_optional(self.pool())
        .await?;
        if counted.is_some() {
            return Ok(Ok(()));
        }
        let since: i64 = sqlx::query("SELECT failed_logins_since FROM users WHERE id = $1")
            .bind(id.0)
            .fetch_optional(self.pool())
            .await?
            .map(|row| row.try_get("failed_logins_since"))
            .transpose()?
            .unwrap_or(now);
        let left = (since + window_ms - now).max(0);
        Ok(Err(std::time::Duration::from_millis(left as u64)))
    }

    /// Takes back one attempt counted by [`Catalog::count_login_attempt`] whose password was
    /// never checked (no hashing slot came free in time): a client that was told to retry
    /// should not lock its own account by doing so.
    pub async fn uncount_login_attempt(&self, id: UserId) -> Result<(), CatalogError> {
        sqlx::query("UPDATE users SET failed_logins = failed_logins - 1 WHERE id = $1 AND failed_logins > 0")
            .bind(id.0)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Forgets an account's failed logins (its password was just proven).
    pub async fn clear_login_failures(&self, id: UserId) -> Result<(), CatalogError> {
        sqlx::query("UPDATE users SET failed_logins = 0, failed_logins_since = 0 WHERE id = $1 AND failed_logins <> 0")
            .bind(id.0)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn user_by_id(&self, id: UserId) -> Result<Option<User>, CatalogError> {
        let row = sqlx::query("SELECT id, email, password_hash, created_at FROM users WHERE id = $1")
            .bind(id.0)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }
}
