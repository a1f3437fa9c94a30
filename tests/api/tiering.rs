//! Tiering: the move from the hot tier to the cold tier, transparent reads afterwards, faults,
//! races and run records.

use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;
use futures::future::BoxFuture;
use reqwest::StatusCode;
use serde_json::Value;
use tiergate_core::catalog::CatalogObject;
use tiergate_core::domain::{BucketName, Tier, UserId};
use tiergate_core::storage::PutOptions;
use tiergate_tiering::{run_pass, PassError, PassHooks, PassOptions};

use crate::helpers::{random_bytes, CatalogChoice, HotChoice, MinioProcess, TestApp};

const MIB: usize = 1024 * 1024;

async fn get_bytes(s3: &aws_sdk_s3::Client, key: &str, range: Option<&str>) -> Vec<u8> {
    let out = s3.get_object().bucket("files").key(key).set_range(range.map(str::to_string)).send().await.unwrap();
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

async fn move_and_read(catalog: CatalogChoice, minio: bool, delete_hot: bool) {
    let tier = if minio { HotChoice::Minio } else { HotChoice::Fs };
    let settings = format!("[tiering]\ndelete_hot_after_copy = {delete_hot}\n");
    let Some(app) = TestApp::builder().catalog(catalog).hot(tier).cold(tier).settings(&settings).spawn().await else {
        return;
    };
    let user = app.user().await;
    let s3 = app.s3(&user).await;

    // Over S3: 0 B, 1 B, 5 MiB + 1 and 100 MiB; over REST: 1 B and 5 MiB + 1.
    let mut expected: Vec<(String, Vec<u8>)> = Vec::new();
    for (name, size) in [("zero", 0), ("one", 1), ("five", 5 * MIB + 1), ("hundred", 100 * MIB)] {
        let bytes = random_bytes(size);
        s3.put_object().bucket("files").key(name).body(ByteStream::from(bytes.clone())).send().await.unwrap();
        expected.push((name.to_string(), bytes));
    }
    for (name, size) in [("rest-one.bin", 1), ("rest-five.bin", 5 * MIB + 1)] {
        let bytes = random_bytes(size + 3);
        let file: Value = app.upload(&user.token, name, bytes.clone()).await.json().await.unwrap();
        expected.push((file["filename"].as_str().unwrap().to_string(), bytes));
    }

    let run = run_pass(&app.core, PassOptions::new("test")).await.unwrap();
    assert_eq!(run.status, "succeeded", "{run:?}");
    assert_eq!((run.candidates, run.moved, run.failed), (6, 6, 0));
    let total: usize = expected.iter().map(|(_, b)| b.len()).sum();
    assert_eq!(run.bytes_moved, total as i64);

    app.wait_for_gc().await;
    assert_eq!(app.cold_objects().await.len(), 6);
    assert_eq!(app.hot_objects().await.len(), if delete_hot { 0 } else { 6 });

    // Reads are the same bytes, whole and ranged, over S3 and through the download redirect.
    for (key, bytes) in &expected {
        assert_eq!(&get_bytes(&s3, key, None).await, bytes, "{key}");
        let head = s3.head_object().bucket("files").key(key).send().await.unwrap();
        assert_eq!(head.storage_class().map(|c| c.as_str()), Some("STANDARD_IA"));
        if bytes.len() > 10 {
            let mid = bytes.len() / 2;
            let range = format!("bytes={}-{}", mid, mid + 9);
            assert_eq!(get_bytes(&s3, key, Some(&range)).await, &bytes[mid..mid + 10], "{key} ranged");
        }
    }
    let list = app.list(&user.token).await;
    for f in list["files"].as_array().unwrap() {
        assert_eq!(f["storage_location"], "s3");
        assert_eq!(f["tier"], "cold");
        assert!(f["synced_at"].is_string());
        let res = app.get(&format!("/api/files/{}/download", f["id"]), &user.token).await;
        assert_eq!(res.status(), StatusCode::FOUND);
        let location = res.headers()["location"].to_str().unwrap().to_string();
        let key = f["filename"].as_str().unwrap();
        let bytes = &expected.iter().find(|(k, _)| k == key).unwrap().1;
        let whole = reqwest::get(&location).await.unwrap().bytes().await.unwrap();
        assert_eq!(whole.as_ref(), bytes.as_slice(), "{key} via the redirect");
        if bytes.len() > 100 {
            let ranged = reqwest::Client::new().get(&location).header("range", "bytes=50-99").send().await.unwrap();
            assert_eq!(ranged.status(), StatusCode::PARTIAL_CONTENT);
            assert_eq!(ranged.bytes().await.unwrap().as_ref(), &bytes[50..100]);
        }
    }
    let listed = s3.list_objects_v2().bucket("files").send().await.unwrap();
    assert!(listed.contents().iter().all(|o| o.storage_class().map(|c| c.as_str()) == Some("STANDARD_IA")));

    // A cold source copies; overwriting and deleting cold objects removes their cold copies.
    s3.copy_object().bucket("files").key("copy-of-five").copy_source("files/five").send().await.unwrap();
    assert_eq!(get_bytes(&s3, "copy-of-five", None).await, expected[2].1);
    s3.put_object().bucket("files").key("one").body(ByteStream::from_static(b"new")).send().await.unwrap();
    s3.delete_object().bucket("files").key("zero").send().await.unwrap();
    assert_eq!(get_bytes(&s3, "one", None).await, b"new");
    app.wait_for_gc().await;
    assert_eq!(app.cold_objects().await.len(), 4, "the cold copies of the overwritten and the deleted object are gone");

    // A second pass finds only what is new.
    let again = run_pass(&app.core, PassOptions::new("test")).await.unwrap();
    assert_eq!((again.candidates, again.moved), (2, 2));
}

#[tokio::test]
async fn move_postgres_minio_deleting_the_hot_copy() {
    move_and_read(CatalogChoice::Postgres, true, true).await;
}

#[tokio::test]
async fn move_embedded_keeping_the_hot_copy() {
    move_and_read(CatalogChoice::Sqlite, false, false).await;
}

#[tokio::test]
async fn cold_tier_down_fails_the_pass_and_the_next_one_moves_everything() {
    let Some(mut cold) = MinioProcess::start().await else { return };
    let app = TestApp::builder().cold_s3(cold.target.clone()).spawn().await.unwrap();
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    for i in 0..3 {
        s3.put_object()
            .bucket("files")
            .key(format!("k{i}"))
            .body(ByteStream::from(random_bytes(1000 + i)))
            .send()
            .await
            .unwrap();
    }
    cold.stop();
    let run = run_pass(&app.core, PassOptions::new("test")).await.unwrap();
    assert_eq!(run.status, "failed");
    assert!(run.error.as_deref().unwrap_or("").contains("cold tier"), "{run:?}");
    assert_eq!(run.moved, 0);
    for i in 0..3 {
        assert_eq!(get_bytes(&s3, &format!("k{i}"), None).await.len(), 1000 + i, "still hot and readable");
    }
    assert!(app.list(&user.token).await["files"].as_array().unwrap().iter().all(|f| f["tier"] == "hot"));

    cold.restart().await;
    let run = run_pass(&app.core, PassOptions::new("test")).await.unwrap();
    assert_eq!((run.status.as_str(), run.moved), ("succeeded", 3));
    for i in 0..3 {
        assert_eq!(get_bytes(&s3, &format!("k{i}"), None).await.len(), 1000 + i);
    }
}

/// Stops the cold tier right after the first copy, while that move still holds its slot.
struct ColdStopper {
    cold: tokio::sync::Mutex<MinioProcess>,
    stopped: std::sync::atomic::AtomicBool,
}

impl PassHooks for ColdStopper {
    fn after_copy<'a>(&'a self, _object: &'a CatalogObject) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if !self.stopped.swap(true, std::sync::atomic::Ordering::SeqCst) {
                self.cold.lock().await.stop();
            }
        })
    }
}

