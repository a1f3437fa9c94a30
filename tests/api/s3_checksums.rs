//! Additional checksums of multipart uploads: the algorithm and type chosen at creation, part
//! checksums verified and listed, the object's COMPOSITE or FULL_OBJECT checksum checked and
//! answered by Complete, HEAD, GET (also by part) and GetObjectAttributes.

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, ChecksumMode, ChecksumType, CompletedMultipartUpload, CompletedPart, ObjectAttributes,
};
use base64::Engine;
use sha2::Digest;

use crate::helpers::{random_bytes, CatalogChoice, HotChoice, TestApp};

fn code<E: ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("<none>").to_string()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    sha2::Sha256::digest(bytes).to_vec()
}

fn crc32c(bytes: &[u8]) -> String {
    b64(&(crc_fast::checksum(crc_fast::CrcAlgorithm::Crc32Iscsi, bytes) as u32).to_be_bytes())
}

async fn composite_sha256(catalog: CatalogChoice, hot: HotChoice) {
    let Some(app) = TestApp::builder().catalog(catalog).hot(hot).spawn().await else { return };
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    let (p1, p2) = (random_bytes(5 * 1024 * 1024), random_bytes(4000));

    let created = s3
        .create_multipart_upload()
        .bucket("files")
        .key("sums")
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .send()
        .await
        .unwrap();
    assert_eq!(created.checksum_algorithm(), Some(&ChecksumAlgorithm::Sha256));
    assert_eq!(created.checksum_type(), Some(&ChecksumType::Composite));
    let id = created.upload_id().unwrap().to_string();
    let part = |n: i32, bytes: &[u8]| {
        s3.upload_part()
            .bucket("files")
            .key("sums")
            .upload_id(&id)
            .part_number(n)
            .body(ByteStream::from(bytes.to_vec()))
    };

    // Parts: the checksum is computed and answered; a wrong one is refused.
    let up1 = part(1, &p1).checksum_algorithm(ChecksumAlgorithm::Sha256).send().await.unwrap();
    assert_eq!(up1.checksum_sha256(), Some(b64(&sha256(&p1)).as_str()));
    let e = part(2, &p2).checksum_sha256(b64(&sha256(b"other"))).send().await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "BadDigest");
    // A part sent with the SDK's default CRC32 gets the upload's SHA256 too.
    let up2 = part(2, &p2).checksum_algorithm(ChecksumAlgorithm::Crc32).send().await.unwrap();
    assert_eq!(up2.checksum_sha256(), Some(b64(&sha256(&p2)).as_str()));
    assert!(up2.checksum_crc32().is_some());

    let listed = s3.list_parts().bucket("files").key("sums").upload_id(&id).send().await.unwrap();
    assert_eq!(listed.checksum_algorithm(), Some(&ChecksumAlgorithm::Sha256));
    let sums: Vec<_> = listed.parts().iter().map(|p| p.checksum_sha256().unwrap_or("-").to_string()).collect();
    assert_eq!(sums, [b64(&sha256(&p1)), b64(&sha256(&p2))]);

    // Complete: a part checksum that is not the part's is InvalidPart; a wrong object checksum
    // is BadDigest; neither completes the upload.
    let composite = format!("{}-2", b64(&sha256(&[sha256(&p1), sha256(&p2)].concat())));
    let parts = |first_sum: String| {
        CompletedMultipartUpload::builder()
            .parts(
                CompletedPart::builder().part_number(1).e_tag(up1.e_tag().unwrap()).checksum_sha256(first_sum).build(),
            )
            .parts(CompletedPart::builder().part_number(2).e_tag(up2.e_tag().unwrap()).build())
            .build()
    };
    let complete = |parts: CompletedMultipartUpload| {
        s3.complete_multipart_upload().bucket("files").key("sums").upload_id(&id).multipart_upload(parts)
    };
    let e = complete(parts(b64(&sha256(&p2)))).send().await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "InvalidPart");
    let e = complete(parts(b64(&sha256(&p1)))).checksum_sha256(b64(&sha256(b"bad"))).send().await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "BadDigest");
    let e = complete(parts(b64(&sha256(&p1)))).checksum_type(ChecksumType::FullObject).send().await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "InvalidRequest");
    let done = complete(parts(b64(&sha256(&p1)))).checksum_sha256(&composite).send().await.unwrap();
    assert_eq!(done.checksum_sha256(), Some(composite.as_str()));
    assert_eq!(done.checksum_type(), Some(&ChecksumType::Composite));
    // A retried Complete answers the same ETag and checksum.
    let again = complete(parts(b64(&sha256(&p1)))).send().await.unwrap();
    assert_eq!((again.e_tag(), again.checksum_sha256()), (done.e_tag(), done.checksum_sha256()));

    // HEAD and GET answer it when asked; a part is answered with its own checksum.
    let head = s3.head_object().bucket("files").key("sums").send().await.unwrap();
    assert_eq!(head.checksum_sha256(), None);
    let head = s3.head_object().bucket("files").key("sums").checksum_mode(ChecksumMode::Enabled).send().await.unwrap();
    assert_eq!(head.checksum_sha256(), Some(composite.as_str()));
    assert_eq!(head.checksum_type(), Some(&ChecksumType::Composite));
    let got = s3
        .get_object()
        .bucket("files")
        .key("sums")
        .part_number(2)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(got.checksum_sha256(), Some(b64(&sha256(&p2)).as_str()));
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), p2.as_slice());

    let attrs = s3
        .get_object_attributes()
        .bucket("files")
        .key("sums")
        .object_attributes(ObjectAttributes::Checksum)
        .object_attributes(ObjectAttributes::ObjectParts)
        .send()
        .await
        .unwrap();
    assert_eq!(attrs.checksum().and_then(|c| c.checksum_sha256()), Some(composite.as_str()));
    assert_eq!(attrs.checksum().and_then(|c| c.checksum_type()), Some(&ChecksumType::Composite));
    let part_sums: Vec<_> = attrs
        .object_parts()
        .map(|p| p.parts().iter().filter_map(|p| p.checksum_sha256()).map(str::to_string).collect())
        .unwrap_or_default();
    assert_eq!(part_sums, [b64(&sha256(&p1)), b64(&sha256(&p2))]);
}

