"""Lifecycle rules and object tags as real clients use them (issue 15): aws-cli's
put/get/delete-bucket-lifecycle-configuration round trip (with the checksum header aws-cli
sends), every refusal AWS makes with AWS's code, object tags through boto3 (PutObject,
CopyObject, multipart, POST forms, the tagging API) and their limits, x-amz-expiration on
PUT/COPY/COMPLETE/GET/HEAD, and the tiering pass following the rules: on its schedule (with
tiering.day_length "1s", so a rule's Days count seconds), from `tiergate tiering run-now` and
from an administrator's POST /api/tiering/run. No assertion is about timing: where a pass
must happen, the test polls with a bounded deadline and then asserts exact outcomes."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import subprocess
import time
import xml.etree.ElementTree as ET
from datetime import date, datetime, time as dtime, timedelta, timezone
from email.utils import parsedate_to_datetime

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import (
    ADMIN_EMAIL,
    HTTP_TIMEOUT_S,
    sha256_file,
    signed_request,
    start_server,
    stop_server,
    tiergate_bin,
    unique,
    write_random_file,
)
from test_boto3 import b64, error_code, http_status

KiB = 1024
UTC = timezone.utc
COLD_CLASS = "STANDARD_IA"
# How long a test waits for a scheduled (every 2 s) or manual pass to have done its work.
PASS_DEADLINE_S = 120
EXPIRATION = re.compile(r'^expiry-date="([^"]+)", rule-id="([^"]*)"$')


# ---------------------------------------------------------------------------------------------
# helpers


def put_rules(s3, bucket: str, rules: list, **kw) -> dict:
    return s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules}, **kw)


def get_rules(s3, bucket: str) -> list:
    return s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]


def no_lifecycle(s3, bucket: str) -> None:
    """GetBucketLifecycleConfiguration answers 404 NoSuchLifecycleConfiguration."""
    with pytest.raises(ClientError) as info:
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert error_code(info.value) == "NoSuchLifecycleConfiguration", info.value.response
    assert http_status(info.value) == 404


def tags_of(s3, bucket: str, key: str) -> dict:
    return {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]}


def tag_set(tags: dict) -> dict:
    return {"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}


def storage_class(head: dict) -> str:
    """HEAD's x-amz-storage-class; S3 leaves it out for STANDARD."""
    return head.get("StorageClass", "STANDARD")


def expiration(response: dict) -> tuple[datetime, str] | None:
    """x-amz-expiration as (expiry date, rule id), or None when the answer has none."""
    raw = response.get("Expiration")
    if raw is None:
        return None
    m = EXPIRATION.match(raw)
    assert m, f"x-amz-expiration is not expiry-date=\"…\", rule-id=\"…\": {raw!r}"
    assert m.group(1).endswith(" 00:00:00 GMT"), f"an expiry date is a midnight GMT: {raw!r}"
    return parsedate_to_datetime(m.group(1)), m.group(2)


def midnight(d: date) -> datetime:
    return datetime.combine(d, dtime(0), tzinfo=UTC)


def expiry_after(created: datetime, days: int) -> datetime:
    """AWS's rule: creation time plus `days`, rounded up to the next midnight UTC."""
    return midnight(created.astimezone(UTC).date() + timedelta(days=days + 1))


