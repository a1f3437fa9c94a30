"""Client fidelity, with the inputs other S3 servers' users reported as faults: conditional
writes that hold under concurrency (Terraform's lockfile; also across two gateway processes),
ranges on every surface over every form and small sizes (empty objects), every integrity value
on every body verified before it has an effect, session credentials bound to their session
token, S3's default Content-Type, and no public bucket."""

from __future__ import annotations

import base64
import hashlib
import threading
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import boto3
import pytest
import requests
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import HTTP_TIMEOUT_S, REGION, s3_client, signed_request, unique
from test_boto3 import assert_missing, crc32_b64, error_code, http_status, raw_trailer_put

WRITERS = 8
ROUNDS = 8


def race(calls) -> list:
    """Runs the calls at the same moment, one thread each; their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def status_of(call) -> int:
    try:
        call()
        return 200
    except ClientError as e:
        return http_status(e)


def clients(user, second_gateway) -> list:
    """One boto3 client per writer, half on each gateway process."""
    endpoints = [user.server.gateway, second_gateway]
    return [
        boto3.client(
            "s3",
            endpoint_url=endpoints[i % 2],
            aws_access_key_id=user.access_key_id,
            aws_secret_access_key=user.secret_access_key,
            config=Config(region_name=REGION, s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        )
        for i in range(WRITERS)
    ]


def assert_one_winner(statuses: list, what: str) -> int:
    winners = [i for i, s in enumerate(statuses) if s == 200]
    assert len(winners) == 1, f"{what}: {statuses}"
    assert all(s in (409, 412) for i, s in enumerate(statuses) if i != winners[0]), f"{what}: {statuses}"
    return winners[0]


# --------------------------------------------------------------------------- conditional writes


def test_put_if_none_match_has_one_winner(user, bucket, second_gateway):
    writers = clients(user, second_gateway)
    for r in range(ROUNDS):
        key = f"lock-{r}"
        calls = [
            (lambda c=c, i=i: status_of(lambda: c.put_object(Bucket=bucket, Key=key, Body=f"writer {i}".encode(), IfNoneMatch="*")))
            for i, c in enumerate(writers)
        ]
        winner = assert_one_winner(race(calls), f"round {r}")
        assert writers[0].get_object(Bucket=bucket, Key=key)["Body"].read() == f"writer {winner}".encode()


def test_put_if_match_has_one_winner(user, bucket, second_gateway):
    writers = clients(user, second_gateway)
    for r in range(ROUNDS):
        key = f"cas-{r}"
        etag = writers[0].put_object(Bucket=bucket, Key=key, Body=b"v0")["ETag"]
        calls = [
            (lambda c=c, i=i: status_of(lambda: c.put_object(Bucket=bucket, Key=key, Body=f"v1 by {i}".encode(), IfMatch=etag)))
            for i, c in enumerate(writers)
        ]
        winner = assert_one_winner(race(calls), f"round {r}")
        assert writers[0].get_object(Bucket=bucket, Key=key)["Body"].read() == f"v1 by {winner}".encode()
    with pytest.raises(ClientError) as info:
        writers[0].put_object(Bucket=bucket, Key="never-written", Body=b"x", IfMatch='"0123"')
    assert http_status(info.value) == 404, info.value.response


def test_complete_multipart_if_none_match_has_one_winner(user, bucket, second_gateway):
    writers = clients(user, second_gateway)
    for r in range(ROUNDS // 2):
        key = f"mpu-lock-{r}"
        uploads = []
        for i, c in enumerate(writers):
            upload_id = c.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
            etag = c.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=f"part by {i}".encode())["ETag"]
            uploads.append((c, upload_id, etag))
        calls = [
            (
                lambda c=c, u=u, e=e: status_of(
                    lambda: c.complete_multipart_upload(
                        Bucket=bucket,
                        Key=key,
                        UploadId=u,
                        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e}]},
                        IfNoneMatch="*",
                    )
                )
            )
            for c, u, e in uploads
        ]
        statuses = race(calls)
        winner = assert_one_winner(statuses, f"round {r}")
        assert writers[0].get_object(Bucket=bucket, Key=key)["Body"].read() == f"part by {winner}".encode()
        # A loser refused before it completed (412: the key exists) keeps its upload, as on AWS;
        # one that lost while completing (409 ConditionalRequestConflict) has no upload left.
        listed = {u["UploadId"] for u in writers[0].list_multipart_uploads(Bucket=bucket, Prefix=key).get("Uploads", [])}
        kept = {uploads[i][1] for i, s in enumerate(statuses) if s == 412}
        assert listed == kept, (statuses, listed, kept)
        for upload_id in kept:
            writers[0].abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)


def with_header(client, op: str, name: str, value: str):
    """Adds a header to every `op` request of `client` (for what boto3 has no parameter for)."""

    def add(request, **_):
        request.headers[name] = value

    client.meta.events.register(f"before-sign.s3.{op}", add)
    return client


def test_copy_if_none_match_has_one_winner(user, bucket, second_gateway):
    writers = [with_header(c, "CopyObject", "If-None-Match", "*") for c in clients(user, second_gateway)]
    for i in range(WRITERS):
        writers[0].put_object(Bucket=bucket, Key=f"src-{i}", Body=f"source {i}".encode())
    for r in range(ROUNDS // 2):
        key = f"copy-lock-{r}"
        calls = [
            (lambda c=c, i=i: status_of(lambda: c.copy_object(Bucket=bucket, Key=key, CopySource=f"{bucket}/src-{i}")))
            for i, c in enumerate(writers)
        ]
        winner = assert_one_winner(race(calls), f"round {r}")
        assert writers[0].get_object(Bucket=bucket, Key=key)["Body"].read() == f"source {winner}".encode()


def test_delete_if_match_only_deletes_that_version(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["ETag"]
    s3.put_object(Bucket=bucket, Key="k", Body=b"two")
    with pytest.raises(ClientError) as info:
        s3.delete_object(Bucket=bucket, Key="k", IfMatch=etag)
    assert http_status(info.value) == 412, info.value.response
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"two"
    # A key with no version is deleted already: 204, whatever the condition (as on S3).
    s3.delete_object(Bucket=bucket, Key="k")
    for condition in [{"IfMatch": etag}, {"IfMatch": "*"}, {"IfMatchSize": 3}]:
        r = s3.delete_object(Bucket=bucket, Key="k", **condition)
        assert r["ResponseMetadata"]["HTTPStatusCode"] == 204, condition


def test_delete_if_size_or_last_modified_time_match(s3, bucket):
    s3.put_object(Bucket=bucket, Key="sized", Body=b"12345")
    modified = s3.head_object(Bucket=bucket, Key="sized")["LastModified"]
    for condition in [{"IfMatchSize": 4}, {"IfMatchLastModifiedTime": modified - timedelta(seconds=1)}]:
        with pytest.raises(ClientError) as info:
            s3.delete_object(Bucket=bucket, Key="sized", **condition)
        assert http_status(info.value) == 412, (condition, info.value.response)
    s3.delete_object(Bucket=bucket, Key="sized", IfMatchSize=5, IfMatchLastModifiedTime=modified)
    assert_missing(s3, bucket, "sized")


def test_delete_objects_with_conditions_per_object(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="a", Body=b"aaa")["ETag"]
    s3.put_object(Bucket=bucket, Key="b", Body=b"bbb")
    r = s3.delete_objects(
        Bucket=bucket,
        Delete={"Objects": [{"Key": "a", "ETag": '"0123"'}, {"Key": "b", "Size": 2}]},
    )
    assert sorted((e["Key"], e["Code"]) for e in r["Errors"]) == [("a", "PreconditionFailed"), ("b", "PreconditionFailed")]
    assert s3.get_object(Bucket=bucket, Key="a")["Body"].read() == b"aaa"
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a", "ETag": etag}, {"Key": "b", "Size": 3}]})
    assert sorted(d["Key"] for d in r["Deleted"]) == ["a", "b"] and not r.get("Errors"), r
    assert_missing(s3, bucket, "a")
    assert_missing(s3, bucket, "b")


# --------------------------------------------------------------------------------------- ranges

SIZES = [0, 1, 2, 5]
EDGE = 7  # range ends from 0 to EDGE, past every size above


def range_forms() -> list[str]:
    forms = []
    for a in range(EDGE + 1):
        forms += [f"bytes=-{a}", f"bytes={a}-"]
        forms += [f"bytes={a}-{b}" for b in range(a, EDGE + 1)]
    return forms


def named_bytes(spec: str, size: int) -> tuple[int, int] | None:
    """The [start, end) a well-formed range names in an object of `size` bytes (RFC 9110),
    by brute force; None when it names no byte."""
    a, b = spec.removeprefix("bytes=").split("-")
    if a == "":
        picked = [i for i in range(size) if i + int(b) >= size]
    else:
        picked = [i for i in range(size) if i >= int(a) and (b == "" or i <= int(b))]
    return (picked[0], picked[-1] + 1) if picked else None


@pytest.fixture
def sized_objects(s3, bucket) -> dict[int, bytes]:
    data = {size: bytes((7 * i + 3) % 256 for i in range(size)) for size in SIZES}
    for size, content in data.items():
        s3.put_object(Bucket=bucket, Key=f"size-{size}", Body=content)
    return data


def test_get_and_head_ranges_of_every_form_and_size(s3, bucket, sized_objects):
    for size, content in sized_objects.items():
        for spec in range_forms():
            want = named_bytes(spec, size)
            key = f"size-{size}"
            if want is None:
                with pytest.raises(ClientError) as info:
                    s3.get_object(Bucket=bucket, Key=key, Range=spec)
                assert http_status(info.value) == 416, (spec, size, info.value.response)
                assert error_code(info.value) == "InvalidRange", (spec, size)
                headers = info.value.response["ResponseMetadata"]["HTTPHeaders"]
                assert headers.get("content-range") == f"bytes */{size}", (spec, size, headers)
                with pytest.raises(ClientError) as info:
                    s3.head_object(Bucket=bucket, Key=key, Range=spec)
                assert http_status(info.value) == 416, (spec, size, info.value.response)
                continue
            start, end = want
            got = s3.get_object(Bucket=bucket, Key=key, Range=spec)
            assert got["ResponseMetadata"]["HTTPStatusCode"] == 206, (spec, size)
            assert got["ContentRange"] == f"bytes {start}-{end - 1}/{size}", (spec, size)
            assert got["Body"].read() == content[start:end], (spec, size)
            head = s3.head_object(Bucket=bucket, Key=key, Range=spec)
            assert head["ResponseMetadata"]["HTTPStatusCode"] == 206, (spec, size)
            assert head["ContentLength"] == end - start, (spec, size)
            assert head["ContentRange"] == f"bytes {start}-{end - 1}/{size}", (spec, size)


def test_malformed_ranges_never_break_the_connection(user, s3, bucket, sized_objects):
    for size in SIZES:
        for spec in ["bytes=5-4", "bytes=a-b", "bytes=--1", "bytes=1-2,4-5", "items=0-1", "bytes=-", "bytes=99999999999999999999-"]:
            r = signed_request(user, "GET", f"/{bucket}/size-{size}", headers={"Range": spec})
            # Ignored (the whole object) or refused with an S3 error; never a dropped connection.
            assert r.status_code in (200, 400, 416), (spec, size, r.status_code, r.text)
            if r.status_code == 200:
                assert r.content == sized_objects[size], (spec, size)
            else:
                assert ET.fromstring(r.content).findtext("Code"), (spec, size, r.text)


def test_upload_part_copy_ranges_of_every_size(s3, bucket, sized_objects):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="copied-parts")["UploadId"]

    def copy(size: int, spec: str):
        return s3.upload_part_copy(
            Bucket=bucket,
            Key="copied-parts",
            UploadId=upload_id,
            PartNumber=1,
            CopySource=f"{bucket}/size-{size}",
            CopySourceRange=spec,
        )

    try:
        for size, content in sized_objects.items():
            for a in range(EDGE + 1):
                for b in range(a, EDGE + 1):
                    spec = f"bytes={a}-{b}"
                    if b < size:
                        part = copy(size, spec)["CopyPartResult"]
                        assert part["ETag"].strip('"') == hashlib.md5(content[a : b + 1]).hexdigest(), (spec, size)
                    else:
                        with pytest.raises(ClientError) as info:
                            copy(size, spec)
                        assert http_status(info.value) == 416, (spec, size, info.value.response)
                        assert error_code(info.value) == "InvalidRange", (spec, size)
                        headers = info.value.response["ResponseMetadata"]["HTTPHeaders"]
                        assert headers.get("content-range") == f"bytes */{size}", (spec, size, headers)
            # A copy source range names both ends: other forms are malformed.
            for spec in ["bytes=-1", "bytes=0-", "bytes=1-0"]:
                with pytest.raises(ClientError) as info:
                    copy(size, spec)
                assert error_code(info.value) == "InvalidArgument", (spec, size)
    finally:
        s3.abort_multipart_upload(Bucket=bucket, Key="copied-parts", UploadId=upload_id)


def test_rest_download_ranges_of_every_form_and_size(fresh_user):
    for size in SIZES:
        content = bytes((5 * i + 1) % 256 for i in range(size))
        up = fresh_user.post("/api/files/upload", files={"file": (f"r{size}.bin", content)})
        assert up.status_code == 201, up.text
        link = fresh_user.get(f"/api/files/{up.json()['id']}/download?redirect=false").json()["url"]
        if not link.startswith(fresh_user.server.api):
            pytest.skip("the hot tier serves its own download links (presigned MinIO URLs)")
        for spec in range_forms():
            r = requests.get(link, headers={"Range": spec}, timeout=HTTP_TIMEOUT_S)
            want = named_bytes(spec, size)
            if want is None:
                assert r.status_code == 416, (spec, size, r.status_code)
                assert r.headers.get("content-range") == f"bytes */{size}", (spec, size)
                assert r.json()["error"]["code"] == "invalid_range"
            else:
                assert r.status_code == 206, (spec, size, r.status_code)
                assert r.content == content[want[0] : want[1]], (spec, size)


# ------------------------------------------------------------------------- integrity of bodies


def delete_body(*keys: str) -> bytes:
    return ("<Delete>" + "".join(f"<Object><Key>{k}</Key></Object>" for k in keys) + "</Delete>").encode()


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize(
    "header",
    [
        ("x-amz-checksum-crc32", "AAAAAA=="),
        ("Content-MD5", b64(hashlib.md5(b"other").digest())),
        ("x-amz-checksum-sha256", b64(hashlib.sha256(b"other").digest())),
    ],
)
def test_delete_objects_with_a_wrong_integrity_value_deletes_nothing(user, s3, bucket, header):
    s3.put_object(Bucket=bucket, Key="k4", Body=b"keep me")
    r = signed_request(user, "POST", f"/{bucket}?delete", delete_body("k4"), {header[0]: header[1]})
    assert r.status_code == 400, r.text
    assert ET.fromstring(r.content).findtext("Code") == "BadDigest", r.text
    assert s3.get_object(Bucket=bucket, Key="k4")["Body"].read() == b"keep me"


def test_delete_objects_with_right_integrity_values_deletes(user, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k5", Body=b"x")
    body = delete_body("k5")
    headers = {"Content-MD5": b64(hashlib.md5(body).digest()), "x-amz-checksum-crc32": crc32_b64(body)}
    r = signed_request(user, "POST", f"/{bucket}?delete", body, headers)
    assert r.status_code == 200, r.text
    assert_missing(s3, bucket, "k5")


def test_invalid_content_md5_on_an_xml_body(user, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k6", Body=b"x")
    r = signed_request(user, "POST", f"/{bucket}?delete", delete_body("k6"), {"Content-MD5": "not base64!"})
    assert r.status_code == 400, r.text
    assert ET.fromstring(r.content).findtext("Code") == "InvalidDigest", r.text
    assert s3.get_object(Bucket=bucket, Key="k6")["Body"].read() == b"x"


def test_complete_multipart_with_a_wrong_content_md5_completes_nothing(user, s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mpu")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="mpu", UploadId=upload_id, PartNumber=1, Body=b"part")["ETag"]
    body = f"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>".encode()
    wrong = {"Content-MD5": b64(hashlib.md5(b"other").digest())}
    r = signed_request(user, "POST", f"/{bucket}/mpu?uploadId={upload_id}", body, wrong)
    assert r.status_code == 400 and ET.fromstring(r.content).findtext("Code") == "BadDigest", r.text
    assert_missing(s3, bucket, "mpu")
    right = {"Content-MD5": b64(hashlib.md5(body).digest())}
    r = signed_request(user, "POST", f"/{bucket}/mpu?uploadId={upload_id}", body, right)
    assert r.status_code == 200, r.text
    assert s3.get_object(Bucket=bucket, Key="mpu")["Body"].read() == b"part"


def test_a_trailer_other_than_the_announced_one_stores_nothing(user, s3, bucket):
    data = b"announced crc32, sent crc32c"
    r = raw_trailer_put(user, bucket, "t1", data, "x-amz-checksum-crc32c", "AAAAAA==", announce="x-amz-checksum-crc32")
    assert r.status_code == 400, r.text
    assert ET.fromstring(r.content).findtext("Code") == "MalformedTrailerError", r.text
    assert_missing(s3, bucket, "t1")


def test_an_announced_trailer_that_never_comes_stores_nothing(user, s3, bucket):
    r = raw_trailer_put(user, bucket, "t2", b"no trailer", "x-amz-checksum-crc32", None)
    assert r.status_code == 400, r.text
    assert ET.fromstring(r.content).findtext("Code") == "MalformedTrailerError", r.text
    assert_missing(s3, bucket, "t2")


# ------------------------------------------------------------------------- session credentials


def sts_credentials(user) -> dict:
    sts = boto3.client("sts", endpoint_url=user.server.gateway, region_name=REGION, config=Config(signature_version=UNSIGNED))
    return sts.assume_role_with_web_identity(
        RoleArn="arn:aws:iam::000000000000:role/tiergate", RoleSessionName="fidelity", WebIdentityToken=user.token
    )["Credentials"]


def test_session_credentials_need_their_session_token(fresh_user):
    c = sts_credentials(fresh_user)
    keys = (c["AccessKeyId"], c["SecretAccessKey"])
    ok = signed_request(fresh_user, "GET", "/", access=keys, session_token=c["SessionToken"])
    assert ok.status_code == 200, ok.text
    for token in [None, "garbage", c["SessionToken"][:-1] + ("0" if c["SessionToken"][-1] != "0" else "1")]:
        r = signed_request(fresh_user, "GET", "/", access=keys, session_token=token)
        assert r.status_code == 403, (token, r.status_code, r.text)
        assert ET.fromstring(r.content).findtext("Code") in ("InvalidToken", "InvalidAccessKeyId"), r.text
    # A presigned URL carries the token as X-Amz-Security-Token.
    s3 = s3_client(fresh_user.server, *keys, session_token=c["SessionToken"])
    s3.put_object(Bucket="files", Key="sts-presigned", Body=b"via a presigned URL")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "files", "Key": "sts-presigned"}, ExpiresIn=60)
    assert requests.get(url, timeout=HTTP_TIMEOUT_S).content == b"via a presigned URL"
    bare = s3_client(fresh_user.server, *keys)
    url = bare.generate_presigned_url("get_object", Params={"Bucket": "files", "Key": "sts-presigned"}, ExpiresIn=60)
    assert requests.get(url, timeout=HTTP_TIMEOUT_S).status_code == 403


def test_rest_credentials_need_no_token_and_refuse_one(user):
    assert signed_request(user, "GET", "/").status_code == 200
    r = signed_request(user, "GET", "/", session_token="not-ours")
    assert r.status_code == 403, r.text


# --------------------------------------------------------------------------- content type, ACL


def test_an_object_stored_without_a_content_type_answers_s3s_default(user, s3, bucket):
    r = signed_request(user, "PUT", f"/{bucket}/raw", b"raw bytes")
    assert r.status_code == 200, r.text
    assert "Content-Type" not in r.request.headers
    s3.put_object(Bucket=bucket, Key="boto", Body=b"boto3")
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="multi")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="multi", UploadId=upload_id, PartNumber=1, Body=b"m")["ETag"]
    s3.complete_multipart_upload(
        Bucket=bucket, Key="multi", UploadId=upload_id, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]}
    )
    s3.put_object(Bucket=bucket, Key="typed", Body=b"t", ContentType="text/plain")
    s3.copy_object(Bucket=bucket, Key="replaced", CopySource=f"{bucket}/typed", MetadataDirective="REPLACE")
    for key in ["raw", "boto", "multi", "replaced"]:
        assert s3.head_object(Bucket=bucket, Key=key)["ContentType"] == "binary/octet-stream", key
        assert s3.get_object(Bucket=bucket, Key=key)["ContentType"] == "binary/octet-stream", key
    assert s3.head_object(Bucket=bucket, Key="typed")["ContentType"] == "text/plain"


@pytest.mark.parametrize("acl", ["public-read", "public-read-write", "authenticated-read"])
def test_a_public_bucket_is_refused_like_a_public_object(s3, acl):
    name = unique("pub-")
    with pytest.raises(ClientError) as info:
        s3.create_bucket(Bucket=name, ACL=acl)
    assert error_code(info.value) == "NotImplemented", info.value.response
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket="files", Key="public", Body=b"x", ACL=acl)
    assert error_code(info.value) == "NotImplemented", info.value.response


def test_a_trailer_sent_twice_stores_nothing(user, s3, bucket):
    data = b"the right value first"
    r = raw_trailer_put(user, bucket, "t3", data, "x-amz-checksum-crc32", crc32_b64(data), then="AAAAAA==")
    assert r.status_code == 400, r.text
    assert ET.fromstring(r.content).findtext("Code") == "MalformedTrailerError", r.text
    assert_missing(s3, bucket, "t3")


@pytest.mark.parametrize("algorithm", ["sha512", "md5", "xxhash64"])
def test_checksums_tiergate_does_not_verify_are_refused_not_ignored(user, s3, bucket, algorithm):
    s3.put_object(Bucket=bucket, Key="kept", Body=b"kept")
    r = signed_request(user, "PUT", f"/{bucket}/unverified", b"body", {f"x-amz-checksum-{algorithm}": "AAAA"})
    assert r.status_code == 501 and ET.fromstring(r.content).findtext("Code") == "NotImplemented", r.text
    assert_missing(s3, bucket, "unverified")
    r = signed_request(user, "POST", f"/{bucket}?delete", delete_body("kept"), {f"x-amz-checksum-{algorithm}": "AAAA"})
    assert r.status_code == 501, r.text
    assert s3.get_object(Bucket=bucket, Key="kept")["Body"].read() == b"kept"


@pytest.mark.parametrize("header", ["If-None-Match", "If-Match", "Content-MD5", "x-amz-if-match-size"])
def test_an_empty_condition_or_digest_is_refused(user, s3, bucket, header):
    s3.put_object(Bucket=bucket, Key="k", Body=b"first")
    method = "DELETE" if header == "x-amz-if-match-size" else "PUT"
    r = signed_request(user, method, f"/{bucket}/k", b"" if method == "DELETE" else b"second", {header: ""})
    assert r.status_code == 400, (header, r.status_code, r.text)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"first"


def test_part_number_and_range_together_are_refused_and_a_part_head_is_partial(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="parts")["UploadId"]
    first, second = b"a" * (5 * 1024 * 1024), b"b" * 10
    parts = [
        {"PartNumber": n, "ETag": s3.upload_part(Bucket=bucket, Key="parts", UploadId=upload_id, PartNumber=n, Body=b)["ETag"]}
        for n, b in [(1, first), (2, second)]
    ]
    s3.complete_multipart_upload(Bucket=bucket, Key="parts", UploadId=upload_id, MultipartUpload={"Parts": parts})
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket=bucket, Key="parts", PartNumber=2, Range="bytes=0-9")
    assert http_status(info.value) == 400 and error_code(info.value) == "InvalidRequest", info.value.response
    head = s3.head_object(Bucket=bucket, Key="parts", PartNumber=2)
    assert head["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert head["ContentLength"] == 10 and head["ContentRange"] == f"bytes {len(first)}-{len(first) + 9}/{len(first) + 10}"