#[tokio::test]
async fn a_pass_stopped_mid_page_leaves_no_copy_in_progress_and_the_next_one_moves_the_rest() {
    let Some(cold) = MinioProcess::start().await else { return };
    let app = TestApp::builder()
        .cold_s3(cold.target.clone())
        .settings("[tiering]\nconcurrency = 1\nbatch_size = 10\n")
        .spawn()
        .await
        .unwrap();
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    let bodies: Vec<Vec<u8>> = (0..6).map(|i| random_bytes(2000 + i)).collect();
    for (i, body) in bodies.iter().enumerate() {
        s3.put_object().bucket("files").key(format!("k{i}")).body(ByteStream::from(body.clone())).send().await.unwrap();
    }
    let stopper = Arc::new(ColdStopper { cold: tokio::sync::Mutex::new(cold), stopped: Default::default() });
    let hooks: Arc<dyn PassHooks> = stopper.clone();
    let run = run_pass(&app.core, PassOptions { hooks: Some(hooks), ..PassOptions::new("test") }).await.unwrap();
    assert_eq!(run.status, "failed", "{run:?}");
    assert!(run.error.as_deref().unwrap_or("").contains("cold copy"), "{run:?}");
    assert_eq!(run.moved, 1, "the copy made before the cold tier stopped is switched: {run:?}");
    // The next copy fails and stops the pass; one more may have taken the slot first.
    assert!((1..=2).contains(&run.failed), "{run:?}");
    // The rest of the page was never copied: its intents were given up with the pass.
    assert_eq!(app.core.catalog.tiering_intents_in_progress().await.unwrap(), 0);

    stopper.cold.lock().await.restart().await;
    for (i, body) in bodies.iter().enumerate() {
        assert_eq!(get_bytes(&s3, &format!("k{i}"), None).await, *body, "k{i}");
    }
    // The given-up intents are queued deletions now. A key the collector is deleting at that
    // moment (it may still be retrying against the stopped tier) waits for a later pass.
    let mut moved = 0;
    for _ in 0..40 {
        let run = run_pass(&app.core, PassOptions::new("test")).await.unwrap();
        assert_eq!((run.status.as_str(), run.failed), ("succeeded", 0), "{run:?}");
        moved += run.moved;
        if run.candidates == run.moved {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(moved, 5, "the next passes move the rest, each object once");
    assert!(app.list(&user.token).await["files"].as_array().unwrap().iter().all(|f| f["tier"] == "cold"));
    for (i, body) in bodies.iter().enumerate() {
        assert_eq!(get_bytes(&s3, &format!("k{i}"), None).await, *body, "k{i}");
    }
    assert_eq!(app.core.catalog.tiering_intents_in_progress().await.unwrap(), 0);
}

/// Overwrites one object and deletes another right after their copies reach the cold tier.
struct Meddler {
    core: tiergate_core::Core,
}

impl PassHooks for Meddler {
    fn after_copy<'a>(&'a self, object: &'a CatalogObject) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let files = tiergate_core::domain::BucketName::parse("files").unwrap();
            let bucket = self.core.catalog.bucket(object.owner, &files).await.unwrap().unwrap();
            match object.key.as_str() {
                "overwritten" => {
                    let write = tiergate_core::objects::ObjectWrite {
                        owner: object.owner,
                        bucket,
                        key: tiergate_core::domain::ObjectKey::parse("overwritten").unwrap(),
                        content_type: None,
                        user_metadata: Default::default(),
                        headers: Default::default(),
                        original_filename: None,
                        tags: Default::default(),
                        content_length: None,
                        max_bytes: None,
                        expected_md5: None,
                        condition: Default::default(),
                    };
                    let body: tiergate_core::storage::ByteStream =
                        Box::pin(futures::stream::iter([Ok(bytes::Bytes::from_static(b"second version"))]));
                    self.core.put_object(write, body).await.unwrap();
                }
                "deleted" => {
                    self.core
                        .catalog
                        .delete_object_by_key(
                            object.owner,
                            bucket.id,
                            "deleted",
                            &Default::default(),
                            self.core.settings.gc.grace,
                        )
                        .await
                        .unwrap();
                }
                _ => {}
            }
        })
    }
}

