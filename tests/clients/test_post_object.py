"""Browser form uploads (PostObject) with a POST policy, as boto3's generate_presigned_post makes
them: the file is stored through the write path, every policy condition holds or the upload is
refused with nothing stored, success_action_status / _redirect are honoured, and a form signed
with Signature Version 2 is refused (server.allow_sigv2_post is off by default)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import requests

from conftest import HTTP_TIMEOUT_S
from test_boto3 import assert_missing


def post(presigned: dict, data: bytes, filename: str = "upload.bin", extra: dict | None = None) -> requests.Response:
    fields = dict(presigned["fields"], **(extra or {}))
    return requests.post(
        presigned["url"],
        data=fields,
        files={"file": (filename, data)},
        allow_redirects=False,
        timeout=HTTP_TIMEOUT_S,
    )


def redirect_form(s3, bucket: str, key: str, redirect: str) -> dict:
    """A form whose policy names `redirect` as its success_action_redirect."""
    return s3.generate_presigned_post(
        bucket,
        key,
        Fields={"success_action_redirect": redirect},
        Conditions=[{"success_action_redirect": redirect}],
        ExpiresIn=300,
    )


def error_of(r: requests.Response) -> str:
    return ET.fromstring(r.content).findtext("Code") or ""


def test_a_form_upload_is_stored_and_answers_as_asked(s3, bucket):
    form = s3.generate_presigned_post(bucket, "form/plain.txt", ExpiresIn=300)
    r = post(form, b"from a browser form")
    assert r.status_code == 204, r.text
    got = s3.get_object(Bucket=bucket, Key="form/plain.txt")
    assert got["Body"].read() == b"from a browser form"
    assert got["ETag"].strip('"') == hashlib.md5(b"from a browser form").hexdigest()

    form = s3.generate_presigned_post(
        bucket,
        "form/created.txt",
        Fields={"success_action_status": "201", "Content-Type": "text/plain"},
        Conditions=[{"success_action_status": "201"}, {"Content-Type": "text/plain"}],
        ExpiresIn=300,
    )
    r = post(form, b"created")
    assert r.status_code == 201, r.text
    answer = ET.fromstring(r.content)
    assert answer.findtext("Key") == "form/created.txt" and answer.findtext("Bucket") == bucket, r.text
    assert s3.head_object(Bucket=bucket, Key="form/created.txt")["ContentType"] == "text/plain"

    r = post(redirect_form(s3, bucket, "form/redirected.txt", "https://example.com/done"), b"redirected")
    assert r.status_code == 303, r.text
    assert r.headers["Location"].startswith("https://example.com/done?"), r.headers
    assert "key=form%2Fredirected.txt" in r.headers["Location"]


def test_the_file_name_goes_into_the_key(s3, bucket):
    form = s3.generate_presigned_post(
        bucket, "uploads/${filename}", Conditions=[["starts-with", "$key", "uploads/"]], ExpiresIn=300
    )
    r = post(form, b"named", filename="photo.jpg")
    assert r.status_code == 204, r.text
    assert s3.get_object(Bucket=bucket, Key="uploads/photo.jpg")["Body"].read() == b"named"


def test_a_form_that_breaks_its_policy_stores_nothing(s3, bucket):
    # A key outside the starts-with condition.
    form = s3.generate_presigned_post(
        bucket, "uploads/ok", Conditions=[["starts-with", "$key", "uploads/"]], ExpiresIn=300
    )
    r = post(form, b"x", extra={"key": "elsewhere/evil"})
    assert r.status_code == 403, r.text
    assert_missing(s3, bucket, "elsewhere/evil")

    # A file larger than content-length-range allows, and one smaller.
    form = s3.generate_presigned_post(
        bucket, "sized", Conditions=[["content-length-range", 5, 10]], ExpiresIn=300
    )
    r = post(form, b"x" * 11)
    assert r.status_code == 400 and error_of(r) == "EntityTooLarge", r.text
    r = post(form, b"x" * 4)
    assert r.status_code == 400 and error_of(r) == "EntityTooSmall", r.text
    assert_missing(s3, bucket, "sized")

    # A field the policy does not cover.
    form = s3.generate_presigned_post(bucket, "extra", ExpiresIn=300)
    r = post(form, b"x", extra={"x-amz-meta-sneaky": "1"})
    assert r.status_code == 403, r.text
    assert_missing(s3, bucket, "extra")

    # An expired policy.
    form = s3.generate_presigned_post(bucket, "late", ExpiresIn=-10)
    r = post(form, b"x")
    assert r.status_code == 403, r.text
    assert_missing(s3, bucket, "late")

    # A tampered signature.
    form = s3.generate_presigned_post(bucket, "forged", ExpiresIn=300)
    form["fields"]["x-amz-signature"] = "0" * 64
    r = post(form, b"x")
    assert r.status_code == 403, r.text
    assert_missing(s3, bucket, "forged")


def test_a_form_upload_to_another_users_bucket_is_refused(server, bucket, fresh_user):
    other = fresh_user.s3()
    form = other.generate_presigned_post(bucket, "intruder", ExpiresIn=300)
    r = post(form, b"x")
    assert r.status_code == 404 and error_of(r) == "NoSuchBucket", r.text


def test_a_sigv2_form_is_refused_by_default(user, s3, bucket):
    expiry = (datetime.now(timezone.utc) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    policy = base64.b64encode(
        json.dumps({"expiration": expiry, "conditions": [{"bucket": bucket}, ["starts-with", "$key", ""]]}).encode()
    ).decode()
    signature = base64.b64encode(hmac.new(user.secret_access_key.encode(), policy.encode(), hashlib.sha1).digest()).decode()
    fields = {"key": "v2", "AWSAccessKeyId": user.access_key_id, "policy": policy, "signature": signature}
    r = requests.post(f"{user.server.gateway}/{bucket}", data=fields, files={"file": ("f", b"x")}, timeout=HTTP_TIMEOUT_S)
    assert r.status_code == 403, r.text
    assert_missing(s3, bucket, "v2")


def test_a_redirect_that_is_no_url_is_refused_before_the_file_is_stored(s3, bucket):
    r = post(redirect_form(s3, bucket, "badredirect", "not a url"), b"x")
    assert r.status_code == 400, r.text
    assert_missing(s3, bucket, "badredirect")


def test_a_form_x_amz_tagging_field_tags_the_object(s3, bucket):
    """A form's `x-amz-tagging` field (k=v&…, as the header) tags the object, with the header's
    limits; a bad one stores nothing. (AWS's `tagging` field, a <Tagging> document, is dropped by
    s3s 0.17 before Tiergate sees it: see gateway/src/post.rs.)"""
    form = s3.generate_presigned_post(
        bucket, "form/tagged.txt", Fields={"x-amz-tagging": "team=blue&n=1"}, Conditions=[{"x-amz-tagging": "team=blue&n=1"}], ExpiresIn=300
    )
    r = post(form, b"tagged")
    assert r.status_code == 204, r.text
    tags = s3.get_object_tagging(Bucket=bucket, Key="form/tagged.txt")["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("n", "1"), ("team", "blue")]

    form = s3.generate_presigned_post(
        bucket, "form/bad-tags.txt", Fields={"x-amz-tagging": "aws:x=1"}, Conditions=[{"x-amz-tagging": "aws:x=1"}], ExpiresIn=300
    )
    r = post(form, b"never stored")
    assert r.status_code == 400 and error_of(r) == "InvalidTag", r.text
    assert_missing(s3, bucket, "form/bad-tags.txt")
