//! Credentials over S3: derived keys, long-lived keys and their revocation, STS, and the
//! signatures that must be refused.

use std::time::Duration;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use reqwest::StatusCode;
use serde_json::Value;
use tiergate_core::catalog::now_ms;
use tiergate_core::domain::UserId;
use tiergate_core::identity::DerivedKey;

use crate::helpers::{wait_until_refused, CatalogChoice, S3Target, TestApp};

async fn error_code(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    let body = res.text().await.unwrap();
    let code = body.split("<Code>").nth(1).and_then(|s| s.split("</Code>").next()).unwrap_or("").to_string();
    (status, code)
}

fn sdk_code<E: ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("<none>").to_string()
}

#[tokio::test]
async fn temporary_credentials_work_and_wrong_ones_are_refused() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let (id, secret) = app.credentials(&user.token).await;
    let s3 = app.s3_with(&id, &secret);
    s3.put_object().bucket("files").key("a.txt").body(ByteStream::from_static(b"a")).send().await.unwrap();

    // Wrong secret.
    let e = app.s3_with(&id, "not-the-secret").list_buckets().send().await.unwrap_err();
    assert_eq!(sdk_code(&e.into_service_error()), "SignatureDoesNotMatch");
    // A key we never issued.
    let e = app.s3_with("AKIAIOSFODNN7EXAMPLE", "x").list_buckets().send().await.unwrap_err();
    assert_eq!(sdk_code(&e.into_service_error()), "InvalidAccessKeyId");
    // An expired key, correctly signed: refused before anything runs.
    let me: Value = app.get("/api/auth/me", &user.token).await.json().await.unwrap();
    let expired = DerivedKey::new(UserId(me["user_id"].as_i64().unwrap()), now_ms() / 1000 - 1, 0);
    let expired_secret = app.core.identity.derived_secret(&expired.access_key_id);
    let e = app.s3_with(&expired.access_key_id, &expired_secret).list_buckets().send().await.unwrap_err();
    assert_eq!(sdk_code(&e.into_service_error()), "ExpiredToken");
    // Anonymous requests.
    let res = reqwest::get(format!("{}/files/a.txt", app.gateway)).await.unwrap();
    assert_eq!(error_code(res).await, (403, "AccessDenied".into()));
    // Temporary credentials for the token's life.
    let res = app.api.post(app.url("/api/credentials")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn long_lived_keys_are_listed_without_secrets_and_revocation_is_immediate() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let other = app.user().await;
    let res = app
        .api
        .post(app.url("/api/keys"))
        .bearer_auth(&user.token)
        .json(&serde_json::json!({ "description": "backup job" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let key: Value = res.json().await.unwrap();
    let (id, access, secret) = (
        key["id"].as_i64().unwrap(),
        key["access_key_id"].as_str().unwrap(),
        key["secret_access_key"].as_str().unwrap(),
    );
    let s3 = app.s3_with(access, secret);
    s3.list_buckets().send().await.unwrap();

    let listed: Value = app.get("/api/keys", &user.token).await.json().await.unwrap();
    assert_eq!(listed["keys"][0]["access_key_id"], access);
    assert_eq!(listed["keys"][0]["description"], "backup job");
    assert_eq!(listed["keys"][0]["status"], "active");
    assert!(listed["keys"][0].get("secret_access_key").is_none(), "the secret is shown once");
    let others: Value = app.get("/api/keys", &other.token).await.json().await.unwrap();
    assert_eq!(others["keys"].as_array().unwrap().len(), 0);

    // Another user cannot revoke it; its owner can, and it stops working at once.
    assert_eq!(app.delete(&format!("/api/keys/{id}"), &other.token).await.status(), StatusCode::NOT_FOUND);
    s3.list_buckets().send().await.unwrap();
    assert_eq!(app.delete(&format!("/api/keys/{id}"), &user.token).await.status(), StatusCode::NO_CONTENT);
    let e = s3.list_buckets().send().await.unwrap_err();
    assert_eq!(sdk_code(&e.into_service_error()), "InvalidAccessKeyId");
    let listed: Value = app.get("/api/keys", &user.token).await.json().await.unwrap();
    assert_eq!(listed["keys"][0]["status"], "revoked");
    assert_eq!(app.delete("/api/keys/999999", &user.token).await.status(), StatusCode::NOT_FOUND);

    let res = app
        .api
        .post(app.url("/api/keys"))
        .bearer_auth(&user.token)
        .json(&serde_json::json!({"expires_in": -5}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn presigned_urls_are_checked() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    s3.put_object().bucket("files").key("doc.txt").body(ByteStream::from_static(b"document")).send().await.unwrap();

    let presigned = s3
        .get_object()
        .bucket("files")
        .key("doc.txt")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let res = reqwest::get(presigned.uri()).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"document");

    // A presigned PUT stores an object.
    let put = s3
        .put_object()
        .bucket("files")
        .key("uploaded.txt")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let res = reqwest::Client::new().put(put.uri()).body("via presigned put").send().await.unwrap();
    assert_eq!(res.status(), 200);
    let got = s3.get_object().bucket("files").key("uploaded.txt").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"via presigned put");

    // Expired.
    let short = s3
        .get_object()
        .bucket("files")
        .key("doc.txt")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(1)).unwrap())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, code) = error_code(reqwest::get(short.uri()).await.unwrap()).await;
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));

    // A signed header with another value: the signature no longer matches.
    let with_meta = s3
        .put_object()
        .bucket("files")
        .key("meta.txt")
        .metadata("owner", "alice")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let mut req = reqwest::Client::new().put(with_meta.uri()).body("x");
    for (name, value) in with_meta.headers() {
        let value = if name == "x-amz-meta-owner" { "mallory" } else { value };
        req = req.header(name, value);
    }
    let (status, code) = error_code(req.send().await.unwrap()).await;
    assert_eq!((status, code.as_str()), (403, "SignatureDoesNotMatch"));

    // An x-amz-* header that was not signed is refused, not silently stored.
    let res =
        reqwest::Client::new().put(put.uri()).header("x-amz-meta-unsigned", "sneaky").body("y").send().await.unwrap();
    let (status, _) = error_code(res).await;
    assert_eq!(status, 403);
    let head = s3.head_object().bucket("files").key("uploaded.txt").send().await.unwrap();
    assert!(head.metadata().is_none_or(|m| !m.contains_key("unsigned")));
    assert!(s3.head_object().bucket("files").key("meta.txt").send().await.is_err(), "the tampered PUT stored nothing");
}