async fn overwritten_or_deleted_mid_move(catalog: CatalogChoice, tier: HotChoice) {
    let Some(app) = TestApp::builder().catalog(catalog).hot(tier).cold(tier).spawn().await else { return };
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    for key in ["overwritten", "deleted", "calm"] {
        s3.put_object().bucket("files").key(key).body(ByteStream::from_static(b"first version")).send().await.unwrap();
    }
    let hooks: Arc<dyn PassHooks> = Arc::new(Meddler { core: app.core.clone() });
    let run = run_pass(&app.core, PassOptions { hooks: Some(hooks), ..PassOptions::new("test") }).await.unwrap();
    assert_eq!((run.status.as_str(), run.moved, run.failed), ("succeeded", 1, 0), "{run:?}");

    assert_eq!(get_bytes(&s3, "overwritten", None).await, b"second version");
    assert!(s3.head_object().bucket("files").key("deleted").send().await.is_err());
    assert_eq!(get_bytes(&s3, "calm", None).await, b"first version");
    let files = app.list(&user.token).await;
    let tier_of =
        |key: &str| files["files"].as_array().unwrap().iter().find(|f| f["filename"] == key).unwrap()["tier"].clone();
    assert_eq!(tier_of("overwritten"), "hot", "the new version waits for the next pass");
    assert_eq!(tier_of("calm"), "cold");
    // The orphaned cold copies are collected: only "calm" is in the cold tier.
    app.wait_for_gc().await;
    assert_eq!(app.cold_objects().await.len(), 1, "{:?}", app.cold_objects().await);
}

