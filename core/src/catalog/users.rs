//! Users, and their default bucket created with them.

use sqlx::Row;

use super::key_cache::REVOKED_CHANNEL;
use super::quota::{quota_from_row, usage_from_row, Quota, Usage};
use super::{col, now_ms, Catalog, CatalogError, CatalogKind};
use crate::domain::{BucketName, Email, UserId};

/// A user as the admin API shows them.
#[derive(Debug, Clone)]
pub struct AdminUser {
    pub id: UserId,
    pub email: String,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
    /// Made an admin through the admin API (admins named in settings are not recorded here).
    pub granted_admin: bool,
    pub last_login_at: Option<i64>,
    /// The quota in effect.
    pub quota: Quota,
    /// Whether `quota` is the user's own (else the settings' defaults).
    pub quota_custom: bool,
    pub usage: Usage,
    /// Room reserved by their writes in flight (bytes, objects).
    pub reserved: (u64, u64),
}

/// Whether a user's credentials work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    Active,
    Disabled,
    /// Deleted.
    Gone,
}

/// The key-cache serial under which a user's own "active" verdict is kept.
const USER_VERDICT: i64 = i64::MIN;

const ADMIN_USER_COLUMNS: &str = "u.id, u.email, u.created_at, u.disabled_at, u.is_admin, u.last_login_at, \
    u.quota_custom, u.quota_bytes, u.quota_objects, \
    COALESCE(g.bytes, 0) AS bytes, COALESCE(g.objects, 0) AS objects, \
    COALESCE(g.cold_bytes, 0) AS cold_bytes, COALESCE(g.cold_objects, 0) AS cold_objects, \
    COALESCE(g.reserved_bytes, 0) AS reserved_bytes, COALESCE(g.reserved_objects, 0) AS reserved_objects";

fn admin_user_from_row(row: &sqlx::any::AnyRow, defaults: &Quota) -> Result<AdminUser, CatalogError> {
    Ok(AdminUser {
        id: UserId(col(row, "id")?),
        email: col(row, "email")?,
        created_at: col(row, "created_at")?,
        disabled_at: col(row, "disabled_at")?,
        granted_admin: col::<i64>(row, "is_admin")? != 0,
        last_login_at: col(row, "last_login_at")?,
        quota: quota_from_row(row, defaults)?,
        quota_custom: col::<i64>(row, "quota_custom")? != 0,
        usage: usage_from_row(row)?,
        reserved: (
            col::<i64>(row, "reserved_bytes")?.max(0) as u64,
            col::<i64>(row, "reserved_objects")?.max(0) as u64,
        ),
    })
}

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

