//! Files: limits, names, listing, ownership, links.

use reqwest::StatusCode;
use serde_json::{json, Value};
use tiergate_core::catalog::now_ms;
use tiergate_core::domain::{BucketName, ObjectKey};
use tiergate_core::objects::ObjectWrite;

use crate::helpers::{random_bytes, HotChoice, TestApp};

#[tokio::test]
async fn another_users_file_is_403_and_never_listed() {
    let app = TestApp::spawn().await;
    let alice = app.user().await;
    let bob = app.user().await;
    let file: Value = app.upload(&alice.token, "secret.txt", b"alice only".to_vec()).await.json().await.unwrap();
    let id = file["id"].as_i64().unwrap();

    for path in [format!("/api/files/{id}"), format!("/api/files/{id}/download")] {
        let res = app.get(&path, &bob.token).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "forbidden");
        assert!(!body.to_string().contains("secret.txt"));
    }
    assert_eq!(app.delete(&format!("/api/files/{id}"), &bob.token).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.list(&bob.token).await["total"], 0);
    // Alice still has it, whole.
    assert_eq!(app.list(&alice.token).await["total"], 1);
    assert_eq!(app.get(&format!("/api/files/{id}"), &alice.token).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn unknown_files_are_404() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    for path in ["/api/files/999999", "/api/files/abc", "/api/files/999999/download"] {
        let res = app.get(path, &user.token).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found");
    }
    assert_eq!(app.delete("/api/files/999999", &user.token).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/nothing-here", &user.token).await.status(), StatusCode::NOT_FOUND);
}

async fn over_the_limit_leaves_nothing(hot: HotChoice) {
    let Some(app) = TestApp::builder().hot(hot).settings("[upload]\nmax_bytes = 1048576").spawn().await else { return };
    let user = app.user().await;

    // Streamed past the limit: the multipart envelope fits, the file does not.
    let res = app.upload(&user.token, "big.bin", random_bytes(1024 * 1024 + 1)).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large");

    // Announced far past the limit: refused before it is read.
    let res = app.upload(&user.token, "huge.bin", random_bytes(3 * 1024 * 1024)).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);

    assert_eq!(app.list(&user.token).await["total"], 0, "no row");
    assert!(app.hot_objects().await.is_empty(), "no backing object");

    // Exactly the limit is fine.
    let res = app.upload(&user.token, "fits.bin", random_bytes(1024 * 1024)).await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn over_the_limit_is_413_on_fs() {
    over_the_limit_leaves_nothing(HotChoice::Fs).await;
}

#[tokio::test]
async fn over_the_limit_is_413_on_minio() {
    over_the_limit_leaves_nothing(HotChoice::Minio).await;
}

/// A browser upload has no length of its own, so it goes up to MinIO as a multipart upload
/// of buffered parts. With an overlap budget a part is sent while the next is read; without
/// one, in turns. Either way, and with uploads at once sharing the budget, the bytes arrive
/// exact.
#[tokio::test]
async fn unknown_length_uploads_to_minio_are_exact_with_and_without_overlap() {
    for overlap in [0, 5 * 1024 * 1024] {
        let Some(app) =
            TestApp::builder().hot(HotChoice::Minio).hot_setting(&format!("overlap_bytes = {overlap}")).spawn().await
        else {
            return;
        };
        let user = app.user().await;
        let bodies: Vec<Vec<u8>> = (0..3).map(|i| random_bytes(16 * 1024 * 1024 + 1000 * i)).collect();
        let names: Vec<String> = (0..bodies.len()).map(|i| format!("big-{i}.bin")).collect();
        let uploads = bodies.iter().zip(&names).map(|(b, name)| app.upload(&user.token, name, b.clone()));
        let mut answered = Vec::new();
        for (res, body) in futures::future::join_all(uploads).await.into_iter().zip(&bodies) {
            assert_eq!(res.status(), StatusCode::CREATED, "overlap {overlap}");
            let file: Value = res.json().await.unwrap();
            answered.push(format!("\"{}\"", file["etag"].as_str().unwrap()));
            assert_eq!(file["file_size"].as_u64(), Some(body.len() as u64));
            let res = app.get(&format!("/api/files/{}/download", file["id"]), &user.token).await;
            let location = res.headers()["location"].to_str().unwrap().to_string();
            let got = reqwest::get(&location).await.unwrap().bytes().await.unwrap();
            assert!(got.as_ref() == body.as_slice(), "overlap {overlap}: the downloaded bytes differ");
        }
        // They went up in parts: the backend's ETags are multipart ones.
        let (target, bucket) = app.hot_s3.as_ref().unwrap();
        let listed = target.client().list_objects_v2().bucket(bucket).send().await.unwrap();
        let mut etags: Vec<String> = listed.contents().iter().filter_map(|o| o.e_tag().map(str::to_string)).collect();
        assert_eq!(etags.len(), 3);
        assert!(etags.iter().all(|e| e.contains('-')), "{etags:?}");
        // Tiergate did not hash them: the ETag it answered is the one MinIO built from the
        // parts' MD5s.
        etags.sort();
        answered.sort();
        assert_eq!(answered, etags);
    }
}

#[tokio::test]
async fn hostile_and_long_names_are_stored_safely_and_returned_intact() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let long = "é".repeat(150); // 300 bytes of UTF-8
    let cases: Vec<(String, String)> = vec![
        ("../../etc/passwd".into(), r#"form-data; name="file"; filename="../../etc/passwd""#.into()),
        ("a\0b/../c".into(), r#"form-data; name="file"; filename="x"; filename*=UTF-8''a%00b%2F..%2Fc"#.into()),
        (long.clone(), format!(r#"form-data; name="file"; filename="{long}""#)),
    ];
    for (name, disposition) in &cases {
        let res = app.upload_with_disposition(&user.token, disposition, b"payload").await;
        assert_eq!(res.status(), StatusCode::CREATED, "{name:?}");
        let file: Value = res.json().await.unwrap();
        assert_eq!(file["original_filename"].as_str().unwrap(), name);
        let key = file["filename"].as_str().unwrap();
        assert!(!key.contains('/') && !key.contains('\0'), "{key:?}");
        let again: Value = app.get(&format!("/api/files/{}", file["id"]), &user.token).await.json().await.unwrap();
        assert_eq!(again["original_filename"].as_str().unwrap(), name);
        let res = app.get(&format!("/api/files/{}/download", file["id"]), &user.token).await;
        let location = res.headers()["location"].to_str().unwrap().to_string();
        assert_eq!(reqwest::get(&location).await.unwrap().bytes().await.unwrap().as_ref(), b"payload");
    }
    // Every backing object is inside the tier's folder, under the user's prefix.
    let objects = app.hot_objects().await;
    assert_eq!(objects.len(), 3);
    assert!(
        objects.iter().all(|o| o.starts_with("user-") && o.split('/').all(|s| s != ".." && s != ".")),
        "{objects:?}"
    );
    assert!(!app.dir.path().join("etc").exists());
}

#[tokio::test]
async fn upload_requests_without_a_file_are_refused() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let form = reqwest::multipart::Form::new().text("note", "no file here");
    let res = app.api.post(app.url("/api/files/upload")).bearer_auth(&user.token).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["field"], "file");

    let res = app.api.post(app.url("/api/files/upload")).bearer_auth(&user.token).body("raw").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let res = app.upload_with_disposition("not-a-token", r#"form-data; name="file"; filename="a""#, b"x").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.list(&user.token).await["total"], 0);
}

#[tokio::test]
async fn the_list_pages_and_sorts() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    for (name, size) in [("b.txt", 30), ("a.txt", 10), ("c.txt", 20)] {
        assert_eq!(app.upload(&user.token, name, vec![b'x'; size]).await.status(), StatusCode::CREATED);
    }
    let names = |v: &Value| -> Vec<String> {
        v["files"].as_array().unwrap().iter().map(|f| f["original_filename"].as_str().unwrap().to_string()).collect()
    };
    let newest: Value = app.get("/api/files?limit=2", &user.token).await.json().await.unwrap();
    assert_eq!(names(&newest), ["c.txt", "a.txt"]);
    assert_eq!(newest["total"], 3);
    let rest: Value = app.get("/api/files?limit=2&offset=2", &user.token).await.json().await.unwrap();
    assert_eq!(names(&rest), ["b.txt"]);
    // By the name people see, not the stored key (which starts with a random id).
    let by_name: Value = app.get("/api/files?sort=filename", &user.token).await.json().await.unwrap();
    assert_eq!(names(&by_name), ["a.txt", "b.txt", "c.txt"]);
    let by_name_desc: Value = app.get("/api/files?sort=filename&order=desc", &user.token).await.json().await.unwrap();
    assert_eq!(names(&by_name_desc), ["c.txt", "b.txt", "a.txt"]);
    let by_size: Value = app.get("/api/files?sort=file_size", &user.token).await.json().await.unwrap();
    assert_eq!(names(&by_size), ["a.txt", "c.txt", "b.txt"]);
    let by_size_desc: Value = app.get("/api/files?sort=file_size&order=desc", &user.token).await.json().await.unwrap();
    assert_eq!(names(&by_size_desc), ["b.txt", "c.txt", "a.txt"]);
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=x", "limit"),
        ("offset=-1", "offset"),
        ("sort=color", "sort"),
        ("order=up", "order"),
    ] {
        let res = app.get(&format!("/api/files?{query}"), &user.token).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["field"], field);
    }
}

