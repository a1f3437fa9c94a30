//! Lifecycle rules and object tagging (issue 15): the S3 API and its REST mirror, validation as
//! AWS does it, tags on every write path, and the pass following the rules.

use std::time::Duration;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::{ByteStream, DateTime};
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, ExpirationStatus, LifecycleExpiration, LifecycleRule,
    LifecycleRuleAndOperator, LifecycleRuleFilter, Tag, Tagging, TaggingDirective, Transition,
    TransitionDefaultMinimumObjectSize, TransitionStorageClass,
};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tiergate_core::catalog::RuleResult;
use tiergate_tiering::{run_pass, PassOptions};

use crate::helpers::{random_bytes, CatalogChoice, HotChoice, MinioProcess, TestApp};

const KIB: usize = 1024;

/// The S3 error code of a failed call, and its HTTP status.
fn failure<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    r: Result<T, aws_sdk_s3::error::SdkError<E>>,
) -> (String, u16) {
    let e = r.expect_err("the call should fail");
    let status = e.raw_response().map_or(0, |r| r.status().as_u16());
    (e.code().unwrap_or("<none>").to_string(), status)
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().unwrap()
}

fn prefix_filter(p: &str) -> LifecycleRuleFilter {
    LifecycleRuleFilter::builder().prefix(p).build()
}

/// A midnight UTC long past: a rule with this Date applies to every object it matches.
fn past() -> DateTime {
    DateTime::from_secs(1_577_836_800) // 2020-01-01
}

fn rule(id: &str, filter: LifecycleRuleFilter) -> aws_sdk_s3::types::builders::LifecycleRuleBuilder {
    LifecycleRule::builder().id(id).status(ExpirationStatus::Enabled).filter(filter)
}

fn to_cold_on(date: DateTime) -> Transition {
    Transition::builder().date(date).storage_class(TransitionStorageClass::StandardIa).build()
}

fn to_cold_after(days: i32) -> Transition {
    Transition::builder().days(days).storage_class(TransitionStorageClass::StandardIa).build()
}

fn expire_after(days: i32) -> LifecycleExpiration {
    LifecycleExpiration::builder().days(days).build()
}

async fn put_rules(s3: &aws_sdk_s3::Client, bucket: &str, rules: Vec<LifecycleRule>) {
    s3.put_bucket_lifecycle_configuration()
        .bucket(bucket)
        .lifecycle_configuration(BucketLifecycleConfiguration::builder().set_rules(Some(rules)).build().unwrap())
        .send()
        .await
        .unwrap();
}

async fn put(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, len: usize, tagging: Option<&str>) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(random_bytes(len)))
        .set_tagging(tagging.map(str::to_string))
        .send()
        .await
        .unwrap();
}