def as_datetime(v) -> datetime:
    if isinstance(v, datetime):
        return v.astimezone(UTC)
    try:
        return datetime.fromisoformat(str(v).replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:  # a header's HTTP date, as aws-cli prints HeadObject's LastModified
        return parsedate_to_datetime(str(v)).astimezone(UTC)


def normalized(rules: list) -> list:
    """Rules compared in meaning: dates as instants, the tags of an And in key order."""

    def walk(v):
        if isinstance(v, dict):
            out = {}
            for k, x in v.items():
                if k == "Date":
                    out[k] = as_datetime(x)
                elif k == "Tags":
                    out[k] = sorted((walk(t) for t in x), key=lambda t: t["Key"])
                else:
                    out[k] = walk(x)
            return out
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v

    return walk(copy.deepcopy(rules))


def error_in_xml(r: requests.Response) -> str:
    return ET.fromstring(r.content).findtext("Code") or ""


def wait_for(what: str, check, deadline_s: float = PASS_DEADLINE_S, every_s: float = 0.5):
    """Polls `check()` until it returns a true value, at most `deadline_s`; fails naming `what`
    and the last value seen."""
    end = time.monotonic() + deadline_s
    last = None
    while time.monotonic() < end:
        last = check()
        if last and (not isinstance(last, tuple) or last[0]):
            return last
        time.sleep(every_s)
    pytest.fail(f"{what}: not within {deadline_s}s (last seen: {last!r})")


def head_state(s3, bucket: str, key: str) -> str:
    """An object's storage class, or "gone" when HEAD answers 404."""
    try:
        return storage_class(s3.head_object(Bucket=bucket, Key=key))
    except ClientError as e:
        if http_status(e) == 404:
            return "gone"
        raise


# ---------------------------------------------------------------------------------------------
# 1. lifecycle configuration: aws-cli round trip, refusals, ownership

ROUND_TRIP_RULES = [
    # The legacy form: a top-level Prefix, no Filter. GET gives it back the same way.
    {"ID": "legacy-logs", "Status": "Enabled", "Prefix": "logs/", "Expiration": {"Days": 30}},
    {
        "ID": "and-filter",
        "Status": "Enabled",
        "Filter": {
            "And": {
                "Prefix": "data/",
                "Tags": [{"Key": "tier", "Value": "cold"}, {"Key": "team", "Value": "blue sky"}],
                "ObjectSizeGreaterThan": 1024,
                "ObjectSizeLessThan": 1048576,
            }
        },
        "Transitions": [{"Days": 7, "StorageClass": COLD_CLASS}],
        "Expiration": {"Days": 365},
    },
    {
        "ID": "tag-only",
        "Status": "Disabled",
        "Filter": {"Tag": {"Key": "temp", "Value": "yes"}},
        "Expiration": {"Date": "2031-01-01T00:00:00Z"},
    },
    {
        "ID": "uploads",
        "Status": "Enabled",
        "Filter": {"Prefix": "uploads/"},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 3},
    },
    {
        "ID": "small-now",
        "Status": "Enabled",
        "Filter": {"ObjectSizeLessThan": 4096},
        "Transitions": [{"Days": 0, "StorageClass": COLD_CLASS}],
    },
    {
        "ID": "big",
        "Status": "Enabled",
        "Filter": {"ObjectSizeGreaterThan": 10485760},
        "Transitions": [{"Date": "2030-06-01T00:00:00Z", "StorageClass": COLD_CLASS}],
        "Expiration": {"Date": "2031-06-01T00:00:00Z"},
    },
    {"ID": "whole-bucket", "Status": "Enabled", "Filter": {}, "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}},
    # No ID: the gateway makes one.
    {"Status": "Enabled", "Filter": {"Prefix": "noid/"}, "Expiration": {"Days": 2}},
]


def test_aws_cli_lifecycle_round_trip_and_delete(user, clienthome, tmp_path):
    aws = lambda *a, **kw: user.aws(clienthome, *a, **kw)  # noqa: E731
    b = unique("lc-")
    aws("s3", "mb", f"s3://{b}")
    missing = aws("s3api", "get-bucket-lifecycle-configuration", "--bucket", b, check=False)
    assert missing.returncode != 0 and "NoSuchLifecycleConfiguration" in missing.stderr, missing.stderr

    doc = tmp_path / "lifecycle.json"
    doc.write_text(json.dumps({"Rules": ROUND_TRIP_RULES}))
    put = aws(
        "s3api", "put-bucket-lifecycle-configuration", "--bucket", b,
        "--lifecycle-configuration", f"file://{doc}", "--debug",
    )
    # aws-cli sends an integrity header on this PUT (S3 requires one); the gateway accepted it.
    sent = [line for line in put.stderr.splitlines() if "Sending http request" in line and "lifecycle" in line]
    assert sent and re.search(r"'(x-amz-checksum-[a-z0-9]+|Content-MD5)': ", sent[0]), sent or put.stderr[-3000:]
    assert json.loads(put.stdout or "{}").get("TransitionDefaultMinimumObjectSize") == "all_storage_classes_128K", put.stdout

    got = json.loads(aws("s3api", "get-bucket-lifecycle-configuration", "--bucket", b).stdout)
    assert got["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"
    rules = got["Rules"]
    assert len(rules) == len(ROUND_TRIP_RULES)
    generated = rules[-1].get("ID", "")
    assert 0 < len(generated) <= 255, rules[-1]
    assert generated not in {r.get("ID") for r in ROUND_TRIP_RULES}
    expected = copy.deepcopy(ROUND_TRIP_RULES)
    expected[-1]["ID"] = generated
    assert normalized(rules) == normalized(expected)

    # PUT replaces the whole configuration.
    doc.write_text(json.dumps({"Rules": [ROUND_TRIP_RULES[0]]}))
    aws("s3api", "put-bucket-lifecycle-configuration", "--bucket", b, "--lifecycle-configuration", f"file://{doc}")
    got = json.loads(aws("s3api", "get-bucket-lifecycle-configuration", "--bucket", b).stdout)
    assert normalized(got["Rules"]) == normalized([ROUND_TRIP_RULES[0]])

    aws("s3api", "delete-bucket-lifecycle", "--bucket", b)
    gone = aws("s3api", "get-bucket-lifecycle-configuration", "--bucket", b, check=False)
    assert gone.returncode != 0 and "NoSuchLifecycleConfiguration" in gone.stderr, gone.stderr
    # DeleteBucketLifecycle is 204 whether or not there is a configuration.
    aws("s3api", "delete-bucket-lifecycle", "--bucket", b)
    aws("s3", "rb", f"s3://{b}")


def test_boto3_lifecycle_put_answers_and_delete_status(s3, bucket):
    no_lifecycle(s3, bucket)
    r = s3.delete_bucket_lifecycle(Bucket=bucket)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    rule = {"ID": "r", "Status": "Enabled", "Filter": {"Prefix": "x/"}, "Expiration": {"Days": 1}}
    r = put_rules(s3, bucket, [rule], TransitionDefaultMinimumObjectSize="varies_by_storage_class")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert r["TransitionDefaultMinimumObjectSize"] == "varies_by_storage_class"
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert got["TransitionDefaultMinimumObjectSize"] == "varies_by_storage_class"
    assert got["Rules"] == [rule]
    # Without the header the default comes back.
    r = put_rules(s3, bucket, [rule])
    assert r["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"
    # Boundaries that are accepted: Transition Days 0, an ID of 255 characters, 1000 rules.
    edge = [
        {"ID": "i" * 255, "Status": "Enabled", "Filter": {"Prefix": "t/"}, "Transitions": [{"Days": 0, "StorageClass": COLD_CLASS}]},
    ]
    put_rules(s3, bucket, edge)
    assert get_rules(s3, bucket) == edge
    many = [{"ID": f"r{i}", "Status": "Enabled", "Filter": {"Prefix": f"p{i}/"}, "Expiration": {"Days": 1 + i}} for i in range(1000)]
    put_rules(s3, bucket, many)
    assert get_rules(s3, bucket) == many
    r = s3.delete_bucket_lifecycle(Bucket=bucket)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    no_lifecycle(s3, bucket)


def rule(**kw) -> dict:
    base = {"ID": "r", "Status": "Enabled", "Filter": {"Prefix": "p/"}}
    base.update(kw)
    return {k: v for k, v in base.items() if v is not None}


EXP1 = {"Days": 1}
MIDNIGHT_2030 = datetime(2030, 1, 1, tzinfo=UTC)
NOON_2030 = datetime(2030, 1, 1, 12, tzinfo=UTC)

REFUSALS = {
    # MalformedXML: the document breaks the schema.
    "prefix-and-filter": ("MalformedXML", [rule(Prefix="a/", Expiration=EXP1)]),
    "two-conditions-outside-and": ("MalformedXML", [rule(Filter={"Prefix": "a/", "ObjectSizeGreaterThan": 10}, Expiration=EXP1)]),
    "prefix-and-tag-outside-and": ("MalformedXML", [rule(Filter={"Prefix": "a/", "Tag": {"Key": "k", "Value": "v"}}, Expiration=EXP1)]),
    "bad-status": ("MalformedXML", [rule(Status="enabled", Expiration=EXP1)]),
    "expiration-days-and-date": ("MalformedXML", [rule(Expiration={"Days": 1, "Date": MIDNIGHT_2030})]),
    "transition-days-and-date": (
        "MalformedXML",
        [rule(Transitions=[{"Days": 1, "Date": MIDNIGHT_2030, "StorageClass": COLD_CLASS}])],
    ),
    # InvalidArgument: a value out of range.
    "expiration-days-0": ("InvalidArgument", [rule(Expiration={"Days": 0})]),
    "expiration-date-not-midnight": ("InvalidArgument", [rule(Expiration={"Date": NOON_2030})]),
    "transition-date-not-midnight": ("InvalidArgument", [rule(Transitions=[{"Date": NOON_2030, "StorageClass": COLD_CLASS}])]),
    "duplicate-id": ("InvalidArgument", [rule(ID="same", Expiration=EXP1), rule(ID="same", Filter={"Prefix": "q/"}, Expiration=EXP1)]),
    "id-over-255": ("InvalidArgument", [rule(ID="i" * 256, Expiration=EXP1)]),
    "over-1000-rules": ("InvalidArgument", [rule(ID=f"r{i}", Expiration=EXP1) for i in range(1001)]),
    "expiration-equal-to-transition": (
        "InvalidArgument",
        [rule(Transitions=[{"Days": 30, "StorageClass": COLD_CLASS}], Expiration={"Days": 30})],
    ),
    "expiration-before-transition": (
        "InvalidArgument",
        [rule(Transitions=[{"Days": 30, "StorageClass": COLD_CLASS}], Expiration={"Days": 10})],
    ),
    "abort-days-0": ("InvalidArgument", [rule(AbortIncompleteMultipartUpload={"DaysAfterInitiation": 0})]),
    # InvalidRequest: things that cannot go together.
    "days-and-date-mixed-in-a-rule": (
        "InvalidRequest",
        [rule(Transitions=[{"Days": 1, "StorageClass": COLD_CLASS}], Expiration={"Date": MIDNIGHT_2030})],
    ),
    "tag-filter-with-abort": (
        "InvalidRequest",
        [rule(Filter={"Tag": {"Key": "k", "Value": "v"}}, AbortIncompleteMultipartUpload={"DaysAfterInitiation": 1})],
    ),
    "size-filter-with-abort": (
        "InvalidRequest",
        [rule(Filter={"ObjectSizeGreaterThan": 100}, AbortIncompleteMultipartUpload={"DaysAfterInitiation": 1})],
    ),
    "duplicate-tag-keys-in-and": (
        "InvalidRequest",
        [rule(Filter={"And": {"Prefix": "a/", "Tags": [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]}}, Expiration=EXP1)],
    ),
    "no-action": ("InvalidRequest", [rule()]),
    "noncurrent-version-expiration": ("InvalidRequest", [rule(NoncurrentVersionExpiration={"NoncurrentDays": 30})]),
    "noncurrent-version-transition": (
        "InvalidRequest",
        [rule(NoncurrentVersionTransitions=[{"NoncurrentDays": 30, "StorageClass": COLD_CLASS}])],
    ),
    "expired-object-delete-marker": ("InvalidRequest", [rule(Expiration={"ExpiredObjectDeleteMarker": True})]),
    # InvalidStorageClass: transitions go to the cold tier's class only.
    "transition-to-glacier": ("InvalidStorageClass", [rule(Transitions=[{"Days": 1, "StorageClass": "GLACIER"}])]),
    "transition-to-standard": ("InvalidStorageClass", [rule(Transitions=[{"Days": 1, "StorageClass": "STANDARD"}])]),
}


@pytest.mark.parametrize("case", list(REFUSALS), ids=list(REFUSALS))
def test_boto3_invalid_lifecycle_is_refused_with_aws_code_and_keeps_the_old_one(s3, bucket, case):
    code, rules = REFUSALS[case]
    kept = [{"ID": "kept", "Status": "Enabled", "Filter": {"Prefix": "kept/"}, "Expiration": {"Days": 5}}]
    put_rules(s3, bucket, kept)
    with pytest.raises(ClientError) as info:
        put_rules(s3, bucket, rules)
    assert (error_code(info.value), http_status(info.value)) == (code, 400), info.value.response
    assert get_rules(s3, bucket) == kept


def test_an_unknown_default_minimum_object_size_is_refused(s3, bucket):
    with pytest.raises(ClientError) as info:
        put_rules(s3, bucket, [rule(Expiration=EXP1)], TransitionDefaultMinimumObjectSize="all_storage_classes_64K")
    assert (error_code(info.value), http_status(info.value)) == ("InvalidRequest", 400), info.value.response
    no_lifecycle(s3, bucket)


@pytest.mark.parametrize(
    "case,code",
    [("prefix-and-filter", "MalformedXML"), ("transition-to-glacier", "InvalidStorageClass"), ("duplicate-id", "InvalidArgument")],
)
def test_aws_cli_invalid_lifecycle_is_refused_with_aws_code(user, clienthome, tmp_path, case, code):
    b = unique("lcbad-")
    user.aws(clienthome, "s3", "mb", f"s3://{b}")
    doc = tmp_path / "bad.json"

    def jsonable(v):
        return v.isoformat() if isinstance(v, datetime) else v

    doc.write_text(json.dumps({"Rules": REFUSALS[case][1]}, default=jsonable))
    out = user.aws(
        clienthome, "s3api", "put-bucket-lifecycle-configuration", "--bucket", b,
        "--lifecycle-configuration", f"file://{doc}", check=False,
    )
    assert out.returncode != 0
    assert f"({code})" in out.stderr, out.stderr
    missing = user.aws(clienthome, "s3api", "get-bucket-lifecycle-configuration", "--bucket", b, check=False)
    assert "NoSuchLifecycleConfiguration" in missing.stderr, missing.stderr
    user.aws(clienthome, "s3", "rb", f"s3://{b}")


def lifecycle_body(rule_xml: str) -> bytes:
    return f'<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule>{rule_xml}</Rule></LifecycleConfiguration>'.encode()


def test_a_lifecycle_put_with_a_wrong_digest_stores_nothing(user, s3, bucket):
    body = lifecycle_body("<ID>r</ID><Status>Enabled</Status><Filter><Prefix>a/</Prefix></Filter><Expiration><Days>1</Days></Expiration>")
    r = signed_request(user, "PUT", f"/{bucket}?lifecycle", body, {"Content-MD5": b64(hashlib.md5(b"other").digest())})
    assert r.status_code == 400, r.text
    assert error_in_xml(r) == "BadDigest", r.text
    no_lifecycle(s3, bucket)
    # The right digest: stored.
    r = signed_request(user, "PUT", f"/{bucket}?lifecycle", body, {"Content-MD5": b64(hashlib.md5(body).digest())})
    assert r.status_code == 200, r.text
    assert r.headers.get("x-amz-transition-default-minimum-object-size") == "all_storage_classes_128K", r.headers
    assert [x["ID"] for x in get_rules(s3, bucket)] == ["r"]


def test_only_the_owner_sees_or_changes_a_lifecycle(server, s3, bucket):
    mine = [{"ID": "mine", "Status": "Enabled", "Filter": {"Prefix": "a/"}, "Expiration": {"Days": 3}}]
    put_rules(s3, bucket, mine)
    other = server.signup_login().s3()
    for call in (
        lambda: other.get_bucket_lifecycle_configuration(Bucket=bucket),
        lambda: put_rules(other, bucket, [{"ID": "theirs", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}}]),
        lambda: other.delete_bucket_lifecycle(Bucket=bucket),
    ):
        with pytest.raises(ClientError) as info:
            call()
        assert (error_code(info.value), http_status(info.value)) == ("NoSuchBucket", 404), info.value.response
    assert get_rules(s3, bucket) == mine


# ---------------------------------------------------------------------------------------------
# 2. object tagging


def test_tagging_on_put_get_head_and_the_tagging_api(s3, bucket):
    put = s3.put_object(Bucket=bucket, Key="t/obj", Body=b"tagged", Tagging="a=1&b=two%20words")
    assert sorted(s3.get_object_tagging(Bucket=bucket, Key="t/obj")["TagSet"], key=lambda t: t["Key"]) == [
        {"Key": "a", "Value": "1"},
        {"Key": "b", "Value": "two words"},
    ]
    head = s3.head_object(Bucket=bucket, Key="t/obj")
    assert head["ResponseMetadata"]["HTTPHeaders"].get("x-amz-tagging-count") == "2"
    assert head.get("TagCount") == 2
    got = s3.get_object(Bucket=bucket, Key="t/obj")
    assert got["TagCount"] == 2 and got["Body"].read() == b"tagged"

    # PutObjectTagging replaces the set; tags change neither the ETag nor Last-Modified.
    r = s3.put_object_tagging(Bucket=bucket, Key="t/obj", Tagging=tag_set({"c": "3"}))
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert tags_of(s3, bucket, "t/obj") == {"c": "3"}
    after = s3.head_object(Bucket=bucket, Key="t/obj")
    assert after["TagCount"] == 1
    assert (after["ETag"], after["LastModified"]) == (put["ETag"], head["LastModified"])

    # Every character AWS allows, and the longest key and value.
    allowed = {"k+-=._:/@ é": "Ab9 +-=._:/@", "K" * 128: "v" * 256, "empty": ""}
    s3.put_object_tagging(Bucket=bucket, Key="t/obj", Tagging=tag_set(allowed))
    assert tags_of(s3, bucket, "t/obj") == allowed

    # An empty TagSet is a valid set: no tags.
    s3.put_object_tagging(Bucket=bucket, Key="t/obj", Tagging={"TagSet": []})
    assert tags_of(s3, bucket, "t/obj") == {}
    s3.put_object_tagging(Bucket=bucket, Key="t/obj", Tagging=tag_set({"d": "4"}))
    r = s3.delete_object_tagging(Bucket=bucket, Key="t/obj")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.get_object_tagging(Bucket=bucket, Key="t/obj")["TagSet"] == []
    head = s3.head_object(Bucket=bucket, Key="t/obj")
    assert "TagCount" not in head and "x-amz-tagging-count" not in head["ResponseMetadata"]["HTTPHeaders"]
    assert "TagCount" not in s3.get_object(Bucket=bucket, Key="t/obj")

    # Overwriting an object replaces its tags too (none given: none kept).
    s3.put_object(Bucket=bucket, Key="t/obj", Body=b"x", Tagging="z=26")
    s3.put_object(Bucket=bucket, Key="t/obj", Body=b"y")
    assert tags_of(s3, bucket, "t/obj") == {}

    for call in (
        lambda: s3.get_object_tagging(Bucket=bucket, Key="t/none"),
        lambda: s3.put_object_tagging(Bucket=bucket, Key="t/none", Tagging=tag_set({"a": "1"})),
        lambda: s3.delete_object_tagging(Bucket=bucket, Key="t/none"),
    ):
        with pytest.raises(ClientError) as info:
            call()
        assert (error_code(info.value), http_status(info.value)) == ("NoSuchKey", 404)


def test_copy_object_tagging_directives(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"source", Tagging="keep=me&n=1")
    source = {"Bucket": bucket, "Key": "src"}
    s3.copy_object(Bucket=bucket, Key="default", CopySource=source)
    assert tags_of(s3, bucket, "default") == {"keep": "me", "n": "1"}
    s3.copy_object(Bucket=bucket, Key="copied", CopySource=source, TaggingDirective="COPY")
    assert tags_of(s3, bucket, "copied") == {"keep": "me", "n": "1"}
    # COPY ignores a Tagging sent with it.
    s3.copy_object(Bucket=bucket, Key="copied2", CopySource=source, TaggingDirective="COPY", Tagging="x=y")
    assert tags_of(s3, bucket, "copied2") == {"keep": "me", "n": "1"}
    s3.copy_object(Bucket=bucket, Key="replaced", CopySource=source, TaggingDirective="REPLACE", Tagging="x=y&w=a%2Fb")
    assert tags_of(s3, bucket, "replaced") == {"x": "y", "w": "a/b"}
    s3.copy_object(Bucket=bucket, Key="bare", CopySource=source, TaggingDirective="REPLACE")
    assert tags_of(s3, bucket, "bare") == {}
    assert "TagCount" not in s3.head_object(Bucket=bucket, Key="bare")
    # The source's tags are untouched.
    assert tags_of(s3, bucket, "src") == {"keep": "me", "n": "1"}


def test_multipart_upload_tags_apply_on_completion(s3, bucket):
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", Tagging="m=1&n=two")["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=b"p" * 1000)["ETag"]
    with pytest.raises(ClientError) as info:
        s3.get_object_tagging(Bucket=bucket, Key="mp")
    assert error_code(info.value) == "NoSuchKey"
    s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part}]}
    )
    assert tags_of(s3, bucket, "mp") == {"m": "1", "n": "two"}
    assert s3.head_object(Bucket=bucket, Key="mp")["TagCount"] == 2
    # A multipart upload with bad tags is refused when it is created.
    with pytest.raises(ClientError) as info:
        s3.create_multipart_upload(Bucket=bucket, Key="mp-bad", Tagging="aws:x=1")
    assert error_code(info.value) == "InvalidTag"
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


