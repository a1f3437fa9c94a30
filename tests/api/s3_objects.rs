//! S3 operations through the gateway with the AWS SDK: buckets, objects, listings, copies,
//! multipart uploads, checksums, conditions, and faults.

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart, Delete, EncodingType, MetadataDirective,
    ObjectIdentifier,
};
use base64::Engine;
use serde_json::Value;

use crate::helpers::{random_bytes, CatalogChoice, HotChoice, MinioProcess, TestApp};

fn code<E: ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("<none>").to_string()
}

async fn body_of(out: aws_sdk_s3::operation::get_object::GetObjectOutput) -> Vec<u8> {
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

async fn objects(catalog: CatalogChoice, hot: HotChoice) {
    let Some(app) = TestApp::builder().catalog(catalog).hot(hot).spawn().await else { return };
    let user = app.user().await;
    let s3 = app.s3(&user).await;

    // Buckets.
    s3.create_bucket().bucket("docs").send().await.unwrap();
    let e = s3.create_bucket().bucket("docs").send().await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "BucketAlreadyOwnedByYou");
    let e = s3.create_bucket().bucket("Bad_Name").send().await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "InvalidBucketName");
    s3.head_bucket().bucket("docs").send().await.unwrap();
    let loc = s3.get_bucket_location().bucket("docs").send().await.unwrap();
    assert!(loc.location_constraint().is_none_or(|c| c.as_str().is_empty()));
    let versioning = s3.get_bucket_versioning().bucket("docs").send().await.unwrap();
    assert!(versioning.status().is_none());
    let e = s3.list_objects_v2().bucket("nope-bucket").send().await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "NoSuchBucket");

    // Put with metadata and headers; get whole, ranged, conditional.
    let content = random_bytes(300_000);
    let put = s3
        .put_object()
        .bucket("docs")
        .key("reports/2024/q1.bin")
        .content_type("application/x-report")
        .metadata("team", "ops")
        .cache_control("max-age=60")
        .content_disposition("attachment; filename=q1.bin")
        .body(ByteStream::from(content.clone()))
        .send()
        .await
        .unwrap();
    let etag = put.e_tag().unwrap().to_string();
    assert_eq!(etag, format!("\"{}\"", hex::encode(<md5::Md5 as md5::Digest>::digest(&content))));
    let got = s3.get_object().bucket("docs").key("reports/2024/q1.bin").send().await.unwrap();
    assert_eq!(got.content_type(), Some("application/x-report"));
    assert_eq!(got.metadata().unwrap().get("team").map(String::as_str), Some("ops"));
    assert_eq!(got.cache_control(), Some("max-age=60"));
    assert_eq!(got.content_disposition(), Some("attachment; filename=q1.bin"));
    assert_eq!(got.storage_class().map(|c| c.as_str()), Some("STANDARD"));
    assert_eq!(body_of(got).await, content);
    let ranged =
        s3.get_object().bucket("docs").key("reports/2024/q1.bin").range("bytes=1000-1999").send().await.unwrap();
    assert_eq!(ranged.content_range(), Some("bytes 1000-1999/300000"));
    assert_eq!(body_of(ranged).await, &content[1000..2000]);
    let tail = s3.get_object().bucket("docs").key("reports/2024/q1.bin").range("bytes=-10").send().await.unwrap();
    assert_eq!(body_of(tail).await, &content[content.len() - 10..]);
    let e = s3.get_object().bucket("docs").key("reports/2024/q1.bin").range("bytes=400000-").send().await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "InvalidRange");
    let e = s3.get_object().bucket("docs").key("reports/2024/q1.bin").if_none_match(&etag).send().await.unwrap_err();
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(304));
    let e = s3.get_object().bucket("docs").key("reports/2024/q1.bin").if_match("\"0000\"").send().await.unwrap_err();
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(412));
    s3.get_object().bucket("docs").key("reports/2024/q1.bin").if_match(&etag).send().await.unwrap();
    let head = s3.head_object().bucket("docs").key("reports/2024/q1.bin").send().await.unwrap();
    assert_eq!(head.content_length(), Some(300_000));
    s3.get_object().bucket("docs").key("reports/2024/q1.bin").version_id("null").send().await.unwrap();
    let e = s3.get_object().bucket("docs").key("reports/2024/q1.bin").version_id("v2").send().await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "NoSuchVersion");
    let e = s3.get_object().bucket("docs").key("missing").send().await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "NoSuchKey");

    // Empty objects and conditional creates.
    s3.put_object().bucket("docs").key("empty").body(ByteStream::from_static(b"")).send().await.unwrap();
    assert!(body_of(s3.get_object().bucket("docs").key("empty").send().await.unwrap()).await.is_empty());
    let e = s3
        .put_object()
        .bucket("docs")
        .key("empty")
        .if_none_match("*")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(412));

    // Copies: metadata copied or replaced; copying onto itself without REPLACE is refused.
    s3.copy_object().bucket("docs").key("copy.bin").copy_source("docs/reports/2024/q1.bin").send().await.unwrap();
    let copied = s3.head_object().bucket("docs").key("copy.bin").send().await.unwrap();
    assert_eq!(copied.metadata().unwrap().get("team").map(String::as_str), Some("ops"));
    assert_eq!(copied.e_tag(), Some(etag.as_str()));
    s3.copy_object()
        .bucket("files")
        .key("replaced.bin")
        .copy_source("docs/reports/2024/q1.bin")
        .metadata_directive(MetadataDirective::Replace)
        .metadata("team", "dev")
        .content_type("text/plain")
        .send()
        .await
        .unwrap();
    let replaced = s3.get_object().bucket("files").key("replaced.bin").send().await.unwrap();
    assert_eq!(replaced.metadata().unwrap().get("team").map(String::as_str), Some("dev"));
    assert_eq!(replaced.content_type(), Some("text/plain"));
    assert_eq!(body_of(replaced).await, content);
    let e = s3.copy_object().bucket("docs").key("copy.bin").copy_source("docs/copy.bin").send().await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "InvalidRequest");

    // Listing in UTF-8 byte order, with prefixes, delimiters, pages and URL encoding.
    for key in ["list/B", "list/a", "list/z", "list/é", "list/sub/1", "list/sub/2", "list/a b+c"] {
        s3.put_object().bucket("docs").key(key).body(ByteStream::from_static(b"k")).send().await.unwrap();
    }
    let all = s3.list_objects_v2().bucket("docs").prefix("list/").send().await.unwrap();
    let keys: Vec<_> = all.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["list/B", "list/a", "list/a b+c", "list/sub/1", "list/sub/2", "list/z", "list/é"]);
    let delimited = s3.list_objects_v2().bucket("docs").prefix("list/").delimiter("/").send().await.unwrap();
    let prefixes: Vec<_> = delimited.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
    assert_eq!(prefixes, ["list/sub/"]);
    assert_eq!(delimited.key_count(), Some(6));
    let top = s3.list_objects_v2().bucket("docs").delimiter("/").send().await.unwrap();
    let prefixes: Vec<_> = top.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
    assert_eq!(prefixes, ["list/", "reports/"]);
    let no_delimiter = s3.list_objects_v2().bucket("docs").prefix("list/").delimiter("").send().await.unwrap();
    assert_eq!(no_delimiter.key_count(), Some(7));
    let mut pages = Vec::new();
    let mut token = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket("docs")
            .prefix("list/")
            .delimiter("/")
            .max_keys(2)
            .set_continuation_token(token.clone())
            .send()
            .await
            .unwrap();
        pages.extend(page.contents().iter().filter_map(|o| o.key()).map(str::to_string));
        pages.extend(page.common_prefixes().iter().filter_map(|p| p.prefix()).map(str::to_string));
        token = page.next_continuation_token().map(str::to_string);
        if page.is_truncated() != Some(true) {
            break;
        }
    }
    pages.sort();
    assert_eq!(pages, ["list/B", "list/a", "list/a b+c", "list/sub/", "list/z", "list/é"]);
    let after = s3.list_objects_v2().bucket("docs").prefix("list/").start_after("list/sub/2").send().await.unwrap();
    assert_eq!(after.contents().iter().filter_map(|o| o.key()).collect::<Vec<_>>(), ["list/z", "list/é"]);
    let v1 = s3.list_objects().bucket("docs").prefix("list/").marker("list/a").max_keys(1).send().await.unwrap();
    assert_eq!(v1.contents()[0].key(), Some("list/a b+c"));
    assert_eq!(v1.is_truncated(), Some(true));
    let versions = s3.list_object_versions().bucket("docs").prefix("list/s").send().await.unwrap();
    assert!(versions.versions().iter().all(|v| v.version_id() == Some("null") && v.is_latest() == Some(true)));
    // With encoding-type=url names come back percent-encoded (the SDK hands them on as sent).
    s3.put_object().bucket("docs").key("enc/50%+off ü").body(ByteStream::from_static(b"k")).send().await.unwrap();
    let encoded =
        s3.list_objects_v2().bucket("docs").prefix("enc/").encoding_type(EncodingType::Url).send().await.unwrap();
    assert_eq!(encoded.contents()[0].key(), Some("enc/50%25%2Boff%20%C3%BC"));
    s3.delete_object().bucket("docs").key("enc/50%+off ü").send().await.unwrap();

    // DeleteObjects, quiet and verbose.
    let ids = |keys: &[&str]| {
        Delete::builder()
            .set_objects(Some(keys.iter().map(|k| ObjectIdentifier::builder().key(*k).build().unwrap()).collect()))
            .build()
            .unwrap()
    };
    let out =
        s3.delete_objects().bucket("docs").delete(ids(&["list/B", "list/a", "never-there"])).send().await.unwrap();
    assert_eq!(out.deleted().len(), 3);
    let mut quiet = ids(&["list/z", "list/é"]);
    quiet.quiet = Some(true);
    let out = s3.delete_objects().bucket("docs").delete(quiet).send().await.unwrap();
    assert!(out.deleted().is_empty());
    let left = s3.list_objects_v2().bucket("docs").prefix("list/").send().await.unwrap();
    assert_eq!(left.key_count(), Some(3));

    // A bucket with objects cannot be deleted; an empty one can.
    let e = s3.delete_bucket().bucket("docs").send().await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "BucketNotEmpty");
    s3.create_bucket().bucket("scratch").send().await.unwrap();
    s3.delete_bucket().bucket("scratch").send().await.unwrap();
    assert!(s3.head_bucket().bucket("scratch").send().await.is_err());
}