async fn storage_class(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> String {
    let head = s3.head_object().bucket(bucket).key(key).send().await.unwrap();
    head.storage_class().map_or("STANDARD", |c| c.as_str()).to_string()
}

#[tokio::test]
async fn a_lifecycle_configuration_round_trips_and_is_validated_as_on_aws() {
    let app = TestApp::spawn().await;
    let (alice, bob) = (app.user().await, app.user().await);
    let (s3, bob_s3) = (app.s3(&alice).await, app.s3(&bob).await);
    s3.create_bucket().bucket("logs").send().await.unwrap();

    let none = s3.get_bucket_lifecycle_configuration().bucket("logs").send().await;
    assert_eq!(failure(none), ("NoSuchLifecycleConfiguration".into(), 404));

    let rules = vec![
        rule("tmp", prefix_filter("tmp/")).expiration(expire_after(7)).build().unwrap(),
        rule("tagged", LifecycleRuleFilter::builder().tag(tag("class", "archive")).build())
            .transitions(to_cold_after(30))
            .build()
            .unwrap(),
        rule(
            "and",
            LifecycleRuleFilter::builder()
                .and(
                    LifecycleRuleAndOperator::builder()
                        .prefix("a/")
                        .tags(tag("x", "1"))
                        .tags(tag("y", "2"))
                        .object_size_greater_than(1024)
                        .object_size_less_than(1 << 30)
                        .build(),
                )
                .build(),
        )
        .transitions(to_cold_after(0))
        .expiration(expire_after(365))
        .build()
        .unwrap(),
        #[allow(deprecated)]
        LifecycleRule::builder()
            .id("legacy")
            .prefix("old/")
            .status(ExpirationStatus::Disabled)
            .expiration(LifecycleExpiration::builder().date(DateTime::from_secs(1_893_456_000)).build())
            .build()
            .unwrap(),
        LifecycleRule::builder()
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().build())
            .abort_incomplete_multipart_upload(
                AbortIncompleteMultipartUpload::builder().days_after_initiation(3).build(),
            )
            .build()
            .unwrap(),
    ];
    let out = s3
        .put_bucket_lifecycle_configuration()
        .bucket("logs")
        .transition_default_minimum_object_size(TransitionDefaultMinimumObjectSize::VariesByStorageClass)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder().set_rules(Some(rules.clone())).build().unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.transition_default_minimum_object_size(),
        Some(&TransitionDefaultMinimumObjectSize::VariesByStorageClass)
    );
    let got = s3.get_bucket_lifecycle_configuration().bucket("logs").send().await.unwrap();
    assert_eq!(
        got.transition_default_minimum_object_size(),
        Some(&TransitionDefaultMinimumObjectSize::VariesByStorageClass)
    );
    let back = got.rules();
    assert_eq!(back.len(), 5);
    // Everything comes back as it was sent; the rule without an ID got one.
    assert_eq!(&back[..4], &rules[..4]);
    let generated = back[4].id().expect("an ID is generated");
    assert!(!generated.is_empty() && generated.len() <= 255);
    assert_eq!(back[4].abort_incomplete_multipart_upload(), rules[4].abort_incomplete_multipart_upload());

    // Only the bucket's owner: Bob has no bucket of that name, and his own "logs" has no rules.
    let theirs = bob_s3.get_bucket_lifecycle_configuration().bucket("logs").send().await;
    assert_eq!(failure(theirs).0, "NoSuchBucket");
    bob_s3.create_bucket().bucket("logs").send().await.unwrap();
    let own = bob_s3.get_bucket_lifecycle_configuration().bucket("logs").send().await;
    assert_eq!(failure(own).0, "NoSuchLifecycleConfiguration");
    let wipe = bob_s3.delete_bucket_lifecycle().bucket("logs").send().await;
    assert!(wipe.is_ok(), "deleting none is no error");
    assert_eq!(s3.get_bucket_lifecycle_configuration().bucket("logs").send().await.unwrap().rules().len(), 5);

    // Refused as AWS refuses them; the stored configuration stays.
    let refused = |rules: Vec<LifecycleRule>| {
        let s3 = s3.clone();
        async move {
            let r = s3
                .put_bucket_lifecycle_configuration()
                .bucket("logs")
                .lifecycle_configuration(
                    BucketLifecycleConfiguration::builder().set_rules(Some(rules)).build().unwrap(),
                )
                .send()
                .await;
            failure(r)
        }
    };
    let one = |b: aws_sdk_s3::types::builders::LifecycleRuleBuilder| vec![b.build().unwrap()];
    assert_eq!(
        refused(one(rule("zero", prefix_filter("")).expiration(expire_after(0)))).await,
        ("InvalidArgument".into(), 400)
    );
    let late = LifecycleExpiration::builder().date(DateTime::from_secs(1_577_836_800 + 3600)).build();
    assert_eq!(refused(one(rule("noon", prefix_filter("")).expiration(late))).await.0, "InvalidArgument");
    assert_eq!(
        refused(vec![
            rule("same", prefix_filter("a")).expiration(expire_after(1)).build().unwrap(),
            rule("same", prefix_filter("b")).expiration(expire_after(1)).build().unwrap(),
        ])
        .await
        .0,
        "InvalidArgument"
    );
    assert_eq!(
        refused(one(rule(&"x".repeat(256), prefix_filter("")).expiration(expire_after(1)))).await.0,
        "InvalidArgument"
    );
    assert_eq!(
        refused(one(rule("order", prefix_filter("")).transitions(to_cold_after(30)).expiration(expire_after(30))))
            .await
            .0,
        "InvalidArgument"
    );
    assert_eq!(
        refused(one(rule("mixed", prefix_filter("")).transitions(to_cold_on(past())).expiration(expire_after(30))))
            .await
            .0,
        "InvalidRequest"
    );
    let glacier = Transition::builder().days(1).storage_class(TransitionStorageClass::Glacier).build();
    assert_eq!(refused(one(rule("class", prefix_filter("")).transitions(glacier))).await.0, "InvalidStorageClass");
    assert_eq!(refused(one(rule("nothing", prefix_filter("")))).await.0, "InvalidRequest");
    let two = LifecycleRuleFilter::builder().prefix("a").tag(tag("k", "v")).build();
    assert_eq!(refused(one(rule("two", two).expiration(expire_after(1)))).await.0, "MalformedXML");
    #[allow(deprecated)]
    let both = LifecycleRule::builder()
        .id("both")
        .status(ExpirationStatus::Enabled)
        .prefix("a")
        .filter(prefix_filter("b"))
        .expiration(expire_after(1));
    assert_eq!(refused(one(both)).await.0, "MalformedXML");
    let abort_tag = rule("abort", LifecycleRuleFilter::builder().tag(tag("k", "v")).build())
        .abort_incomplete_multipart_upload(AbortIncompleteMultipartUpload::builder().days_after_initiation(1).build());
    assert_eq!(refused(one(abort_tag)).await.0, "InvalidRequest");
    let noncurrent = rule("nc", prefix_filter("")).noncurrent_version_expiration(
        aws_sdk_s3::types::NoncurrentVersionExpiration::builder().noncurrent_days(1).build(),
    );
    assert_eq!(refused(one(noncurrent)).await.0, "InvalidRequest");
    let marker = rule("marker", prefix_filter(""))
        .expiration(LifecycleExpiration::builder().expired_object_delete_marker(true).build());
    assert_eq!(refused(one(marker)).await.0, "InvalidRequest");
    let many: Vec<_> = (0..1001)
        .map(|i| rule(&format!("r{i}"), prefix_filter(&format!("p{i}/"))).expiration(expire_after(1)).build().unwrap())
        .collect();
    assert_eq!(refused(many).await.0, "InvalidArgument");
    assert_eq!(s3.get_bucket_lifecycle_configuration().bucket("logs").send().await.unwrap().rules().len(), 5);

    s3.delete_bucket_lifecycle().bucket("logs").send().await.unwrap();
    let gone = s3.get_bucket_lifecycle_configuration().bucket("logs").send().await;
    assert_eq!(failure(gone).0, "NoSuchLifecycleConfiguration");
}

