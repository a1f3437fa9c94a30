//! Sign-up invites (`auth.signup = "invite"`): single use, until they expire. Only the SHA-256
//! of a token is stored; the token is shown once, to the admin who made it.

use base64::Engine;
use sha2::{Digest, Sha256};
use sqlx::Row;
use thiserror::Error;

use super::{col, now_ms, Catalog, CatalogError};
use crate::domain::{Email, UserId};

/// An invite as the admin API lists it (never with its token).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Invite {
    pub id: i64,
    /// When set, only this address may sign up with it.
    pub email: Option<String>,
    pub created_by: Option<i64>,
    /// Unix ms, as the others.
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub used_by: Option<i64>,
}

/// Why an invite cannot be used.
#[derive(Debug, Error)]
pub enum InviteError {
    #[error("the invite is not valid: it does not exist, was used, or has expired")]
    Invalid,
    /// Told apart for the logs; the answer says the same as for [`InviteError::Invalid`], so a
    /// token's holder does not learn that it is good for someone else.
    #[error("the invite is not valid: it does not exist, was used, or has expired")]
    OtherEmail,
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn invite_from_row(row: &sqlx::any::AnyRow) -> Result<Invite, CatalogError> {
    Ok(Invite {
        id: col(row, "id")?,
        email: col(row, "email")?,
        created_by: col(row, "created_by")?,
        created_at: col(row, "created_at")?,
        expires_at: col(row, "expires_at")?,
        used_at: col(row, "used_at")?,
        used_by: col(row, "used_by")?,
    })
}

const INVITE_COLUMNS: &str = "id, email, created_by, created_at, expires_at, used_at, used_by";

impl Catalog {
    /// Makes an invite good until `expires_at` (Unix ms), for `email` only when given; returns
    /// it with its token (32 random bytes, base64url), which is not kept.
    pub async fn create_invite(
        &self,
        by: UserId,
        email: Option<&Email>,
        expires_at: i64,
    ) -> Result<(Invite, String), CatalogError> {
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        let row = sqlx::query(&format!(
            "INSERT INTO invites (token_hash, email, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) \
             RETURNING {INVITE_COLUMNS}"
        ))
        .bind(token_hash(&token))
        .bind(email.map(|e| e.as_str().to_string()))
        .bind(by.0)
        .bind(now_ms())
        .bind(expires_at)
        .fetch_one(self.pool())
        .await?;
        Ok((invite_from_row(&row)?, token))
    }

    /// Invites, newest first, at most `limit`.
    pub async fn invites(&self, limit: i64) -> Result<Vec<Invite>, CatalogError> {
        let rows = sqlx::query(&format!("SELECT {INVITE_COLUMNS} FROM invites ORDER BY id DESC LIMIT $1"))
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(invite_from_row).collect()
    }

    /// Withdraws an unused invite; false when there is no such unused invite.
    pub async fn delete_invite(&self, id: i64) -> Result<bool, CatalogError> {
        let done =
            sqlx::query("DELETE FROM invites WHERE id = $1 AND used_at IS NULL").bind(id).execute(self.pool()).await?;
        Ok(done.rows_affected() > 0)
    }

    /// Whether `token` names an invite `email` may use now (checked before the password is
    /// hashed; [`Catalog::create_user`] checks again when it takes the invite).
    pub async fn check_invite(&self, token: &str, email: &Email) -> Result<(), InviteError> {
        let row =
            sqlx::query("SELECT email FROM invites WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2")
                .bind(token_hash(token))
                .bind(now_ms())
                .fetch_optional(self.pool())
                .await
                .map_err(CatalogError::from)?
                .ok_or(InviteError::Invalid)?;
        match col::<Option<String>>(&row, "email")? {
            Some(only) if !only.eq_ignore_ascii_case(email.as_str()) => Err(InviteError::OtherEmail),
            _ => Ok(()),
        }
    }

    /// Takes the invite for the user being created in `tx`: one statement, so of two sign-ups
    /// with one token exactly one gets it.
    pub(super) async fn take_invite(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        token: &str,
        email: &Email,
        user: i64,
    ) -> Result<(), InviteError> {
        let taken = sqlx::query(
            "UPDATE invites SET used_at = $2, used_by = $3 \
             WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 AND (email IS NULL OR LOWER(email) = LOWER($4)) \
             RETURNING id",
        )
        .bind(token_hash(token))
        .bind(now_ms())
        .bind(user)
        .bind(email.as_str())
        .fetch_optional(&mut **tx)
        .await
        .map_err(CatalogError::from)?;
        match taken {
            Some(row) => {
                let _: i64 = row.try_get("id").map_err(CatalogError::from)?;
                Ok(())
            }
            None => Err(InviteError::Invalid),
        }
    }
}
