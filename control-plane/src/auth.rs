//! Sign-up, log-in, and the `AuthUser` extractor that checks a Bearer token.

use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tiergate_core::catalog::CatalogError;
use tiergate_core::domain::{Email, Password, UserId};

use crate::error::ApiError;
use crate::throttle::{too_many, ClientAddr};
use crate::AppState;

/// A JSON request body; a body that is not JSON of the right shape is a 422 naming the field.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_request", e.body_text()))?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(de).map(JsonBody).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                ApiError::new(StatusCode::BAD_REQUEST, "bad_request", format!("the body is not valid JSON: {inner}"))
            } else {
                let field = match path.as_str() {
                    "email" => "email",
                    "password" => "password",
                    _ => "body",
                };
                ApiError::invalid(field, inner.to_string())
            }
        })
    }
}

#[derive(Deserialize)]
pub struct Credentials {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

#[derive(Serialize)]
pub struct SignupResponse {
    user_id: i64,
    email: String,
    message: &'static str,
}

/// `POST /api/auth/signup`: 201 with the new user's id; 409 when the e-mail is taken; 429 with
/// `Retry-After` past `auth.signups_per_address` an hour; 503 with `Retry-After` when too many
/// sign-ups and logins wait to hash a password.
pub async fn signup(
    State(app): State<AppState>,
    addr: ClientAddr,
    JsonBody(body): JsonBody<Credentials>,
) -> Result<(StatusCode, Json<SignupResponse>), ApiError> {
    let email = Email::parse(&body.email)?;
    let password = Password::parse(body.password)?;
    // Taken once the input is valid: a typo costs nothing of the address's allowance.
    app.limits.signup(&addr)?;
    let hash = app.core.identity.hash_password(&password).await?;
    let id = app.core.catalog.create_user(&email, &hash, &app.core.settings.upload.default_bucket).await.map_err(
        |e| match e {
            CatalogError::Conflict => ApiError {
                field: Some("email"),
                ..ApiError::new(StatusCode::CONFLICT, "email_taken", "an account with this e-mail already exists")
            },
            other => other.into(),
        },
    )?;
    tracing::info!(user_id = id.0, "user signed up");
    Ok((
        StatusCode::CREATED,
        Json(SignupResponse {
            user_id: id.0,
            email: email.to_string(),
            message: "account created; you can log in now",
        }),
    ))
}

#[derive(Serialize)]
pub struct LoginResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    user_id: i64,
    email: String,
    is_admin: bool,
}

/// `POST /api/auth/login`: a bearer token; 401 with one message for any wrong e-mail or
/// password; 429 with `Retry-After` past `auth.login_failures_per_account` failed logins in
/// `auth.login_failure_window` or `auth.login_attempts_per_address` attempts a minute; 503 with
/// `Retry-After` when too many sign-ups and logins wait to hash a password.
pub async fn login(
    State(app): State<AppState>,
    addr: ClientAddr,
    JsonBody(body): JsonBody<Credentials>,
) -> Result<Json<LoginResponse>, ApiError> {
    app.limits.login(&addr)?;
    let wrong = || ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "wrong e-mail or password");
    let user = match Email::parse(&body.email) {
        Ok(email) => app.core.catalog.user_by_email(&email).await?,
        Err(_) => None,
    };
    if let Some(user) = &user {
        // Counted before the password is checked, so that concurrent guesses cannot pass the
        // limit together; a proven password clears the count.
        let auth = &app.core.settings.auth;
        let counted = app
            .core
            .catalog
            .count_login_attempt(user.id, auth.login_failures_per_account, auth.login_failure_window)
            .await?;
        counted.map_err(|wait| too_many("too many failed logins for this account", wait))?;
    }
    let checked =
        app.core.identity.verify_password(body.password, user.as_ref().map(|u| u.password_hash.clone())).await;
    let ok = match checked {
        Ok(ok) => ok,
        Err(e) => {
            if let Some(user) = &user {
                app.core.catalog.uncount_login_attempt(user.id).await?;
            }
            return Err(e.into());
        }
    };
    let user = user.filter(|_| ok).ok_or_else(wrong)?;
    app.core.catalog.clear_login_failures(user.id).await?;
    let (token, _) = app.core.identity.issue_token(user.id, &user.email).map_err(ApiError::internal)?;
    tracing::info!(user_id = user.id.0, "user logged in");
    Ok(Json(LoginResponse {
        access_token: token,
        token_type: "bearer",
        expires_in: app.core.identity.token_ttl().as_secs(),
        user_id: user.id.0,
        is_admin: app.core.identity.is_admin(&user.email),
        email: user.email,
    }))
}

/// The caller, proven by a valid `Authorization: Bearer` login token.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: UserId,
    pub email: String,
    pub expires_at: i64,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthorized("log in first: the Authorization header is missing"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(|| ApiError::unauthorized("the Authorization header must be 'Bearer <token>'"))?;
        let verified = app
            .core
            .identity
            .verify_token(token)
            .map_err(|_| ApiError::unauthorized("the token is invalid or has expired; log in again"))?;
        Ok(AuthUser { id: verified.user, email: verified.email, expires_at: verified.expires_at })
    }
}

/// `GET /api/auth/me`: who the token belongs to.
pub async fn me(State(app): State<AppState>, user: AuthUser) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "user_id": user.id.0,
        "email": user.email,
        "is_admin": app.core.identity.is_admin(&user.email),
        "expires_at": user.expires_at,
    }))
}