#[tokio::test]
async fn objects_overwritten_or_deleted_mid_move_are_never_switched_to_stale_bytes() {
    overwritten_or_deleted_mid_move(CatalogChoice::Sqlite, HotChoice::Fs).await;
}

#[tokio::test]
async fn objects_overwritten_or_deleted_mid_move_on_postgres_and_minio() {
    overwritten_or_deleted_mid_move(CatalogChoice::Postgres, HotChoice::Minio).await;
}

#[tokio::test]
async fn two_passes_at_once_move_each_object_once() {
    let Some(app) = TestApp::builder().catalog(CatalogChoice::Postgres).spawn().await else { return };
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    for i in 0..12 {
        s3.put_object()
            .bucket("files")
            .key(format!("o{i}"))
            .body(ByteStream::from(random_bytes(20_000)))
            .send()
            .await
            .unwrap();
    }
    // A second process: its own core on the same catalog and tiers.
    let other = tiergate_core::Core::open((*app.core.settings).clone()).await.unwrap();
    let (a, b) = tokio::join!(run_pass(&app.core, PassOptions::new("a")), run_pass(&other, PassOptions::new("b")));
    let moved: i64 = [&a, &b].iter().filter_map(|r| r.as_ref().ok()).map(|r| r.moved).sum();
    let busy = [&a, &b].iter().filter(|r| matches!(r, Err(PassError::Busy))).count();
    assert_eq!(busy, 1, "only one pass runs at a time");
    assert_eq!(moved, 12, "each object moved once");
    let again = run_pass(&other, PassOptions::new("b")).await.unwrap();
    assert_eq!(again.candidates, 0);
}

