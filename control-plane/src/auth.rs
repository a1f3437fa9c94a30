//! Sign-up, log-in, and the `AuthUser` extractor that checks a Bearer token.

use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::Response;
use axum::Json;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tiergate_core::catalog::{CatalogError, InviteError, UserStatus};
use tiergate_core::domain::{Email, Password, UserId};
use tiergate_core::settings::SignupPolicy;

use crate::audit::{noted, AuditNote};
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
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "the body is larger than this endpoint accepts (64 KiB; 4 MiB for a lifecycle configuration)",
                )
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, "bad_request", e.body_text())
            }
        })?;
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
    /// An invite token (sign-up only; needed when `auth.signup = "invite"`).
    #[serde(default)]
    invite: Option<String>,
}

#[derive(Serialize)]
pub struct SignupResponse {
    user_id: i64,
    email: String,
    message: &'static str,
}

/// `POST /api/auth/signup` (`{"email", "password", "invite"?}`): 201 with the new user's id;
/// 409 when the e-mail is taken; 403 `signup_closed` when `auth.signup = "closed"` (admins named
/// in `auth.admins` may still sign up), 403 `invite_required` / `invite_invalid` when it is
/// `"invite"` and no good invite is given (an invite is taken whatever the policy); 429 with
/// `Retry-After` past `auth.signups_per_address` an hour; 503 with `Retry-After` when too many
/// sign-ups and logins wait to hash a password.
pub async fn signup(
    State(app): State<AppState>,
    addr: ClientAddr,
    JsonBody(body): JsonBody<Credentials>,
) -> Result<Response, ApiError> {
    let email = Email::parse(&body.email)?;
    let password = Password::parse(body.password)?;
    let invite = body.invite.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let named_admin = app.core.identity.is_admin(email.as_str());
    match (app.core.settings.auth.signup, invite) {
        (_, _) if named_admin => {}
        (SignupPolicy::Closed, _) => {
            return Err(ApiError::new(StatusCode::FORBIDDEN, "signup_closed", "sign-up is closed on this server"));
        }
        (SignupPolicy::Invite, None) => {
            return Err(ApiError {
                field: Some("invite"),
                ..ApiError::new(
                    StatusCode::FORBIDDEN,
                    "invite_required",
                    "sign-up needs an invite from an administrator",
                )
            });
        }
        _ => {}
    }
    let invite = invite.filter(|_| !named_admin || app.core.settings.auth.signup == SignupPolicy::Open);
    if let Some(token) = invite {
        app.core.catalog.check_invite(token, &email).await.map_err(invite_error)?;
    }
    // Taken once the input is valid: a typo costs nothing of the address's allowance.
    app.limits.signup(&addr)?;
    let hash = app.core.identity.hash_password(&password).await?;
    let bucket = &app.core.settings.upload.default_bucket;
    let created = match invite {
        Some(token) => app.core.catalog.create_invited_user(&email, &hash, bucket, token).await,
        None => app.core.catalog.create_user(&email, &hash, bucket).await.map_err(InviteError::from),
    };
    let id = created.map_err(invite_error)?;
    let note = AuditNote { user_id: Some(id.0), ..Default::default() };
    tracing::info!(user_id = id.0, "user signed up");
    Ok(noted(
        note,
        (
            StatusCode::CREATED,
            Json(SignupResponse {
                user_id: id.0,
                email: email.to_string(),
                message: "account created; you can log in now",
            }),
        ),
    ))
}