#[tokio::test]
async fn object_tags_on_every_write_path_with_aws_limits() {
    let app = TestApp::spawn().await;
    let (alice, bob) = (app.user().await, app.user().await);
    let (s3, bob_s3) = (app.s3(&alice).await, app.s3(&bob).await);
    let tags_of = |key: &'static str| {
        let s3 = s3.clone();
        async move {
            let out = s3.get_object_tagging().bucket("files").key(key).send().await.unwrap();
            out.tag_set().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect::<Vec<_>>()
        }
    };
    let pair = |k: &str, v: &str| (k.to_string(), v.to_string());

    // x-amz-tagging on PutObject; a key without a value; GET and HEAD count them.
    put(&s3, "files", "a", 10, Some("project=blue%20sky&bare&z=1")).await;
    assert_eq!(tags_of("a").await, vec![pair("bare", ""), pair("project", "blue sky"), pair("z", "1")]);
    let head = s3.head_object().bucket("files").key("a").send().await.unwrap();
    assert_eq!(head.tag_count(), Some(3));
    let get = s3.get_object().bucket("files").key("a").send().await.unwrap();
    assert_eq!(get.tag_count(), Some(3));

    // PutObjectTagging replaces, DeleteObjectTagging empties; neither changes the version.
    let before = head.last_modified().cloned();
    s3.put_object_tagging()
        .bucket("files")
        .key("a")
        .tagging(Tagging::builder().tag_set(tag("k", "v")).build().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(tags_of("a").await, vec![pair("k", "v")]);
    let after = s3.head_object().bucket("files").key("a").send().await.unwrap();
    assert_eq!(after.last_modified().cloned(), before);
    s3.delete_object_tagging().bucket("files").key("a").send().await.unwrap();
    assert!(tags_of("a").await.is_empty());
    assert_eq!(s3.get_object().bucket("files").key("a").send().await.unwrap().tag_count(), None);

    // AWS's limits.
    let eleven: Vec<Tag> = (0..11).map(|i| tag(&format!("k{i}"), "v")).collect();
    let r = s3
        .put_object_tagging()
        .bucket("files")
        .key("a")
        .tagging(Tagging::builder().set_tag_set(Some(eleven)).build().unwrap())
        .send()
        .await;
    assert_eq!(failure(r), ("InvalidTag".into(), 400));
    let long_key = Tagging::builder().tag_set(tag(&"k".repeat(129), "v")).build().unwrap();
    assert_eq!(
        failure(s3.put_object_tagging().bucket("files").key("a").tagging(long_key).send().await).0,
        "InvalidTag"
    );
    let long_value = Tagging::builder().tag_set(tag("k", &"v".repeat(257))).build().unwrap();
    assert_eq!(
        failure(s3.put_object_tagging().bucket("files").key("a").tagging(long_value).send().await).0,
        "InvalidTag"
    );
    let dup = Tagging::builder().tag_set(tag("k", "1")).tag_set(tag("k", "2")).build().unwrap();
    assert_eq!(failure(s3.put_object_tagging().bucket("files").key("a").tagging(dup).send().await).0, "InvalidTag");
    let r =
        s3.put_object().bucket("files").key("b").body(ByteStream::from_static(b"x")).tagging("a=1&a=2").send().await;
    assert_eq!(failure(r), ("InvalidArgument".into(), 400));
    let r =
        s3.put_object().bucket("files").key("b").body(ByteStream::from_static(b"x")).tagging("aws:x=1").send().await;
    assert_eq!(failure(r).0, "InvalidTag");
    assert_eq!(failure(s3.head_object().bucket("files").key("b").send().await).1, 404, "nothing was stored");
    let r = s3.get_object_tagging().bucket("files").key("missing").send().await;
    assert_eq!(failure(r).0, "NoSuchKey");

    // CopyObject: COPY (the default) keeps the source's tags, REPLACE takes the header's.
    put(&s3, "files", "src", 10, Some("keep=me")).await;
    s3.copy_object().bucket("files").key("copied").copy_source("files/src").send().await.unwrap();
    assert_eq!(tags_of("copied").await, vec![pair("keep", "me")]);
    s3.copy_object()
        .bucket("files")
        .key("replaced")
        .copy_source("files/src")
        .tagging_directive(TaggingDirective::Replace)
        .tagging("new=1")
        .send()
        .await
        .unwrap();
    assert_eq!(tags_of("replaced").await, vec![pair("new", "1")]);
    s3.copy_object()
        .bucket("files")
        .key("bare-copy")
        .copy_source("files/src")
        .tagging_directive(TaggingDirective::Replace)
        .send()
        .await
        .unwrap();
    assert!(tags_of("bare-copy").await.is_empty());

    // Multipart: the tags given at creation are the object's when it completes.
    let created = s3.create_multipart_upload().bucket("files").key("mp").tagging("from=upload").send().await.unwrap();
    let id = created.upload_id().unwrap();
    let part = s3
        .upload_part()
        .bucket("files")
        .key("mp")
        .upload_id(id)
        .part_number(1)
        .body(ByteStream::from_static(b"part"))
        .send()
        .await
        .unwrap();
    let done = aws_sdk_s3::types::CompletedMultipartUpload::builder()
        .parts(aws_sdk_s3::types::CompletedPart::builder().part_number(1).e_tag(part.e_tag().unwrap()).build())
        .build();
    s3.complete_multipart_upload().bucket("files").key("mp").upload_id(id).multipart_upload(done).send().await.unwrap();
    assert_eq!(tags_of("mp").await, vec![pair("from", "upload")]);

    // An overwrite without tags has none.
    put(&s3, "files", "src", 5, None).await;
    assert!(tags_of("src").await.is_empty());

    // Bob reaches none of it.
    let r = bob_s3.get_object_tagging().bucket("files").key("copied").send().await;
    assert!(matches!(failure(r).0.as_str(), "NoSuchBucket" | "NoSuchKey"));
    let r = bob_s3
        .put_object_tagging()
        .bucket("files")
        .key("copied")
        .tagging(Tagging::builder().tag_set(tag("evil", "1")).build().unwrap())
        .send()
        .await;
    assert!(matches!(failure(r).0.as_str(), "NoSuchBucket" | "NoSuchKey"));
    assert_eq!(tags_of("copied").await, vec![pair("keep", "me")]);
}

