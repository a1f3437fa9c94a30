//! The admin API, sign-up policies and invites, disabling and deleting users, and the audit log.

use std::time::Duration;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{random_bytes, wait_until_refused, CatalogChoice, S3Target, TestApp, TestUser};

const ADMIN: &str = "admin@example.com";
const PASSWORD: &str = "correct horse battery";

async fn admin_app(catalog: CatalogChoice, extra: &str) -> Option<(TestApp, TestUser)> {
    let app = TestApp::builder()
        .catalog(catalog)
        .settings(&format!("[auth]\nadmins = [\"{ADMIN}\"]\n{extra}"))
        .spawn()
        .await?;
    assert_eq!(app.signup(ADMIN, PASSWORD).await.status(), StatusCode::CREATED);
    let login: Value = app.login(ADMIN, PASSWORD).await.json().await.unwrap();
    assert_eq!(login["is_admin"], true);
    let admin = TestUser { email: ADMIN.into(), token: login["access_token"].as_str().unwrap().into() };
    Some((app, admin))
}

async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = app.api.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn id_of(app: &TestApp, user: &TestUser) -> i64 {
    let me: Value = app.get("/api/auth/me", &user.token).await.json().await.unwrap();
    me["user_id"].as_i64().unwrap()
}

fn code<E: ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("<none>").to_string()
}