#[tokio::test]
async fn signed_links_are_checked_and_serve_ranges() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let content = random_bytes(100_000);
    let file: Value = app.upload(&user.token, "data.bin", content.clone()).await.json().await.unwrap();
    let res = app.get(&format!("/api/files/{}/download", file["id"]), &user.token).await;
    let link = res.headers()["location"].to_str().unwrap().to_string();

    let res = app.api.get(&link).header("range", "bytes=1000-1999").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(res.headers()["content-range"], "bytes 1000-1999/100000");
    assert_eq!(res.bytes().await.unwrap().as_ref(), &content[1000..2000]);
    let res = app.api.get(&link).header("range", "bytes=200000-").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::RANGE_NOT_SATISFIABLE);

    let tampered = link.replace("sig=", "sig=00");
    assert_eq!(app.api.get(&tampered).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    let other_file = link.replace(&format!("/api/blobs/{}", file["id"]), "/api/blobs/999");
    assert_eq!(app.api.get(&other_file).send().await.unwrap().status(), StatusCode::FORBIDDEN);

    // An expired link, signed correctly: refused.
    let object = app.core.catalog.object_by_id(file["id"].as_i64().unwrap()).await.unwrap().unwrap();
    let expired = now_ms() / 1000 - 10;
    let sig = app.core.identity.sign(
        tiergate_core::objects::BLOB_LINK_PURPOSE,
        &tiergate_core::objects::blob_link_message(object.id, object.version_id.as_str(), expired),
    );
    let url = app.url(&format!("/api/blobs/{}?v={}&exp={expired}&sig={sig}", object.id, object.version_id));
    let res = app.api.get(&url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "link_expired");

    // Once the file is deleted, its link is dead too.
    app.delete(&format!("/api/files/{}", file["id"]), &user.token).await;
    assert_eq!(app.api.get(&link).send().await.unwrap().status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_overwrite_switches_the_row_and_collects_the_old_bytes() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let me: Value = app.get("/api/auth/me", &user.token).await.json().await.unwrap();
    let owner = tiergate_core::domain::UserId(me["user_id"].as_i64().unwrap());
    let bucket = app.core.catalog.bucket(owner, &BucketName::parse("files").unwrap()).await.unwrap().unwrap();
    let write = |body: &'static [u8]| {
        let w = ObjectWrite {
            owner,
            bucket: bucket.clone(),
            key: ObjectKey::parse("docs/notes.txt").unwrap(),
            content_type: Some("text/plain".into()),
            user_metadata: Default::default(),
            headers: Default::default(),
            original_filename: None,
            tags: Default::default(),
            content_length: Some(body.len() as u64),
            max_bytes: None,
            expected_md5: None,
            condition: Default::default(),
        };
        let stream: tiergate_core::storage::ByteStream =
            Box::pin(futures::stream::iter([Ok(bytes::Bytes::from_static(body))]));
        (w, stream)
    };
    let (w, s) = write(b"first");
    let first = app.core.put_object(w, s).await.unwrap();
    let (w, s) = write(b"second version");
    let second = app.core.put_object(w, s).await.unwrap();
    assert_eq!(first.id, second.id, "the same key is the same file");
    assert_ne!(first.version_id, second.version_id);
    assert_ne!(first.hot_key, second.hot_key, "an overwrite never rewrites bytes in place");
    app.wait_for_gc().await;
    let objects = app.hot_objects().await;
    assert_eq!(objects, [second.hot_key.unwrap().to_string()]);

    // A wrong Content-MD5 leaves the current version alone.
    let (mut w, s) = write(b"third");
    w.expected_md5 = Some([0; 16]);
    assert!(matches!(app.core.put_object(w, s).await, Err(tiergate_core::objects::WriteError::BadDigest)));
    let list = app.list(&user.token).await;
    assert_eq!(list["files"][0]["file_size"], 14);
    assert_eq!(app.hot_objects().await.len(), 1);
}

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::spawn().await;
    let res = app.api.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.api.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["checks"]["catalog"], "ok");
    assert_eq!(body["checks"]["hot_tier"], "ok");
    assert!(res_has_request_id(&app).await);
}