async fn rule_results(app: &TestApp, run_id: i64) -> Vec<RuleResult> {
    app.core.catalog.rule_results(run_id, None).await.unwrap()
}

fn result_of<'a>(results: &'a [RuleResult], rule: Option<&str>) -> &'a RuleResult {
    results
        .iter()
        .find(|r| r.rule_id.as_deref() == rule)
        .unwrap_or_else(|| panic!("no result for {rule:?} in {results:?}"))
}

async fn the_pass_follows_the_rules(catalog: CatalogChoice, minio: bool) {
    let tier = if minio { HotChoice::Minio } else { HotChoice::Fs };
    // One lifecycle day is a second: an upload is a day old within two.
    let settings = "[tiering]\nday_length = \"1s\"\ndelete_hot_after_copy = true\n";
    let Some(app) = TestApp::builder().catalog(catalog).hot(tier).cold(tier).settings(settings).spawn().await else {
        return;
    };
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    s3.create_bucket().bucket("ruled").send().await.unwrap();
    put_rules(
        &s3,
        "ruled",
        vec![
            rule("by-prefix", prefix_filter("cold/")).transitions(to_cold_on(past())).build().unwrap(),
            rule("by-tag", LifecycleRuleFilter::builder().tag(tag("class", "archive")).build())
                .transitions(to_cold_on(past()))
                .build()
                .unwrap(),
            rule(
                "by-size",
                LifecycleRuleFilter::builder()
                    .and(LifecycleRuleAndOperator::builder().prefix("sized/").object_size_greater_than(2000).build())
                    .build(),
            )
            .transitions(to_cold_on(past()))
            .build()
            .unwrap(),
            rule("expire-tmp", prefix_filter("tmp/"))
                .expiration(LifecycleExpiration::builder().date(past()).build())
                .build()
                .unwrap(),
            LifecycleRule::builder()
                .id("disabled")
                .status(ExpirationStatus::Disabled)
                .filter(prefix_filter("keep/"))
                .expiration(LifecycleExpiration::builder().date(past()).build())
                .build()
                .unwrap(),
            rule("abort", prefix_filter("mp/"))
                .abort_incomplete_multipart_upload(
                    AbortIncompleteMultipartUpload::builder().days_after_initiation(1).build(),
                )
                .build()
                .unwrap(),
        ],
    )
    .await;
    put(&s3, "ruled", "cold/big", 200 * KIB, None).await;
    put(&s3, "ruled", "cold/small", 10, None).await; // under 128 KiB: stays
    put(&s3, "ruled", "tagged", 200 * KIB, Some("class=archive")).await;
    put(&s3, "ruled", "tagged-other", 200 * KIB, Some("class=hot")).await;
    put(&s3, "ruled", "sized/large", 3000, None).await; // a size filter: no 128 KiB minimum
    put(&s3, "ruled", "sized/tiny", 100, None).await;
    put(&s3, "ruled", "tmp/x", 10, None).await;
    put(&s3, "ruled", "keep/y", 10, None).await;
    put(&s3, "ruled", "other", 200 * KIB, None).await; // no rule: the bucket has rules, so no default policy
    put(&s3, "files", "plain", 10, None).await; // a bucket without rules: the default policy ("all")
    let stale = s3.create_multipart_upload().bucket("ruled").key("mp/a").send().await.unwrap();
    let young_elsewhere = s3.create_multipart_upload().bucket("ruled").key("other-mp").send().await.unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let fresh = s3.create_multipart_upload().bucket("ruled").key("mp/fresh").send().await.unwrap();

    let run = run_pass(&app.core, PassOptions::new("test")).await.unwrap();
    assert_eq!(run.status, "succeeded", "{run:?}");
    assert_eq!((run.moved, run.failed, run.expired, run.aborted), (4, 0, 1, 1), "{run:?}");
    for (key, class) in [
        ("cold/big", "STANDARD_IA"),
        ("cold/small", "STANDARD"),
        ("tagged", "STANDARD_IA"),
        ("tagged-other", "STANDARD"),
        ("sized/large", "STANDARD_IA"),
        ("sized/tiny", "STANDARD"),
        ("keep/y", "STANDARD"),
        ("other", "STANDARD"),
    ] {
        assert_eq!(storage_class(&s3, "ruled", key).await, class, "{key}");
    }
    assert_eq!(storage_class(&s3, "files", "plain").await, "STANDARD_IA");
    assert_eq!(failure(s3.head_object().bucket("ruled").key("tmp/x").send().await).1, 404);
    let uploads = s3.list_multipart_uploads().bucket("ruled").send().await.unwrap();
    let left: Vec<_> = uploads.uploads().iter().filter_map(|u| u.upload_id()).collect();
    assert!(!left.contains(&stale.upload_id().unwrap()), "the stale upload under mp/ was aborted");
    assert!(left.contains(&fresh.upload_id().unwrap()) && left.contains(&young_elsewhere.upload_id().unwrap()));

    // The run record says which rule did what.
    let results = rule_results(&app, run.id).await;
    let r = result_of(&results, Some("by-prefix"));
    assert_eq!((r.matched, r.moved, r.bytes_moved), (1, 1, 200 * KIB as i64));
    assert_eq!((result_of(&results, Some("by-tag")).moved, result_of(&results, Some("by-size")).moved), (1, 1));
    let r = result_of(&results, Some("expire-tmp"));
    assert_eq!((r.matched, r.expired, r.bytes_expired), (1, 1, 10));
    assert_eq!(result_of(&results, Some("abort")).aborted, 1);
    assert_eq!(result_of(&results, None).moved, 1, "the default policy moved the file of the bucket without rules");
    assert!(results.iter().all(|r| r.rule_id.as_deref() != Some("disabled")));

    // Tags go with an object to the cold tier, in its metadata too.
    assert_eq!(
        s3.get_object_tagging().bucket("ruled").key("tagged").send().await.unwrap().tag_set()[0].value(),
        "archive"
    );
    if let Some((target, bucket)) = &app.cold_s3 {
        let listed = target.client().list_objects_v2().bucket(bucket).send().await.unwrap();
        let key =
            listed.contents().iter().filter_map(|o| o.key()).find(|k| k.ends_with("-tagged")).unwrap().to_string();
        let head = target.client().head_object().bucket(bucket).key(&key).send().await.unwrap();
        assert_eq!(head.metadata().unwrap().get("tiergate-tags").map(String::as_str), Some("class=archive"));
    }

    // An expiration deletes from whichever tier holds the object, and the bytes go.
    app.wait_for_gc().await;
    let cold_before = app.cold_objects().await.len();
    put_rules(
        &s3,
        "ruled",
        vec![rule("expire-cold", prefix_filter("cold/"))
            .expiration(LifecycleExpiration::builder().date(past()).build())
            .build()
            .unwrap()],
    )
    .await;
    let run = run_pass(&app.core, PassOptions::new("test")).await.unwrap();
    assert_eq!((run.status.as_str(), run.expired, run.moved), ("succeeded", 2, 0), "{run:?}");
    for key in ["cold/big", "cold/small"] {
        assert_eq!(failure(s3.head_object().bucket("ruled").key(key).send().await).1, 404, "{key}");
    }
    app.wait_for_gc().await;
    assert_eq!(app.cold_objects().await.len(), cold_before - 1, "cold/big's cold copy is gone");
    assert!(!app.hot_objects().await.iter().any(|k| k.ends_with("-small")), "cold/small's hot copy is gone");
    // The other rules were replaced: nothing else moved, nothing else went.
    assert_eq!(storage_class(&s3, "ruled", "other").await, "STANDARD");
    assert_eq!(storage_class(&s3, "ruled", "keep/y").await, "STANDARD");
}

