//! The admin API (`/api/admin/…`, admins only; 403 `forbidden` for anyone else): users with
//! their usage and quota, quotas, disabling, admin rights, deleting a user, and sign-up invites.
//! Every action is an audit event naming the user it was about.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use tiergate_core::catalog::{AdminUser, Invite, Quota, Usage};
use tiergate_core::domain::{Email, UserId};

use crate::audit::{noted, AuditNote};
use crate::auth::{Admin, JsonBody};
use crate::error::ApiError;
use crate::files::rfc3339;
use crate::AppState;

/// What a user stores, by tier (multipart parts in progress are in the hot tier).
#[derive(Serialize)]
pub struct UsageView {
    bytes: u64,
    objects: u64,
    hot_bytes: u64,
    hot_objects: u64,
    cold_bytes: u64,
    cold_objects: u64,
    /// Room held by writes in flight (counted against the quota until they end).
    reserved_bytes: u64,
    reserved_objects: u64,
}

impl UsageView {
    fn new(u: Usage, reserved: (u64, u64)) -> Self {
        UsageView {
            reserved_bytes: reserved.0,
            reserved_objects: reserved.1,
            bytes: u.bytes,
            objects: u.objects,
            hot_bytes: u.bytes.saturating_sub(u.cold_bytes),
            hot_objects: u.objects.saturating_sub(u.cold_objects),
            cold_bytes: u.cold_bytes,
            cold_objects: u.cold_objects,
        }
    }
}

/// A quota in effect: `null` is unlimited; `custom` says whether an admin set it (else it is
/// the settings' default).
#[derive(Serialize)]
pub struct QuotaView {
    bytes: Option<u64>,
    objects: Option<u64>,
    custom: bool,
}

#[derive(Serialize)]
pub struct UserView {
    id: i64,
    email: String,
    created_at: String,
    disabled: bool,
    disabled_at: Option<String>,
    is_admin: bool,
    /// `settings` (named in `auth.admins`, not changeable here), `granted` (through this API),
    /// or `null`.
    admin_source: Option<&'static str>,
    last_login_at: Option<String>,
    usage: UsageView,
    quota: QuotaView,
}

impl UserView {
    fn new(app: &AppState, u: AdminUser) -> Self {
        let named = app.core.identity.is_admin(&u.email);
        let admin_source = if named {
            Some("settings")
        } else if u.granted_admin {
            Some("granted")
        } else {
            None
        };
        UserView {
            id: u.id.0,
            email: u.email,
            created_at: rfc3339(u.created_at),
            disabled: u.disabled_at.is_some(),
            disabled_at: u.disabled_at.map(rfc3339),
            is_admin: admin_source.is_some(),
            admin_source,
            last_login_at: u.last_login_at.map(rfc3339),
            usage: UsageView::new(u.usage, u.reserved),
            quota: QuotaView { bytes: u.quota.bytes, objects: u.quota.objects, custom: u.quota_custom },
        }
    }
}

#[derive(Deserialize)]
pub struct UserPage {
    /// Users with a larger id than this (default 0).
    after: Option<String>,
    /// 1–1000, default 100.
    limit: Option<String>,
}

#[derive(Serialize)]
pub struct UserList {
    users: Vec<UserView>,
    /// Pass as `after` for the next page; `null` on the last.
    next_after: Option<i64>,
}

/// `GET /api/admin/users?after=&limit=` (limit 1–1000, default 100): users by id.
pub async fn list_users(
    State(app): State<AppState>,
    _admin: Admin,
    Query(page): Query<UserPage>,
) -> Result<Json<UserList>, ApiError> {
    let number = |field: &'static str, raw: Option<&str>, default: i64, range: std::ops::RangeInclusive<i64>| match raw
    {
        None => Ok(default),
        Some(v) => v.parse::<i64>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
            ApiError::invalid(field, format!("must be a whole number from {} to {}", range.start(), range.end()))
        }),
    };
    let after = number("after", page.after.as_deref(), 0, 0..=i64::MAX)?;
    let limit = number("limit", page.limit.as_deref(), 100, 1..=1000)?;
    // One more than asked tells whether there is a next page.
    let mut users = app.core.catalog.admin_users(&app.core.default_quota(), after, limit + 1).await?;
    let more = users.len() as i64 > limit;
    users.truncate(limit as usize);
    let next_after = if more { users.last().map(|u| u.id.0) } else { None };
    Ok(Json(UserList { users: users.into_iter().map(|u| UserView::new(&app, u)).collect(), next_after }))
}

async fn user_view(app: &AppState, id: i64) -> Result<UserView, ApiError> {
    let user = app.core.catalog.admin_user(UserId(id), &app.core.default_quota()).await?;
    user.map(|u| UserView::new(app, u)).ok_or_else(|| ApiError::not_found("user"))
}

/// The answer to an action on user `id`: the user as they are now, noted for the audit log.
async fn acted_on(app: &AppState, admin: &Admin, id: i64) -> Result<Response, ApiError> {
    let view = user_view(app, id).await?;
    Ok(noted(AuditNote { user_id: Some(admin.0.id.0), target_user_id: Some(id), ..Default::default() }, Json(view)))
}