#[tokio::test]
async fn objects_sqlite_fs() {
    objects(CatalogChoice::Sqlite, HotChoice::Fs).await;
}

#[tokio::test]
async fn objects_postgres_minio() {
    objects(CatalogChoice::Postgres, HotChoice::Minio).await;
}

async fn multipart(catalog: CatalogChoice, hot: HotChoice) {
    let Some(app) = TestApp::builder().catalog(catalog).hot(hot).spawn().await else { return };
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    let part1 = random_bytes(5 * 1024 * 1024);
    let part2 = random_bytes(1024 * 1024 + 7);

    let upload = s3.create_multipart_upload().bucket("files").key("big.bin").metadata("k", "v").send().await.unwrap();
    let id = upload.upload_id().unwrap();
    let up = |n: i32, bytes: Vec<u8>| {
        s3.upload_part()
            .bucket("files")
            .key("big.bin")
            .upload_id(id)
            .part_number(n)
            .body(ByteStream::from(bytes))
            .send()
    };
    let e1 = up(1, part1.clone()).await.unwrap().e_tag().unwrap().to_string();
    let e2 = up(2, part2.clone()).await.unwrap().e_tag().unwrap().to_string();
    let parts = s3.list_parts().bucket("files").key("big.bin").upload_id(id).send().await.unwrap();
    assert_eq!(parts.parts().iter().map(|p| p.part_number().unwrap()).collect::<Vec<_>>(), [1, 2]);
    let uploads = s3.list_multipart_uploads().bucket("files").send().await.unwrap();
    assert_eq!(uploads.uploads().len(), 1);

    let complete = |parts: Vec<(i32, &str)>| {
        let parts = parts.into_iter().map(|(n, e)| CompletedPart::builder().part_number(n).e_tag(e).build()).collect();
        s3.complete_multipart_upload()
            .bucket("files")
            .key("big.bin")
            .upload_id(id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
            .send()
    };
    let e = complete(vec![(2, &e2), (1, &e1)]).await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "InvalidPartOrder");
    let e = complete(vec![(1, "\"00000000000000000000000000000000\""), (2, &e2)]).await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "InvalidPart");
    let e = complete(vec![(2, &e2), (3, &e2)]).await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "InvalidPart");
    let done = complete(vec![(1, &e1), (2, &e2)]).await.unwrap();
    assert!(done.e_tag().unwrap().ends_with("-2\""), "{:?}", done.e_tag());

    let got = s3.get_object().bucket("files").key("big.bin").send().await.unwrap();
    assert_eq!(got.content_length(), Some((part1.len() + part2.len()) as i64));
    assert_eq!(got.metadata().unwrap().get("k").map(String::as_str), Some("v"));
    let bytes = body_of(got).await;
    assert_eq!(&bytes[..part1.len()], part1.as_slice());
    assert_eq!(&bytes[part1.len()..], part2.as_slice());
    let e = s3.list_parts().bucket("files").key("big.bin").upload_id(id).send().await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "NoSuchUpload");

    // A small part before the last is refused; an aborted upload is gone.
    let small = s3.create_multipart_upload().bucket("files").key("small.bin").send().await.unwrap();
    let sid = small.upload_id().unwrap();
    let p1 = s3
        .upload_part()
        .bucket("files")
        .key("small.bin")
        .upload_id(sid)
        .part_number(1)
        .body(ByteStream::from_static(b"tiny"))
        .send()
        .await
        .unwrap();
    let p2 = s3
        .upload_part()
        .bucket("files")
        .key("small.bin")
        .upload_id(sid)
        .part_number(2)
        .body(ByteStream::from_static(b"tail"))
        .send()
        .await
        .unwrap();
    let parts = vec![
        CompletedPart::builder().part_number(1).e_tag(p1.e_tag().unwrap()).build(),
        CompletedPart::builder().part_number(2).e_tag(p2.e_tag().unwrap()).build(),
    ];
    let e = s3
        .complete_multipart_upload()
        .bucket("files")
        .key("small.bin")
        .upload_id(sid)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e.into_service_error()), "EntityTooSmall");
    s3.abort_multipart_upload().bucket("files").key("small.bin").upload_id(sid).send().await.unwrap();
    let e = s3.abort_multipart_upload().bucket("files").key("small.bin").upload_id(sid).send().await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "NoSuchUpload");
    assert!(s3.head_object().bucket("files").key("small.bin").send().await.is_err());

    // UploadPartCopy from an existing object, with a range.
    let copy = s3.create_multipart_upload().bucket("files").key("copied.bin").send().await.unwrap();
    let cid = copy.upload_id().unwrap();
    let c1 = s3
        .upload_part_copy()
        .bucket("files")
        .key("copied.bin")
        .upload_id(cid)
        .part_number(1)
        .copy_source("files/big.bin")
        .copy_source_range(format!("bytes=0-{}", part1.len() - 1))
        .send()
        .await
        .unwrap();
    let etag = c1.copy_part_result().unwrap().e_tag().unwrap().to_string();
    s3.complete_multipart_upload()
        .bucket("files")
        .key("copied.bin")
        .upload_id(cid)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(CompletedPart::builder().part_number(1).e_tag(etag).build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(body_of(s3.get_object().bucket("files").key("copied.bin").send().await.unwrap()).await, part1);
    app.wait_for_gc().await;
    // big.bin, copied.bin: nothing else is left in the hot tier.
    assert_eq!(app.hot_objects().await.len(), 2, "{:?}", app.hot_objects().await);
}