#[tokio::test]
async fn the_pass_follows_the_rules_embedded() {
    the_pass_follows_the_rules(CatalogChoice::Sqlite, false).await;
}

#[tokio::test]
async fn the_pass_follows_the_rules_postgres_minio() {
    the_pass_follows_the_rules(CatalogChoice::Postgres, true).await;
}

#[tokio::test]
async fn rules_in_days_and_the_default_policy_none() {
    let settings = "[tiering]\nday_length = \"1s\"\ndefault_policy = \"none\"\n";
    let app = TestApp::builder().settings(settings).spawn().await.unwrap();
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    s3.create_bucket().bucket("days").send().await.unwrap();
    put_rules(
        &s3,
        "days",
        vec![rule("two-days", LifecycleRuleFilter::builder().object_size_greater_than(0).build())
            .transitions(to_cold_after(2))
            .build()
            .unwrap()],
    )
    .await;
    put(&s3, "days", "d", 10, None).await;
    put(&s3, "files", "f", 10, None).await;
    // Not two days old yet: nothing moves; the bucket without rules never moves under "none".
    let run = run_pass(&app.core, PassOptions::new("test")).await.unwrap();
    assert_eq!((run.candidates, run.moved), (0, 0), "{run:?}");
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let run = run_pass(&app.core, PassOptions::new("test")).await.unwrap();
    assert_eq!((run.candidates, run.moved), (1, 1), "{run:?}");
    assert_eq!(storage_class(&s3, "days", "d").await, "STANDARD_IA");
    assert_eq!(storage_class(&s3, "files", "f").await, "STANDARD");
}

