//! Audit events for the REST API: a middleware records one per state-changing request (and
//! reads with `audit.reads`) once its status is known. Handlers add what only they know (the
//! account a login named, the file written, the user an admin acted on) as an [`AuditNote`] in
//! the answer's extensions; the caller of a request with a login token is read from the token.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tiergate_core::audit::{AuditEvent, Surface};

use crate::AppState;

/// What a handler tells the audit log about its request.
#[derive(Debug, Clone, Default)]
pub struct AuditNote {
    pub user_id: Option<i64>,
    pub access_key_id: Option<String>,
    pub bucket: Option<String>,
    pub key: Option<String>,
    pub bytes: Option<u64>,
    pub target_user_id: Option<i64>,
}

/// `response` with `note` for the audit log.
pub fn noted(note: AuditNote, response: impl IntoResponse) -> Response {
    let mut response = response.into_response();
    response.extensions_mut().insert(note);
    response
}

/// The name an audit event gives a REST request.
fn operation(method: &Method, route: &str, status: u16) -> String {
    let route = route.strip_prefix("/api").unwrap_or(route);
    let name = match (method.as_str(), route) {
        ("POST", "/auth/signup") => "signup",
        ("POST", "/auth/login") if status < 400 => "login",
        ("POST", "/auth/login") => "login_failed",
        ("POST", "/files/upload") => "object_written",
        ("DELETE", "/files/{id}") => "object_deleted",
        ("GET", "/files/{id}/download") | ("GET", "/blobs/{id}") => "object_read",
        ("POST", "/credentials") => "credentials_issued",
        ("POST", "/keys") => "key_created",
        ("DELETE", "/keys/{id}") => "key_revoked",
        ("POST", "/tiering/run") => "tiering_run_started",
        ("PUT", "/buckets/{name}/lifecycle") => "lifecycle_configuration_set",
        ("DELETE", "/buckets/{name}/lifecycle") => "lifecycle_configuration_deleted",
        ("PUT", "/admin/users/{id}/quota") => "admin_set_quota",
        ("DELETE", "/admin/users/{id}/quota") => "admin_reset_quota",
        ("POST", "/admin/users/{id}/disable") => "admin_disable_user",
        ("POST", "/admin/users/{id}/enable") => "admin_enable_user",
        ("PUT", "/admin/users/{id}/admin") => "admin_set_admin",
        ("DELETE", "/admin/users/{id}") => "admin_delete_user",
        ("POST", "/admin/invites") => "admin_create_invite",
        ("DELETE", "/admin/invites/{id}") => "admin_delete_invite",
        _ => return format!("{method} {route}"),
    };
    name.to_string()
}

/// The middleware (see the module's doc).
pub async fn record(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let is_read = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !app.core.audit.wants(is_read) {
        return next.run(req).await;
    }
    let method = req.method().clone();
    let route =
        req.extensions().get::<MatchedPath>().map_or_else(|| req.uri().path().to_string(), |m| m.as_str().to_string());
    let headers = req.headers();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let request_id = header("x-request-id");
    let bytes_in: Option<u64> = header(header::CONTENT_LENGTH.as_str()).and_then(|v| v.parse().ok());
    let bearer = header(header::AUTHORIZATION.as_str());
    let client: Option<IpAddr> = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let token_user = bearer
        .as_deref()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .and_then(|t| app.core.identity.verify_token(t.trim()).ok())
        .map(|v| v.user.0);
    let res = next.run(req).await;
    let status = res.status().as_u16();
    let note = res.extensions().get::<AuditNote>().cloned().unwrap_or_default();
    let mut event = AuditEvent::new(Surface::Rest, operation(&method, &route, status), status);
    event.request_id = request_id;
    event.client = client;
    event.user_id = note.user_id.or(token_user);
    event.access_key_id = note.access_key_id;
    event.bucket = note.bucket;
    event.key = note.key;
    event.bytes = note.bytes.or(if is_read { None } else { bytes_in });
    event.target_user_id = note.target_user_id;
    if status >= 400 {
        event.error = res.extensions().get::<ErrorCode>().map(|c| c.0.to_string());
    }
    app.core.audit.record(&event);
    res
}

/// In an error answer's extensions: its `code`, for the audit log.
#[derive(Debug, Clone, Copy)]
pub struct ErrorCode(pub &'static str);