#[tokio::test]
async fn a_presigned_url_with_a_negative_expiry_has_expired() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    let put = s3
        .put_object()
        .bucket("files")
        .key("late.txt")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    // The SDK will not sign a negative lifetime; other clients (boto3) do.
    let uri = put.uri().replace("X-Amz-Expires=300", "X-Amz-Expires=-1000");
    assert_ne!(uri, put.uri());
    let res = reqwest::Client::new().put(&uri).body("late").send().await.unwrap();
    let header_id = res.headers().get("x-amz-request-id").map(|v| v.to_str().unwrap().to_string()).unwrap();
    let status = res.status().as_u16();
    let body = res.text().await.unwrap();
    assert_eq!(status, 403, "{body}");
    assert_eq!(xml_field(&body, "Code"), "AccessDenied");
    assert_eq!(xml_field(&body, "Message"), "Request has expired");
    assert_eq!(xml_field(&body, "RequestId"), header_id);
    assert!(s3.head_object().bucket("files").key("late.txt").send().await.is_err(), "nothing stored");
}

fn xml_field(body: &str, name: &str) -> String {
    body.split(&format!("<{name}>"))
        .nth(1)
        .and_then(|s| s.split(&format!("</{name}>")).next())
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn sts_assume_role_with_web_identity_gives_working_credentials() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let client = reqwest::Client::new();

    // Form body.
    let res = client
        .post(&app.gateway)
        .form(&[
            ("Action", "AssumeRoleWithWebIdentity"),
            ("Version", "2011-06-15"),
            ("WebIdentityToken", user.token.as_str()),
            ("DurationSeconds", "900"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    let (id, secret) = (xml_field(&body, "AccessKeyId"), xml_field(&body, "SecretAccessKey"));
    assert!(!xml_field(&body, "SessionToken").is_empty());
    let expiration =
        time::OffsetDateTime::parse(&xml_field(&body, "Expiration"), &time::format_description::well_known::Rfc3339)
            .unwrap();
    let in_secs = (expiration - time::OffsetDateTime::now_utc()).whole_seconds();
    assert!((890..=900).contains(&in_secs), "DurationSeconds honoured: {in_secs}");
    let token = xml_field(&body, "SessionToken");
    app.s3_with_session(&id, &secret, &token).list_buckets().send().await.unwrap();
    // Session credentials are good only with their own token (AWS refuses them otherwise).
    let e = app.s3_with(&id, &secret).list_buckets().send().await.unwrap_err();
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(403));
    assert_eq!(e.into_service_error().code(), Some("InvalidAccessKeyId"));
    let e = app.s3_with_session(&id, &secret, "garbage").list_buckets().send().await.unwrap_err();
    assert_eq!(e.into_service_error().code(), Some("InvalidToken"));

    // Query string, and a duration beyond the login's life is cut to it.
    let url = format!(
        "{}/?Action=AssumeRoleWithWebIdentity&Version=2011-06-15&DurationSeconds=604800&WebIdentityToken={}",
        app.gateway, user.token
    );
    let body = client.post(&url).send().await.unwrap().text().await.unwrap();
    let expiration =
        time::OffsetDateTime::parse(&xml_field(&body, "Expiration"), &time::format_description::well_known::Rfc3339)
            .unwrap();
    assert!((expiration - time::OffsetDateTime::now_utc()).whole_seconds() <= 24 * 3600);

    // A bad token.
    let res = client
        .post(&app.gateway)
        .form(&[("Action", "AssumeRoleWithWebIdentity"), ("WebIdentityToken", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("InvalidIdentityToken"));
    let res = client
        .post(&app.gateway)
        .form(&[
            ("Action", "AssumeRoleWithWebIdentity"),
            ("WebIdentityToken", user.token.as_str()),
            ("DurationSeconds", "10"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

/// On Postgres each process remembers which long-lived keys are active, so that checking one
/// is not a query per request. A key revoked through one process stops working on another
/// as soon as the revocation's notification reaches it, and on the revoking process at once.
#[tokio::test]
async fn a_key_revoked_through_one_process_stops_working_on_the_others() {
    let Some(app) = TestApp::builder().catalog(CatalogChoice::Postgres).spawn().await else { return };
    // A second process: its own core, key cache and gateway, on the same catalog and tiers.
    let other = tiergate_core::Core::open((*app.core.settings).clone()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let other_gateway = format!("http://{}", listener.local_addr().unwrap());
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(tiergate_gateway::serve(other, listener, async move {
        let _ = stopped.await;
    }));

    let user = app.user().await;
    let key: Value = app
        .api
        .post(app.url("/api/keys"))
        .bearer_auth(&user.token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (access, secret) = (key["access_key_id"].as_str().unwrap(), key["secret_access_key"].as_str().unwrap());
    let here = app.s3_with(access, secret);
    let there = S3Target { endpoint: other_gateway, access_key: access.into(), secret_key: secret.into() }.client();
    // Both processes have checked the key, and remember it as active.
    for _ in 0..2 {
        here.list_buckets().send().await.unwrap();
        there.list_buckets().send().await.unwrap();
    }

    let id = key["id"].as_i64().unwrap();
    assert_eq!(app.delete(&format!("/api/keys/{id}"), &user.token).await.status(), StatusCode::NO_CONTENT);
    let e = here.list_buckets().send().await.unwrap_err();
    assert_eq!(sdk_code(&e.into_service_error()), "InvalidAccessKeyId");
    // The other process hears of it through the catalog.
    wait_until_refused(&there).await;
    // And it stays refused there.
    assert!(there.list_buckets().send().await.is_err());
}