#[tokio::test]
async fn the_expiration_header_names_the_day_and_the_rule() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    s3.create_bucket().bucket("exp").send().await.unwrap();
    put_rules(
        &s3,
        "exp",
        vec![
            rule("soon", prefix_filter("e/")).expiration(expire_after(3)).build().unwrap(),
            rule("later", prefix_filter("")).expiration(expire_after(10)).build().unwrap(),
            LifecycleRule::builder()
                .id("off")
                .status(ExpirationStatus::Disabled)
                .filter(prefix_filter("e/"))
                .expiration(expire_after(1))
                .build()
                .unwrap(),
        ],
    )
    .await;
    let before = time::OffsetDateTime::now_utc();
    let put = s3.put_object().bucket("exp").key("e/1").body(ByteStream::from_static(b"x")).send().await.unwrap();
    let header = put.expiration().expect("PutObject names the expiration").to_string();
    // Creation + 3 days, rounded up to the next midnight UTC; the earliest rule wins.
    let midnight = (before + time::Duration::days(3)).date().next_day().unwrap().midnight().assume_utc();
    let date = midnight
        .format(
            &time::format_description::parse_borrowed::<2>(
                "[weekday repr:short], [day] [month repr:short] [year] 00:00:00 GMT",
            )
            .unwrap(),
        )
        .unwrap();
    assert_eq!(header, format!("expiry-date=\"{date}\", rule-id=\"soon\""));
    let head = s3.head_object().bucket("exp").key("e/1").send().await.unwrap();
    assert_eq!(head.expiration(), Some(header.as_str()));
    let get = s3.get_object().bucket("exp").key("e/1").send().await.unwrap();
    assert_eq!(get.expiration(), Some(header.as_str()));
    let other = s3.put_object().bucket("exp").key("x").body(ByteStream::from_static(b"x")).send().await.unwrap();
    assert!(other.expiration().unwrap().ends_with("rule-id=\"later\""));
    // No rule, no header; and after the rules are gone, none either.
    let plain = s3.put_object().bucket("files").key("x").body(ByteStream::from_static(b"x")).send().await.unwrap();
    assert_eq!(plain.expiration(), None);
    s3.delete_bucket_lifecycle().bucket("exp").send().await.unwrap();
    assert_eq!(s3.head_object().bucket("exp").key("e/1").send().await.unwrap().expiration(), None);
}

#[tokio::test]
async fn a_cold_tier_that_is_down_fails_transitions_but_not_expirations() {
    let Some(mut cold) = MinioProcess::start().await else { return };
    let app = TestApp::builder().cold_s3(cold.target.clone()).spawn().await.unwrap();
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    s3.create_bucket().bucket("downed").send().await.unwrap();
    put_rules(
        &s3,
        "downed",
        vec![
            rule("move", prefix_filter("m/")).transitions(to_cold_on(past())).build().unwrap(),
            rule("expire", prefix_filter("e/"))
                .expiration(LifecycleExpiration::builder().date(past()).build())
                .build()
                .unwrap(),
        ],
    )
    .await;
    put(&s3, "downed", "m/1", 200 * KIB, None).await;
    put(&s3, "downed", "e/1", 10, None).await;
    cold.stop();
    let run = run_pass(&app.core, PassOptions::new("test")).await.unwrap();
    assert_eq!((run.status.as_str(), run.expired, run.moved), ("failed", 1, 0), "{run:?}");
    assert!(run.error.as_deref().unwrap().contains("expirations and aborts were done"), "{run:?}");
    assert_eq!(failure(s3.head_object().bucket("downed").key("e/1").send().await).1, 404);
    assert_eq!(storage_class(&s3, "downed", "m/1").await, "STANDARD");
    cold.restart().await;
    let run = run_pass(&app.core, PassOptions::new("test")).await.unwrap();
    assert_eq!((run.status.as_str(), run.moved), ("succeeded", 1), "{run:?}");
}

