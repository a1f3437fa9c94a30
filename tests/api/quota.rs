//! Quotas on every write path, on SQLite + fs and on Postgres + MinIO: at the limit a write
//! fits, past it S3 answers `403 QuotaExceeded` and REST `413 quota_exceeded`, and nothing is
//! left behind (no row, no backing bytes); concurrent writes cannot pass it together; usage is
//! exact after a kill -9.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use reqwest::StatusCode;
use serde_json::Value;
use tiergate_core::catalog::{Quota, Usage};
use tiergate_core::domain::UserId;

use crate::helpers::{free_port, random_bytes, wait_healthy, CatalogChoice, HotChoice, TestApp, TestUser};

const MIB: u64 = 1024 * 1024;

fn code<E: ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("<none>").to_string()
}

async fn user_id(app: &TestApp, user: &TestUser) -> UserId {
    let me: Value = app.get("/api/auth/me", &user.token).await.json().await.unwrap();
    UserId(me["user_id"].as_i64().unwrap())
}

async fn usage(app: &TestApp, user: &TestUser) -> Value {
    let res = app.get("/api/usage", &user.token).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

/// A user with their own quota.
async fn user_with_quota(app: &TestApp, bytes: Option<u64>, objects: Option<u64>) -> (TestUser, UserId) {
    let user = app.user().await;
    let id = user_id(app, &user).await;
    assert!(app.core.catalog.set_quota(id, Some(Quota { bytes, objects })).await.unwrap());
    (user, id)
}

async fn app(catalog: CatalogChoice, hot: HotChoice) -> Option<TestApp> {
    TestApp::builder().catalog(catalog).hot(hot).spawn().await
}

/// Checks the error of a refused S3 write: 403 QuotaExceeded naming the limit.
fn assert_quota_exceeded<E: ProvideErrorMetadata + std::fmt::Debug>(e: &E, limit: &str) {
    assert_eq!(code(e), "QuotaExceeded", "{e:?}");
    let message = e.message().unwrap_or_default();
    assert!(message.contains(limit), "the message names the limit: {message}");
}

async fn every_write_path(catalog: CatalogChoice, hot: HotChoice) {
    let Some(app) = app(catalog, hot).await else { return };
    let (user, id) = user_with_quota(&app, Some(10 * MIB), Some(4)).await;
    let s3 = app.s3(&user).await;
    let put = |key: &'static str, n: usize| {
        s3.put_object().bucket("files").key(key).body(ByteStream::from(random_bytes(n))).send()
    };

    // PutObject: 6 MiB fits; 4 MiB + 1 byte more does not; exactly 4 MiB does.
    put("a", 6 * MIB as usize).await.unwrap();
    let e = put("b", 4 * MIB as usize + 1).await.unwrap_err().into_service_error();
    assert_quota_exceeded(&e, "10485760 bytes");
    put("b", 4 * MIB as usize).await.unwrap();
    assert_eq!(app.core.catalog.usage(id).await.unwrap().bytes, 10 * MIB);
    let hot_before = app.hot_objects().await.len();

    // An overwrite counts the difference: the same size fits at the limit, a larger does not.
    put("b", 4 * MIB as usize).await.unwrap();
    let e = put("b", 4 * MIB as usize + 1).await.unwrap_err().into_service_error();
    assert_eq!(code(&e), "QuotaExceeded");

    // CopyObject.
    let e = s3.copy_object().bucket("files").key("c").copy_source("files/a").send().await.unwrap_err();
    assert_quota_exceeded(&e.into_service_error(), "10485760 bytes");

    // REST upload (no length known up front: cut off where the room ends).
    let res = app.upload(&user.token, "big.bin", random_bytes(MIB as usize)).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "quota_exceeded");
    assert!(body["error"]["message"].as_str().unwrap().contains("10485760 bytes"));

    // Nothing of the refused writes is left: rows, bytes, usage.
    let listed = s3.list_objects_v2().bucket("files").send().await.unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["a", "b"]);
    app.wait_for_gc().await;
    assert_eq!(app.hot_objects().await.len(), hot_before, "no backing bytes of refused writes");
    let shown = usage(&app, &user).await;
    assert_eq!(shown["usage"]["bytes"], 10 * MIB);
    assert_eq!(shown["usage"]["objects"], 2);
    assert_eq!(shown["quota"]["bytes"], 10 * MIB);
    assert_eq!(shown["quota"]["objects"], 4);

    // Deleting gives room back.
    s3.delete_object().bucket("files").key("b").send().await.unwrap();
    assert_eq!(app.core.catalog.usage(id).await.unwrap(), Usage { bytes: 6 * MIB, objects: 1, ..Usage::default() });

    // Multipart: parts count as they are uploaded; the part that crosses the quota is refused,
    // as is an UploadPartCopy that would. (A larger quota: parts are 5 MiB at least.)
    app.core.catalog.set_quota(id, Some(Quota { bytes: Some(20 * MIB), objects: Some(4) })).await.unwrap();
    let up = s3.create_multipart_upload().bucket("files").key("mp").send().await.unwrap();
    let upload_id = up.upload_id().unwrap();
    let part = |n: i32, len: usize| {
        s3.upload_part()
            .bucket("files")
            .key("mp")
            .upload_id(upload_id)
            .part_number(n)
            .body(ByteStream::from(random_bytes(len)))
            .send()
    };
    let p1 = part(1, 9 * MIB as usize).await.unwrap();
    assert_eq!(app.core.catalog.usage(id).await.unwrap().bytes, 15 * MIB, "a part in progress counts");
    let e = part(2, 5 * MIB as usize + 1).await.unwrap_err().into_service_error();
    assert_quota_exceeded(&e, "20971520 bytes");
    let e = s3
        .upload_part_copy()
        .bucket("files")
        .key("mp")
        .upload_id(upload_id)
        .part_number(2)
        .copy_source("files/a")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e.into_service_error()), "QuotaExceeded");
    let p2 = part(2, 5 * MIB as usize).await.unwrap();
    let done = CompletedMultipartUpload::builder()
        .parts(CompletedPart::builder().part_number(1).e_tag(p1.e_tag().unwrap()).build())
        .parts(CompletedPart::builder().part_number(2).e_tag(p2.e_tag().unwrap()).build())
        .build();
    s3.complete_multipart_upload()
        .bucket("files")
        .key("mp")
        .upload_id(upload_id)
        .multipart_upload(done)
        .send()
        .await
        .unwrap();
    assert_eq!(app.core.catalog.usage(id).await.unwrap(), Usage { bytes: 20 * MIB, objects: 2, ..Usage::default() });

    // An aborted upload gives its parts' room back.
    let up = s3.create_multipart_upload().bucket("files").key("gone").send().await.unwrap();
    s3.delete_object().bucket("files").key("mp").send().await.unwrap();
    let upload_id = up.upload_id().unwrap();
    s3.upload_part()
        .bucket("files")
        .key("gone")
        .upload_id(upload_id)
        .part_number(1)
        .body(ByteStream::from(random_bytes(MIB as usize)))
        .send()
        .await
        .unwrap();
    assert_eq!(app.core.catalog.usage(id).await.unwrap().bytes, 7 * MIB);
    s3.abort_multipart_upload().bucket("files").key("gone").upload_id(upload_id).send().await.unwrap();
    assert_eq!(app.core.catalog.usage(id).await.unwrap().bytes, 6 * MIB);

    // The object quota: 4 objects, then CreateMultipartUpload of a new key is refused too.
    for key in ["o1", "o2", "o3"] {
        put(key, 10).await.unwrap();
    }
    let e = put("o4", 10).await.unwrap_err().into_service_error();
    assert_quota_exceeded(&e, "4 objects");
    let e = s3.create_multipart_upload().bucket("files").key("o4").send().await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "QuotaExceeded");
    put("o3", 20).await.expect("an overwrite adds no object");

    // The catalog agrees with a recount.
    assert!(app.core.catalog.recount_usage(false).await.unwrap().is_empty(), "usage was exact");
}

