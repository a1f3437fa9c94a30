"""Credentials a user gets: temporary ones from the REST API, long-lived keys (and their
revocation), and STS AssumeRoleWithWebIdentity on the gateway endpoint."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import REGION, s3_client

ROLE_ARN = "arn:aws:iam::000000000000:role/tiergate"


def sts_client(server):
    return boto3.client(
        "sts",
        endpoint_url=server.gateway,
        region_name=REGION,
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1, "mode": "standard"}),
    )


def bucket_names(s3) -> list[str]:
    return [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_temporary_credentials(fresh_user):
    creds = fresh_user.credentials
    assert creds["region"] == REGION
    assert creds["endpoint"].rstrip("/") == fresh_user.server.gateway
    expiration = datetime.fromisoformat(creds["expiration"].replace("Z", "+00:00"))
    assert expiration > datetime.now(timezone.utc)

    s3 = fresh_user.s3()
    assert bucket_names(s3) == ["files"]
    s3.put_object(Bucket="files", Key="temp.txt", Body=b"temporary")
    assert s3.get_object(Bucket="files", Key="temp.txt")["Body"].read() == b"temporary"


def test_long_lived_key_and_revocation(fresh_user):
    r = fresh_user.post("/api/keys", json={"description": "client suite"})
    assert r.status_code == 201, r.text
    key = r.json()
    s3 = s3_client(fresh_user.server, key["access_key_id"], key["secret_access_key"])
    assert "files" in bucket_names(s3)
    s3.put_object(Bucket="files", Key="by-key.txt", Body=b"long-lived")
    assert s3.get_object(Bucket="files", Key="by-key.txt")["Body"].read() == b"long-lived"

    r = fresh_user.delete(f"/api/keys/{key['id']}")
    assert r.status_code == 204, r.text

    for call in (lambda: s3.list_buckets(), lambda: s3.get_object(Bucket="files", Key="by-key.txt")):
        with pytest.raises(ClientError) as info:
            call()
        err = info.value.response
        assert err["Error"]["Code"] == "InvalidAccessKeyId" or err["ResponseMetadata"]["HTTPStatusCode"] == 403, err
    # the user's other credentials still work
    assert fresh_user.s3().get_object(Bucket="files", Key="by-key.txt")["Body"].read() == b"long-lived"


def test_foreign_bucket_is_invisible(server, fresh_user):
    other = server.signup_login()
    fresh_user.s3().put_object(Bucket="files", Key="mine.txt", Body=b"private")
    s3 = other.s3()
    with pytest.raises(ClientError):
        s3.get_object(Bucket="files", Key="mine.txt")  # their own "files" has no such key
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="files").get("Contents", [])] == []


def test_sts_assume_role_with_web_identity(fresh_user):
    sts = sts_client(fresh_user.server)
    before = datetime.now(timezone.utc)
    res = sts.assume_role_with_web_identity(
        RoleArn=ROLE_ARN, RoleSessionName="client-suite", WebIdentityToken=fresh_user.token, DurationSeconds=900
    )
    c = res["Credentials"]
    assert c["AccessKeyId"] and c["SecretAccessKey"]
    expires = c["Expiration"]
    assert before + timedelta(seconds=900 - 60) <= expires <= before + timedelta(seconds=900 + 60), expires

    s3 = s3_client(fresh_user.server, c["AccessKeyId"], c["SecretAccessKey"], c.get("SessionToken"))
    assert "files" in bucket_names(s3)
    s3.put_object(Bucket="files", Key="sts.txt", Body=b"via sts")
    assert fresh_user.s3().get_object(Bucket="files", Key="sts.txt")["Body"].read() == b"via sts"

    # a longer duration is honoured too
    res = sts.assume_role_with_web_identity(
        RoleArn=ROLE_ARN, RoleSessionName="client-suite", WebIdentityToken=fresh_user.token, DurationSeconds=3000
    )
    expires = res["Credentials"]["Expiration"]
    now = datetime.now(timezone.utc)
    assert now + timedelta(seconds=3000 - 60) <= expires <= now + timedelta(seconds=3000 + 60), expires


def test_sts_bad_token_is_refused(server):
    sts = sts_client(server)
    with pytest.raises(ClientError) as info:
        sts.assume_role_with_web_identity(RoleArn=ROLE_ARN, RoleSessionName="client-suite", WebIdentityToken="not-a-jwt" * 3)
    assert info.value.response["Error"]["Code"] == "InvalidIdentityToken", info.value.response