#[tokio::test]
async fn multipart_sqlite_fs() {
    multipart(CatalogChoice::Sqlite, HotChoice::Fs).await;
}

#[tokio::test]
async fn multipart_postgres_minio() {
    multipart(CatalogChoice::Postgres, HotChoice::Minio).await;
}

#[tokio::test]
async fn checksum_and_digest_mismatches_are_bad_digest_and_leave_nothing_fs() {
    checksum_and_digest_mismatches(HotChoice::Fs).await;
}

/// On MinIO the Content-MD5 is checked against the MD5 MinIO reports (its ETag), as Tiergate
/// does not hash what MinIO does.
#[tokio::test]
async fn checksum_and_digest_mismatches_are_bad_digest_and_leave_nothing_minio() {
    checksum_and_digest_mismatches(HotChoice::Minio).await;
}

async fn checksum_and_digest_mismatches(hot: HotChoice) {
    let Some(app) = TestApp::builder().hot(hot).spawn().await else { return };
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);

    let e = s3
        .put_object()
        .bucket("files")
        .key("md5.txt")
        .content_md5(b64(&[0u8; 16]))
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e.into_service_error()), "BadDigest");
    let e = s3
        .put_object()
        .bucket("files")
        .key("crc.txt")
        .checksum_crc32(b64(&[0u8; 4]))
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e.into_service_error()), "BadDigest");
    let e = s3
        .put_object()
        .bucket("files")
        .key("md5.txt")
        .content_md5("not base64!")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e.into_service_error()), "InvalidDigest");
    assert_eq!(app.list(&user.token).await["total"], 0, "no row");
    assert!(app.hot_objects().await.is_empty(), "no bytes");

    // Correct checksums, in a header or as the SDK's trailer, are accepted and kept.
    let md5 = <md5::Md5 as md5::Digest>::digest(b"hello");
    s3.put_object()
        .bucket("files")
        .key("ok.txt")
        .content_md5(b64(&md5))
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .unwrap();
    for alg in [ChecksumAlgorithm::Crc32, ChecksumAlgorithm::Crc32C, ChecksumAlgorithm::Sha1, ChecksumAlgorithm::Sha256]
    {
        let out = s3
            .put_object()
            .bucket("files")
            .key(format!("sum-{}", alg.as_str()))
            .checksum_algorithm(alg.clone())
            .body(ByteStream::from(random_bytes(70_000)))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{alg:?}: {e:?}"));
        assert!(out.e_tag().is_some());
    }
    let head = s3
        .head_object()
        .bucket("files")
        .key("sum-SHA256")
        .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    let expected = b64(&<sha2::Sha256 as sha2::Digest>::digest(random_bytes(70_000)));
    assert_eq!(head.checksum_sha256(), Some(expected.as_str()));
}