/// A user or invite id from the path; anything else is a 404 JSON answer, like an id that names
/// nothing.
fn path_id(raw: &str, what: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| ApiError::not_found(what))
}

fn not_found_user(admin: &Admin, id: i64) -> ApiError {
    ApiError {
        note: Some(Box::new(AuditNote { user_id: Some(admin.0.id.0), target_user_id: Some(id), ..Default::default() })),
        ..ApiError::not_found("user")
    }
}

/// `GET /api/admin/users/{id}`.
pub async fn get_user(
    State(app): State<AppState>,
    _admin: Admin,
    Path(raw): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    let id = path_id(&raw, "user")?;
    Ok(Json(user_view(&app, id).await?))
}

/// A quota from a body `{"bytes": n | null, "objects": n | null}`: both fields, nothing else
/// (`null`: unlimited), so that a typo never lifts a limit.
fn quota_body(body: &serde_json::Value) -> Result<Quota, ApiError> {
    let fields = body
        .as_object()
        .ok_or_else(|| ApiError::invalid("body", "must be an object {\"bytes\": n | null, \"objects\": n | null}"))?;
    if let Some(unknown) = fields.keys().find(|k| *k != "bytes" && *k != "objects") {
        return Err(ApiError::invalid("body", format!("unknown field {unknown:?}: only bytes and objects")));
    }
    let limit = |field: &'static str| match fields.get(field) {
        None => Err(ApiError::invalid(field, "is required (null for unlimited)")),
        Some(serde_json::Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .filter(|n| *n <= i64::MAX as u64)
            .map(Some)
            .ok_or_else(|| ApiError::invalid(field, "must be a whole number of at least 0, or null")),
    };
    Ok(Quota { bytes: limit("bytes")?, objects: limit("objects")? })
}

/// `PUT /api/admin/users/{id}/quota` (`{"bytes": n | null, "objects": n | null}`): the user's
/// own quota. It holds for writes from now on; what they store already stays (a user over a
/// lowered quota can still delete, and overwrite with less).
pub async fn set_quota(
    State(app): State<AppState>,
    admin: Admin,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody<serde_json::Value>,
) -> Result<Response, ApiError> {
    let id = path_id(&raw, "user")?;
    let quota = quota_body(&body)?;
    if !app.core.catalog.set_quota(UserId(id), Some(quota)).await? {
        return Err(not_found_user(&admin, id));
    }
    acted_on(&app, &admin, id).await
}

/// `DELETE /api/admin/users/{id}/quota`: the user follows the settings' default quota again.
pub async fn reset_quota(
    State(app): State<AppState>,
    admin: Admin,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&raw, "user")?;
    if !app.core.catalog.set_quota(UserId(id), None).await? {
        return Err(not_found_user(&admin, id));
    }
    acted_on(&app, &admin, id).await
}

/// Refuses (409) an action on yourself, or on an admin named in `auth.admins` (whom only the
/// settings can change: otherwise an admin granted through the API could lock out the operator).
async fn acting_on_other(app: &AppState, admin: &Admin, id: i64, what: &str) -> Result<(), ApiError> {
    if admin.0.id.0 == id {
        return Err(ApiError::new(StatusCode::CONFLICT, "not_yourself", format!("an admin cannot {what} themselves")));
    }
    if let Some(target) = app.core.catalog.user_by_id(UserId(id)).await? {
        if app.core.identity.is_admin(&target.email) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "named_in_settings",
                "this admin is named in auth.admins: only the settings change them",
            ));
        }
    }
    Ok(())
}

/// `POST /api/admin/users/{id}/disable`: the user's tokens, derived credentials and keys stop
/// working at once, on every process; nothing they store is touched. 409 for yourself.
pub async fn disable_user(
    State(app): State<AppState>,
    admin: Admin,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&raw, "user")?;
    acting_on_other(&app, &admin, id, "disable").await?;
    if !app.core.catalog.set_disabled(UserId(id), true).await? {
        return Err(not_found_user(&admin, id));
    }
    acted_on(&app, &admin, id).await
}

/// `POST /api/admin/users/{id}/enable`.
pub async fn enable_user(
    State(app): State<AppState>,
    admin: Admin,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&raw, "user")?;
    if !app.core.catalog.set_disabled(UserId(id), false).await? {
        return Err(not_found_user(&admin, id));
    }
    acted_on(&app, &admin, id).await
}

#[derive(Deserialize)]
pub struct AdminBody {
    admin: bool,
}

/// `PUT /api/admin/users/{id}/admin` (`{"admin": bool}`): grants or takes back admin rights
/// (admins named in `auth.admins` stay admins whatever this says). 409 for yourself.
pub async fn set_admin(
    State(app): State<AppState>,
    admin: Admin,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody<AdminBody>,
) -> Result<Response, ApiError> {
    let id = path_id(&raw, "user")?;
    acting_on_other(&app, &admin, id, "change the admin rights of").await?;
    if !app.core.catalog.set_granted_admin(UserId(id), body.admin).await? {
        return Err(not_found_user(&admin, id));
    }
    acted_on(&app, &admin, id).await
}

