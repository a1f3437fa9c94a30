"""Quotas as real clients meet them: aws-cli's multipart `s3 cp`, boto3, a browser form
(PostObject) and rclone, each past its user's quota. Every refusal is S3's 403 QuotaExceeded
with the limit in the message; the client stops (no retry storm); nothing is left stored, no
object and no parts, and the user's usage is back where it was."""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import HTTP_TIMEOUT_S, write_random_file

MIB = 1024 * 1024


def user_id(user) -> int:
    return user.get("/api/auth/me").json()["user_id"]


def set_quota(admin, user, bytes_: int | None, objects: int | None = None) -> None:
    r = admin.put(f"/api/admin/users/{user_id(user)}/quota", json={"bytes": bytes_, "objects": objects})
    assert r.status_code == 200, r.text


def usage(user) -> dict:
    r = user.get("/api/usage")
    assert r.status_code == 200, r.text
    return r.json()["usage"]


@pytest.fixture
def limited(server, admin):
    """A fresh user with a 12 MiB quota, and their S3 client."""
    user = server.signup_login()
    set_quota(admin, user, 12 * MIB)
    return user, user.s3()


def test_boto3_put_past_the_quota_is_403_quota_exceeded_naming_the_limit(limited):
    user, s3 = limited
    s3.put_object(Bucket="files", Key="fits", Body=b"x" * (12 * MIB))
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket="files", Key="over", Body=b"y")
    err = e.value.response
    assert err["Error"]["Code"] == "QuotaExceeded"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "12582912 bytes" in err["Error"]["Message"]
    assert err["ResponseMetadata"]["RetryAttempts"] == 0, "a 403 is not retried"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="files").get("Contents", [])] == ["fits"]
    # Deleting makes room again.
    s3.delete_object(Bucket="files", Key="fits")
    s3.put_object(Bucket="files", Key="over", Body=b"y")
    assert usage(user)["bytes"] == 1


def test_aws_cli_multipart_copy_past_the_quota_fails_and_leaves_nothing(limited, clienthome, tmp_path):
    user, s3 = limited
    big = write_random_file(tmp_path / "big.bin", 20 * MIB, seed=13)
    out = user.aws(clienthome, "s3", "cp", str(big), "s3://files/big.bin", check=False)
    assert out.returncode != 0
    assert "QuotaExceeded" in out.stderr, out.stderr
    assert s3.list_objects_v2(Bucket="files").get("KeyCount", 0) == 0
    # aws-cli aborts its upload: no parts are left counting against the quota.
    assert s3.list_multipart_uploads(Bucket="files").get("Uploads", []) == []
    assert usage(user)["bytes"] == 0
    # A file that fits goes up in parts as usual.
    fits = write_random_file(tmp_path / "fits.bin", 10 * MIB, seed=14)
    user.aws(clienthome, "s3", "cp", str(fits), "s3://files/fits.bin")
    now = usage(user)
    assert (now["bytes"], now["objects"]) == (10 * MIB, 1)


def test_a_form_upload_past_the_quota_is_refused_and_stores_nothing(limited):
    user, s3 = limited
    s3.put_object(Bucket="files", Key="most", Body=b"x" * (12 * MIB - 10))
    form = s3.generate_presigned_post("files", "form.bin", ExpiresIn=300)
    r = requests.post(form["url"], data=form["fields"], files={"file": ("form.bin", b"z" * 11)}, timeout=HTTP_TIMEOUT_S)
    assert r.status_code == 403, r.text
    assert ET.fromstring(r.content).findtext("Code") == "QuotaExceeded"
    r = requests.post(form["url"], data=form["fields"], files={"file": ("form.bin", b"z" * 10)}, timeout=HTTP_TIMEOUT_S)
    assert r.status_code == 204, r.text
    assert usage(user)["bytes"] == 12 * MIB


def test_rclone_stops_at_the_quota_with_the_error(limited, clienthome, tmp_path):
    user, s3 = limited
    src = tmp_path / "src"
    src.mkdir()
    for i in range(3):
        write_random_file(src / f"f{i}.bin", 5 * MIB, seed=20 + i)
    out = user.rclone(clienthome, "copy", str(src), "tg:files/tree", "--transfers", "1", "--retries", "1", check=False)
    assert out.returncode != 0
    assert "QuotaExceeded" in out.stderr, out.stderr[-3000:]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="files").get("Contents", [])]
    assert len(keys) == 2, keys
    assert usage(user)["bytes"] == 10 * MIB
    assert s3.list_multipart_uploads(Bucket="files").get("Uploads", []) == []


def test_the_audit_log_records_quota_refusals_and_holds_no_secret(server, limited):
    user, s3 = limited
    s3.put_object(Bucket="files", Key="fits", Body=b"x" * (12 * MIB))
    with pytest.raises(ClientError):
        s3.put_object(Bucket="files", Key="audited-refusal", Body=b"y")
    log = server.workdir / "audit.log"
    events = []
    for _ in range(50):
        events = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
        if any(e.get("key") == "audited-refusal" for e in events):
            break
        time.sleep(0.1)
    refused = [e for e in events if e.get("key") == "audited-refusal"]
    assert refused and refused[0]["status"] == 403 and refused[0]["error"] == "QuotaExceeded"
    assert refused[0]["access_key_id"] == user.access_key_id
    text = log.read_text()
    for secret in (user.secret_access_key, user.token, "correct-horse-battery"):
        assert secret not in text
