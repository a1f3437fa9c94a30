//! The dashboard, built into the binary (`web/dist` at compile time, with rust-embed), so that
//! `tiergate serve` serves it from any folder. `server.web_dir` serves a folder instead (for
//! working on the dashboard). A debug build reads `web/dist` from disk when asked, a release
//! build carries it; one built before `web/dist` existed serves none and says so.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

use crate::error::ApiError;

#[derive(RustEmbed)]
#[folder = "../web/dist/"]
#[allow_missing = true]
struct Assets;

/// Whether this binary carries a dashboard.
pub fn embedded() -> bool {
    Assets::get("index.html").is_some()
}

/// Answers `uri` from the embedded dashboard: the file it names, else (a path of the app, such as
/// `/admin`) `index.html`, which routes it in the browser. Hashed assets (`/assets/…`) are
/// cached for a year; the rest is revalidated by its ETag (the file's SHA-256).
pub async fn serve(uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().trim_start_matches('/');
    let (name, file) = match Assets::get(path).filter(|_| !path.is_empty()) {
        Some(file) => (path, file),
        // A missing file with an extension is a 404; anything else is a route of the app.
        None if path.rsplit('/').next().is_some_and(|last| last.contains('.')) => {
            return ApiError::not_found("file").into_response();
        }
        None => match Assets::get("index.html") {
            Some(file) => ("index.html", file),
            None => {
                return ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    "this binary was built without the dashboard: build it with `make build` (which builds web/dist \
                     first), or set server.web_dir",
                )
                .into_response();
            }
        },
    };
    let etag = format!("\"{}\"", hex::encode(file.metadata.sha256_hash()));
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let cache = if name.starts_with("assets/") { "public, max-age=31536000, immutable" } else { "no-cache" };
    let mut response = Response::new(Body::from(file.data.into_owned()));
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(file.metadata.mimetype()) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    response
}
