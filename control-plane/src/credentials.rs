//! S3 credentials derived from the login: temporary ones for the token's remaining life, and
//! long-lived keys that are listed and can be revoked.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use tiergate_core::catalog::AccessKeyRow;
use tiergate_core::identity::DerivedKey;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::AppState;

fn rfc3339_secs(secs: i64) -> Option<String> {
    OffsetDateTime::from_unix_timestamp(secs).ok().and_then(|t| t.format(&Rfc3339).ok())
}

fn rfc3339_ms(ms: i64) -> Option<String> {
    rfc3339_secs(ms.div_euclid(1000))
}

#[derive(Serialize)]
pub struct TemporaryCredentials {
    access_key_id: String,
    secret_access_key: String,
    expiration: Option<String>,
    endpoint: String,
    region: &'static str,
}

/// `POST /api/credentials`: S3 credentials valid for the rest of the login token's life.
pub async fn temporary(State(app): State<AppState>, user: AuthUser) -> Json<TemporaryCredentials> {
    let key = DerivedKey::new(user.id, user.expires_at, 0);
    Json(TemporaryCredentials {
        secret_access_key: app.core.identity.derived_secret(&key.access_key_id),
        access_key_id: key.access_key_id,
        expiration: rfc3339_secs(user.expires_at),
        endpoint: app.core.settings.server.gateway_public_url.to_string(),
        region: "us-east-1",
    })
}

#[derive(Serialize)]
pub struct KeyView {
    id: i64,
    access_key_id: String,
    description: Option<String>,
    created_at: Option<String>,
    expires_at: Option<String>,
    revoked_at: Option<String>,
    status: &'static str,
    /// Shown once, when the key is created.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_access_key: Option<String>,
}

impl KeyView {
    fn new(row: &AccessKeyRow, secret: Option<String>) -> Self {
        let now = tiergate_core::catalog::now_ms() / 1000;
        let status = match (row.revoked_at, row.expires_at) {
            (Some(_), _) => "revoked",
            (None, Some(exp)) if exp <= now => "expired",
            _ => "active",
        };
        KeyView {
            id: row.id,
            access_key_id: row.access_key_id.clone(),
            description: row.description.clone(),
            created_at: rfc3339_ms(row.created_at),
            expires_at: row.expires_at.and_then(rfc3339_secs),
            revoked_at: row.revoked_at.and_then(rfc3339_ms),
            status,
            secret_access_key: secret,
        }
    }
}

#[derive(Deserialize, Default)]
pub struct NewKey {
    #[serde(default)]
    description: Option<String>,
    /// Lifetime in seconds; none for a key that lasts until revoked.
    #[serde(default)]
    expires_in: Option<i64>,
}

/// `POST /api/keys`: a long-lived key; its secret is in this answer and never again.
pub async fn create_key(
    State(app): State<AppState>,
    user: AuthUser,
    body: axum::body::Bytes,
) -> Result<axum::response::Response, ApiError> {
    // The body is optional: `POST /api/keys` with nothing makes an undescribed key.
    let new: NewKey = if body.iter().all(u8::is_ascii_whitespace) {
        NewKey::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            if e.is_syntax() || e.is_eof() {
                ApiError::new(StatusCode::BAD_REQUEST, "bad_request", format!("the body is not valid JSON: {e}"))
            } else {
                ApiError::invalid("body", e.to_string())
            }
        })?
    };
    if let Some(d) = &new.description {
        if d.chars().count() > 200 {
            return Err(ApiError::invalid("description", "must be at most 200 characters"));
        }
    }
    let expires_at = match new.expires_in {
        None => None,
        Some(s) if s > 0 => Some(tiergate_core::catalog::now_ms() / 1000 + s),
        Some(_) => return Err(ApiError::invalid("expires_in", "must be a positive number of seconds")),
    };
    let (row, key) = app.core.catalog.create_access_key(user.id, new.description.as_deref(), expires_at).await?;
    let secret = app.core.identity.derived_secret(&key.access_key_id);
    tracing::info!(user_id = user.id.0, key_id = row.id, "access key created");
    let note = crate::audit::AuditNote { access_key_id: Some(row.access_key_id.clone()), ..Default::default() };
    Ok(crate::audit::noted(note, (StatusCode::CREATED, Json(KeyView::new(&row, Some(secret))))))
}

#[derive(Serialize)]
pub struct KeyList {
    keys: Vec<KeyView>,
}

/// `GET /api/keys`: the caller's long-lived keys, revoked ones included; no secrets.
pub async fn list_keys(State(app): State<AppState>, user: AuthUser) -> Result<Json<KeyList>, ApiError> {
    let rows = app.core.catalog.access_keys(user.id).await?;
    Ok(Json(KeyList { keys: rows.iter().map(|r| KeyView::new(r, None)).collect() }))
}

/// `DELETE /api/keys/{id}`: revokes the key at once, for every gateway process.
pub async fn revoke_key(
    State(app): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("key"))?;
    if !app.core.catalog.revoke_access_key(user.id, id).await? {
        return Err(ApiError::not_found("key"));
    }
    tracing::info!(user_id = user.id.0, key_id = id, "access key revoked");
    Ok(StatusCode::NO_CONTENT)
}
