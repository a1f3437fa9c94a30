//! Bucket lifecycle configuration: PutBucketLifecycleConfiguration,
//! GetBucketLifecycleConfiguration, DeleteBucketLifecycle. The XML s3s parsed becomes a core
//! draft here and back; validation and storage are core's (`tiergate_core::lifecycle`), shared
//! with the REST mirror. The body's Content-MD5 or `x-amz-checksum-*` is verified by the request
//! wrapper before s3s reads it, as for every XML body.

use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use tiergate_core::lifecycle::{
    AbortDraft, AndDraft, ConfigurationDraft, ExpirationDraft, FilterDraft, LifecycleError, LifecycleWriteError,
    RuleDraft, TagDraft, TransitionDraft,
};

use crate::ctx::ReqCtx;
use crate::error::{IntoS3Error, ResultExt};
use crate::timestamp;

/// A refused configuration, with AWS's code.
pub fn lifecycle_error(e: LifecycleError) -> S3Error {
    S3Error::with_message(
        S3ErrorCode::from_bytes(e.code.as_str().as_bytes()).unwrap_or(S3ErrorCode::InvalidRequest),
        e.message,
    )
}

fn ms(t: &Timestamp) -> i64 {
    let t = time::OffsetDateTime::from(t.clone());
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn tag_draft(t: Tag) -> TagDraft {
    TagDraft { key: t.key, value: t.value }
}

fn to_draft(config: BucketLifecycleConfiguration, minimum: Option<String>) -> ConfigurationDraft {
    let rules = config
        .rules
        .into_iter()
        .map(|r| RuleDraft {
            id: r.id,
            status: r.status.as_str().to_string(),
            prefix: r.prefix,
            filter: r.filter.map(|f| FilterDraft {
                prefix: f.prefix,
                tag: f.tag.map(tag_draft),
                object_size_greater_than: f.object_size_greater_than,
                object_size_less_than: f.object_size_less_than,
                and: f.and.map(|a| AndDraft {
                    prefix: a.prefix,
                    tags: a.tags.unwrap_or_default().into_iter().map(tag_draft).collect(),
                    object_size_greater_than: a.object_size_greater_than,
                    object_size_less_than: a.object_size_less_than,
                }),
            }),
            transitions: r
                .transitions
                .unwrap_or_default()
                .into_iter()
                .map(|t| TransitionDraft {
                    days: t.days.map(i64::from),
                    date: t.date.as_ref().map(ms),
                    storage_class: t.storage_class.map(|c| c.as_str().to_string()),
                })
                .collect(),
            expiration: r.expiration.map(|e| ExpirationDraft {
                days: e.days.map(i64::from),
                date: e.date.as_ref().map(ms),
                expired_object_delete_marker: e.expired_object_delete_marker,
            }),
            abort_incomplete_multipart_upload: r
                .abort_incomplete_multipart_upload
                .map(|a| AbortDraft { days_after_initiation: a.days_after_initiation.map(i64::from) }),
            versioned_only: if r.noncurrent_version_expiration.is_some() {
                Some("NoncurrentVersionExpiration")
            } else if r.noncurrent_version_transitions.as_ref().is_some_and(|t| !t.is_empty()) {
                Some("NoncurrentVersionTransition")
            } else {
                None
            },
        })
        .collect();
    ConfigurationDraft { rules, transition_default_minimum_object_size: minimum }
}

fn days(d: Option<i64>) -> Option<i32> {
    d.map(|d| i32::try_from(d).unwrap_or(i32::MAX))
}

fn tag_dto(t: TagDraft) -> Tag {
    Tag { key: t.key, value: t.value }
}

fn from_draft(draft: ConfigurationDraft) -> Vec<LifecycleRule> {
    draft
        .rules
        .into_iter()
        .map(|r| LifecycleRule {
            id: r.id,
            status: ExpirationStatus::from(r.status),
            prefix: r.prefix,
            filter: r.filter.map(|f| LifecycleRuleFilter {
                prefix: f.prefix,
                tag: f.tag.map(tag_dto),
                object_size_greater_than: f.object_size_greater_than,
                object_size_less_than: f.object_size_less_than,
                and: f.and.map(|a| LifecycleRuleAndOperator {
                    prefix: a.prefix,
                    tags: (!a.tags.is_empty()).then(|| a.tags.into_iter().map(tag_dto).collect()),
                    object_size_greater_than: a.object_size_greater_than,
                    object_size_less_than: a.object_size_less_than,
                }),
            }),
            transitions: (!r.transitions.is_empty()).then(|| {
                r.transitions
                    .into_iter()
                    .map(|t| Transition {
                        days: days(t.days),
                        date: t.date.map(timestamp),
                        storage_class: t.storage_class.map(TransitionStorageClass::from),
                    })
                    .collect()
            }),
            expiration: r.expiration.map(|e| LifecycleExpiration {
                days: days(e.days),
                date: e.date.map(timestamp),
                expired_object_delete_marker: None,
            }),
            abort_incomplete_multipart_upload: r
                .abort_incomplete_multipart_upload
                .map(|a| AbortIncompleteMultipartUpload { days_after_initiation: days(a.days_after_initiation) }),
            noncurrent_version_expiration: None,
            noncurrent_version_transitions: None,
        })
        .collect()
}

pub async fn put_bucket_lifecycle_configuration(
    cx: &ReqCtx<'_>,
    req: S3Request<PutBucketLifecycleConfigurationInput>,
) -> S3Result<S3Response<PutBucketLifecycleConfigurationOutput>> {
    let input = req.input;
    let bucket = cx.bucket(&input.bucket).await?;
    let Some(config) = input.lifecycle_configuration else {
        return Err(s3s::s3_error!(MalformedXML, "The request body must hold a LifecycleConfiguration."));
    };
    let minimum = input.transition_default_minimum_object_size.map(|m| m.as_str().to_string());
    let stored = match cx.core.put_bucket_lifecycle(bucket.id, to_draft(config, minimum)).await {
        Ok(stored) => stored,
        Err(LifecycleWriteError::Invalid(e)) => return Err(lifecycle_error(e)),
        Err(LifecycleWriteError::Catalog(tiergate_core::catalog::CatalogError::Gone)) => {
            return Err(crate::ctx::no_such_bucket())
        }
        Err(LifecycleWriteError::Catalog(e)) => return Err(e.into_s3()),
    };
    Ok(S3Response::new(PutBucketLifecycleConfigurationOutput {
        transition_default_minimum_object_size: Some(TransitionDefaultMinimumObjectSize::from(
            stored.minimum_object_size.as_str().to_string(),
        )),
    }))
}

pub async fn get_bucket_lifecycle_configuration(
    cx: &ReqCtx<'_>,
    req: S3Request<GetBucketLifecycleConfigurationInput>,
) -> S3Result<S3Response<GetBucketLifecycleConfigurationOutput>> {
    let bucket = cx.bucket(&req.input.bucket).await?;
    let Some(stored) = cx.core.catalog.bucket_lifecycle(bucket.id).await.s3()? else {
        return Err(s3s::s3_error!(NoSuchLifecycleConfiguration, "The lifecycle configuration does not exist."));
    };
    let minimum = stored.configuration.minimum_object_size.as_str().to_string();
    Ok(S3Response::new(GetBucketLifecycleConfigurationOutput {
        rules: Some(from_draft(stored.configuration.to_draft())),
        transition_default_minimum_object_size: Some(TransitionDefaultMinimumObjectSize::from(minimum)),
    }))
}

pub async fn delete_bucket_lifecycle(
    cx: &ReqCtx<'_>,
    req: S3Request<DeleteBucketLifecycleInput>,
) -> S3Result<S3Response<DeleteBucketLifecycleOutput>> {
    let bucket = cx.bucket(&req.input.bucket).await?;
    // As on S3: 204 whether or not there was one.
    cx.core.catalog.delete_bucket_lifecycle(bucket.id).await.s3()?;
    Ok(S3Response::new(DeleteBucketLifecycleOutput {}))
}
