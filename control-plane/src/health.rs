//! `/healthz` (the process is up) and `/readyz` (the catalog and the hot tier answer).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use crate::AppState;

pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

pub async fn readyz(State(app): State<AppState>) -> (StatusCode, Json<Value>) {
    let (catalog, hot) = tokio::join!(app.core.catalog.ping(), app.core.hot.backend.check());
    let mut down = Vec::new();
    let mut checks = serde_json::Map::new();
    match catalog {
        Ok(()) => checks.insert("catalog".into(), "ok".into()),
        Err(e) => {
            down.push(format!("catalog: {e}"));
            checks.insert("catalog".into(), "down".into())
        }
    };
    match hot {
        Ok(()) => checks.insert("hot_tier".into(), "ok".into()),
        Err(e) => {
            down.push(format!("hot tier: {e}"));
            checks.insert("hot_tier".into(), "down".into())
        }
    };
    if down.is_empty() {
        (StatusCode::OK, Json(json!({ "status": "ready", "checks": checks })))
    } else {
        let message = format!("not ready: {}", down.join("; "));
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(
                json!({ "status": "unavailable", "checks": checks, "error": { "code": "not_ready", "message": message } }),
            ),
        )
    }
}

/// `GET /metrics`: Prometheus text; the per-tier gauges are read from the catalog now.
pub async fn metrics(State(app): State<AppState>) -> (StatusCode, [(axum::http::HeaderName, &'static str); 1], String) {
    let m = tiergate_core::metrics::metrics();
    match app.core.catalog.tier_totals(None).await {
        Ok(totals) => {
            for (tier, t) in totals {
                m.objects.with_label_values(&[tier.as_str()]).set(t.objects as f64);
                m.bytes.with_label_values(&[tier.as_str()]).set(t.bytes as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: could not read the catalog"),
    }
    (StatusCode::OK, [(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], m.render())
}