#[tokio::test]
async fn run_records_and_the_rest_api() {
    let app = TestApp::builder().settings("[auth]\nadmins = [\"boss@example.com\"]\n").spawn().await.unwrap();
    assert_eq!(app.signup("boss@example.com", "long enough").await.status(), StatusCode::CREATED);
    let login: Value = app.login("boss@example.com", "long enough").await.json().await.unwrap();
    let admin = login["access_token"].as_str().unwrap().to_string();
    assert_eq!(login["is_admin"], true);
    let user = app.user().await;
    assert_eq!(app.upload(&user.token, "a.txt", b"aaaa".to_vec()).await.status(), StatusCode::CREATED);

    // Users see their summary; only admins see runs and start them.
    let summary: Value = app.get("/api/tiering/summary", &user.token).await.json().await.unwrap();
    assert_eq!(summary["hot"]["objects"], 1);
    assert_eq!(summary["hot"]["bytes"], 4);
    assert_eq!(summary["cold"]["objects"], 0);
    assert!(summary["next_run_at"].as_str().unwrap().ends_with("T00:00:00Z"));
    assert_eq!(app.get("/api/tiering/runs", &user.token).await.status(), StatusCode::FORBIDDEN);
    let res = app.api.post(app.url("/api/tiering/run")).bearer_auth(&user.token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let res = app.api.post(app.url("/api/tiering/run")).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let run_id = res.json::<Value>().await.unwrap()["run_id"].as_i64().unwrap();
    let mut run = Value::Null;
    for _ in 0..100 {
        run = app.get(&format!("/api/tiering/runs/{run_id}"), &admin).await.json().await.unwrap();
        if run["status"] != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["moved"], 1);
    assert_eq!(run["trigger"], "manual");
    assert!(run["failures"].as_array().unwrap().is_empty());
    let runs: Value = app.get("/api/tiering/runs", &admin).await.json().await.unwrap();
    assert_eq!(runs["total"], 1);
    let summary: Value = app.get("/api/tiering/summary", &user.token).await.json().await.unwrap();
    assert_eq!(summary["cold"]["objects"], 1);
    assert_eq!(summary["last_run"]["id"], run_id);
    assert_eq!(app.get("/api/tiering/runs/424242", &admin).await.status(), StatusCode::NOT_FOUND);
}

/// A hot copy that no longer holds the bytes the catalog recorded (bit rot, or someone writing
/// into the tier behind Tiergate's back) is never moved: the cold tier's MD5 of the copy (or,
/// on a folder, the pass's own) does not match the catalog's, the object stays hot with the
/// reason, and the pass is `partial`.
async fn a_hot_copy_with_other_bytes_is_not_moved(tier: HotChoice) {
    let Some(app) = TestApp::builder().hot(tier).cold(tier).spawn().await else { return };
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    let original = random_bytes(64 * 1024);
    s3.put_object().bucket("files").key("rotten").body(ByteStream::from(original.clone())).send().await.unwrap();
    let me: Value = app.get("/api/auth/me", &user.token).await.json().await.unwrap();
    let owner = UserId(me["user_id"].as_i64().unwrap());
    let bucket = app.core.catalog.bucket(owner, &BucketName::parse("files").unwrap()).await.unwrap().unwrap();
    let object = app.core.catalog.object(owner, bucket.id, "rotten").await.unwrap().unwrap();
    let hot_key = object.hot_key.clone().unwrap();
    // Same size, other bytes, written straight into the hot tier.
    let mut rotten = original.clone();
    rotten[1000] ^= 0xff;
    app.core
        .hot
        .backend
        .put(
            &hot_key,
            Box::pin(futures::stream::iter([Ok(rotten.into())])),
            PutOptions { content_length: Some(original.len() as u64), ..PutOptions::default() },
        )
        .await
        .unwrap();

    let run = run_pass(&app.core, PassOptions::new("test")).await.unwrap();
    assert_eq!((run.status.as_str(), run.moved, run.failed), ("partial", 0, 1), "{run:?}");
    let failures = app.core.catalog.tiering_failures(run.id).await.unwrap();
    assert!(failures[0].reason.contains("MD5"), "{:?}", failures[0].reason);
    let after = app.core.catalog.object(owner, bucket.id, "rotten").await.unwrap().unwrap();
    assert_eq!(after.tier, Tier::Hot);
    assert_eq!(after.version_id, object.version_id);
}

#[tokio::test]
async fn a_hot_copy_with_other_bytes_is_not_moved_on_minio() {
    a_hot_copy_with_other_bytes_is_not_moved(HotChoice::Minio).await;
}

#[tokio::test]
async fn a_hot_copy_with_other_bytes_is_not_moved_on_folders() {
    a_hot_copy_with_other_bytes_is_not_moved(HotChoice::Fs).await;
}

/// A body of known length above `multipart_threshold` goes up in parts streamed from it (no
/// buffer): its ETag is the multipart one of those parts, a wrong Content-MD5 is still
/// refused, and a pass copies it into a cold tier that stores it the same way, proving the
/// copy by the parts' MD5s.
#[tokio::test]
async fn bodies_above_the_multipart_threshold_stream_in_parts_and_move() {
    let Some(app) = TestApp::builder()
        .hot(HotChoice::Minio)
        .hot_setting("multipart_threshold = 5242880")
        .cold(HotChoice::Minio)
        .cold_setting("multipart_threshold = 5242880")
        .spawn()
        .await
    else {
        return;
    };
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    let md5 = |b: &[u8]| <md5::Md5 as md5::Digest>::digest(b).to_vec();
    let body = random_bytes(12 * MIB + 1);
    let part_md5s: Vec<u8> = body.chunks(5 * MIB).flat_map(md5).collect();
    let expected = format!("\"{}-3\"", hex::encode(md5(&part_md5s)));

    let put = s3.put_object().bucket("files").key("big").body(ByteStream::from(body.clone())).send().await.unwrap();
    assert_eq!(put.e_tag(), Some(expected.as_str()));
    assert!(get_bytes(&s3, "big", None).await == body);
    let b64 = |b: &[u8]| base64::Engine::encode(&base64::engine::general_purpose::STANDARD, b);
    let e = s3
        .put_object()
        .bucket("files")
        .key("other")
        .content_md5(b64(&[0u8; 16]))
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.into_service_error().meta().code(), Some("BadDigest"));

    let run = run_pass(&app.core, PassOptions::new("test")).await.unwrap();
    assert_eq!((run.moved, run.failed), (1, 0), "{run:?}");
    let cold = app.cold_objects().await;
    assert_eq!(cold.len(), 1);
    let (target, bucket) = app.cold_s3.as_ref().unwrap();
    let head = target.client().head_object().bucket(bucket).key(&cold[0]).send().await.unwrap();
    assert_eq!(head.e_tag(), Some(expected.as_str()), "the cold copy went up in the same parts");
    assert!(get_bytes(&s3, "big", None).await == body);
    assert!(get_bytes(&s3, "big", Some("bytes=5242879-5242881")).await == body[5 * MIB - 1..5 * MIB + 2]);
}