async fn res_has_request_id(app: &TestApp) -> bool {
    let res = app.api.get(app.url("/healthz")).send().await.unwrap();
    res.headers().get("x-request-id").is_some_and(|v| !v.is_empty())
}

#[tokio::test]
async fn an_upload_brings_back_a_default_bucket_deleted_over_s3() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    s3.delete_bucket().bucket("files").send().await.unwrap();
    assert!(s3.list_buckets().send().await.unwrap().buckets().is_empty());

    let res = app.upload(&user.token, "back.txt", b"back again".to_vec()).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
    let buckets = s3.list_buckets().send().await.unwrap();
    assert_eq!(buckets.buckets().iter().filter_map(|b| b.name()).collect::<Vec<_>>(), ["files"]);
    let listed = s3.list_objects_v2().bucket("files").send().await.unwrap();
    let key = listed.contents()[0].key().unwrap().to_string();
    let got = s3.get_object().bucket("files").key(&key).send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"back again");
    assert_eq!(app.list(&user.token).await["total"], 1);
}

/// The file list the dashboard pages through: narrowed by bucket, prefix and search, browsed by
/// "folder", and paged by keyset in every sort order.
#[tokio::test]
async fn the_file_list_narrows_browses_and_pages_by_cursor() {
    use aws_sdk_s3::primitives::ByteStream;
    let app = TestApp::spawn().await;
    let (alice, bob) = (app.user().await, app.user().await);
    let s3 = app.s3(&alice).await;
    s3.create_bucket().bucket("photos").send().await.unwrap();
    for i in 0..25 {
        let key = format!("2024/{:02}/img-{i:02}.jpg", i % 3);
        s3.put_object().bucket("photos").key(&key).body(ByteStream::from(vec![b'x'; i + 1])).send().await.unwrap();
    }
    s3.put_object().bucket("photos").key("readme.txt").body(ByteStream::from_static(b"r")).send().await.unwrap();
    s3.put_object().bucket("files").key("img-99.jpg").body(ByteStream::from_static(b"o")).send().await.unwrap();
    let list = |query: String, token: String| {
        let app = &app;
        async move {
            let res = app.get(&format!("/api/files?{query}"), &token).await;
            let status = res.status();
            (status, res.json::<Value>().await.unwrap())
        }
    };
    let keys = |v: &Value| -> Vec<String> {
        v["files"].as_array().unwrap().iter().map(|f| f["filename"].as_str().unwrap().to_string()).collect()
    };

    // Every sort order, in pages of 10 by cursor: all 27 files once each, in order.
    for (sort, order) in [("uploaded_at", "desc"), ("filename", "asc"), ("file_size", "desc"), ("file_size", "asc")] {
        let (mut seen, mut cursor) = (Vec::new(), None::<String>);
        loop {
            let mut q = format!("sort={sort}&order={order}&limit=10");
            if let Some(c) = &cursor {
                q.push_str(&format!("&cursor={c}"));
            }
            let (status, page) = list(q, alice.token.clone()).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            assert_eq!(page["total"], 27);
            seen.extend(page["files"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        assert_eq!(seen.len(), 27, "{sort} {order}");
        let ids: std::collections::HashSet<_> = seen.iter().map(|f| f["id"].as_i64().unwrap()).collect();
        assert_eq!(ids.len(), 27, "no file twice ({sort} {order})");
        if sort == "file_size" {
            let sizes: Vec<u64> = seen.iter().map(|f| f["file_size"].as_u64().unwrap()).collect();
            let mut sorted = sizes.clone();
            sorted.sort_unstable();
            if order == "desc" {
                sorted.reverse();
            }
            assert_eq!(sizes, sorted);
        }
    }

    // Narrowed: one bucket, a prefix, a search (case-insensitive).
    let (_, page) = list("bucket=photos&limit=100".into(), alice.token.clone()).await;
    assert_eq!(keys(&page).len(), 26);
    assert!(page.get("total").is_none());
    assert!(keys(&page).iter().all(|k| k != "img-99.jpg"));
    let (_, page) = list("bucket=photos&prefix=2024/01/&limit=100".into(), alice.token.clone()).await;
    assert!(keys(&page).iter().all(|k| k.starts_with("2024/01/")) && keys(&page).len() == 8, "{page}");
    let (_, page) = list("search=IMG-0&limit=100".into(), alice.token.clone()).await;
    assert_eq!(keys(&page).len(), 10, "{page}");
    let (_, page) = list("search=100%25&limit=100".into(), alice.token.clone()).await;
    assert!(keys(&page).is_empty(), "% is no wildcard");

    // Browsed by folder, as S3 consoles do.
    let (_, page) = list("bucket=photos&delimiter=/".into(), alice.token.clone()).await;
    assert_eq!(page["common_prefixes"], json!(["2024/"]));
    assert_eq!(keys(&page), vec!["readme.txt"]);
    let (_, page) = list("bucket=photos&delimiter=/&prefix=2024/&limit=2".into(), alice.token.clone()).await;
    assert_eq!(page["common_prefixes"], json!(["2024/00/", "2024/01/"]));
    let next = page["next_cursor"].as_str().unwrap().to_string();
    let (_, page) =
        list(format!("bucket=photos&delimiter=/&prefix=2024/&limit=2&cursor={next}"), alice.token.clone()).await;
    assert_eq!(page["common_prefixes"], json!(["2024/02/"]));
    assert!(page["next_cursor"].is_null());

    // Refusals: a cursor not ours or of another order, a delimiter without a bucket, another
    // user's bucket (his own namespace has none of that name).
    let (status, _) = list("cursor=bm9wZQ".into(), alice.token.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, first) = list("sort=filename&limit=1".into(), alice.token.clone()).await;
    let by_name = first["next_cursor"].as_str().unwrap().to_string();
    let (status, _) = list(format!("sort=file_size&cursor={by_name}"), alice.token.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = list("delimiter=/".into(), alice.token.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = list("bucket=photos".into(), bob.token.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, theirs) = list("search=img".into(), bob.token.clone()).await;
    assert!(keys(&theirs).is_empty());
}

/// Names the catalog's LOWER() and Rust's lower-casing would disagree on (SQLite lowers ASCII
/// only): paging by name still shows every file once and ends; search finds them as typed.
#[tokio::test]
async fn paging_by_name_and_search_hold_for_non_ascii_names() {
    use aws_sdk_s3::primitives::ByteStream;
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    let names = ["Été-1.txt", "Été-2.txt", "Été-3.txt", "ÉCOLE.txt", "apple.txt", "Zebra.txt"];
    for name in names {
        s3.put_object().bucket("files").key(name).body(ByteStream::from_static(b"x")).send().await.unwrap();
    }
    for order in ["asc", "desc"] {
        let (mut seen, mut cursor) = (Vec::new(), None::<String>);
        for _ in 0..20 {
            let mut path = format!("/api/files?sort=filename&order={order}&limit=1");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let page: Value = app.get(&path, &user.token).await.json().await.unwrap();
            seen.extend(page["files"].as_array().unwrap().iter().map(|f| f["filename"].as_str().unwrap().to_string()));
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "{order}: every file once, and the paging ended: {seen:?}");
    }
    let found: Value = app.get("/api/files?search=%C3%89t%C3%A9", &user.token).await.json().await.unwrap();
    assert_eq!(found["files"].as_array().unwrap().len(), 3, "{found}");
    let res = app.get("/api/files?search=%00", &user.token).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A cursor of the descending order is not one of the ascending.
    let desc: Value = app.get("/api/files?sort=filename&order=desc&limit=1", &user.token).await.json().await.unwrap();
    let c = desc["next_cursor"].as_str().unwrap();
    let res = app.get(&format!("/api/files?sort=filename&order=asc&cursor={c}"), &user.token).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