ELEVEN = {f"k{i}": "v" for i in range(11)}
INVALID_TAG_SETS = {
    "eleven-tags": ELEVEN,
    "aws-prefix": {"aws:created": "1"},
    "aws-prefix-upper": {"AWS:Created": "1"},
    "key-129": {"k" * 129: "v"},
    "value-257": {"k": "v" * 257},
    "comma": {"k": "a,b"},
    "percent": {"k": "a%b"},
}


@pytest.mark.parametrize("case", list(INVALID_TAG_SETS), ids=list(INVALID_TAG_SETS))
def test_invalid_tags_are_invalid_tag_and_change_nothing(s3, bucket, case):
    from urllib.parse import urlencode

    tags = INVALID_TAG_SETS[case]
    s3.put_object(Bucket=bucket, Key="o", Body=b"o", Tagging="ok=1")
    with pytest.raises(ClientError) as info:
        s3.put_object_tagging(Bucket=bucket, Key="o", Tagging=tag_set(tags))
    assert (error_code(info.value), http_status(info.value)) == ("InvalidTag", 400), info.value.response
    assert tags_of(s3, bucket, "o") == {"ok": "1"}
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket=bucket, Key="new", Body=b"n", Tagging=urlencode(tags))
    assert (error_code(info.value), http_status(info.value)) == ("InvalidTag", 400), info.value.response
    with pytest.raises(ClientError) as info:
        s3.head_object(Bucket=bucket, Key="new")
    assert http_status(info.value) == 404


