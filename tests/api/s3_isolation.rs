//! Tenant isolation over S3: two users with same-named buckets; every operation one tries on
//! the other's bucket, key, upload id or presigned URL is refused, and no listing leaks a key.

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier};
use std::time::Duration;

use crate::helpers::{CatalogChoice, HotChoice, TestApp};

fn code<E: ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("<none>").to_string()
}

async fn isolation(catalog: CatalogChoice, hot: HotChoice) {
    let Some(app) = TestApp::builder().catalog(catalog).hot(hot).spawn().await else { return };
    let alice_user = app.user().await;
    let bob_user = app.user().await;
    let alice = app.s3(&alice_user).await;
    let bob = app.s3(&bob_user).await;

    // Both may own a bucket called "photos".
    alice.create_bucket().bucket("photos").send().await.unwrap();
    bob.create_bucket().bucket("photos").send().await.unwrap();
    alice
        .put_object()
        .bucket("photos")
        .key("alice/secret.txt")
        .body(ByteStream::from_static(b"alice's"))
        .send()
        .await
        .unwrap();
    let upload = alice.create_multipart_upload().bucket("photos").key("alice/big.bin").send().await.unwrap();
    let upload_id = upload.upload_id().unwrap().to_string();

    // Bob's listings show nothing of Alice's.
    let listed = bob.list_objects_v2().bucket("photos").send().await.unwrap();
    assert_eq!(listed.key_count(), Some(0));
    let v1 = bob.list_objects().bucket("photos").send().await.unwrap();
    assert!(v1.contents().is_empty());
    let versions = bob.list_object_versions().bucket("photos").send().await.unwrap();
    assert!(versions.versions().is_empty());
    let uploads = bob.list_multipart_uploads().bucket("photos").send().await.unwrap();
    assert!(uploads.uploads().is_empty());
    let buckets = bob.list_buckets().send().await.unwrap();
    let names: Vec<_> = buckets.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["files", "photos"]);

    // Bob cannot read, head, copy or overwrite Alice's key: in his "photos" it does not exist.
    let e = bob.get_object().bucket("photos").key("alice/secret.txt").send().await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "NoSuchKey");
    assert!(bob.head_object().bucket("photos").key("alice/secret.txt").send().await.is_err());
    let e = bob
        .copy_object()
        .bucket("photos")
        .key("stolen")
        .copy_source("photos/alice/secret.txt")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e.into_service_error()), "NoSuchKey");
    // Deleting "it" deletes nothing of Alice's.
    bob.delete_object().bucket("photos").key("alice/secret.txt").send().await.unwrap();
    let delete = Delete::builder()
        .objects(ObjectIdentifier::builder().key("alice/secret.txt").build().unwrap())
        .build()
        .unwrap();
    bob.delete_objects().bucket("photos").delete(delete).send().await.unwrap();

    // Alice's upload id means nothing to Bob.
    let e = bob
        .upload_part()
        .bucket("photos")
        .key("alice/big.bin")
        .upload_id(&upload_id)
        .part_number(1)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e.into_service_error()), "NoSuchUpload");
    let e = bob.list_parts().bucket("photos").key("alice/big.bin").upload_id(&upload_id).send().await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "NoSuchUpload");
    let parts =
        CompletedMultipartUpload::builder().parts(CompletedPart::builder().part_number(1).e_tag("x").build()).build();
    let e = bob
        .complete_multipart_upload()
        .bucket("photos")
        .key("alice/big.bin")
        .upload_id(&upload_id)
        .multipart_upload(parts)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e.into_service_error()), "NoSuchUpload");
    let e = bob
        .abort_multipart_upload()
        .bucket("photos")
        .key("alice/big.bin")
        .upload_id(&upload_id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e.into_service_error()), "NoSuchUpload");
    let e = bob
        .upload_part_copy()
        .bucket("photos")
        .key("alice/big.bin")
        .upload_id(&upload_id)
        .part_number(1)
        .copy_source("photos/alice/secret.txt")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(code(&e.into_service_error()).as_str(), "NoSuchKey" | "NoSuchUpload"));

    // Bob's own presigned URL for the same name finds nothing; Alice's, with its path changed
    // to point elsewhere, no longer verifies.
    let presign = PresigningConfig::expires_in(Duration::from_secs(300)).unwrap();
    let bobs = bob.get_object().bucket("photos").key("alice/secret.txt").presigned(presign.clone()).await.unwrap();
    assert_eq!(reqwest::get(bobs.uri()).await.unwrap().status(), 404);
    let alices = alice.get_object().bucket("photos").key("alice/secret.txt").presigned(presign).await.unwrap();
    let res = reqwest::get(alices.uri()).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"alice's");
    let moved = alices.uri().replace("/photos/alice/secret.txt", "/files/alice/secret.txt");
    let res = reqwest::get(&moved).await.unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("SignatureDoesNotMatch"));

    // Bob cannot delete Alice's bucket or see it in HeadBucket terms beyond his own.
    bob.delete_bucket().bucket("photos").send().await.unwrap();
    // Alice still has everything.
    let got = alice.get_object().bucket("photos").key("alice/secret.txt").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"alice's");
    let listed = alice.list_objects_v2().bucket("photos").send().await.unwrap();
    assert_eq!(listed.key_count(), Some(1));
    let uploads = alice.list_multipart_uploads().bucket("photos").send().await.unwrap();
    assert_eq!(uploads.uploads().len(), 1);
    let e = bob.head_bucket().bucket("photos").send().await.unwrap_err();
    assert!(e.raw_response().is_some_and(|r| r.status().as_u16() == 404));
}

#[tokio::test]
async fn isolation_sqlite_fs() {
    isolation(CatalogChoice::Sqlite, HotChoice::Fs).await;
}

#[tokio::test]
async fn isolation_postgres_minio() {
    isolation(CatalogChoice::Postgres, HotChoice::Minio).await;
}