/// Ranges of objects the cold tier serves: an empty one has none (416 with `bytes */0`, no
/// panic), a small one answers every form as the hot tier did.
async fn ranges_of_cold_objects(catalog: CatalogChoice, tier: HotChoice) {
    let Some(app) = TestApp::builder().catalog(catalog).hot(tier).cold(tier).spawn().await else { return };
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    s3.put_object().bucket("files").key("empty").body(ByteStream::from_static(b"")).send().await.unwrap();
    s3.put_object().bucket("files").key("ten").body(ByteStream::from_static(b"0123456789")).send().await.unwrap();
    let run = run_pass(&app.core, PassOptions::new("test")).await.unwrap();
    assert_eq!((run.moved, run.failed), (2, 0), "{run:?}");
    for range in ["bytes=-1", "bytes=-5", "bytes=0-0", "bytes=0-", "bytes=3-9"] {
        let e = s3.get_object().bucket("files").key("empty").range(range).send().await.unwrap_err();
        let raw = e.raw_response().unwrap();
        assert_eq!(raw.status().as_u16(), 416, "{range}");
        assert_eq!(raw.headers().get("content-range"), Some("bytes */0"), "{range}");
        let e = s3.head_object().bucket("files").key("empty").range(range).send().await.unwrap_err();
        assert_eq!(e.raw_response().unwrap().status().as_u16(), 416, "{range}");
    }
    assert!(get_bytes(&s3, "empty", None).await.is_empty());
    assert_eq!(get_bytes(&s3, "ten", Some("bytes=-20")).await, b"0123456789");
    assert_eq!(get_bytes(&s3, "ten", Some("bytes=-3")).await, b"789");
    assert_eq!(get_bytes(&s3, "ten", Some("bytes=8-100")).await, b"89");
    let e = s3.get_object().bucket("files").key("ten").range("bytes=10-").send().await.unwrap_err();
    assert_eq!(e.raw_response().unwrap().headers().get("content-range"), Some("bytes */10"));
    let head = s3.head_object().bucket("files").key("ten").range("bytes=2-4").send().await.unwrap();
    assert_eq!((head.content_length(), head.content_range()), (Some(3), Some("bytes 2-4/10")));
}

#[tokio::test]
async fn ranges_of_cold_objects_on_folders() {
    ranges_of_cold_objects(CatalogChoice::Sqlite, HotChoice::Fs).await;
}

#[tokio::test]
async fn ranges_of_cold_objects_on_postgres_and_minio() {
    ranges_of_cold_objects(CatalogChoice::Postgres, HotChoice::Minio).await;
}
