//! How Tiergate serves: the gateway's connections, many at once on one serving thread, and a
//! stop that refuses new connections while the requests in flight finish; and the dashboard the
//! binary carries.

use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use futures::channel::mpsc;
use reqwest::StatusCode;
use tiergate_core::domain::{BucketName, Email};

use crate::helpers::{random_bytes, TestApp};

#[tokio::test]
async fn one_serving_thread_serves_other_connections_while_a_body_waits_and_a_stop_lets_it_finish() {
    let mut app = TestApp::builder().server_setting("gateway_threads = 1").spawn().await.unwrap();
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    s3.create_bucket().bucket("slow").send().await.unwrap();

    // An upload whose body arrives in two halves, on its own connection.
    let content = random_bytes(3 * 1024 * 1024);
    let presigned = s3
        .put_object()
        .bucket("slow")
        .key("halves.bin")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let (mut feed, body) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let upload = tokio::spawn(
        reqwest::Client::new()
            .put(presigned.uri())
            .header("content-length", content.len())
            .body(reqwest::Body::wrap_stream(body))
            .send(),
    );
    let half = content.len() / 2;
    feed.try_send(Ok(Bytes::copy_from_slice(&content[..half]))).unwrap();

    // The one serving thread answers other connections meanwhile: a new client's, opened now.
    // (A bound on the wait, so a thread blocked on the first body fails the test instead of
    // hanging it.)
    let later = app.s3(&user).await;
    let others = async {
        later
            .put_object()
            .bucket("slow")
            .key("quick.txt")
            .body(ByteStream::from_static(b"quick"))
            .send()
            .await
            .unwrap();
        let listed = later.list_objects_v2().bucket("slow").send().await.unwrap();
        listed.contents().iter().filter_map(|o| o.key().map(str::to_string)).collect::<Vec<_>>()
    };
    let listed = tokio::time::timeout(Duration::from_secs(60), others)
        .await
        .expect("the serving thread answered nothing while one upload waited for its body");
    assert_eq!(listed, ["quick.txt"], "the unfinished upload is not listed");

    // Stop: the listener closes at once, the upload in flight still completes.
    let stopped = app.stop_gateway();
    let gateway = app.gateway.trim_start_matches("http://").to_string();
    let mut refused = false;
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(&gateway).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(refused, "a stopping gateway still accepts connections");
    feed.try_send(Ok(Bytes::copy_from_slice(&content[half..]))).unwrap();
    drop(feed);
    let res = upload.await.unwrap().unwrap();
    assert_eq!(res.status(), 200);
    let md5 = hex::encode(<md5::Md5 as md5::Digest>::digest(&content));
    assert_eq!(res.headers()["etag"].to_str().unwrap(), format!("\"{md5}\""));
    stopped.await.unwrap().expect("the gateway stops cleanly");

    let email = Email::parse(&user.email).unwrap();
    let owner = app.core.catalog.user_by_email(&email).await.unwrap().unwrap().id;
    let bucket = app.core.catalog.bucket(owner, &BucketName::parse("slow").unwrap()).await.unwrap().unwrap();
    let stored = app.core.catalog.object(owner, bucket.id, "halves.bin").await.unwrap().expect("the upload is stored");
    assert_eq!(stored.size, content.len() as u64);
}

/// The binary carries its dashboard: started in an empty folder (no `web/dist` there, no
/// `server.web_dir`), it serves the app at `/`, its routes, and its hashed assets.
#[tokio::test]
async fn a_binary_started_in_an_empty_folder_serves_the_dashboard() {
    let dir = tempfile::tempdir().unwrap();
    let free = || std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let port = free();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tiergate"))
        .arg("serve")
        .current_dir(dir.path())
        .env("TIERGATE_SERVER__CONTROL_PLANE_ADDR", format!("127.0.0.1:{port}"))
        .env("TIERGATE_SERVER__GATEWAY_ADDR", format!("127.0.0.1:{}", free()))
        .env("TIERGATE_AUDIT__TARGET", "off")
        .env_remove("TIERGATE_SERVER__WEB_DIR")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let mut index = None;
    for _ in 0..200 {
        if let Ok(res) = client.get(format!("{base}/")).send().await {
            index = Some(res);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let index = index.expect("the server answers");
    assert_eq!(index.status(), StatusCode::OK);
    assert!(index.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let etag = index.headers()["etag"].to_str().unwrap().to_string();
    let html = index.text().await.unwrap();
    assert!(html.contains("id=\"root\""), "{html}");
    // A route of the app is the app; a revalidation is 304.
    let route = client.get(format!("{base}/admin")).send().await.unwrap();
    assert_eq!(route.status(), StatusCode::OK);
    assert_eq!(route.text().await.unwrap(), html);
    let again = client.get(format!("{base}/")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    // Its script, cached for good (its name carries its hash).
    let script = html.split("src=\"").nth(1).and_then(|s| s.split('"').next()).expect("a script in index.html");
    let asset = client.get(format!("{base}{script}")).send().await.unwrap();
    assert_eq!(asset.status(), StatusCode::OK);
    assert!(asset.headers()["content-type"].to_str().unwrap().contains("javascript"));
    assert!(asset.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    // A file that is not there is a 404, not the app.
    let missing = client.get(format!("{base}/assets/nothing-here.js")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(client.get(format!("{base}/api/nothing")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    child.kill().unwrap();
    child.wait().unwrap();
}
