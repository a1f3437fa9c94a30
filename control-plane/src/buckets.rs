//! The caller's buckets and their lifecycle configurations in the REST API: the JSON mirror of
//! S3's PutBucketLifecycleConfiguration family, validated by the same core code as the XML.
//!
//! - `GET /api/buckets`: the caller's buckets with objects and bytes per tier;
//! - `GET /api/buckets/{name}/lifecycle`: the configuration (404 `no_lifecycle_configuration`);
//! - `PUT /api/buckets/{name}/lifecycle`: replaces it; body `{"rules": [...],
//!   "transitionDefaultMinimumObjectSize"?}` in the shape of `tiergate_core::lifecycle::
//!   ConfigurationDraft` (camelCase S3 names); 400 with `malformed_configuration`,
//!   `invalid_argument`, `invalid_request` or `invalid_storage_class` (S3's codes) and AWS's
//!   message when it is refused;
//! - `DELETE /api/buckets/{name}/lifecycle`: 204 whether or not there was one.
//!
//! Another user's bucket of the same name is never consulted: names are per user, so an unknown
//! name is 404 for everyone.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use tiergate_core::catalog::{Bucket, CatalogError};
use tiergate_core::domain::BucketName;
use tiergate_core::lifecycle::{ConfigurationDraft, LifecycleErrorCode, LifecycleWriteError};

use crate::auth::{AuthUser, JsonBody};
use crate::error::ApiError;
use crate::files::rfc3339;
use crate::AppState;

#[derive(Serialize)]
pub struct TierView {
    objects: i64,
    bytes: i64,
}

#[derive(Serialize)]
pub struct BucketView {
    name: String,
    created_at: String,
    hot: TierView,
    cold: TierView,
    has_lifecycle: bool,
}

#[derive(Serialize)]
pub struct BucketList {
    buckets: Vec<BucketView>,
}

/// `GET /api/buckets`.
pub async fn list(State(app): State<AppState>, user: AuthUser) -> Result<Json<BucketList>, ApiError> {
    let buckets = app
        .core
        .catalog
        .bucket_summaries(user.id)
        .await?
        .into_iter()
        .map(|s| BucketView {
            name: s.bucket.name,
            created_at: rfc3339(s.bucket.created_at),
            hot: TierView { objects: s.hot_objects, bytes: s.hot_bytes },
            cold: TierView { objects: s.cold_objects, bytes: s.cold_bytes },
            has_lifecycle: s.has_lifecycle,
        })
        .collect();
    Ok(Json(BucketList { buckets }))
}

async fn own_bucket(app: &AppState, user: &AuthUser, name: &str) -> Result<Bucket, ApiError> {
    let name = BucketName::parse(name).map_err(|_| ApiError::not_found("bucket"))?;
    app.core.catalog.bucket(user.id, &name).await?.ok_or_else(|| ApiError::not_found("bucket"))
}

/// `GET /api/buckets/{name}/lifecycle`.
pub async fn get_lifecycle(
    State(app): State<AppState>,
    user: AuthUser,
    Path(name): Path<String>,
) -> Result<Json<ConfigurationDraft>, ApiError> {
    let bucket = own_bucket(&app, &user, &name).await?;
    match app.core.catalog.bucket_lifecycle(bucket.id).await? {
        Some(stored) => Ok(Json(stored.configuration.to_draft())),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_lifecycle_configuration",
            "this bucket has no lifecycle configuration",
        )),
    }
}

/// `PUT /api/buckets/{name}/lifecycle`: the stored configuration (IDs filled in) in the answer.
pub async fn put_lifecycle(
    State(app): State<AppState>,
    user: AuthUser,
    Path(name): Path<String>,
    JsonBody(draft): JsonBody<ConfigurationDraft>,
) -> Result<Json<ConfigurationDraft>, ApiError> {
    let bucket = own_bucket(&app, &user, &name).await?;
    match app.core.put_bucket_lifecycle(bucket.id, draft).await {
        Ok(stored) => Ok(Json(stored.to_draft())),
        Err(LifecycleWriteError::Invalid(e)) => {
            let code = match e.code {
                LifecycleErrorCode::MalformedXml => "malformed_configuration",
                LifecycleErrorCode::InvalidArgument => "invalid_argument",
                LifecycleErrorCode::InvalidRequest => "invalid_request",
                LifecycleErrorCode::InvalidStorageClass => "invalid_storage_class",
            };
            Err(ApiError::new(StatusCode::BAD_REQUEST, code, e.message))
        }
        Err(LifecycleWriteError::Catalog(CatalogError::Gone)) => Err(ApiError::not_found("bucket")),
        Err(LifecycleWriteError::Catalog(e)) => Err(e.into()),
    }
}

/// `DELETE /api/buckets/{name}/lifecycle`.
pub async fn delete_lifecycle(
    State(app): State<AppState>,
    user: AuthUser,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    let bucket = own_bucket(&app, &user, &name).await?;
    app.core.catalog.delete_bucket_lifecycle(bucket.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