@pytest.mark.parametrize("header", ["a=1&a=2", "="], ids=["duplicate-key", "empty-key"])
def test_a_malformed_tagging_header_is_invalid_argument(s3, bucket, header):
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket=bucket, Key="h", Body=b"h", Tagging=header)
    assert (error_code(info.value), http_status(info.value)) == ("InvalidArgument", 400), info.value.response
    with pytest.raises(ClientError) as info:
        s3.head_object(Bucket=bucket, Key="h")
    assert http_status(info.value) == 404


def test_another_user_cannot_read_or_set_tags(server, user, s3, bucket):
    s3.put_object(Bucket=bucket, Key="secret", Body=b"s", Tagging="owner=me")
    s3.put_object(Bucket="files", Key="secret", Body=b"s", Tagging="owner=me")
    other = server.signup_login().s3()
    # Their namespace has no bucket of that name.
    for call in (
        lambda: other.get_object_tagging(Bucket=bucket, Key="secret"),
        lambda: other.put_object_tagging(Bucket=bucket, Key="secret", Tagging=tag_set({"owner": "them"})),
        lambda: other.delete_object_tagging(Bucket=bucket, Key="secret"),
    ):
        with pytest.raises(ClientError) as info:
            call()
        assert (error_code(info.value), http_status(info.value)) == ("NoSuchBucket", 404), info.value.response
    # Their own "files" does not hold the owner's object.
    for call in (
        lambda: other.get_object_tagging(Bucket="files", Key="secret"),
        lambda: other.put_object_tagging(Bucket="files", Key="secret", Tagging=tag_set({"owner": "them"})),
        lambda: other.delete_object_tagging(Bucket="files", Key="secret"),
    ):
        with pytest.raises(ClientError) as info:
            call()
        assert (error_code(info.value), http_status(info.value)) == ("NoSuchKey", 404), info.value.response
    assert tags_of(s3, bucket, "secret") == {"owner": "me"}
    assert tags_of(s3, "files", "secret") == {"owner": "me"}
    s3.delete_object(Bucket="files", Key="secret")