#[tokio::test]
async fn the_rest_mirror_validates_alike_and_lists_buckets_per_tier() {
    let app = TestApp::builder().settings("[auth]\nadmins = [\"ops@example.com\"]\n").spawn().await.unwrap();
    let (alice, bob) = (app.user().await, app.user().await);
    let s3 = app.s3(&alice).await;
    s3.create_bucket().bucket("photos").send().await.unwrap();
    put(&s3, "photos", "p/1", 200 * KIB, Some("k=v")).await;
    put(&s3, "photos", "p/2", 10, None).await;
    let call = |method: reqwest::Method, path: &str, token: &str, body: Option<Value>| {
        let mut req = app.api.request(method, app.url(path)).bearer_auth(token.to_string());
        if let Some(body) = body {
            req = req.json(&body);
        }
        async move {
            let res = req.send().await.unwrap();
            let status = res.status();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, body) = call(reqwest::Method::GET, "/api/buckets/photos/lifecycle", &alice.token, None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("no_lifecycle_configuration")));
    let config = json!({"rules": [{
        "id": "to-cold", "status": "Enabled", "filter": {"prefix": "p/"},
        "transitions": [{"days": 30, "storageClass": "STANDARD_IA"}], "expiration": {"days": 365}
    }]});
    let (status, stored) =
        call(reqwest::Method::PUT, "/api/buckets/photos/lifecycle", &alice.token, Some(config.clone())).await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!(stored["rules"], config["rules"]);
    assert_eq!(stored["transitionDefaultMinimumObjectSize"], "all_storage_classes_128K");
    // The same rules over S3.
    let got = s3.get_bucket_lifecycle_configuration().bucket("photos").send().await.unwrap();
    assert_eq!(got.rules()[0].id(), Some("to-cold"));
    assert_eq!(got.rules()[0].transitions()[0].days(), Some(30));

    for (bad, code) in [
        (json!({"rules": [{"status": "Enabled", "expiration": {"days": 0}}]}), "invalid_argument"),
        (
            json!({"rules": [{"status": "Enabled", "transitions": [{"days": 1, "storageClass": "GLACIER"}]}]}),
            "invalid_storage_class",
        ),
        (json!({"rules": [{"status": "Enabled"}]}), "invalid_request"),
        (json!({"rules": []}), "malformed_configuration"),
    ] {
        let (status, body) = call(reqwest::Method::PUT, "/api/buckets/photos/lifecycle", &alice.token, Some(bad)).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some(code)), "{body}");
    }
    let (status, _) = call(
        reqwest::Method::PUT,
        "/api/buckets/photos/lifecycle",
        &alice.token,
        Some(json!({"rules": [{"status": "Enabled", "bogus": 1}]})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Bob has no bucket called photos: 404, and Alice's rules are untouched.
    for method in [reqwest::Method::GET, reqwest::Method::PUT, reqwest::Method::DELETE] {
        let body = (method == reqwest::Method::PUT).then(|| config.clone());
        let (status, _) = call(method, "/api/buckets/photos/lifecycle", &bob.token, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (_, list) = call(reqwest::Method::GET, "/api/buckets", &alice.token, None).await;
    let photos = list["buckets"].as_array().unwrap().iter().find(|b| b["name"] == "photos").unwrap().clone();
    assert_eq!((photos["hot"]["objects"].as_i64(), photos["cold"]["objects"].as_i64()), (Some(2), Some(0)));
    assert_eq!(photos["has_lifecycle"], true);
    let (_, theirs) = call(reqwest::Method::GET, "/api/buckets", &bob.token, None).await;
    assert!(theirs["buckets"].as_array().unwrap().iter().all(|b| b["name"] != "photos"));

    let (status, _) = call(reqwest::Method::DELETE, "/api/buckets/photos/lifecycle", &alice.token, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        failure(s3.get_bucket_lifecycle_configuration().bucket("photos").send().await).0,
        "NoSuchLifecycleConfiguration"
    );
}

#[tokio::test]
async fn run_records_and_metrics_show_lifecycle_actions() {
    let app = TestApp::builder().settings("[auth]\nadmins = [\"ops@example.com\"]\n").spawn().await.unwrap();
    assert_eq!(app.signup("ops@example.com", "correct horse battery").await.status(), StatusCode::CREATED);
    let login: Value = app.login("ops@example.com", "correct horse battery").await.json().await.unwrap();
    let admin = login["access_token"].as_str().unwrap().to_string();
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    s3.create_bucket().bucket("metered").send().await.unwrap();
    put_rules(
        &s3,
        "metered",
        vec![rule("gone", prefix_filter(""))
            .expiration(LifecycleExpiration::builder().date(past()).build())
            .build()
            .unwrap()],
    )
    .await;
    put(&s3, "metered", "a", 10, None).await;
    put(&s3, "metered", "b", 10, None).await;
    let run = run_pass(&app.core, PassOptions::new("test")).await.unwrap();
    let detail: Value = app.get(&format!("/api/tiering/runs/{}", run.id), &admin).await.json().await.unwrap();
    assert_eq!(detail["expired"], 2);
    let rules = detail["rules"].as_array().unwrap();
    let gone = rules.iter().find(|r| r["rule_id"] == "gone").unwrap();
    assert_eq!(
        (gone["bucket"].as_str(), gone["expired"].as_i64(), gone["matched"].as_i64()),
        (Some("metered"), Some(2), Some(2))
    );
    let metrics = app.api.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains("tiergate_lifecycle_actions_total{action=\"expiration\",result=\"succeeded\"} 2"),
        "{metrics}"
    );
    assert!(metrics.contains("tiergate_lifecycle_actions_total{action=\"transition\",result=\"failed\"} 0"));
}

/// Found by a hostile review: a tag key whose fourth byte is inside a character panicked the
/// gateway (and each panic kept a connection slot); now it is an ordinary tag, on every path.
#[tokio::test]
async fn tag_keys_of_any_characters_neither_panic_nor_leak_connections() {
    let app = TestApp::builder().server_setting("max_connections = 4").spawn().await.unwrap();
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    put(&s3, "files", "k", 10, Some("caf%C3%A9=v")).await;
    for _ in 0..8 {
        s3.put_object_tagging()
            .bucket("files")
            .key("k")
            .tagging(Tagging::builder().tag_set(tag("abcé", "v")).build().unwrap())
            .send()
            .await
            .unwrap();
    }
    let tags = s3.get_object_tagging().bucket("files").key("k").send().await.unwrap();
    assert_eq!(tags.tag_set()[0].key(), "abcé");
    // Fresh connections are still served.
    let fresh = app.s3(&user).await;
    fresh.list_buckets().send().await.unwrap();
}

/// A pass reads the buckets with rules a page at a time (10): rules of more buckets than a page
/// all act, expirations and transitions alike, and each rule's figures come out once.
#[tokio::test]
async fn rules_of_more_buckets_than_a_page_all_act() {
    let app = TestApp::builder().settings("[tiering]\ndefault_policy = \"none\"\n").spawn().await.unwrap();
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    for i in 0..13 {
        let bucket = format!("paged-{i:02}");
        s3.create_bucket().bucket(&bucket).send().await.unwrap();
        put_rules(
            &s3,
            &bucket,
            vec![rule("both", LifecycleRuleFilter::builder().object_size_greater_than(0).build())
                .transitions(to_cold_on(past()))
                .expiration(LifecycleExpiration::builder().date(DateTime::from_secs(1_577_836_800 + 86_400)).build())
                .build()
                .unwrap()],
        )
        .await;
        put(&s3, &bucket, "x", 10, None).await;
    }
    let run = run_pass(&app.core, PassOptions::new("test")).await.unwrap();
    // Expiration wins over the transition for an object due for both (as on AWS).
    assert_eq!((run.status.as_str(), run.expired, run.moved), ("succeeded", 13, 0), "{run:?}");
    let results = rule_results(&app, run.id).await;
    assert_eq!(results.len(), 13, "{results:?}");
    assert!(results.iter().all(|r| r.expired == 1 && r.matched == 1));
}

/// A rule with several tags and a prefix: an object must carry every tag the rule names (more
/// are fine) and sit under the prefix; pages of the tag index do not lose or repeat objects.
#[tokio::test]
async fn tag_rules_need_every_tag_and_the_prefix() {
    let settings = "[tiering]\ndefault_policy = \"none\"\nbatch_size = 2\n";
    let app = TestApp::builder().settings(settings).spawn().await.unwrap();
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    s3.create_bucket().bucket("tagged-rules").send().await.unwrap();
    put_rules(
        &s3,
        "tagged-rules",
        vec![rule(
            "two-tags",
            LifecycleRuleFilter::builder()
                .and(LifecycleRuleAndOperator::builder().prefix("in/").tags(tag("a", "1")).tags(tag("b", "2")).build())
                .build(),
        )
        .expiration(LifecycleExpiration::builder().date(past()).build())
        .build()
        .unwrap()],
    )
    .await;
    let cases = [
        ("in/both-1", Some("a=1&b=2"), true),
        ("in/both-2", Some("b=2&a=1"), true),
        ("in/more", Some("a=1&b=2&c=3"), true),
        ("in/both-3", Some("a=1&b=2"), true),
        ("in/both-4", Some("a=1&b=2"), true),
        ("in/only-a", Some("a=1"), false),
        ("in/wrong-b", Some("a=1&b=3"), false),
        ("in/none", None, false),
        ("out/both", Some("a=1&b=2"), false),
    ];
    for (key, tags, _) in cases {
        put(&s3, "tagged-rules", key, 10, tags).await;
    }
    // The same tags in another bucket of the same user: not this rule's.
    put(&s3, "files", "in/both-1", 10, Some("a=1&b=2")).await;
    let run = run_pass(&app.core, PassOptions::new("test")).await.unwrap();
    assert_eq!((run.status.as_str(), run.expired), ("succeeded", 5), "{run:?}");
    for (key, _, gone) in cases {
        let found = s3.head_object().bucket("tagged-rules").key(key).send().await.is_ok();
        assert_eq!(found, !gone, "{key}");
    }
    assert!(s3.head_object().bucket("files").key("in/both-1").send().await.is_ok());
}

/// Keys XML 1.0 cannot carry (found by a review): a listing naming one is a clear 400 unless it
/// is URL-encoded, and such a key cannot start a multipart upload whose answer would name it.
#[tokio::test]
async fn keys_xml_cannot_carry_are_listed_url_encoded_only() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let s3 = app.s3(&user).await;
    put(&s3, "files", "ctl\u{1}key", 3, None).await;
    let plain = s3.list_objects_v2().bucket("files").send().await;
    assert_eq!(failure(plain), ("InvalidArgument".into(), 400), "a plain listing is refused, not a broken document");
    let listed =
        s3.list_objects_v2().bucket("files").encoding_type(aws_sdk_s3::types::EncodingType::Url).send().await.unwrap();
    assert_eq!(listed.contents().len(), 1);
    let r = s3.create_multipart_upload().bucket("files").key("up\u{1}").send().await;
    assert_eq!(failure(r).0, "InvalidArgument");
    let uploads = s3.list_multipart_uploads().bucket("files").send().await.unwrap();
    assert!(uploads.uploads().is_empty(), "no upload was made");
}
