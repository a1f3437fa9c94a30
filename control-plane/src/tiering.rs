//! Tiering in the REST API: every user's summary; for admins the run history and "run now".

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use tiergate_core::catalog::{RuleResult, TieringFailure, TieringRun};
use tiergate_core::domain::Tier;
use tiergate_tiering::{begin_pass, PassError, PassOptions};

use crate::auth::{Admin, AuthUser};
use crate::error::ApiError;
use crate::files::rfc3339;
use crate::AppState;

#[derive(Serialize)]
pub struct RunView {
    id: i64,
    trigger: String,
    status: String,
    dry_run: bool,
    started_at: String,
    finished_at: Option<String>,
    duration_seconds: Option<f64>,
    candidates: i64,
    moved: i64,
    failed: i64,
    bytes_moved: i64,
    /// Objects deleted by lifecycle expirations.
    expired: i64,
    /// Multipart uploads aborted by lifecycle rules.
    aborted: i64,
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failures: Option<Vec<FailureView>>,
    /// What each rule did (`rule_id` null: the default policy), rules that matched nothing
    /// left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    rules: Option<Vec<RuleResult>>,
}

#[derive(Serialize)]
pub struct FailureView {
    object_id: i64,
    bucket: String,
    key: String,
    reason: String,
    failed_at: String,
}

impl RunView {
    fn new(run: &TieringRun, failures: Option<Vec<TieringFailure>>, rules: Option<Vec<RuleResult>>) -> Self {
        RunView {
            id: run.id,
            trigger: run.trigger.clone(),
            status: run.status.clone(),
            dry_run: run.dry_run,
            started_at: rfc3339(run.started_at),
            finished_at: run.finished_at.map(rfc3339),
            duration_seconds: run.finished_at.map(|f| (f - run.started_at) as f64 / 1000.0),
            candidates: run.candidates,
            moved: run.moved,
            failed: run.failed,
            bytes_moved: run.bytes_moved,
            expired: run.expired,
            aborted: run.aborted,
            error: run.error.clone(),
            rules,
            failures: failures.map(|fs| {
                fs.into_iter()
                    .map(|f| FailureView {
                        object_id: f.object_id,
                        bucket: f.bucket,
                        key: f.key,
                        reason: f.reason,
                        failed_at: rfc3339(f.failed_at),
                    })
                    .collect()
            }),
        }
    }
}

#[derive(Serialize)]
pub struct TierFigures {
    objects: i64,
    bytes: i64,
}

#[derive(Serialize)]
pub struct Summary {
    hot: TierFigures,
    cold: TierFigures,
    /// For admins the whole record; for others when it ran and how it ended (its figures span
    /// every user's objects).
    last_run: Option<serde_json::Value>,
    next_run_at: Option<String>,
    schedule: String,
    timezone: String,
    /// The storage class a lifecycle transition must name (`tiers.cold.storage_class`).
    cold_storage_class: String,
    /// What happens in buckets without rules: `all` (hot objects older than `min_age_seconds`
    /// move) or `none`.
    default_policy: &'static str,
    min_age_seconds: u64,
    /// The length of a lifecycle day in seconds (86,400 unless set for tests).
    day_length_seconds: u64,
}

/// `GET /api/tiering/summary`: the caller's objects and bytes per tier, the last and next pass.
pub async fn summary(State(app): State<AppState>, user: AuthUser) -> Result<Json<Summary>, ApiError> {
    let totals = app.core.catalog.tier_totals(Some(user.id)).await?;
    let figures = |tier: Tier| {
        let t = totals.iter().find(|(t, _)| *t == tier).map(|(_, t)| *t).unwrap_or_default();
        TierFigures { objects: t.objects, bytes: t.bytes }
    };
    let last = app.core.catalog.last_finished_tiering_run().await?;
    let settings = &app.core.settings.tiering;
    let next = tiergate_tiering::schedule_of(&app.core)
        .ok()
        .and_then(|s| s.next_after(chrono_now()))
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    Ok(Json(Summary {
        hot: figures(Tier::Hot),
        cold: figures(Tier::Cold),
        last_run: match (&last, crate::auth::is_admin(&app, &user).await?) {
            (None, _) => None,
            (Some(r), true) => serde_json::to_value(RunView::new(r, None, None)).ok(),
            (Some(r), false) => Some(serde_json::json!({
                "id": r.id,
                "trigger": r.trigger,
                "status": r.status,
                "started_at": rfc3339(r.started_at),
                "finished_at": r.finished_at.map(rfc3339),
            })),
        },
        next_run_at: next,
        schedule: settings.schedule.clone(),
        timezone: settings.timezone.clone(),
        cold_storage_class: app.core.cold.storage_class.clone(),
        default_policy: match settings.default_policy {
            tiergate_core::settings::DefaultPolicy::All => "all",
            tiergate_core::settings::DefaultPolicy::None => "none",
        },
        min_age_seconds: settings.min_age.as_secs(),
        day_length_seconds: settings.day_length.as_secs(),
    }))
}

fn chrono_now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

#[derive(Deserialize)]
pub struct Page {
    limit: Option<i64>,
    offset: Option<i64>,
}

#[derive(Serialize)]
pub struct RunList {
    runs: Vec<RunView>,
    total: i64,
}

/// `GET /api/tiering/runs` (admins): newest first.
pub async fn runs(
    State(app): State<AppState>,
    _admin: Admin,
    Query(page): Query<Page>,
) -> Result<Json<RunList>, ApiError> {
    let limit = page.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be a number from 1 to 500"));
    }
    let offset = page.offset.unwrap_or(0).max(0);
    let (runs, total) = app.core.catalog.tiering_runs(limit, offset).await?;
    Ok(Json(RunList { runs: runs.iter().map(|r| RunView::new(r, None, None)).collect(), total }))
}

/// `GET /api/tiering/runs/{id}` (admins): one run with the objects it could not move and what
/// each lifecycle rule did.
pub async fn run(
    State(app): State<AppState>,
    _admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<RunView>, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("run"))?;
    let run = app.core.catalog.tiering_run(id).await?.ok_or_else(|| ApiError::not_found("run"))?;
    let failures = app.core.catalog.tiering_failures(id).await?;
    let rules = app.core.catalog.rule_results(id, None).await?;
    Ok(Json(RunView::new(&run, Some(failures), Some(rules))))
}

#[derive(Deserialize, Default)]
pub struct RunRequest {
    #[serde(default)]
    dry_run: bool,
}

/// `POST /api/tiering/run` (admins): starts a pass now; 202 with its id (poll the run), 409
/// when one is already running.
pub async fn run_now(
    State(app): State<AppState>,
    Admin(user): Admin,
    Query(request): Query<RunRequest>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let options = PassOptions { dry_run: request.dry_run, ..PassOptions::new("manual") };
    let started = begin_pass(&app.core, options).await.map_err(|e| match e {
        PassError::Busy => ApiError::new(StatusCode::CONFLICT, "tiering_busy", "a tiering pass is already running"),
        PassError::Catalog(c) => c.into(),
    })?;
    let run_id = started.run_id();
    tracing::info!(user_id = user.id.0, run_id, "tiering pass started by an administrator");
    tokio::spawn(async move {
        if let Err(e) = started.finish().await {
            tracing::error!(run_id, error = %e, "tiering pass failed");
        }
    });
    Ok((StatusCode::ACCEPTED, Json(serde_json::json!({ "run_id": run_id }))))
}