# ---------------------------------------------------------------------------------------------
# 4. x-amz-expiration


def test_x_amz_expiration_names_the_earliest_enabled_rule(s3, bucket):
    today = datetime.now(UTC).date()
    dated = midnight(today + timedelta(days=4))
    put_rules(
        s3,
        bucket,
        [
            {"ID": "docs-long", "Status": "Enabled", "Filter": {"Prefix": "docs/"}, "Expiration": {"Days": 10}},
            {"ID": "everything", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 40}},
            {"ID": "docs-off", "Status": "Disabled", "Filter": {"Prefix": "docs/"}, "Expiration": {"Days": 1}},
            {"ID": "tagged", "Status": "Enabled", "Filter": {"Tag": {"Key": "k", "Value": "v"}}, "Expiration": {"Days": 3}},
            {"ID": "dated", "Status": "Enabled", "Filter": {"Prefix": "dated/"}, "Expiration": {"Date": dated}},
            {"ID": "move-only", "Status": "Enabled", "Filter": {"Prefix": "docs/"}, "Transitions": [{"Days": 0, "StorageClass": COLD_CLASS}]},
        ],
    )

    def check(key: str, put_response: dict, expect: tuple[datetime, str] | None, days: int | None = None):
        head = s3.head_object(Bucket=bucket, Key=key)
        if days is not None:
            expect = (expiry_after(head["LastModified"], days), expect[1])
        assert expiration(put_response) == expect, (key, put_response.get("Expiration"))
        assert expiration(head) == expect, (key, head.get("Expiration"))
        got = s3.get_object(Bucket=bucket, Key=key)
        got["Body"].read()
        assert expiration(got) == expect, (key, got.get("Expiration"))

    check("docs/a", s3.put_object(Bucket=bucket, Key="docs/a", Body=b"a"), (None, "docs-long"), days=10)
    check("other/b", s3.put_object(Bucket=bucket, Key="other/b", Body=b"b"), (None, "everything"), days=40)
    check("other/t", s3.put_object(Bucket=bucket, Key="other/t", Body=b"t", Tagging="k=v"), (None, "tagged"), days=3)
    check("dated/c", s3.put_object(Bucket=bucket, Key="dated/c", Body=b"c"), (dated, "dated"))

    # Tags decide too: tagging other/b brings the 3-day rule in.
    s3.put_object_tagging(Bucket=bucket, Key="other/b", Tagging=tag_set({"k": "v"}))
    created = s3.head_object(Bucket=bucket, Key="other/b")["LastModified"]
    assert expiration(s3.head_object(Bucket=bucket, Key="other/b")) == (expiry_after(created, 3), "tagged")

    # CopyObject and CompleteMultipartUpload answer with it as well.
    # (The copy keeps other/b's tags, so the 3-day rule is the earliest for it too.)
    copied = s3.copy_object(Bucket=bucket, Key="docs/copy", CopySource={"Bucket": bucket, "Key": "other/b"})
    assert expiration(copied) == (expiry_after(copied["CopyObjectResult"]["LastModified"], 3), "tagged")
    replaced = s3.copy_object(
        Bucket=bucket, Key="docs/copy2", CopySource={"Bucket": bucket, "Key": "other/b"}, TaggingDirective="REPLACE"
    )
    assert expiration(replaced) == (expiry_after(replaced["CopyObjectResult"]["LastModified"], 10), "docs-long")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="docs/mp")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="docs/mp", UploadId=upload, PartNumber=1, Body=b"m")["ETag"]
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="docs/mp", UploadId=upload, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]}
    )
    check("docs/mp", done, (None, "docs-long"), days=10)

    # Only disabled or transition-only rules: no header.
    put_rules(
        s3,
        bucket,
        [
            {"ID": "off", "Status": "Disabled", "Filter": {}, "Expiration": {"Days": 1}},
            {"ID": "move", "Status": "Enabled", "Filter": {}, "Transitions": [{"Days": 1, "StorageClass": COLD_CLASS}]},
        ],
    )
    check("docs/a", s3.put_object(Bucket=bucket, Key="docs/a", Body=b"a2"), None)
    # And none once the configuration is gone.
    put_rules(s3, bucket, [{"ID": "all", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 2}}])
    assert expiration(s3.head_object(Bucket=bucket, Key="docs/a"))[1] == "all"
    s3.delete_bucket_lifecycle(Bucket=bucket)
    check("docs/a", s3.put_object(Bucket=bucket, Key="docs/a", Body=b"a3"), None)
    assert expiration(s3.head_object(Bucket=bucket, Key="other/b")) is None