#[tokio::test]
async fn every_write_path_is_held_to_the_quota_on_sqlite() {
    every_write_path(CatalogChoice::Sqlite, HotChoice::Fs).await;
}

#[tokio::test]
async fn every_write_path_is_held_to_the_quota_on_postgres_and_minio() {
    every_write_path(CatalogChoice::Postgres, HotChoice::Minio).await;
}

async fn concurrent_writes(catalog: CatalogChoice, hot: HotChoice) {
    let Some(app) = app(catalog, hot).await else { return };
    let (user, id) = user_with_quota(&app, Some(3 * MIB), None).await;
    let s3 = app.s3(&user).await;
    // Each fits alone; no two fit together. Several rounds, each from an empty account.
    for round in 0..4 {
        let writes = (0..4).map(|i| {
            s3.put_object()
                .bucket("files")
                .key(format!("r{round}-{i}"))
                .body(ByteStream::from(random_bytes(2 * MIB as usize)))
                .send()
        });
        let results = futures::future::join_all(writes).await;
        let ok = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(ok, 1, "exactly one of the concurrent writes fits: {results:?}");
        for r in results.into_iter().filter_map(Result::err) {
            assert_eq!(code(&r.into_service_error()), "QuotaExceeded");
        }
        assert_eq!(app.core.catalog.usage(id).await.unwrap().bytes, 2 * MIB);
        let listed = s3.list_objects_v2().bucket("files").send().await.unwrap();
        for o in listed.contents() {
            s3.delete_object().bucket("files").key(o.key().unwrap()).send().await.unwrap();
        }
    }
    // Small writes far from the limit reserve nothing (their commits are checked); many at once
    // still stop exactly at it.
    for o in s3.list_objects_v2().bucket("files").send().await.unwrap().contents() {
        s3.delete_object().bucket("files").key(o.key().unwrap()).send().await.unwrap();
    }
    app.core.catalog.set_quota(id, Some(Quota { bytes: Some(3 * MIB), objects: Some(10) })).await.unwrap();
    let writes = (0..30)
        .map(|i| s3.put_object().bucket("files").key(format!("small-{i}")).body(ByteStream::from(vec![1; 100])).send());
    let results = futures::future::join_all(writes).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 10, "exactly up to the object quota");
    assert_eq!(app.core.catalog.usage(id).await.unwrap().objects, 10);
    for o in s3.list_objects_v2().bucket("files").send().await.unwrap().contents() {
        s3.delete_object().bucket("files").key(o.key().unwrap()).send().await.unwrap();
    }
    app.core.catalog.set_quota(id, Some(Quota { bytes: Some(3 * MIB), objects: None })).await.unwrap();

    // The same through the REST upload (whose length is not known up front).
    let uploads = (0..3).map(|i| {
        let (app, token) = (&app, user.token.clone());
        async move { app.upload(&token, &format!("u{i}.bin"), random_bytes(2 * MIB as usize)).await }
    });
    let statuses: Vec<StatusCode> = futures::future::join_all(uploads).await.iter().map(|r| r.status()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CREATED).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == StatusCode::CREATED || *s == StatusCode::PAYLOAD_TOO_LARGE));
    assert_eq!(app.core.catalog.usage(id).await.unwrap().bytes, 2 * MIB);
}

