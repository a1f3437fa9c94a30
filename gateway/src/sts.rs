//! STS `AssumeRoleWithWebIdentity` on the gateway endpoint: a Tiergate login token (JWT) as the
//! web identity buys temporary S3 credentials, as MinIO offers it. Parameters come in the query
//! string or a form body; the answer is the XML AWS and MinIO give.

use std::collections::HashMap;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use s3s::route::S3Route;
use s3s::{Body, S3Request, S3Response, S3Result};
use tiergate_core::catalog::{now_ms, UserStatus};
use tiergate_core::identity::{DerivedKey, SESSION_SERIAL};
use tiergate_core::Core;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

const ACTION: &str = "AssumeRoleWithWebIdentity";
const FORM: &str = "application/x-www-form-urlencoded";
const MAX_FORM_BYTES: usize = 64 * 1024;
const DEFAULT_DURATION: i64 = 3600;
const MIN_DURATION: i64 = 900;

/// The STS route.
pub struct AssumeRoleWithWebIdentity {
    core: Core,
}

impl AssumeRoleWithWebIdentity {
    pub fn new(core: Core) -> Self {
        Self { core }
    }
}

fn query_params(raw: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(raw).into_owned().collect()
}

fn is_form(headers: &HeaderMap) -> bool {
    headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with(FORM))
}

fn xml_response(status: StatusCode, xml: String) -> S3Response<Body> {
    let mut res = S3Response::new(Body::from(xml));
    res.status = Some(status);
    res.headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    res
}

/// An STS error, in the shape STS clients parse.
fn sts_error(status: StatusCode, code: &str, message: &str) -> S3Response<Body> {
    let request_id = uuid::Uuid::new_v4();
    xml_response(
        status,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
             <Error><Type>Sender</Type><Code>{code}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
            crate::xml_escape(message)
        ),
    )
}

impl AssumeRoleWithWebIdentity {
    async fn answer(&self, params: &HashMap<String, String>, extensions: &http::Extensions) -> S3Response<Body> {
        if params.get("Action").map(String::as_str) != Some(ACTION) {
            return sts_error(StatusCode::BAD_REQUEST, "InvalidAction", "Only AssumeRoleWithWebIdentity is supported.");
        }
        let Some(token) = params.get("WebIdentityToken") else {
            return sts_error(StatusCode::BAD_REQUEST, "MissingParameter", "WebIdentityToken is required.");
        };
        let Ok(login) = self.core.identity.verify_token(token) else {
            return sts_error(
                StatusCode::BAD_REQUEST,
                "InvalidIdentityToken",
                "The web identity token is invalid or has expired.",
            );
        };
        crate::audit::AuditSlot::fill(extensions, ACTION.to_string(), "", (None, None), Some(login.user.0));
        // A disabled or deleted account's login buys nothing.
        match self.core.catalog.user_status(login.user).await {
            Ok(UserStatus::Active) => {}
            Ok(_) => return sts_error(StatusCode::FORBIDDEN, "AccessDenied", "The account is disabled."),
            Err(e) => {
                tracing::warn!(error = %e, "catalog unavailable");
                return sts_error(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", "Please retry.");
            }
        }
        let duration = match params.get("DurationSeconds").map(|d| d.parse::<i64>()) {
            None => DEFAULT_DURATION,
            Some(Ok(d)) if d >= MIN_DURATION => d,
            Some(_) => {
                return sts_error(
                    StatusCode::BAD_REQUEST,
                    "ValidationError",
                    "DurationSeconds must be a number of seconds of at least 900.",
                )
            }
        };
        // Credentials never outlive the login they were bought with.
        let now = now_ms() / 1000;
        let expires_at = (now + duration).min(login.expires_at);
        let key = DerivedKey::new(login.user, expires_at, SESSION_SERIAL);
        let secret = self.core.identity.derived_secret(&key.access_key_id);
        let expiration = OffsetDateTime::from_unix_timestamp(expires_at)
            .ok()
            .and_then(|t| t.format(&Rfc3339).ok())
            .unwrap_or_default();
        let session_token = self.core.identity.session_token(&key);
        crate::audit::AuditSlot::fill(
            extensions,
            ACTION.to_string(),
            &key.access_key_id,
            (None, None),
            Some(login.user.0),
        );
        let request_id = uuid::Uuid::new_v4();
        tracing::info!(user_id = login.user.0, expires_at, "temporary credentials issued over STS");
        xml_response(
            StatusCode::OK,
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
                 <AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
                 <AssumeRoleWithWebIdentityResult>\
                 <AssumedRoleUser><Arn>arn:aws:sts::tiergate:assumed-role/user/{uid}</Arn><AssumedRoleId>{uid}</AssumedRoleId></AssumedRoleUser>\
                 <Credentials><AccessKeyId>{akid}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey>\
                 <SessionToken>{session_token}</SessionToken><Expiration>{expiration}</Expiration></Credentials>\
                 <SubjectFromWebIdentityToken>{uid}</SubjectFromWebIdentityToken>\
                 <Audience>tiergate</Audience><Provider>tiergate</Provider>\
                 </AssumeRoleWithWebIdentityResult>\
                 <ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>\
                 </AssumeRoleWithWebIdentityResponse>",
                uid = login.user.0,
                akid = key.access_key_id,
            ),
        )
    }
}

#[async_trait::async_trait]
impl S3Route for AssumeRoleWithWebIdentity {
    fn is_match(&self, method: &Method, uri: &Uri, headers: &HeaderMap, _: &mut http::Extensions) -> bool {
        if uri.path() != "/" {
            return false;
        }
        let in_query =
            uri.query().is_some_and(|q| query_params(q.as_bytes()).get("Action").map(String::as_str) == Some(ACTION));
        match *method {
            Method::GET => in_query,
            Method::POST => in_query || is_form(headers),
            _ => false,
        }
    }

    /// The web identity token is the credential: the request itself is not signed.
    async fn check_access(&self, _: &mut S3Request<Body>) -> S3Result<()> {
        Ok(())
    }

    async fn call(&self, req: S3Request<Body>) -> S3Result<S3Response<Body>> {
        let started = std::time::Instant::now();
        crate::Observed::mark(&req.extensions);
        let res = self.respond(req).await;
        let status = res.status.map_or(200, |s| s.as_u16());
        crate::record("assume_role_with_web_identity", started, status, crate::error_code(&res.output).as_deref());
        Ok(res)
    }
}

impl AssumeRoleWithWebIdentity {
    async fn respond(&self, mut req: S3Request<Body>) -> S3Response<Body> {
        let mut params = req.uri.query().map(|q| query_params(q.as_bytes())).unwrap_or_default();
        if req.method == Method::POST && is_form(&req.headers) {
            let body: Bytes = match req.input.store_all_limited(MAX_FORM_BYTES).await {
                Ok(b) => b,
                Err(_) => {
                    return sts_error(StatusCode::BAD_REQUEST, "InvalidParameterValue", "The form body is too large.")
                }
            };
            params.extend(query_params(&body));
        }
        self.answer(&params, &req.extensions).await
    }
}