#[tokio::test]
async fn only_admins_reach_the_admin_api_and_see_every_user_with_usage_and_quota() {
    let (app, admin) = admin_app(CatalogChoice::Sqlite, "[quota]\ndefault_bytes = 5000").await.unwrap();
    let user = app.user().await;
    let uid = id_of(&app, &user).await;
    assert_eq!(app.upload(&user.token, "a.txt", vec![1; 1200]).await.status(), StatusCode::CREATED);

    for (method, path) in [
        (reqwest::Method::GET, "/api/admin/users".to_string()),
        (reqwest::Method::PUT, format!("/api/admin/users/{uid}/quota")),
        (reqwest::Method::POST, format!("/api/admin/users/{uid}/disable")),
        (reqwest::Method::DELETE, format!("/api/admin/users/{uid}")),
        (reqwest::Method::POST, "/api/admin/invites".to_string()),
    ] {
        let (status, body) = call(&app, method.clone(), &path, &user.token, Some(json!({}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(body["error"]["code"], "forbidden");
    }
    let res = app.api.get(app.url("/api/admin/users")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let (status, list) = call(&app, reqwest::Method::GET, "/api/admin/users", &admin.token, None).await;
    assert_eq!(status, StatusCode::OK);
    let users = list["users"].as_array().unwrap();
    assert_eq!(users.len(), 2);
    assert_eq!(list["next_after"], Value::Null, "no next page");
    let (_, first) = call(&app, reqwest::Method::GET, "/api/admin/users?limit=1", &admin.token, None).await;
    assert_eq!(first["users"].as_array().unwrap().len(), 1);
    let after = first["next_after"].as_i64().expect("a next page");
    let (_, second) =
        call(&app, reqwest::Method::GET, &format!("/api/admin/users?limit=1&after={after}"), &admin.token, None).await;
    assert_eq!(second["users"].as_array().unwrap().len(), 1);
    assert_eq!(second["next_after"], Value::Null);
    let shown = users.iter().find(|u| u["id"] == uid).unwrap();
    assert_eq!(shown["email"], user.email.as_str());
    assert_eq!(shown["usage"]["bytes"], 1200);
    assert_eq!(shown["usage"]["hot_bytes"], 1200);
    assert_eq!(shown["usage"]["objects"], 1);
    assert_eq!(shown["quota"], json!({ "bytes": 5000, "objects": null, "custom": false }));
    assert_eq!(shown["disabled"], false);
    assert!(shown["last_login_at"].is_string());
    let me = users.iter().find(|u| u["email"] == ADMIN).unwrap();
    assert_eq!(me["admin_source"], "settings");

    // Set a quota, see it hold, and go back to the default.
    let (status, body) = call(
        &app,
        reqwest::Method::PUT,
        &format!("/api/admin/users/{uid}/quota"),
        &admin.token,
        Some(json!({ "bytes": 1500, "objects": null })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["quota"], json!({ "bytes": 1500, "objects": null, "custom": true }));
    let res = app.upload(&user.token, "b.txt", vec![1; 400]).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let (status, body) =
        call(&app, reqwest::Method::DELETE, &format!("/api/admin/users/{uid}/quota"), &admin.token, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["quota"]["custom"], false);
    assert_eq!(app.upload(&user.token, "b.txt", vec![1; 400]).await.status(), StatusCode::CREATED);

    // Bad input is a clear 4xx, never a 500.
    for bad in [
        json!({ "bytes": -1, "objects": null }),
        json!({ "bytes": "lots", "objects": null }),
        json!({ "bytes": 1e30, "objects": null }),
        // A typo, a missing field or another shape never lifts a limit.
        json!({}),
        json!({ "byts": 100, "objects": null }),
        json!({ "bytes": 100 }),
        json!([5, 6]),
        json!(null),
    ] {
        let (status, body) =
            call(&app, reqwest::Method::PUT, &format!("/api/admin/users/{uid}/quota"), &admin.token, Some(bad)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    let unlimited = json!({ "bytes": null, "objects": null });
    let (status, _) =
        call(&app, reqwest::Method::PUT, "/api/admin/users/999999/quota", &admin.token, Some(unlimited.clone())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for path in ["/api/admin/users/abc", "/api/admin/users/1.5", "/api/admin/users/99999999999999999999/disable"] {
        let method = if path.ends_with("disable") { reqwest::Method::POST } else { reqwest::Method::GET };
        let (status, body) = call(&app, method, path, &admin.token, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body["error"]["code"], "not_found", "a JSON error for {path}");
    }
    for query in ["limit=0", "limit=abc", "after=-1"] {
        let (status, body) =
            call(&app, reqwest::Method::GET, &format!("/api/admin/users?{query}"), &admin.token, None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(body["error"]["code"], "validation_error");
    }

    // Admins act on others, not on themselves.
    let admin_id = id_of(&app, &admin).await;
    for (method, path) in [
        (reqwest::Method::POST, format!("/api/admin/users/{admin_id}/disable")),
        (reqwest::Method::DELETE, format!("/api/admin/users/{admin_id}")),
    ] {
        let (status, body) = call(&app, method, &path, &admin.token, None).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["error"]["code"], "not_yourself");
    }

    // Granting admin rights through the API.
    let (status, body) = call(
        &app,
        reqwest::Method::PUT,
        &format!("/api/admin/users/{uid}/admin"),
        &admin.token,
        Some(json!({ "admin": true })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["admin_source"], "granted");
    let (status, _) = call(&app, reqwest::Method::GET, "/api/admin/users", &user.token, None).await;
    assert_eq!(status, StatusCode::OK, "a granted admin reaches the admin API");
    let me: Value = app.get("/api/auth/me", &user.token).await.json().await.unwrap();
    assert_eq!(me["is_admin"], true);
    // But cannot lock out the admin named in the settings.
    for (method, path, body) in [
        (reqwest::Method::POST, format!("/api/admin/users/{admin_id}/disable"), None),
        (reqwest::Method::DELETE, format!("/api/admin/users/{admin_id}"), None),
        (reqwest::Method::PUT, format!("/api/admin/users/{admin_id}/admin"), Some(json!({ "admin": false }))),
    ] {
        let (status, body) = call(&app, method, &path, &user.token, body).await;
        assert_eq!(status, StatusCode::CONFLICT, "{path}");
        assert_eq!(body["error"]["code"], "named_in_settings");
    }
    assert_eq!(app.get("/api/auth/me", &admin.token).await.status(), StatusCode::OK);
}

async fn disabling(catalog: CatalogChoice) {
    let Some((app, admin)) = admin_app(catalog, "").await else { return };
    // A second process on the same catalog and tiers, with its own caches.
    let other = tiergate_core::Core::open((*app.core.settings).clone()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let other_gateway = format!("http://{}", listener.local_addr().unwrap());
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(tiergate_gateway::serve(other, listener, async move {
        let _ = stopped.await;
    }));

    let user = app.user().await;
    let uid = id_of(&app, &user).await;
    assert_eq!(app.upload(&user.token, "linked.txt", b"abc".to_vec()).await.status(), StatusCode::CREATED);
    let file_id = app.list(&user.token).await["files"][0]["id"].as_i64().unwrap();
    let (_, url) =
        call(&app, reqwest::Method::GET, &format!("/api/files/{file_id}/download?redirect=false"), &user.token, None)
            .await;
    let link = url["url"].as_str().filter(|u| u.contains("/api/blobs/")).map(str::to_string);
    if let Some(link) = &link {
        assert_eq!(app.api.get(link).send().await.unwrap().status(), StatusCode::OK);
    }
    let (temp_id, temp_secret) = app.credentials(&user.token).await;
    let (_, key) = call(&app, reqwest::Method::POST, "/api/keys", &user.token, Some(json!({}))).await;
    let (key_id, key_secret) = (key["access_key_id"].as_str().unwrap(), key["secret_access_key"].as_str().unwrap());
    let sts: String = app
        .api
        .post(&app.gateway)
        .form(&[("Action", "AssumeRoleWithWebIdentity"), ("WebIdentityToken", user.token.as_str())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let field = |name: &str| {
        sts.split(&format!("<{name}>")).nth(1).unwrap().split(&format!("</{name}>")).next().unwrap().to_string()
    };
    let (sid, ssecret, stoken) = (field("AccessKeyId"), field("SecretAccessKey"), field("SessionToken"));
    let there = |id: &str, secret: &str| {
        S3Target { endpoint: other_gateway.clone(), access_key: id.into(), secret_key: secret.into() }.client()
    };
    let clients = [
        app.s3_with(&temp_id, &temp_secret),
        there(&temp_id, &temp_secret),
        app.s3_with(key_id, key_secret),
        there(key_id, key_secret),
        app.s3_with_session(&sid, &ssecret, &stoken),
    ];
    // Every credential works, and each process has checked (and may remember) it.
    for _ in 0..2 {
        for s3 in &clients {
            s3.list_buckets().send().await.unwrap();
        }
    }

    let (status, body) =
        call(&app, reqwest::Method::POST, &format!("/api/admin/users/{uid}/disable"), &admin.token, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["disabled"], true);
    // At once on this process.
    let res = app.get("/api/auth/me", &user.token).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "account_disabled");
    let res = app.login(&user.email, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    for s3 in [&clients[0], &clients[2], &clients[4]] {
        let e = s3.list_buckets().send().await.unwrap_err();
        assert_eq!(code(&e.into_service_error()), "InvalidAccessKeyId");
    }
    // Their still-valid login token buys no new session credentials either.
    let res = app
        .api
        .post(&app.gateway)
        .form(&[("Action", "AssumeRoleWithWebIdentity"), ("WebIdentityToken", user.token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("<Code>AccessDenied</Code>"));
    // Nor does a download link handed out before (the embedded tiers' links are served here).
    if let Some(link) = &link {
        let res = app.api.get(link).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
    // On the other process as soon as the notification arrives.
    for s3 in [&clients[1], &clients[3]] {
        wait_until_refused(s3).await;
    }

    // Enabled again, everything works again.
    let (status, _) =
        call(&app, reqwest::Method::POST, &format!("/api/admin/users/{uid}/enable"), &admin.token, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.get("/api/auth/me", &user.token).await.status(), StatusCode::OK);
    for s3 in &clients {
        s3.list_buckets().send().await.unwrap();
    }
}

#[tokio::test]
async fn a_disabled_user_s_every_credential_stops_at_once_on_sqlite() {
    disabling(CatalogChoice::Sqlite).await;
}

#[tokio::test]
async fn a_disabled_user_s_every_credential_stops_at_once_on_every_postgres_process() {
    disabling(CatalogChoice::Postgres).await;
}

#[tokio::test]
async fn deleting_a_user_removes_their_rows_and_bytes_and_leaves_others_alone() {
    let (app, admin) = admin_app(CatalogChoice::Sqlite, "").await.unwrap();
    let keep = app.user().await;
    assert_eq!(app.upload(&keep.token, "keep.txt", b"mine".to_vec()).await.status(), StatusCode::CREATED);
    let user = app.user().await;
    let uid = id_of(&app, &user).await;
    let s3 = app.s3(&user).await;
    s3.create_bucket().bucket("second").send().await.unwrap();
    s3.put_object().bucket("second").key("x").body(ByteStream::from(random_bytes(3000))).send().await.unwrap();
    assert_eq!(app.upload(&user.token, "a.txt", b"abc".to_vec()).await.status(), StatusCode::CREATED);
    let up = s3.create_multipart_upload().bucket("files").key("mp").send().await.unwrap();
    s3.upload_part()
        .bucket("files")
        .key("mp")
        .upload_id(up.upload_id().unwrap())
        .part_number(1)
        .body(ByteStream::from(random_bytes(1000)))
        .send()
        .await
        .unwrap();
    let (_, key) = call(&app, reqwest::Method::POST, "/api/keys", &user.token, Some(json!({}))).await;
    let long_lived = app.s3_with(key["access_key_id"].as_str().unwrap(), key["secret_access_key"].as_str().unwrap());

    let (status, _) = call(&app, reqwest::Method::DELETE, &format!("/api/admin/users/{uid}"), &admin.token, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/auth/me", &user.token).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.login(&user.email, PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    assert!(long_lived.list_buckets().send().await.is_err());
    let (status, _) = call(&app, reqwest::Method::GET, &format!("/api/admin/users/{uid}"), &admin.token, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&app, reqwest::Method::DELETE, &format!("/api/admin/users/{uid}"), &admin.token, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Their bytes are collected; the other user's stay.
    app.wait_for_gc().await;
    let left = app.hot_objects().await;
    assert_eq!(left.len(), 1, "only the other user's file: {left:?}");
    assert_eq!(app.list(&keep.token).await["total"], 1);
    // The e-mail can sign up again, as a new, empty account.
    assert_eq!(app.signup(&user.email, PASSWORD).await.status(), StatusCode::CREATED);
    let again: Value = app.login(&user.email, PASSWORD).await.json().await.unwrap();
    assert_eq!(app.list(again["access_token"].as_str().unwrap()).await["total"], 0);
}

async fn signup_with(app: &TestApp, email: &str, invite: Option<&str>) -> (StatusCode, Value) {
    let mut body = json!({ "email": email, "password": PASSWORD });
    if let Some(invite) = invite {
        body["invite"] = invite.into();
    }
    let res = app.api.post(app.url("/api/auth/signup")).json(&body).send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap())
}

#[tokio::test]
async fn invite_only_sign_up_takes_each_invite_once() {
    let (app, admin) = admin_app(CatalogChoice::Sqlite, "signup = \"invite\"").await.unwrap();
    let policy: Value = app.api.get(app.url("/api/auth/signup-policy")).send().await.unwrap().json().await.unwrap();
    assert_eq!(policy["signup"], "invite");

    let (status, body) = signup_with(&app, "nobody@example.com", None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("invite_required")));
    let (status, body) = signup_with(&app, "nobody@example.com", Some("not-a-token")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("invite_invalid")));
    assert_eq!(body["error"]["field"], "invite");

    let (status, invite) = call(&app, reqwest::Method::POST, "/api/admin/invites", &admin.token, Some(json!({}))).await;
    assert_eq!(status, StatusCode::CREATED);
    let token = invite["token"].as_str().unwrap().to_string();
    assert!(invite["signup_url"].as_str().unwrap().contains(&format!("/signup?invite={token}")));

    // Used by several at once: exactly one gets it.
    let tries = (0..5).map(|i| {
        let (app, token) = (&app, token.clone());
        async move { signup_with(app, &format!("racer{i}@example.com"), Some(&token)).await.0 }
    });
    let statuses = futures::future::join_all(tries).await;
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CREATED).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == StatusCode::CREATED || *s == StatusCode::FORBIDDEN));
    let (status, _) = signup_with(&app, "late@example.com", Some(&token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "used once");

    // An invite for one address only, and one that has expired.
    let (_, only) = call(
        &app,
        reqwest::Method::POST,
        "/api/admin/invites",
        &admin.token,
        Some(json!({ "email": "Only@Example.com" })),
    )
    .await;
    let only = only["token"].as_str().unwrap();
    let (status, _) = signup_with(&app, "other@example.com", Some(only)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = signup_with(&app, "only@example.com", Some(only)).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, short) =
        call(&app, reqwest::Method::POST, "/api/admin/invites", &admin.token, Some(json!({ "expires_in": 1 }))).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, _) = signup_with(&app, "slow@example.com", short["token"].as_str()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "expired");

    // Listed without tokens; an unused one can be withdrawn.
    let (_, spare) = call(&app, reqwest::Method::POST, "/api/admin/invites", &admin.token, Some(json!({}))).await;
    let (_, list) = call(&app, reqwest::Method::GET, "/api/admin/invites", &admin.token, None).await;
    assert!(!list.to_string().contains(spare["token"].as_str().unwrap()), "no token in the list");
    let statuses: Vec<&str> =
        list["invites"].as_array().unwrap().iter().map(|i| i["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["unused", "expired", "used", "used"]);
    let spare_id = spare["id"].as_i64().unwrap();
    let res = app.delete(&format!("/api/admin/invites/{spare_id}"), &admin.token).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (status, _) = signup_with(&app, "spare@example.com", spare["token"].as_str()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) =
        call(&app, reqwest::Method::POST, "/api/admin/invites", &admin.token, Some(json!({ "expires_in": 0 }))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn closed_sign_up_refuses_everyone_but_the_admins_named_in_settings() {
    let app = TestApp::builder()
        .settings(&format!("[auth]\nsignup = \"closed\"\nadmins = [\"{ADMIN}\"]"))
        .spawn()
        .await
        .unwrap();
    let (status, body) = signup_with(&app, "someone@example.com", None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("signup_closed")));
    assert_eq!(app.signup(ADMIN, PASSWORD).await.status(), StatusCode::CREATED, "the operator can set up");
}

#[tokio::test]
async fn the_audit_log_has_one_event_per_change_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    let (app, admin) = admin_app(
        CatalogChoice::Sqlite,
        &format!("[audit]\ntarget = \"{}\"\n[quota]\ndefault_objects = 2", log.display()),
    )
    .await
    .unwrap();
    let user = app.user().await;
    let uid = id_of(&app, &user).await;
    assert_eq!(app.login(&user.email, "wrong password!").await.status(), StatusCode::UNAUTHORIZED);
    let (_, key) = call(&app, reqwest::Method::POST, "/api/keys", &user.token, Some(json!({}))).await;
    let (key_id, key_secret) = (key["access_key_id"].as_str().unwrap(), key["secret_access_key"].as_str().unwrap());
    let s3 = app.s3_with(key_id, key_secret);
    s3.create_bucket().bucket("audited").send().await.unwrap();
    s3.put_object().bucket("audited").key("k").body(ByteStream::from_static(b"12345")).send().await.unwrap();
    s3.copy_object().bucket("audited").key("k2").copy_source("audited/k").send().await.unwrap();
    let e = s3.put_object().bucket("audited").key("k3").body(ByteStream::from_static(b"x")).send().await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "QuotaExceeded");
    s3.get_object().bucket("audited").key("k").send().await.unwrap(); // a read: not audited
    s3.delete_object().bucket("audited").key("k").send().await.unwrap();
    s3.delete_object().bucket("audited").key("k2").send().await.unwrap();
    s3.delete_bucket().bucket("audited").send().await.unwrap();
    let key_row = key["id"].as_i64().unwrap();
    assert_eq!(app.delete(&format!("/api/keys/{key_row}"), &user.token).await.status(), StatusCode::NO_CONTENT);
    let (status, _) = call(
        &app,
        reqwest::Method::PUT,
        &format!("/api/admin/users/{uid}/quota"),
        &admin.token,
        Some(json!({ "bytes": 100, "objects": null })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let wanted: Vec<(&str, u16)> = vec![
        ("signup", 201),
        ("login", 200),
        ("login_failed", 401),
        ("key_created", 201),
        ("CreateBucket", 200),
        ("PutObject", 200),
        ("CopyObject", 200),
        ("PutObject", 403),
        ("DeleteObject", 204),
        ("DeleteBucket", 204),
        ("key_revoked", 204),
        ("admin_set_quota", 200),
    ];
    let mut events: Vec<Value> = Vec::new();
    for _ in 0..100 {
        events = std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is one JSON object"))
            .collect();
        if events.iter().any(|e| e["operation"] == "admin_set_quota") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for (operation, status) in &wanted {
        assert!(
            events.iter().any(|e| e["operation"] == *operation && e["status"] == *status),
            "no {operation} {status} in {events:#?}"
        );
    }
    assert!(!events.iter().any(|e| e["operation"] == "GetObject"), "reads are not audited by default");
    let refused = events.iter().find(|e| e["operation"] == "PutObject" && e["status"] == 403).unwrap();
    assert_eq!(refused["error"], "QuotaExceeded");
    assert_eq!(refused["user_id"], uid);
    assert_eq!(refused["access_key_id"], key_id);
    assert_eq!(refused["bucket"], "audited");
    assert_eq!(refused["key"], "k3");
    assert!(refused["request_id"].is_string() && refused["client"] == "127.0.0.1");
    let written = events.iter().find(|e| e["operation"] == "PutObject" && e["status"] == 200).unwrap();
    assert_eq!(written["bytes"], 5);
    let failed = events.iter().find(|e| e["operation"] == "login_failed").unwrap();
    assert_eq!(failed["user_id"], uid, "a failed login names the account it tried");
    let admin_event = events.iter().find(|e| e["operation"] == "admin_set_quota").unwrap();
    assert_eq!(admin_event["target_user_id"], uid);
    assert_eq!(admin_event["user_id"], id_of(&app, &admin).await);

    let text = std::fs::read_to_string(&log).unwrap();
    for secret in [PASSWORD, "wrong password!", user.token.as_str(), admin.token.as_str(), key_secret] {
        assert!(!text.contains(secret), "a secret in the audit log");
    }
}