#[tokio::test]
async fn concurrent_writes_cannot_pass_the_quota_together_on_sqlite() {
    concurrent_writes(CatalogChoice::Sqlite, HotChoice::Fs).await;
}

#[tokio::test]
async fn concurrent_writes_cannot_pass_the_quota_together_on_postgres_and_minio() {
    concurrent_writes(CatalogChoice::Postgres, HotChoice::Minio).await;
}

#[tokio::test]
async fn the_default_quota_comes_from_the_settings_and_an_admin_can_lift_it() {
    let app = TestApp::builder().settings("[quota]\ndefault_bytes = 1000\ndefault_objects = 2").spawn().await.unwrap();
    let user = app.user().await;
    let id = user_id(&app, &user).await;
    let s3 = app.s3(&user).await;
    s3.put_object().bucket("files").key("a").body(ByteStream::from(vec![0; 1000])).send().await.unwrap();
    let e = s3.put_object().bucket("files").key("b").body(ByteStream::from(vec![0; 1])).send().await.unwrap_err();
    assert_quota_exceeded(&e.into_service_error(), "1000 bytes");
    // Unlimited on both counts for this user.
    app.core.catalog.set_quota(id, Some(Quota::default())).await.unwrap();
    for key in ["b", "c", "d"] {
        s3.put_object().bucket("files").key(key).body(ByteStream::from(vec![0; 2000])).send().await.unwrap();
    }
    // Back to the default: over it now, so writes that add are refused, but an overwrite with
    // less and deletes work.
    app.core.catalog.set_quota(id, None).await.unwrap();
    let e = s3.put_object().bucket("files").key("e").body(ByteStream::from(vec![0; 1])).send().await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "QuotaExceeded");
    s3.put_object().bucket("files").key("d").body(ByteStream::from(vec![0; 10])).send().await.unwrap();
    s3.delete_object().bucket("files").key("c").send().await.unwrap();
}