#[tokio::test]
async fn rest_uploads_and_s3_objects_are_the_same_files() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    let file: Value =
        app.upload(&user.token, "from browser.txt", b"browser bytes".to_vec()).await.json().await.unwrap();
    let key = file["filename"].as_str().unwrap();
    let got = s3.get_object().bucket("files").key(key).send().await.unwrap();
    assert_eq!(body_of(got).await, b"browser bytes");

    s3.put_object()
        .bucket("files")
        .key("from-cli.txt")
        .body(ByteStream::from_static(b"cli bytes"))
        .send()
        .await
        .unwrap();
    let list = app.list(&user.token).await;
    let names: Vec<_> =
        list["files"].as_array().unwrap().iter().map(|f| f["filename"].as_str().unwrap().to_string()).collect();
    assert!(names.contains(&"from-cli.txt".to_string()), "{names:?}");
}

#[tokio::test]
async fn unsupported_operations_answer_not_implemented() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    s3.put_object().bucket("files").key("a").body(ByteStream::from_static(b"a")).send().await.unwrap();
    let e = s3.get_object_acl().bucket("files").key("a").send().await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "NotImplemented");
    let e = s3.get_bucket_policy().bucket("files").send().await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "NotImplemented");
    let e = s3
        .put_object()
        .bucket("files")
        .key("enc")
        .server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::Aes256)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e.into_service_error()), "NotImplemented");
    assert!(s3.head_object().bucket("files").key("enc").send().await.is_err());
}