def test_x_amz_expiration_for_a_legacy_prefix_rule_through_aws_cli(user, clienthome, tmp_path):
    aws = lambda *a, **kw: user.aws(clienthome, *a, **kw)  # noqa: E731
    b = unique("lcexp-")
    aws("s3", "mb", f"s3://{b}")
    doc = tmp_path / "lc.json"
    doc.write_text(json.dumps({"Rules": [{"ID": "rule with spaces", "Status": "Enabled", "Prefix": "logs/", "Expiration": {"Days": 7}}]}))
    aws("s3api", "put-bucket-lifecycle-configuration", "--bucket", b, "--lifecycle-configuration", f"file://{doc}")
    src = tmp_path / "f.txt"
    src.write_bytes(b"log line\n")
    put = json.loads(aws("s3api", "put-object", "--bucket", b, "--key", "logs/f.txt", "--body", str(src)).stdout)
    head = json.loads(aws("s3api", "head-object", "--bucket", b, "--key", "logs/f.txt").stdout)
    want = (expiry_after(as_datetime(head["LastModified"]), 7), "rule with spaces")
    assert expiration(put) == want
    assert expiration(head) == want
    other = json.loads(aws("s3api", "put-object", "--bucket", b, "--key", "data/f.txt", "--body", str(src)).stdout)
    assert "Expiration" not in other
    aws("s3", "rb", f"s3://{b}", "--force")


# ---------------------------------------------------------------------------------------------
# 3. the tiering pass follows the rules


@pytest.fixture
def fast_tiering(server, tmp_path):
    """A fresh server of the same configuration where a lifecycle day is one second and a pass
    runs every two seconds."""
    env = {"TIERGATE_TIERING__DAY_LENGTH": "1s", "TIERGATE_TIERING__SCHEDULE": "*/2 * * * * *"}
    workdir = tmp_path / "srv"
    workdir.mkdir()
    fresh = start_server(server.name, workdir, extra_env=env)
    yield fresh
    stop_server(fresh)


