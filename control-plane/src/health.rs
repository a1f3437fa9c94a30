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

/// `GET /metrics`: Prometheus text; the per-tier gauges and the tiering figures are read from
/// the catalog now.
pub async fn metrics(State(app): State<AppState>) -> (StatusCode, [(axum::http::HeaderName, &'static str); 1], String) {
    render(&app.core).await
}

async fn render(core: &tiergate_core::Core) -> (StatusCode, [(axum::http::HeaderName, &'static str); 1], String) {
    tiergate_core::metrics::refresh_from_catalog(&core.catalog).await;
    let text = tiergate_core::metrics::metrics().render();
    (StatusCode::OK, [(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}

/// Serves `/metrics` and `/healthz` alone on `listener` (`server.metrics_addr`) until `shutdown`
/// completes: for a process that serves no control plane (`tiergate gateway`, `tiergate tiering`).
pub async fn serve_metrics(
    core: tiergate_core::Core,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = axum::Router::new()
        .route(
            "/metrics",
            axum::routing::get(|State(core): State<tiergate_core::Core>| async move { render(&core).await }),
        )
        .route("/healthz", axum::routing::get(healthz))
        .with_state(core);
    axum::serve(listener, router).with_graceful_shutdown(shutdown).await
}