#[tokio::test]
async fn a_hot_tier_that_is_down_gives_503_and_changes_nothing() {
    let Some(mut minio) = MinioProcess::start().await else { return };
    let app = TestApp::builder().hot_s3(minio.target.clone()).spawn().await.unwrap();
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    s3.put_object().bucket("files").key("kept").body(ByteStream::from_static(b"kept")).send().await.unwrap();
    minio.stop();
    let e = s3
        .put_object()
        .bucket("files")
        .key("lost")
        .body(ByteStream::from(random_bytes(100_000)))
        .send()
        .await
        .unwrap_err();
    let e = e.into_service_error();
    assert_eq!(code(&e), "ServiceUnavailable");
    let listed = s3.list_objects_v2().bucket("files").send().await.unwrap();
    assert_eq!(listed.contents().iter().filter_map(|o| o.key()).collect::<Vec<_>>(), ["kept"]);
    let e = s3.get_object().bucket("files").key("kept").send().await.unwrap_err();
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(503));
}

#[tokio::test]
async fn parts_attributes_request_ids_and_bucket_pages() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    let (p1, p2) = (random_bytes(5 * 1024 * 1024), random_bytes(1000));
    let id =
        s3.create_multipart_upload().bucket("files").key("mp").send().await.unwrap().upload_id().unwrap().to_string();
    let e1 = s3
        .upload_part()
        .bucket("files")
        .key("mp")
        .upload_id(&id)
        .part_number(1)
        .body(ByteStream::from(p1.clone()))
        .send()
        .await
        .unwrap();
    let e2 = s3
        .upload_part()
        .bucket("files")
        .key("mp")
        .upload_id(&id)
        .part_number(2)
        .body(ByteStream::from(p2.clone()))
        .send()
        .await
        .unwrap();
    // Part 1 listed twice (a re-send): the last ETag counts.
    let parts = CompletedMultipartUpload::builder()
        .parts(CompletedPart::builder().part_number(1).e_tag("\"stale\"").build())
        .parts(CompletedPart::builder().part_number(1).e_tag(e1.e_tag().unwrap()).build())
        .parts(CompletedPart::builder().part_number(2).e_tag(e2.e_tag().unwrap()).build())
        .build();
    let complete = || {
        s3.complete_multipart_upload().bucket("files").key("mp").upload_id(&id).multipart_upload(parts.clone()).send()
    };
    let done = complete().await.unwrap();
    // Completing it again answers the same object.
    assert_eq!(complete().await.unwrap().e_tag(), done.e_tag());

    // GET and HEAD by part number.
    let part2 = s3.get_object().bucket("files").key("mp").part_number(2).send().await.unwrap();
    assert_eq!(part2.parts_count(), Some(2));
    assert_eq!(part2.content_length(), Some(1000));
    assert_eq!(body_of(part2).await, p2);
    let head = s3.head_object().bucket("files").key("mp").part_number(1).send().await.unwrap();
    assert_eq!(head.content_length(), Some(p1.len() as i64));
    let e = s3.get_object().bucket("files").key("mp").part_number(3).send().await.unwrap_err();
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(400));
    assert_eq!(code(&e.into_service_error()), "InvalidPart");

    // GetObjectAttributes.
    let attrs = s3
        .get_object_attributes()
        .bucket("files")
        .key("mp")
        .object_attributes(aws_sdk_s3::types::ObjectAttributes::ObjectSize)
        .object_attributes(aws_sdk_s3::types::ObjectAttributes::ObjectParts)
        .object_attributes(aws_sdk_s3::types::ObjectAttributes::StorageClass)
        .send()
        .await
        .unwrap();
    assert_eq!(attrs.object_size(), Some((p1.len() + p2.len()) as i64));
    assert_eq!(attrs.object_parts().and_then(|p| p.total_parts_count()), Some(2));
    assert_eq!(attrs.storage_class().map(|c| c.as_str()), Some("STANDARD"));

    // Every answer has a request id; an error names the same one.
    let res = reqwest::get(format!("{}/files/mp", app.gateway)).await.unwrap();
    let header = res.headers().get("x-amz-request-id").unwrap().to_str().unwrap().to_string();
    let missing = s3.get_object().bucket("files").key("missing").send().await.unwrap_err();
    let raw = missing.raw_response().unwrap();
    let id = raw.headers().get("x-amz-request-id").unwrap().to_string();
    let body = std::str::from_utf8(raw.body().bytes().unwrap()).unwrap().to_string();
    assert!(body.contains(&format!("<RequestId>{id}</RequestId>")), "{body}");
    assert!(!header.is_empty());

    // ListBuckets a page at a time.
    for b in ["aa-one", "bb-two"] {
        s3.create_bucket().bucket(b).send().await.unwrap();
    }
    let first = s3.list_buckets().max_buckets(2).send().await.unwrap();
    let names: Vec<_> = first.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["aa-one", "bb-two"]);
    let rest =
        s3.list_buckets().max_buckets(2).continuation_token(first.continuation_token().unwrap()).send().await.unwrap();
    assert_eq!(rest.buckets().iter().filter_map(|b| b.name()).collect::<Vec<_>>(), ["files"]);
    assert!(rest.continuation_token().is_none());
}