@pytest.fixture
def manual_tiering(server, tmp_path):
    """A fresh server where a lifecycle day is one second and no scheduled pass comes (once a
    year, 1 January): passes run only when the test asks."""
    env = {"TIERGATE_TIERING__DAY_LENGTH": "1s", "TIERGATE_TIERING__SCHEDULE": "0 0 0 1 1 *"}
    workdir = tmp_path / "srv"
    workdir.mkdir()
    fresh = start_server(server.name, workdir, extra_env=env)
    yield fresh
    stop_server(fresh)


def test_a_scheduled_pass_moves_expires_and_aborts_as_the_rules_say(fast_tiering, tmp_path):
    srv = fast_tiering
    user = srv.signup_login()
    s3 = user.s3()
    home = tmp_path / "home"
    aws = lambda *a, **kw: user.aws(home, *a, **kw)  # noqa: E731
    b = unique("tier-")
    aws("s3", "mb", f"s3://{b}")
    # The rules come first: a bucket without rules is the default policy's ("all": every hot
    # object moves), which would move keep/ too.
    after_1 = [{"Days": 1, "StorageClass": COLD_CLASS}]
    doc = tmp_path / "lc.json"
    doc.write_text(
        json.dumps(
            {
                "Rules": [
                    {
                        "ID": "cold-after-1",
                        "Status": "Enabled",
                        "Filter": {"And": {"Prefix": "cold/", "ObjectSizeGreaterThan": 0}},
                        "Transitions": after_1,
                    },
                    {"ID": "tmp-expires", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}},
                    {"ID": "plain-after-1", "Status": "Enabled", "Filter": {"Prefix": "plain/"}, "Transitions": after_1},
                    {
                        "ID": "tagged-after-1",
                        "Status": "Enabled",
                        "Filter": {"And": {"Prefix": "t/", "Tags": [{"Key": "tier", "Value": "cold"}], "ObjectSizeGreaterThan": 0}},
                        "Transitions": after_1,
                    },
                    {
                        "ID": "off",
                        "Status": "Disabled",
                        "Filter": {"And": {"Prefix": "off/", "ObjectSizeGreaterThan": 0}},
                        "Transitions": [{"Days": 0, "StorageClass": COLD_CLASS}],
                        "Expiration": {"Days": 1},
                    },
                    {"ID": "old-by-date", "Status": "Enabled", "Prefix": "old/", "Expiration": {"Date": "2020-01-01T00:00:00Z"}},
                    {
                        "ID": "abort-uploads",
                        "Status": "Enabled",
                        "Filter": {"Prefix": "uploads/"},
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                    },
                ]
            }
        )
    )
    aws("s3api", "put-bucket-lifecycle-configuration", "--bucket", b, "--lifecycle-configuration", f"file://{doc}")

    # What must stay is written first: once what moves has moved, every pass that could have
    # touched it has run.
    stays = {
        "keep/big.bin": 200 * KiB,  # no rule (the bucket has rules: the default policy does not apply)
        "plain/small.bin": 1 * KiB,  # a rule without a size filter: under 128 KiB does not move
        "cold/empty": 0,  # ObjectSizeGreaterThan 0: an empty object does not match
        "t/hot.bin": 1000,  # tagged tier=hot
        "t/untagged.bin": 1000,
        "off/x.bin": 1000,  # a disabled rule
    }
    moves = {
        "cold/small.bin": 1000,  # the filter names a size: moves whatever it is
        "cold/big.bin": 300 * KiB,
        "plain/big.bin": 200 * KiB,  # no size filter, 128 KiB or more: moves
        "t/cold.bin": 1000,  # tagged tier=cold
    }
    expires = {"tmp/a.txt": 10, "tmp/b.bin": 150 * KiB, "old/x.txt": 10}
    tagging = {"t/hot.bin": "tier=hot", "t/cold.bin": "tier=cold&keep=me"}
    local = {}
    for i, (key, size) in enumerate({**stays, **moves, **expires}.items()):
        local[key] = write_random_file(tmp_path / "up" / key, size, seed=100 + i)

    def upload(key: str) -> None:
        if key in tagging:  # aws s3 cp sends no tags: s3api put-object does
            aws("s3api", "put-object", "--bucket", b, "--key", key, "--body", str(local[key]), "--tagging", tagging[key])
        else:
            aws("s3", "cp", str(local[key]), f"s3://{b}/{key}")

    for key in stays:
        upload(key)
    # A multipart upload outside the abort rule's prefix, which must stay.
    kept_upload = s3.create_multipart_upload(Bucket=b, Key="keep/unfinished")["UploadId"]
    # A bucket without rules: the default policy ("all") moves its objects, small ones too.
    no_rules = unique("norules-")
    aws("s3", "mb", f"s3://{no_rules}")
    aws("s3", "cp", str(local["plain/small.bin"]), f"s3://{no_rules}/small.bin")
    for key in [*moves, *expires]:
        upload(key)
    aborted_upload = s3.create_multipart_upload(Bucket=b, Key="uploads/unfinished")["UploadId"]
    s3.upload_part(Bucket=b, Key="uploads/unfinished", UploadId=aborted_upload, PartNumber=1, Body=b"part")

    def uploads() -> list:
        return sorted(u["Key"] for u in s3.list_multipart_uploads(Bucket=b).get("Uploads", []))

    def done():
        state = {k: head_state(s3, b, k) for k in [*moves, *expires]}
        state["(no rules) small.bin"] = head_state(s3, no_rules, "small.bin")
        ok = all(v == ("gone" if k in expires else COLD_CLASS) for k, v in state.items())
        return (ok and uploads() == ["keep/unfinished"], state, uploads())

    wait_for("the scheduled passes to move, expire and abort what the rules name", done)

    want = {k: "STANDARD" for k in stays}
    want.update({k: COLD_CLASS for k in moves})
    want.update({k: "gone" for k in expires})
    assert {k: head_state(s3, b, k) for k in want} == want
    listed = {o["Key"]: o["StorageClass"] for o in s3.list_objects_v2(Bucket=b)["Contents"]}
    assert listed == {k: v for k, v in want.items() if v != "gone"}
    assert uploads() == ["keep/unfinished"]
    with pytest.raises(ClientError) as info:
        s3.list_parts(Bucket=b, Key="uploads/unfinished", UploadId=aborted_upload)
    assert error_code(info.value) == "NoSuchUpload"

    # The bytes, ETags and tags are those that were written.
    down = tmp_path / "down"
    for key in [*moves, *stays]:
        aws("s3", "cp", f"s3://{b}/{key}", str(down / key))
        assert sha256_file(down / key) == sha256_file(local[key]), key
        head = s3.head_object(Bucket=b, Key=key)
        # Each went up in one PUT: its ETag is the MD5 of its bytes, before and after a move.
        assert head["ETag"] == '"%s"' % hashlib.md5(local[key].read_bytes()).hexdigest(), key
        assert head["ContentLength"] == local[key].stat().st_size
    assert tags_of(s3, b, "t/cold.bin") == {"tier": "cold", "keep": "me"}
    assert s3.head_object(Bucket=b, Key="t/cold.bin")["TagCount"] == 2
    assert storage_class(s3.get_object(Bucket=b, Key="cold/big.bin")) == COLD_CLASS
    # A copy of a cold object is a new STANDARD object that keeps the source's tags (COPY).
    s3.copy_object(Bucket=b, Key="copy/t.bin", CopySource={"Bucket": b, "Key": "t/cold.bin"})
    assert head_state(s3, b, "copy/t.bin") == "STANDARD"
    assert tags_of(s3, b, "copy/t.bin") == {"tier": "cold", "keep": "me"}
    assert s3.get_object(Bucket=b, Key="copy/t.bin")["Body"].read() == local["t/cold.bin"].read_bytes()
    aws("s3", "cp", f"s3://{no_rules}/small.bin", str(down / "no-rules.bin"))
    assert sha256_file(down / "no-rules.bin") == sha256_file(local["plain/small.bin"])

    s3.abort_multipart_upload(Bucket=b, Key="keep/unfinished", UploadId=kept_upload)
    aws("s3", "rb", f"s3://{b}", "--force")
    aws("s3", "rb", f"s3://{no_rules}", "--force")