fn invite_error(e: InviteError) -> ApiError {
    match e {
        InviteError::Catalog(CatalogError::Conflict) => ApiError {
            field: Some("email"),
            ..ApiError::new(StatusCode::CONFLICT, "email_taken", "an account with this e-mail already exists")
        },
        InviteError::Catalog(other) => other.into(),
        e @ (InviteError::Invalid | InviteError::OtherEmail) => {
            ApiError { field: Some("invite"), ..ApiError::new(StatusCode::FORBIDDEN, "invite_invalid", e.to_string()) }
        }
    }
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
) -> Result<Response, ApiError> {
    app.limits.login(&addr)?;
    let user = match Email::parse(&body.email) {
        Ok(email) => app.core.catalog.user_by_email(&email).await?,
        Err(_) => None,
    };
    // Every refusal names the account for the audit log (never in the answer).
    let named_id = user.as_ref().map(|u| u.id.0);
    let named = |e: ApiError| ApiError {
        note: named_id.map(|id| Box::new(AuditNote { user_id: Some(id), ..Default::default() })),
        ..e
    };
    let wrong = || named(ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "wrong e-mail or password"));
    if let Some(user) = &user {
        // Counted before the password is checked, so that concurrent guesses cannot pass the
        // limit together; a proven password clears the count.
        let auth = &app.core.settings.auth;
        let counted = app
            .core
            .catalog
            .count_login_attempt(user.id, auth.login_failures_per_account, auth.login_failure_window)
            .await?;
        counted.map_err(|wait| named(too_many("too many failed logins for this account", wait)))?;
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
    // Told only to whoever proved the password.
    if app.core.catalog.user_status(user.id).await? != UserStatus::Active {
        return Err(named(account_disabled()));
    }
    app.core.catalog.record_login(user.id).await?;
    let (token, _) = app.core.identity.issue_token(user.id, &user.email).map_err(ApiError::internal)?;
    tracing::info!(user_id = user.id.0, "user logged in");
    let note = AuditNote { user_id: Some(user.id.0), ..Default::default() };
    Ok(noted(
        note,
        Json(LoginResponse {
            access_token: token,
            token_type: "bearer",
            expires_in: app.core.identity.token_ttl().as_secs(),
            user_id: user.id.0,
            is_admin: app.core.identity.is_admin(&user.email) || app.core.catalog.is_granted_admin(user.id).await?,
            email: user.email,
        }),
    ))
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
        // A disabled or deleted account's tokens stop working at once.
        match app.core.catalog.user_status(verified.user).await? {
            UserStatus::Active => {}
            UserStatus::Disabled => return Err(account_disabled()),
            UserStatus::Gone => return Err(ApiError::unauthorized("the account no longer exists")),
        }
        Ok(AuthUser { id: verified.user, email: verified.email, expires_at: verified.expires_at })
    }
}

fn account_disabled() -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "account_disabled", "this account is disabled; ask an administrator")
}

/// Whether the user is an admin: named in `auth.admins`, or made one through the admin API.
pub async fn is_admin(app: &AppState, user: &AuthUser) -> Result<bool, ApiError> {
    Ok(app.core.identity.is_admin(&user.email) || app.core.catalog.is_granted_admin(user.id).await?)
}

/// The caller, proven to be an admin; 403 `forbidden` for anyone else.
#[derive(Debug, Clone)]
pub struct Admin(pub AuthUser);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let user = AuthUser::from_request_parts(parts, app).await?;
        if is_admin(app, &user).await? {
            Ok(Admin(user))
        } else {
            Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "only administrators may do this"))
        }
    }
}

/// `GET /api/auth/me`: who the token belongs to, and the bucket browser uploads go to
/// (`upload.default_bucket`).
pub async fn me(State(app): State<AppState>, user: AuthUser) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(serde_json::json!({
        "user_id": user.id.0,
        "email": user.email,
        "is_admin": is_admin(&app, &user).await?,
        "expires_at": user.expires_at,
        "default_bucket": app.core.settings.upload.default_bucket.as_str(),
    })))
}

/// `GET /api/auth/signup-policy` (no login): `{"signup": "open" | "invite" | "closed"}`, so the
/// sign-up page knows whether to ask for an invite.
pub async fn signup_policy(State(app): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "signup": app.core.settings.auth.signup }))
}