/// An app whose hot MinIO bucket encrypts every object with SSE-KMS.
async fn app_with_sse_kms_hot_bucket() -> Option<TestApp> {
    use aws_sdk_s3::types::{
        ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
        ServerSideEncryptionRule,
    };
    let app = TestApp::builder().hot(HotChoice::Minio).spawn().await?;
    let (target, bucket) = app.hot_s3.clone().unwrap();
    let by_default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(ServerSideEncryption::AwsKms)
        .kms_master_key_id("tiergate-test-key")
        .build()
        .unwrap();
    let config = ServerSideEncryptionConfiguration::builder()
        .rules(ServerSideEncryptionRule::builder().apply_server_side_encryption_by_default(by_default).build())
        .build()
        .unwrap();
    target
        .client()
        .put_bucket_encryption()
        .bucket(&bucket)
        .server_side_encryption_configuration(config)
        .send()
        .await
        .expect("SSE-KMS on the hot MinIO (scripts/services.sh starts it with MINIO_KMS_SECRET_KEY)");
    Some(app)
}

/// A hot bucket whose ETags are not MD5s (SSE-KMS by default, as many AWS buckets are): the
/// first answer that shows it has its object read back and hashed, and from then on Tiergate
/// hashes bodies itself. Every object keeps its right ETag, bytes and Content-MD5 check, over
/// S3 (single PUT, parts) and REST (in parts).
#[tokio::test]
async fn a_hot_bucket_whose_etags_are_not_md5s_still_gives_right_etags() {
    let Some(app) = app_with_sse_kms_hot_bucket().await else { return };
    let (target, bucket) = app.hot_s3.clone().unwrap();
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    let md5_hex = |b: &[u8]| hex::encode(<md5::Md5 as md5::Digest>::digest(b));

    // The first PUT: MinIO's answer names SSE-KMS, so its ETag is not taken for the MD5.
    let first = random_bytes(100_000);
    let put = s3.put_object().bucket("files").key("first").body(ByteStream::from(first.clone())).send().await.unwrap();
    assert_eq!(put.e_tag(), Some(format!("\"{}\"", md5_hex(&first)).as_str()));
    let stored =
        target.client().head_object().bucket(&bucket).key(app.hot_objects().await[0].clone()).send().await.unwrap();
    assert_eq!(stored.server_side_encryption(), Some(&aws_sdk_s3::types::ServerSideEncryption::AwsKms));
    assert_ne!(
        stored.e_tag().map(|e| e.trim_matches('"').to_string()),
        Some(md5_hex(&first)),
        "MinIO's ETag is no MD5"
    );

    // From then on bodies are hashed on their way: a wrong Content-MD5 is still refused.
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let e = s3
        .put_object()
        .bucket("files")
        .key("wrong")
        .content_md5(b64(&[0u8; 16]))
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e.into_service_error()), "BadDigest");

    // Parts, and a REST upload in parts (5 MiB parts here), get MD5-based ETags.
    let parts = [random_bytes(5 * 1024 * 1024), random_bytes(1000)];
    let upload = s3.create_multipart_upload().bucket("files").key("mp").send().await.unwrap();
    let mut done = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let n = i as i32 + 1;
        let out = s3
            .upload_part()
            .bucket("files")
            .key("mp")
            .upload_id(upload.upload_id().unwrap())
            .part_number(n)
            .body(ByteStream::from(part.clone()))
            .send()
            .await
            .unwrap();
        assert_eq!(out.e_tag(), Some(format!("\"{}\"", md5_hex(part)).as_str()));
        done.push(CompletedPart::builder().part_number(n).e_tag(out.e_tag().unwrap()).build());
    }
    s3.complete_multipart_upload()
        .bucket("files")
        .key("mp")
        .upload_id(upload.upload_id().unwrap())
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(done)).build())
        .send()
        .await
        .unwrap();
    let whole = parts.concat();
    assert!(body_of(s3.get_object().bucket("files").key("mp").send().await.unwrap()).await == whole);

    let res = app.upload(&user.token, "big.bin", whole.clone()).await;
    assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    let file: Value = res.json().await.unwrap();
    assert_eq!(file["etag"], md5_hex(&whole), "hashed by Tiergate, so a plain MD5");
    let key = file["filename"].as_str().unwrap();
    assert!(body_of(s3.get_object().bucket("files").key(key).send().await.unwrap()).await == whole);
}

