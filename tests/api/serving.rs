//! How the gateway serves connections: many at once on one serving thread, and a stop that
//! refuses new connections while the requests in flight finish.

use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use futures::channel::mpsc;
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
