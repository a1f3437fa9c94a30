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