#[tokio::test]
async fn composite_sha256_checksums_are_verified_combined_and_answered() {
    composite_sha256(CatalogChoice::Sqlite, HotChoice::Fs).await;
}

#[tokio::test]
async fn composite_sha256_checksums_on_postgres_and_minio() {
    composite_sha256(CatalogChoice::Postgres, HotChoice::Minio).await;
}

#[tokio::test]
async fn full_object_crc_is_the_crc_of_the_whole_object() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    let (p1, p2) = (random_bytes(5 * 1024 * 1024 + 3), random_bytes(777));
    let whole = [p1.clone(), p2.clone()].concat();

    let created = s3
        .create_multipart_upload()
        .bucket("files")
        .key("crc")
        .checksum_algorithm(ChecksumAlgorithm::Crc32C)
        .checksum_type(ChecksumType::FullObject)
        .send()
        .await
        .unwrap();
    assert_eq!(created.checksum_type(), Some(&ChecksumType::FullObject));
    let id = created.upload_id().unwrap().to_string();
    let mut parts = CompletedMultipartUpload::builder();
    for (n, bytes) in [(1, &p1), (2, &p2)] {
        let up = s3
            .upload_part()
            .bucket("files")
            .key("crc")
            .upload_id(&id)
            .part_number(n)
            .checksum_algorithm(ChecksumAlgorithm::Crc32C)
            .body(ByteStream::from(bytes.clone()))
            .send()
            .await
            .unwrap();
        assert_eq!(up.checksum_crc32_c(), Some(crc32c(bytes).as_str()));
        parts = parts.parts(CompletedPart::builder().part_number(n).e_tag(up.e_tag().unwrap()).build());
    }
    let done = s3
        .complete_multipart_upload()
        .bucket("files")
        .key("crc")
        .upload_id(&id)
        .checksum_crc32_c(crc32c(&whole))
        .multipart_upload(parts.build())
        .send()
        .await
        .unwrap();
    assert_eq!(done.checksum_crc32_c(), Some(crc32c(&whole).as_str()));
    assert_eq!(done.checksum_type(), Some(&ChecksumType::FullObject));
    let got = s3.get_object().bucket("files").key("crc").checksum_mode(ChecksumMode::Enabled).send().await.unwrap();
    assert_eq!(got.checksum_crc32_c(), Some(crc32c(&whole).as_str()));
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), whole.as_slice());
}

#[tokio::test]
async fn checksum_choices_s3_refuses_are_invalid_requests() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    let create = || s3.create_multipart_upload().bucket("files").key("k");
    let e = create()
        .checksum_algorithm(ChecksumAlgorithm::Crc64Nvme)
        .checksum_type(ChecksumType::Composite)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e.into_service_error()), "InvalidRequest");
    let e = create()
        .checksum_algorithm(ChecksumAlgorithm::Sha1)
        .checksum_type(ChecksumType::FullObject)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e.into_service_error()), "InvalidRequest");
    let e = create().checksum_type(ChecksumType::Composite).send().await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "InvalidRequest");
    let crc64 = create().checksum_algorithm(ChecksumAlgorithm::Crc64Nvme).send().await.unwrap();
    assert_eq!(crc64.checksum_type(), Some(&ChecksumType::FullObject));

    // An upload without a checksum algorithm cannot check an object checksum.
    let plain = create().send().await.unwrap();
    let id = plain.upload_id().unwrap();
    let up = s3
        .upload_part()
        .bucket("files")
        .key("k")
        .upload_id(id)
        .part_number(1)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let e = s3
        .complete_multipart_upload()
        .bucket("files")
        .key("k")
        .upload_id(id)
        .checksum_sha256(b64(&sha256(b"x")))
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(CompletedPart::builder().part_number(1).e_tag(up.e_tag().unwrap()).build())
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e.into_service_error()), "InvalidArgument");
}