/// `DELETE /api/admin/users/{id}`: 204 once the user, their keys, buckets, objects and uploads
/// are gone (objects through the usual delete path: their bytes are collected from `gc_queue`).
/// 409 for yourself.
pub async fn delete_user(
    State(app): State<AppState>,
    admin: Admin,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&raw, "user")?;
    acting_on_other(&app, &admin, id, "delete").await?;
    if !app.core.delete_user(UserId(id)).await? {
        return Err(not_found_user(&admin, id));
    }
    let note = AuditNote { user_id: Some(admin.0.id.0), target_user_id: Some(id), ..Default::default() };
    Ok(noted(note, StatusCode::NO_CONTENT))
}

#[derive(Deserialize)]
pub struct InviteBody {
    /// Only this address may use it.
    #[serde(default)]
    email: Option<String>,
    /// Seconds it stays good (default `auth.invite_ttl`; at most a year).
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Serialize)]
pub struct InviteView {
    id: i64,
    email: Option<String>,
    created_by: Option<i64>,
    created_at: String,
    expires_at: String,
    used_at: Option<String>,
    used_by: Option<i64>,
    /// `unused`, `used` or `expired`.
    status: &'static str,
}

impl From<Invite> for InviteView {
    fn from(i: Invite) -> Self {
        let status = match i.used_at {
            Some(_) => "used",
            None if i.expires_at <= tiergate_core::catalog::now_ms() => "expired",
            None => "unused",
        };
        InviteView {
            id: i.id,
            email: i.email,
            created_by: i.created_by,
            created_at: rfc3339(i.created_at),
            expires_at: rfc3339(i.expires_at),
            used_at: i.used_at.map(rfc3339),
            used_by: i.used_by,
            status,
        }
    }
}

#[derive(Serialize)]
pub struct NewInvite {
    #[serde(flatten)]
    invite: InviteView,
    /// Shown once: the token is not kept.
    token: String,
    /// The dashboard's sign-up page with the token filled in.
    signup_url: String,
}

/// `POST /api/admin/invites` (`{"email"?, "expires_in"?}`): 201 with a single-use token, shown
/// once.
pub async fn create_invite(
    State(app): State<AppState>,
    admin: Admin,
    JsonBody(body): JsonBody<InviteBody>,
) -> Result<Response, ApiError> {
    let email = body.email.as_deref().map(str::trim).filter(|e| !e.is_empty()).map(Email::parse).transpose()?;
    let ttl = match body.expires_in {
        Some(0) | Some(31_536_001..) => return Err(ApiError::invalid("expires_in", "must be 1 to 31536000 seconds")),
        Some(s) => std::time::Duration::from_secs(s),
        None => app.core.settings.auth.invite_ttl,
    };
    let expires_at =
        tiergate_core::catalog::now_ms().saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
    let (invite, token) = app.core.catalog.create_invite(admin.0.id, email.as_ref(), expires_at).await?;
    let mut url = app.core.settings.server.public_url.clone();
    url.set_path("/signup");
    url.query_pairs_mut().append_pair("invite", &token);
    let note = AuditNote { user_id: Some(admin.0.id.0), ..Default::default() };
    let view = NewInvite { invite: invite.into(), token, signup_url: url.to_string() };
    Ok(noted(note, (StatusCode::CREATED, Json(view))))
}

#[derive(Serialize)]
pub struct InviteList {
    invites: Vec<InviteView>,
}

/// `GET /api/admin/invites`: the latest 500, newest first (never with their tokens).
pub async fn list_invites(State(app): State<AppState>, _admin: Admin) -> Result<Json<InviteList>, ApiError> {
    let invites = app.core.catalog.invites(500).await?;
    Ok(Json(InviteList { invites: invites.into_iter().map(InviteView::from).collect() }))
}

/// `DELETE /api/admin/invites/{id}`: withdraws an unused invite; 404 when there is none.
pub async fn delete_invite(
    State(app): State<AppState>,
    _admin: Admin,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&raw, "invite")?;
    if app.core.catalog.delete_invite(id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("unused invite"))
    }
}

#[derive(Serialize)]
pub struct MyUsage {
    usage: UsageView,
    quota: QuotaView,
}

/// `GET /api/usage`: what the caller stores, and their quota.
pub async fn my_usage(State(app): State<AppState>, user: crate::auth::AuthUser) -> Result<Json<MyUsage>, ApiError> {
    let me = app
        .core
        .catalog
        .admin_user(user.id, &app.core.default_quota())
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    Ok(Json(MyUsage {
        usage: UsageView::new(me.usage, me.reserved),
        quota: QuotaView { bytes: me.quota.bytes, objects: me.quota.objects, custom: me.quota_custom },
    }))
}
