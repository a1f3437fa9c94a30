//! Faults: a hot tier that goes away, and a process killed in the middle of an upload.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{random_bytes, wait_healthy, MinioProcess, TestApp};

#[tokio::test]
async fn minio_stopped_mid_test_gives_503_and_writes_no_row() {
    let Some(mut minio) = MinioProcess::start().await else { return };
    let app = TestApp::builder().hot_s3(minio.target.clone()).spawn().await.unwrap();
    let user = app.user().await;
    assert_eq!(app.upload(&user.token, "before.txt", b"kept".to_vec()).await.status(), StatusCode::CREATED);

    minio.stop();

    let res = app.upload(&user.token, "during.txt", random_bytes(200_000)).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "storage_unavailable");
    let list = app.list(&user.token).await;
    assert_eq!(list["total"], 1, "no row for the failed upload");
    assert_eq!(list["files"][0]["original_filename"], "before.txt");

    let res = app.api.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["checks"]["hot_tier"], "down");
    assert!(body["error"]["message"].as_str().unwrap().contains("hot tier"));
}

/// The `tiergate` binary, serving the embedded default from `dir` on `port`.
fn start_binary(dir: &Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_tiergate"))
        .arg("serve")
        .current_dir(dir)
        .env("TIERGATE_SERVER__CONTROL_PLANE_ADDR", format!("127.0.0.1:{port}"))
        .env("TIERGATE_SERVER__GATEWAY_ADDR", "127.0.0.1:0")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn tmp_bytes(hot: &Path) -> u64 {
    std::fs::read_dir(hot.join(".tmp"))
        .map(|d| d.flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum())
        .unwrap_or(0)
}

#[tokio::test]
async fn killed_while_an_upload_streams_leaves_no_row_pointing_to_missing_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = start_binary(dir.path(), port);
    wait_healthy(&base).await;
    let client = reqwest::Client::new();
    let creds = serde_json::json!({ "email": "crash@example.com", "password": "long enough" });
    client.post(format!("{base}/api/auth/signup")).json(&creds).send().await.unwrap();
    let login: Value =
        client.post(format!("{base}/api/auth/login")).json(&creds).send().await.unwrap().json().await.unwrap();
    let token = login["access_token"].as_str().unwrap().to_string();

    // A file that is finished before the crash survives it.
    let done = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(b"safe".to_vec()).file_name("done.txt"));
    let res = client.post(format!("{base}/api/files/upload")).bearer_auth(&token).multipart(done).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);

    // Stream a file slowly, and kill the server once part of it is on disk.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    let boundary = "crash-boundary";
    let body =
        reqwest::Body::wrap_stream(futures::stream::unfold(
            rx,
            |mut rx| async move { rx.recv().await.map(|c| (c, rx)) },
        ));
    let upload = tokio::spawn({
        let client = client.clone();
        let url = format!("{base}/api/files/upload");
        let token = token.clone();
        async move {
            client
                .post(url)
                .bearer_auth(token)
                .header("content-type", format!("multipart/form-data; boundary={boundary}"))
                .body(body)
                .send()
                .await
        }
    });
    tx.send(Ok(format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"partial.bin\"\r\n\r\n"
    )
    .into_bytes()))
        .await
        .unwrap();
    let hot = dir.path().join("data/hot");
    let mut waited = 0;
    while tmp_bytes(&hot) < 1024 * 1024 {
        tx.send(Ok(random_bytes(256 * 1024))).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        waited += 1;
        assert!(waited < 500, "the upload never reached the disk");
    }
    child.kill().unwrap();
    child.wait().unwrap();
    drop(tx);
    let _ = upload.await; // the client sees its connection cut; nothing to assert there

    let mut child = start_binary(dir.path(), port);
    wait_healthy(&base).await;
    let list: Value =
        client.get(format!("{base}/api/files")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["total"], 1, "only the finished file has a row: {list}");
    assert_eq!(list["files"][0]["original_filename"], "done.txt");
    // Every row points to bytes that are there.
    for f in list["files"].as_array().unwrap() {
        let res =
            client.get(format!("{base}/api/files/{}/download", f["id"])).bearer_auth(&token).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.bytes().await.unwrap().as_ref(), b"safe");
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Started before its hot tier answers (a container started before MinIO), `serve` retries with
/// a log line for up to `server.startup_wait`, and serves once the tier comes up; if it never
/// does, it stops naming what is down.
#[tokio::test]
async fn start_up_waits_for_a_tier_that_comes_up_later() {
    let Some(mut minio) = MinioProcess::start().await else { return };
    minio.stop();
    let dir = tempfile::tempdir().unwrap();
    let free = || std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let port = free();
    let log_path = dir.path().join("tiergate.log");
    let serve = |wait: &str| {
        Command::new(env!("CARGO_BIN_EXE_tiergate"))
            .arg("serve")
            .current_dir(dir.path())
            .env("TIERGATE_SERVER__CONTROL_PLANE_ADDR", format!("127.0.0.1:{port}"))
            .env("TIERGATE_SERVER__GATEWAY_ADDR", format!("127.0.0.1:{}", free()))
            .env("TIERGATE_SERVER__STARTUP_WAIT", wait)
            .env("TIERGATE_TIERS__HOT__KIND", "s3")
            .env("TIERGATE_TIERS__HOT__ENDPOINT", &minio.target.endpoint)
            .env("TIERGATE_TIERS__HOT__BUCKET", "late-hot")
            .env("TIERGATE_TIERS__HOT__ACCESS_KEY_ID", &minio.target.access_key)
            .env("TIERGATE_TIERS__HOT__SECRET_ACCESS_KEY", &minio.target.secret_key)
            .env("TIERGATE_TIERS__HOT__CREATE_BUCKET", "true")
            .env("TIERGATE_AUDIT__TARGET", "off")
            .env_remove("RUST_LOG")
            .stdout(std::fs::File::create(&log_path).unwrap())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };

    // Never up within the wait: a clear error, not a hang.
    let out = serve("1s").wait_with_output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("tiers.hot"), "{stderr}");

    // Up a moment later: it waits, says so, and serves.
    let mut child = serve("60s");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(&log_path).unwrap_or_default().contains("does not answer yet") {
        assert!(std::time::Instant::now() < deadline, "no retry line");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    minio.restart().await;
    wait_healthy(&format!("http://127.0.0.1:{port}")).await;
    let ready = reqwest::get(format!("http://127.0.0.1:{port}/readyz")).await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    let _ = child.kill();
    let _ = child.wait();
}

/// A stop asked for while start-up waits for the catalog ends the wait: SIGTERM is not ignored
/// until `server.startup_wait` runs out.
#[tokio::test]
async fn sigterm_during_the_start_up_wait_stops_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("tiergate.log");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tiergate"))
        .arg("serve")
        .current_dir(dir.path())
        .env("TIERGATE_CATALOG__URL", format!("postgres://nobody:x@127.0.0.1:{closed}/nothing"))
        .env("TIERGATE_SERVER__CONTROL_PLANE_ADDR", "127.0.0.1:0")
        .env("TIERGATE_SERVER__GATEWAY_ADDR", "127.0.0.1:0")
        .env("TIERGATE_SERVER__STARTUP_WAIT", "10m")
        .env("TIERGATE_AUDIT__TARGET", "off")
        .env_remove("RUST_LOG")
        .stdout(std::fs::File::create(&log_path).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(&log_path).unwrap_or_default().contains("does not answer yet") {
        assert!(std::time::Instant::now() < deadline, "no retry line");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "SIGTERM was ignored during the start-up wait");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
