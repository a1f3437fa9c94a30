//! The control plane: the REST API (sign-up, log-in, files), health, and the built dashboard.

pub mod admin;
pub mod audit;
pub mod auth;
pub mod buckets;
pub mod credentials;
pub mod dashboard;
pub mod error;
pub mod files;
pub mod health;
pub mod throttle;
pub mod tiering;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::routing::{get, post};
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use hyper_util::server::graceful::GracefulShutdown;
use tiergate_core::Core;
use tokio::net::TcpListener;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::error::ApiError;

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    pub core: Core,
    /// Sign-ups and login attempts per client address.
    pub limits: Arc<throttle::AddressLimits>,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Small JSON bodies (sign-up, log-in); uploads stream and set their own limit.
const JSON_BODY_LIMIT: usize = 64 * 1024;
/// A lifecycle configuration in JSON: the largest one S3 takes (about 2 MiB of rules) fits,
/// so what GET gives can always be PUT back.
const LIFECYCLE_BODY_LIMIT: usize = 4 * 1024 * 1024;

/// The whole control-plane router.
pub fn router(core: Core) -> Router {
    let web_dir = core.settings.server.web_dir.clone();
    let cors_origins = core.settings.server.cors_origins.clone();
    let limits = throttle::AddressLimits::start(&core.settings.auth);
    let state = AppState { core, limits };

    let api = Router::new()
        .route("/auth/signup", post(auth::signup))
        .route("/auth/login", post(auth::login))
        .route("/auth/me", get(auth::me))
        .route("/auth/signup-policy", get(auth::signup_policy))
        .route("/usage", get(admin::my_usage))
        .route("/admin/users", get(admin::list_users))
        .route("/admin/users/{id}", get(admin::get_user).delete(admin::delete_user))
        .route("/admin/users/{id}/quota", axum::routing::put(admin::set_quota).delete(admin::reset_quota))
        .route("/admin/users/{id}/disable", post(admin::disable_user))
        .route("/admin/users/{id}/enable", post(admin::enable_user))
        .route("/admin/users/{id}/admin", axum::routing::put(admin::set_admin))
        .route("/admin/invites", post(admin::create_invite).get(admin::list_invites))
        .route("/admin/invites/{id}", axum::routing::delete(admin::delete_invite))
        .route("/files/upload", post(files::upload).layer(DefaultBodyLimit::disable()))
        .route("/files", get(files::list))
        .route("/files/{id}", get(files::details).delete(files::delete))
        .route("/files/{id}/download", get(files::download))
        .route("/blobs/{id}", get(files::blob))
        .route("/credentials", post(credentials::temporary))
        .route("/keys", post(credentials::create_key).get(credentials::list_keys))
        .route("/keys/{id}", axum::routing::delete(credentials::revoke_key))
        .route("/tiering/summary", get(tiering::summary))
        .route("/tiering/runs", get(tiering::runs))
        .route("/tiering/runs/{id}", get(tiering::run))
        .route("/tiering/run", post(tiering::run_now))
        .route("/buckets", get(buckets::list))
        .route(
            "/buckets/{name}/lifecycle",
            get(buckets::get_lifecycle)
                .put(buckets::put_lifecycle)
                .delete(buckets::delete_lifecycle)
                // Up to 1,000 rules, as on S3 (whose XML body is at most server.max_xml_body_bytes).
                .layer(DefaultBodyLimit::max(LIFECYCLE_BODY_LIMIT)),
        )
        .fallback(|| async { ApiError::not_found("route") })
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), audit::record));

    let mut app = Router::new()
        .nest("/api", api)
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics));
    app = match web_dir {
        Some(dir) => app.fallback_service(ServeDir::new(&dir).fallback(ServeFile::new(dir.join("index.html")))),
        None => app.fallback(dashboard::serve),
    };
    let app = app.with_state(state);

    let app = if cors_origins.is_empty() {
        app
    } else {
        let origins: Vec<HeaderValue> = cors_origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
        app.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
                .max_age(Duration::from_secs(3600)),
        )
    };

    // Spans carry the method, the path (never the query: it may hold a link signature) and
    // the request id; headers are not logged, so neither are tokens.
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &Request| {
            let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        })
        .on_response(DefaultOnResponse::new().level(Level::INFO))
        // A 5xx is already one INFO line with its status (and an internal error its own ERROR
        // line): a 503 that sheds load is no error to page anyone about.
        .on_failure(DefaultOnFailure::new().level(Level::WARN));
    app.layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(trace)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// Serves the control plane on `listener` until `shutdown` completes; then requests in flight
/// finish (30 s at most). A client that sends nothing, or not its headers, within
/// `server.request_read_timeout` loses the connection, and past `server.max_connections` open
/// ones a new connection is closed at once (`axum::serve` offers neither, hence this loop).
pub async fn serve(
    core: Core,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let read_timeout = core.settings.server.request_read_timeout;
    let open = Arc::new(tokio::sync::Semaphore::new(core.settings.server.max_connections));
    let app = router(core);
    let mut http = ConnBuilder::new(TokioExecutor::new());
    http.http1().timer(TokioTimer::new()).header_read_timeout(read_timeout);
    http.http2().timer(TokioTimer::new()).keep_alive_interval(Some(read_timeout));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let Some((socket, peer)) = tiergate_core::net::accept(&listener, &mut shutdown).await else { break };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            tracing::debug!("connection refused: server.max_connections reached");
            continue;
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: axum::http::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            tower::ServiceExt::oneshot(app.clone(), req)
        });
        let (http, watcher) = (http.clone(), graceful.watcher());
        tokio::spawn(async move {
            let _permit = permit;
            if !tiergate_core::net::first_bytes_come(&socket, read_timeout).await {
                return;
            }
            let conn = watcher.watch(http.serve_connection_with_upgrades(TokioIo::new(socket), service).into_owned());
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(Duration::from_secs(30)) => tracing::warn!("requests still in flight after 30 s; closing"),
    }
    Ok(())
}