async fn insert_user(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    email: &Email,
    password_hash: &str,
    default_bucket: &BucketName,
) -> Result<i64, CatalogError> {
    let now = now_ms();
    let row = sqlx::query(
        "INSERT INTO users (email, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id",
    )
    .bind(email.as_str())
    .bind(password_hash)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    sqlx::query("INSERT INTO buckets (owner_id, name, created_at) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(default_bucket.as_str())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(id)
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
        let mut tx = self.pool().begin().await?;
        let id = insert_user(&mut tx, email, password_hash, default_bucket).await?;
        tx.commit().await?;
        Ok(UserId(id))
    }

    /// As [`Catalog::create_user`], taking the invite `token` in the same transaction (single
    /// use: of concurrent sign-ups with one token, one gets it and the others `Invalid`).
    pub async fn create_invited_user(
        &self,
        email: &Email,
        password_hash: &str,
        default_bucket: &BucketName,
        token: &str,
    ) -> Result<UserId, super::InviteError> {
        let mut tx = self.pool().begin().await.map_err(CatalogError::from)?;
        let id = insert_user(&mut tx, email, password_hash, default_bucket).await?;
        Catalog::take_invite(&mut tx, token, email, id).await?;
        tx.commit().await.map_err(CatalogError::from)?;
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
    /// successful login calls [`Catalog::record_login`].
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

    /// Records a successful login: forgets the account's failed logins (its password was just
    /// proven) and sets `last_login_at`.
    pub async fn record_login(&self, id: UserId) -> Result<(), CatalogError> {
        sqlx::query("UPDATE users SET failed_logins = 0, failed_logins_since = 0, last_login_at = $2 WHERE id = $1")
            .bind(id.0)
            .bind(now_ms())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Users by id, from `after_id` (exclusive), at most `limit`, with their usage and quota.
    pub async fn admin_users(
        &self,
        defaults: &Quota,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<AdminUser>, CatalogError> {
        let rows = sqlx::query(&format!(
            "SELECT {ADMIN_USER_COLUMNS} FROM users u LEFT JOIN user_usage g ON g.user_id = u.id \
             WHERE u.id > $1 ORDER BY u.id LIMIT $2"
        ))
        .bind(after_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|row| admin_user_from_row(row, defaults)).collect()
    }

    /// One user as [`Catalog::admin_users`] shows them.
    pub async fn admin_user(&self, id: UserId, defaults: &Quota) -> Result<Option<AdminUser>, CatalogError> {
        let row = sqlx::query(&format!(
            "SELECT {ADMIN_USER_COLUMNS} FROM users u LEFT JOIN user_usage g ON g.user_id = u.id WHERE u.id = $1"
        ))
        .bind(id.0)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(|row| admin_user_from_row(row, defaults)).transpose()
    }

    /// Grants or takes back admin rights given through the API; false when there is no such
    /// user.
    pub async fn set_granted_admin(&self, id: UserId, admin: bool) -> Result<bool, CatalogError> {
        let done = sqlx::query("UPDATE users SET is_admin = $2, updated_at = $3 WHERE id = $1")
            .bind(id.0)
            .bind(i64::from(admin))
            .bind(now_ms())
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Whether the user was made an admin through the API.
    pub async fn is_granted_admin(&self, id: UserId) -> Result<bool, CatalogError> {
        let row =
            sqlx::query("SELECT is_admin FROM users WHERE id = $1").bind(id.0).fetch_optional(self.pool()).await?;
        Ok(row.map(|r| col::<i64>(&r, "is_admin")).transpose()?.unwrap_or(0) != 0)
    }

    /// Disables or enables a user; false when there is no such user. A disabled user's
    /// tokens and keys stop working at once on every process sharing the catalog (announced
    /// as revocations are, see `key_cache`).
    pub async fn set_disabled(&self, id: UserId, disabled: bool) -> Result<bool, CatalogError> {
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE users SET disabled_at = CASE WHEN $2 = 1 THEN COALESCE(disabled_at, $3) ELSE NULL END, \
             updated_at = $3 WHERE id = $1",
        )
        .bind(id.0)
        .bind(i64::from(disabled))
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        self.announce_user_change(&mut tx, id).await?;
        tx.commit().await?;
        self.keys.forget_user(id);
        Ok(done.rows_affected() > 0)
    }

    /// Tells every process to check `id` in the catalog again (delivered at commit).
    pub(crate) async fn announce_user_change(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        id: UserId,
    ) -> Result<(), CatalogError> {
        if self.kind() == CatalogKind::Postgres {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(REVOKED_CHANNEL)
                .bind(format!("{}:*", id.0))
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Whether the user's credentials work (cached on Postgres, as key verdicts are).
    pub async fn user_status(&self, id: UserId) -> Result<UserStatus, CatalogError> {
        let generation = match self.keys.known_active(id, USER_VERDICT) {
            Ok(()) => return Ok(UserStatus::Active),
            Err(generation) => generation,
        };
        let row =
            sqlx::query("SELECT disabled_at FROM users WHERE id = $1").bind(id.0).fetch_optional(self.pool()).await?;
        let status = match row {
            None => UserStatus::Gone,
            Some(row) => match col::<Option<i64>>(&row, "disabled_at")? {
                Some(_) => UserStatus::Disabled,
                None => UserStatus::Active,
            },
        };
        if status == UserStatus::Active {
            self.keys.remember(id, USER_VERDICT, generation);
        }
        Ok(status)
    }

    /// Removes a user's row, their keys, invites they used and their (empty) buckets. Their
    /// objects and uploads must be gone already ([`crate::Core::delete_user`] removes them
    /// through the usual delete path): else `Conflict` and nothing changes.
    pub async fn delete_user_row(&self, id: UserId) -> Result<bool, CatalogError> {
        let mut tx = self.pool().begin().await?;
        let left = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM objects WHERE owner_id = $1) + \
                    (SELECT COUNT(*) FROM multipart_uploads WHERE owner_id = $1) AS n",
        )
        .bind(id.0)
        .fetch_one(&mut *tx)
        .await?;
        if col::<i64>(&left, "n")? > 0 {
            return Err(CatalogError::Conflict);
        }
        let done = sqlx::query("DELETE FROM users WHERE id = $1").bind(id.0).execute(&mut *tx).await?;
        self.announce_user_change(&mut tx, id).await?;
        tx.commit().await?;
        self.keys.forget_user(id);
        Ok(done.rows_affected() > 0)
    }

    pub async fn user_by_id(&self, id: UserId) -> Result<Option<User>, CatalogError> {
        let row = sqlx::query("SELECT id, email, password_hash, created_at FROM users WHERE id = $1")
            .bind(id.0)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }
}
