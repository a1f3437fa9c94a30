//! PostObject: uploads from an HTML form with a POST policy, as AWS takes them
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTForms.html>). s3s checks the
//! form's signature and its policy (expiry, every condition, `content-length-range`) before this
//! runs and answers with `success_action_status` / `success_action_redirect`; the file goes
//! through PutObject's write path, so a form upload is refused or stored exactly as a PUT is.
//!
//! Tags: s3s 0.17 passes on a form field named `x-amz-tagging` (read as PutObject's header is,
//! `k=v&…`). AWS's own `tagging` field (a `<Tagging>` document) does not reach this code: s3s
//! converts the form to a PutObject and back, which drops it (and the policy that names it).
//!
//! Session credentials from STS cannot sign a form: the session token would travel as a form
//! field, which the credential check does not see, so such a form is refused (fail closed).

use s3s::dto::*;
use s3s::{s3_error, S3Request, S3Response, S3Result};

use crate::ctx::ReqCtx;

pub async fn post_object(cx: &ReqCtx<'_>, req: S3Request<PostObjectInput>) -> S3Result<S3Response<PostObjectOutput>> {
    // s3s builds the 303 from the redirect after the file is stored: one it cannot build must be
    // refused before, or the client would get an error for a file that was stored.
    if let Some(redirect) = &req.input.success_action_redirect {
        if redirect.chars().any(char::is_control) || url::Url::parse(redirect).is_err() {
            return Err(s3_error!(InvalidArgument, "success_action_redirect is not a URL."));
        }
    }
    let put = req.map_input(put_input);
    let stored = crate::put::put_object(cx, put).await?;
    Ok(stored.map_output(|o| PostObjectOutput {
        e_tag: o.e_tag,
        checksum_crc32: o.checksum_crc32,
        checksum_crc32c: o.checksum_crc32c,
        checksum_crc64nvme: o.checksum_crc64nvme,
        checksum_sha1: o.checksum_sha1,
        checksum_sha256: o.checksum_sha256,
        checksum_type: o.checksum_type,
        ..Default::default()
    }))
}

/// The form's fields as the PutObject they stand for.
fn put_input(x: PostObjectInput) -> PutObjectInput {
    PutObjectInput {
        acl: x.acl,
        body: x.body,
        bucket: x.bucket,
        bucket_key_enabled: x.bucket_key_enabled,
        cache_control: x.cache_control,
        checksum_algorithm: x.checksum_algorithm,
        checksum_crc32: x.checksum_crc32,
        checksum_crc32c: x.checksum_crc32c,
        checksum_crc64nvme: x.checksum_crc64nvme,
        checksum_md5: x.checksum_md5,
        checksum_sha1: x.checksum_sha1,
        checksum_sha256: x.checksum_sha256,
        checksum_sha512: x.checksum_sha512,
        checksum_xxhash128: x.checksum_xxhash128,
        checksum_xxhash3: x.checksum_xxhash3,
        checksum_xxhash64: x.checksum_xxhash64,
        content_disposition: x.content_disposition,
        content_encoding: x.content_encoding,
        content_language: x.content_language,
        content_length: x.content_length,
        content_md5: x.content_md5,
        content_type: x.content_type,
        expected_bucket_owner: x.expected_bucket_owner,
        expires: x.expires,
        grant_full_control: x.grant_full_control,
        grant_read: x.grant_read,
        grant_read_acp: x.grant_read_acp,
        grant_write_acp: x.grant_write_acp,
        if_match: x.if_match,
        if_none_match: x.if_none_match,
        key: x.key,
        metadata: x.metadata,
        object_lock_legal_hold_status: x.object_lock_legal_hold_status,
        object_lock_mode: x.object_lock_mode,
        object_lock_retain_until_date: x.object_lock_retain_until_date,
        request_payer: x.request_payer,
        sse_customer_algorithm: x.sse_customer_algorithm,
        sse_customer_key: x.sse_customer_key,
        sse_customer_key_md5: x.sse_customer_key_md5,
        ssekms_encryption_context: x.ssekms_encryption_context,
        ssekms_key_id: x.ssekms_key_id,
        server_side_encryption: x.server_side_encryption,
        storage_class: x.storage_class,
        tagging: x.tagging,
        website_redirect_location: x.website_redirect_location,
        write_offset_bytes: x.write_offset_bytes,
    }
}
