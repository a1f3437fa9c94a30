//! DeleteObject and DeleteObjects. The backing bytes go to the garbage collector's queue in
//! the same transaction that removes the row.

use s3s::dto::*;
use s3s::{s3_error, S3Request, S3Response, S3Result};
use tiergate_core::catalog::{EtagMatch, WriteCondition};

use crate::ctx::{check_version, object_key, ReqCtx};
use crate::error::ResultExt;

/// The most keys one DeleteObjects request may name.
const MAX_DELETE_KEYS: usize = 1000;

/// What a conditional delete asks of the current version: an ETag, a size in bytes (a negative
/// one matches nothing), a last-modified time (whole seconds).
fn delete_condition(if_match: Option<EtagMatch>, size: Option<i64>, modified: Option<&Timestamp>) -> WriteCondition {
    WriteCondition {
        if_match,
        if_match_size: size.map(|n| u64::try_from(n).unwrap_or(u64::MAX)),
        if_match_last_modified: modified.map(crate::get::unix),
        ..Default::default()
    }
}

pub async fn delete_object(
    cx: &ReqCtx<'_>,
    req: S3Request<DeleteObjectInput>,
) -> S3Result<S3Response<DeleteObjectOutput>> {
    let input = req.input;
    check_version(input.version_id.as_deref())?;
    let bucket = cx.bucket(&input.bucket).await?;
    let key = object_key(&input.key)?;
    let condition = delete_condition(
        crate::get::write_condition(input.if_match.as_ref(), None).if_match,
        input.if_match_size,
        input.if_match_last_modified_time.as_ref(),
    );
    // Deleting a key that is not there succeeds, as in S3, whatever the condition.
    cx.core
        .catalog
        .delete_object_by_key(cx.user, bucket.id, key.as_str(), &condition, cx.core.settings.gc.grace)
        .await
        .s3()?;
    Ok(S3Response::new(DeleteObjectOutput::default()))
}

pub async fn delete_objects(
    cx: &ReqCtx<'_>,
    req: S3Request<DeleteObjectsInput>,
) -> S3Result<S3Response<DeleteObjectsOutput>> {
    let input = req.input;
    let bucket = cx.bucket(&input.bucket).await?;
    if input.delete.objects.len() > MAX_DELETE_KEYS {
        return Err(s3_error!(MalformedXML, "DeleteObjects takes at most 1000 keys."));
    }
    let quiet = input.delete.quiet == Some(true);
    let mut deleted = Vec::new();
    let mut errors = Vec::new();
    for id in input.delete.objects {
        let failure = |code: &str, message: &str| Error {
            code: Some(code.to_string()),
            key: Some(id.key.clone()),
            message: Some(message.to_string()),
            version_id: id.version_id.clone(),
        };
        if check_version(id.version_id.as_deref()).is_err() {
            errors.push(failure("NoSuchVersion", "The specified version does not exist."));
            continue;
        }
        let Ok(key) = object_key(&id.key) else {
            errors.push(failure("InvalidArgument", "Invalid key."));
            continue;
        };
        // Each object may carry its own conditions (AWS's conditional deletes).
        let condition = delete_condition(
            id.e_tag.as_ref().map(|e| EtagMatch::ETag(e.value().to_string())),
            id.size,
            id.last_modified_time.as_ref(),
        );
        match cx
            .core
            .catalog
            .delete_object_by_key(cx.user, bucket.id, key.as_str(), &condition, cx.core.settings.gc.grace)
            .await
            .s3()
        {
            Ok(_) if !quiet => deleted.push(DeletedObject {
                key: Some(id.key.clone()),
                version_id: id.version_id.clone(),
                ..Default::default()
            }),
            Ok(_) => {}
            Err(e) => {
                errors.push(failure(e.code().as_str(), e.message().unwrap_or("We encountered an internal error.")))
            }
        }
    }
    Ok(S3Response::new(DeleteObjectsOutput { deleted: Some(deleted), errors: Some(errors), ..Default::default() }))
}
