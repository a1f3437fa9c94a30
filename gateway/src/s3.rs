//! The S3 trait, routed to one file per operation family. Operations not listed here answer
//! `NotImplemented` (s3s's default), never a wrong success.

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, S3};
use tiergate_core::Core;

use crate::ctx::ReqCtx;
use crate::{bucket, copy, delete, get, lifecycle, list, multipart, post, put, tagging};

/// The S3 service over Tiergate's catalog and tiers.
#[derive(Clone)]
pub struct Gateway {
    core: Core,
}

impl Gateway {
    pub fn new(core: Core) -> Self {
        Self { core }
    }
}

macro_rules! route {
    ($($op:ident: $input:ident -> $output:ident => $family:ident;)*) => {
        #[async_trait::async_trait]
        impl S3 for Gateway {
            $(
                async fn $op(&self, req: S3Request<$input>) -> S3Result<S3Response<$output>> {
                    let started = std::time::Instant::now();
                    crate::Observed::mark(&req.extensions);
                    let request_id = req.extensions.get::<crate::RequestId>().map(|r| r.0.clone());
                    let mut result = match ReqCtx::new(&self.core, &req) {
                        Ok(cx) => $family::$op(&cx, req).await,
                        Err(e) => Err(e),
                    };
                    if let (Err(e), Some(id)) = (&mut result, request_id) {
                        e.set_request_id(id);
                    }
                    crate::observe(stringify!($op), started, result.as_ref().err());
                    result
                }
            )*
        }
    };
}

route! {
    list_buckets: ListBucketsInput -> ListBucketsOutput => bucket;
    create_bucket: CreateBucketInput -> CreateBucketOutput => bucket;
    head_bucket: HeadBucketInput -> HeadBucketOutput => bucket;
    delete_bucket: DeleteBucketInput -> DeleteBucketOutput => bucket;
    get_bucket_location: GetBucketLocationInput -> GetBucketLocationOutput => bucket;
    get_bucket_versioning: GetBucketVersioningInput -> GetBucketVersioningOutput => bucket;
    put_object: PutObjectInput -> PutObjectOutput => put;
    post_object: PostObjectInput -> PostObjectOutput => post;
    get_object: GetObjectInput -> GetObjectOutput => get;
    head_object: HeadObjectInput -> HeadObjectOutput => get;
    get_object_attributes: GetObjectAttributesInput -> GetObjectAttributesOutput => get;
    delete_object: DeleteObjectInput -> DeleteObjectOutput => delete;
    delete_objects: DeleteObjectsInput -> DeleteObjectsOutput => delete;
    copy_object: CopyObjectInput -> CopyObjectOutput => copy;
    upload_part_copy: UploadPartCopyInput -> UploadPartCopyOutput => copy;
    list_objects_v2: ListObjectsV2Input -> ListObjectsV2Output => list;
    list_objects: ListObjectsInput -> ListObjectsOutput => list;
    list_object_versions: ListObjectVersionsInput -> ListObjectVersionsOutput => list;
    create_multipart_upload: CreateMultipartUploadInput -> CreateMultipartUploadOutput => multipart;
    upload_part: UploadPartInput -> UploadPartOutput => multipart;
    complete_multipart_upload: CompleteMultipartUploadInput -> CompleteMultipartUploadOutput => multipart;
    abort_multipart_upload: AbortMultipartUploadInput -> AbortMultipartUploadOutput => multipart;
    list_parts: ListPartsInput -> ListPartsOutput => multipart;
    list_multipart_uploads: ListMultipartUploadsInput -> ListMultipartUploadsOutput => multipart;
    put_bucket_lifecycle_configuration: PutBucketLifecycleConfigurationInput -> PutBucketLifecycleConfigurationOutput => lifecycle;
    get_bucket_lifecycle_configuration: GetBucketLifecycleConfigurationInput -> GetBucketLifecycleConfigurationOutput => lifecycle;
    delete_bucket_lifecycle: DeleteBucketLifecycleInput -> DeleteBucketLifecycleOutput => lifecycle;
    put_object_tagging: PutObjectTaggingInput -> PutObjectTaggingOutput => tagging;
    get_object_tagging: GetObjectTaggingInput -> GetObjectTaggingOutput => tagging;
    delete_object_tagging: DeleteObjectTaggingInput -> DeleteObjectTaggingOutput => tagging;
}