def run_cli_pass(srv, *args: str) -> subprocess.CompletedProcess:
    """`tiergate tiering run-now` against the server's catalog and tiers (its environment)."""
    p = subprocess.run(
        [str(tiergate_bin()), "tiering", "run-now", *args],
        cwd=srv.workdir,
        env=dict(srv.env, TIERGATE_SERVER__LOG_LEVEL="warn"),
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert p.returncode == 0, f"run-now {args} exited {p.returncode}:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    return p


def test_run_now_from_the_cli_and_from_an_administrator(manual_tiering, tmp_path):
    srv = manual_tiering
    admin = srv.signup_login(ADMIN_EMAIL)
    user = srv.signup_login()
    s3 = user.s3()
    b = unique("now-")
    s3.create_bucket(Bucket=b)
    put_rules(
        s3,
        b,
        [
            {
                "ID": "move-now",
                "Status": "Enabled",
                "Filter": {"And": {"Prefix": "now/", "ObjectSizeGreaterThan": 0}},
                "Transitions": [{"Days": 0, "StorageClass": COLD_CLASS}],
            },
            {"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": "gone/"}, "Expiration": {"Days": 1}},
        ],
    )
    s3.put_object(Bucket=b, Key="now/a", Body=b"a" * 100)
    s3.put_object(Bucket=b, Key="gone/b", Body=b"b")
    s3.put_object(Bucket=b, Key="stay/c", Body=b"c" * (200 * KiB))

    # A dry run moves nothing; once both objects are due (a second or two) it names them both.
    want = sorted([f"would move    {b}/now/a  (100 bytes)", f"would expire  {b}/gone/b  (1 bytes)"])

    def dry():
        out = run_cli_pass(srv, "--dry-run").stdout
        lines = sorted(line for line in out.splitlines() if line.startswith("would "))
        return (lines == want, lines)

    wait_for("a dry run to list now/a and gone/b", dry, every_s=1)
    assert {k: head_state(s3, b, k) for k in ["now/a", "gone/b", "stay/c"]} == {
        "now/a": "STANDARD", "gone/b": "STANDARD", "stay/c": "STANDARD"
    }

    out = run_cli_pass(srv).stdout
    assert re.search(r": succeeded — \d+ candidates, 1 moved, 0 failed, 100 bytes moved, 1 expired, 0 uploads aborted", out), out
    assert {k: head_state(s3, b, k) for k in ["now/a", "gone/b", "stay/c"]} == {
        "now/a": COLD_CLASS, "gone/b": "gone", "stay/c": "STANDARD"
    }
    assert s3.get_object(Bucket=b, Key="now/a")["Body"].read() == b"a" * 100

    # An administrator's POST /api/tiering/run; a user may not.
    r = user.post("/api/tiering/run")
    assert r.status_code == 403, r.text
    s3.put_object(Bucket=b, Key="now/d", Body=b"d" * 10)

    def admin_pass():
        r = admin.post("/api/tiering/run")
        assert r.status_code == 202, r.text
        run_id = r.json()["run_id"]

        def finished():
            view = admin.get(f"/api/tiering/runs/{run_id}").json()
            return (view.get("finished_at") is not None, view)

        run = wait_for(f"run {run_id} to finish", finished, every_s=0.3)[1]
        return (head_state(s3, b, "now/d") == COLD_CLASS, run)

    run = wait_for("an administrator's pass to move now/d", admin_pass, every_s=1)[1]
    assert run["status"] == "succeeded" and run["trigger"] == "manual", run
    assert (run["moved"], run["failed"], run["bytes_moved"], run["expired"]) == (1, 0, 10, 0), run
    by_rule = {r["rule_id"]: r for r in run["rules"] if r["bucket"] == b}
    assert by_rule["move-now"]["moved"] == 1 and by_rule["move-now"]["bytes_moved"] == 10, run["rules"]
    assert head_state(s3, b, "stay/c") == "STANDARD"