/// The same bucket, when the first request is a part: the part fails once (500, which SDKs
/// retry), and the retry is hashed by Tiergate.
#[tokio::test]
async fn a_first_part_into_a_bucket_whose_etags_are_not_md5s_succeeds_on_retry() {
    let Some(app) = app_with_sse_kms_hot_bucket().await else { return };
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    let part = random_bytes(1000);
    let upload = s3.create_multipart_upload().bucket("files").key("mp").send().await.unwrap();
    let out = s3
        .upload_part()
        .bucket("files")
        .key("mp")
        .upload_id(upload.upload_id().unwrap())
        .part_number(1)
        .body(ByteStream::from(part.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(out.e_tag(), Some(format!("\"{}\"", hex::encode(<md5::Md5 as md5::Digest>::digest(&part))).as_str()));
}

/// Each process remembers the buckets it wrote to, so a PUT costs one query less. A bucket
/// deleted through another process is found gone by the next write here: that write lands in
/// a bucket of the same name made since, or answers NoSuchBucket and leaves no bytes.
#[tokio::test]
async fn a_bucket_deleted_through_another_process_is_not_written_to_sqlite() {
    bucket_deleted_through_another_process(CatalogChoice::Sqlite).await;
}

#[tokio::test]
async fn a_bucket_deleted_through_another_process_is_not_written_to_postgres() {
    bucket_deleted_through_another_process(CatalogChoice::Postgres).await;
}

async fn bucket_deleted_through_another_process(catalog: CatalogChoice) {
    let Some(app) = TestApp::builder().catalog(catalog).spawn().await else { return };
    let other = tiergate_core::Core::open((*app.core.settings).clone()).await.unwrap();
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    let email = tiergate_core::domain::Email::parse(&user.email).unwrap();
    let owner = app.core.catalog.user_by_email(&email).await.unwrap().unwrap().id;
    let name = tiergate_core::domain::BucketName::parse("photos").unwrap();
    let put = |key: &'static str| s3.put_object().bucket("photos").key(key).body(ByteStream::from_static(b"x")).send();

    s3.create_bucket().bucket("photos").send().await.unwrap();
    put("a").await.unwrap(); // this process now remembers the bucket
    s3.delete_object().bucket("photos").key("a").send().await.unwrap();
    let old = other.catalog.bucket(owner, &name).await.unwrap().unwrap();
    other.catalog.delete_bucket(owner, old.id).await.unwrap();
    let new = other.catalog.create_bucket(owner, &name).await.unwrap();
    assert_ne!(old.id, new.id);

    put("b").await.unwrap();
    let listed = s3.list_objects_v2().bucket("photos").send().await.unwrap();
    assert_eq!(listed.contents().iter().map(|o| o.key().unwrap()).collect::<Vec<_>>(), ["b"]);

    s3.delete_object().bucket("photos").key("b").send().await.unwrap();
    app.wait_for_gc().await;
    other.catalog.delete_bucket(owner, new.id).await.unwrap();
    let e = put("c").await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "NoSuchBucket");
    app.wait_for_gc().await;
    assert!(app.hot_objects().await.is_empty(), "the refused write left no bytes");
}