#[tokio::test]
async fn cold_objects_count_against_the_quota_as_hot_ones_do() {
    let app = TestApp::spawn().await;
    let (user, id) = user_with_quota(&app, Some(3000), None).await;
    let s3 = app.s3(&user).await;
    s3.put_object().bucket("files").key("a").body(ByteStream::from(vec![1; 2000])).send().await.unwrap();
    tiergate_tiering::run_pass(&app.core, tiergate_tiering::PassOptions::new("test")).await.unwrap();
    let u = app.core.catalog.usage(id).await.unwrap();
    assert_eq!((u.bytes, u.cold_bytes, u.cold_objects), (2000, 2000, 1), "moved, still counted");
    let e = s3.put_object().bucket("files").key("b").body(ByteStream::from(vec![1; 1001])).send().await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "QuotaExceeded");
    let shown = usage(&app, &user).await;
    assert_eq!((shown["usage"]["hot_bytes"].as_u64(), shown["usage"]["cold_bytes"].as_u64()), (Some(0), Some(2000)));
}

/// The `tiergate` binary on the embedded default in `dir`.
fn binary(dir: &Path, args: &[&str], port: u16, gateway_port: u16) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tiergate"));
    cmd.args(args)
        .current_dir(dir)
        .env("TIERGATE_SERVER__CONTROL_PLANE_ADDR", format!("127.0.0.1:{port}"))
        .env("TIERGATE_SERVER__GATEWAY_ADDR", format!("127.0.0.1:{gateway_port}"))
        .env("TIERGATE_QUOTA__DEFAULT_BYTES", "40000000")
        .env("TIERGATE_AUDIT__TARGET", "off")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    cmd
}

#[tokio::test]
async fn usage_after_a_kill_mid_upload_matches_a_recount() {
    use tokio::io::AsyncWriteExt;
    let dir = tempfile::tempdir().unwrap();
    let (port, gateway_port) = (free_port(), free_port());
    let base = format!("http://127.0.0.1:{port}");
    let mut child = binary(dir.path(), &["serve"], port, gateway_port).spawn().unwrap();
    wait_healthy(&base).await;
    let client = reqwest::Client::new();
    let creds = serde_json::json!({ "email": "kill@example.com", "password": "long enough" });
    client.post(format!("{base}/api/auth/signup")).json(&creds).send().await.unwrap();
    let login: Value =
        client.post(format!("{base}/api/auth/login")).json(&creds).send().await.unwrap().json().await.unwrap();
    let token = login["access_token"].as_str().unwrap().to_string();
    let c: Value =
        client.post(format!("{base}/api/credentials")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let s3 = crate::helpers::S3Target {
        endpoint: format!("http://127.0.0.1:{gateway_port}"),
        access_key: c["access_key_id"].as_str().unwrap().into(),
        secret_key: c["secret_access_key"].as_str().unwrap().into(),
    }
    .client();
    s3.put_object().bucket("files").key("kept").body(ByteStream::from(vec![7; 5000])).send().await.unwrap();
    let up = s3.create_multipart_upload().bucket("files").key("mp").send().await.unwrap();
    s3.upload_part()
        .bucket("files")
        .key("mp")
        .upload_id(up.upload_id().unwrap())
        .part_number(1)
        .body(ByteStream::from(vec![1; 6 * MIB as usize]))
        .send()
        .await
        .unwrap();

    // A PutObject whose body is half sent (its room reserved) when the process is killed.
    let presigned = s3
        .put_object()
        .bucket("files")
        .key("half")
        .content_length(20 * MIB as i64)
        .presigned(aws_sdk_s3::presigning::PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let url = url::Url::parse(presigned.uri()).unwrap();
    let mut socket = tokio::net::TcpStream::connect(("127.0.0.1", gateway_port)).await.unwrap();
    let head = format!(
        "PUT {}?{} HTTP/1.1\r\nHost: 127.0.0.1:{gateway_port}\r\nContent-Length: {}\r\n\r\n",
        url.path(),
        url.query().unwrap(),
        20 * MIB
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(&vec![0u8; 8 * MIB as usize]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    // The recount finds nothing to correct: usage was kept exact by the catalog itself. With no
    // process serving, it also gives back the room the killed write had reserved.
    let out = binary(dir.path(), &["quota", "recount", "--drop-reservations"], port, gateway_port).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("0 user(s) corrected"), "{text}");

    // And after a restart the user sees the kept object and the part, not the half upload.
    let mut child = binary(dir.path(), &["serve"], port, gateway_port).spawn().unwrap();
    wait_healthy(&base).await;
    let shown: Value =
        client.get(format!("{base}/api/usage")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(shown["usage"]["bytes"], 5000 + 6 * MIB);
    assert_eq!(shown["usage"]["objects"], 1);
    assert_eq!(shown["usage"]["reserved_bytes"], 0, "the killed write's reservation is gone");
    // So the room it held is free: 30 MB more fits under the 40 MB quota.
    s3.put_object().bucket("files").key("after").body(ByteStream::from(vec![2; 30_000_000])).send().await.unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
}
