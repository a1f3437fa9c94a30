"""boto3 against the gateway: objects, listing, copy, delete, multipart, ranges, conditions,
metadata, checksums (as recent botocore sends them) and presigned URLs."""

from __future__ import annotations

import base64
import hashlib
import io
import time
import xml.etree.ElementTree as ET
import zlib

import pytest
import requests
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from conftest import HTTP_TIMEOUT_S

MiB = 1024 * 1024


def error_code(e: ClientError) -> str:
    return e.response.get("Error", {}).get("Code", "")


def http_status(e: ClientError) -> int:
    return e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)


def assert_missing(s3, bucket: str, key: str) -> None:
    with pytest.raises(ClientError) as info:
        s3.head_object(Bucket=bucket, Key=key)
    assert http_status(info.value) == 404, info.value.response
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=key).get("Contents", [])]
    assert key not in listed


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def crc32_b64(data: bytes) -> str:
    return b64(zlib.crc32(data).to_bytes(4, "big"))


def _crc32c_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C = _crc32c_table()


def crc32c_b64(data: bytes) -> str:
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return b64((crc ^ 0xFFFFFFFF).to_bytes(4, "big"))


def force_trailer_checksums(client) -> list:
    """Make botocore send its checksum in an aws-chunked trailer, as it does over HTTPS
    (over plain HTTP it puts it in a header): STREAMING-UNSIGNED-PAYLOAD-TRAILER,
    Content-Encoding: aws-chunked, x-amz-trailer: x-amz-checksum-crc32.
    Returns a list that fills with the trailer names of the requests sent that way."""
    sent = []

    def to_trailer(params, **_):
        algorithm = params.get("context", {}).get("checksum", {}).get("request_algorithm")
        if isinstance(algorithm, dict) and algorithm.get("in") == "header":
            algorithm["in"] = "trailer"

    def text(v) -> str:
        return v.decode() if isinstance(v, bytes) else str(v or "")

    def record(request, **_):
        h = request.headers
        if "aws-chunked" in text(h.get("Content-Encoding")) and h.get("X-Amz-Trailer"):
            sent.append(text(h.get("X-Amz-Trailer")))

    for op in ("PutObject", "UploadPart"):
        client.meta.events.register(f"before-call.s3.{op}", to_trailer)
        client.meta.events.register(f"before-send.s3.{op}", record)
    return sent


def raw_trailer_put(
    user,
    bucket: str,
    key: str,
    data: bytes,
    trailer: str,
    value: str | None,
    announce: str | None = None,
    then: str | None = None,
) -> requests.Response:
    """A PutObject with an aws-chunked body and its checksum in the trailer, built by hand
    (so the trailer value can be wrong), signed as botocore signs it. `announce` is the
    x-amz-trailer header when it should differ from the trailer sent; a `value` of None sends
    no trailer at all; `then` sends the same trailer a second time with that value."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    trailing = f"{trailer}:{value}\r\n" if value is not None else ""
    trailing += f"{trailer}:{then}\r\n" if then is not None else ""
    body = f"{len(data):x}\r\n".encode() + data + b"\r\n0\r\n" + f"{trailing}\r\n".encode()
    trailer = announce or trailer
    url = f"{user.server.gateway}/{bucket}/{key}"
    req = AWSRequest(
        method="PUT",
        url=url,
        data=body,
        headers={
            "Content-Encoding": "aws-chunked",
            "X-Amz-Decoded-Content-Length": str(len(data)),
            "X-Amz-Trailer": trailer,
            "Content-Length": str(len(body)),
        },
    )
    req.context["checksum"] = {"request_algorithm": {"in": "trailer", "algorithm": "crc32", "name": trailer}}
    S3SigV4Auth(Credentials(user.access_key_id, user.secret_access_key), "s3", "us-east-1").add_auth(req)
    prepared = req.prepare()
    return requests.put(prepared.url, data=body, headers=dict(prepared.headers), timeout=HTTP_TIMEOUT_S)


# ---------------------------------------------------------------------------------------------


def test_put_get_head_delete(s3, bucket):
    data = b"hello tiergate\n" * 100
    put = s3.put_object(Bucket=bucket, Key="dir/hello.txt", Body=data, ContentType="text/plain")
    md5 = hashlib.md5(data).hexdigest()
    assert put["ETag"].strip('"') == md5

    got = s3.get_object(Bucket=bucket, Key="dir/hello.txt")
    assert got["Body"].read() == data
    assert got["ContentType"] == "text/plain"
    assert got["ContentLength"] == len(data)

    head = s3.head_object(Bucket=bucket, Key="dir/hello.txt")
    assert head["ContentLength"] == len(data)
    assert head["ETag"].strip('"') == md5
    assert head["LastModified"] is not None

    s3.delete_object(Bucket=bucket, Key="dir/hello.txt")
    assert_missing(s3, bucket, "dir/hello.txt")
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket=bucket, Key="dir/hello.txt")
    assert error_code(info.value) == "NoSuchKey"
    # deleting again is not an error in S3
    s3.delete_object(Bucket=bucket, Key="dir/hello.txt")


SPECIAL_KEYS = [
    "plus+sign.txt",
    "percent%20encoded.txt",
    "sp ace/and more.txt",
    "tilde~and_star*.txt",
    "eq=amp&semi;q?.txt",
    "\u00fcn\u00efc\u00f6d\u00e9/\u65e5\u672c.txt",
    "a//double/slash.txt",
    "trailing-dot.",
]


def test_special_character_keys(s3, bucket):
    for i, key in enumerate(SPECIAL_KEYS):
        s3.put_object(Bucket=bucket, Key=key, Body=f"body {i}".encode())
    for i, key in enumerate(SPECIAL_KEYS):
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == f"body {i}".encode(), key
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert listed == sorted(SPECIAL_KEYS, key=lambda k: k.encode())
    v1 = [o["Key"] for o in s3.list_objects(Bucket=bucket).get("Contents", [])]
    assert v1 == listed
    for key in SPECIAL_KEYS:
        s3.delete_object(Bucket=bucket, Key=key)
    assert s3.list_objects_v2(Bucket=bucket).get("Contents", []) == []


def test_missing_bucket(s3):
    with pytest.raises(ClientError) as info:
        s3.head_bucket(Bucket="no-such-bucket-here")
    assert http_status(info.value) == 404
    with pytest.raises(ClientError) as info:
        s3.list_objects_v2(Bucket="no-such-bucket-here")
    assert error_code(info.value) == "NoSuchBucket"


def test_empty_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    assert s3.get_object(Bucket=bucket, Key="empty")["Body"].read() == b""
    assert s3.head_object(Bucket=bucket, Key="empty")["ContentLength"] == 0


def test_list_objects_v2_delimiter_and_prefix(s3, bucket):
    for key in ["docs/a.txt", "docs/sub/b.txt", "img/c.png", "top.txt"]:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())

    root = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [o["Key"] for o in root.get("Contents", [])] == ["top.txt"]
    assert [p["Prefix"] for p in root.get("CommonPrefixes", [])] == ["docs/", "img/"]
    assert root["KeyCount"] == 3

    docs = s3.list_objects_v2(Bucket=bucket, Prefix="docs/", Delimiter="/")
    assert [o["Key"] for o in docs.get("Contents", [])] == ["docs/a.txt"]
    assert [p["Prefix"] for p in docs.get("CommonPrefixes", [])] == ["docs/sub/"]

    everything = s3.list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in everything["Contents"]] == ["docs/a.txt", "docs/sub/b.txt", "img/c.png", "top.txt"]
    assert everything["Contents"][0]["Size"] == len("docs/a.txt")


def test_list_objects_v2_pagination_in_byte_order(s3, bucket):
    keys = ["a", "a-b", "a/b", "B", "\u00e9t\u00e9"]  # byte order: B < a < a-b < a/b < été
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    expected = sorted(keys, key=lambda k: k.encode())

    seen, pages, token = [], 0, None
    while True:
        kw = {"Bucket": bucket, "MaxKeys": 2}
        if token:
            kw["ContinuationToken"] = token
        page = s3.list_objects_v2(**kw)
        pages += 1
        batch = [o["Key"] for o in page.get("Contents", [])]
        assert len(batch) <= 2
        seen += batch
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
        assert pages < 10, "pagination does not end"
    assert seen == expected
    assert pages == 3

    # the paginator boto3 users rely on, with StartAfter
    paginator = s3.get_paginator("list_objects_v2")
    after = [o["Key"] for p in paginator.paginate(Bucket=bucket, StartAfter="a", PaginationConfig={"PageSize": 2}) for o in p.get("Contents", [])]
    assert after == [k for k in expected if k.encode() > b"a"]

    # ListObjects (v1) with a marker, as older clients use
    v1 = [o["Key"] for p in s3.get_paginator("list_objects").paginate(Bucket=bucket, PaginationConfig={"PageSize": 2}) for o in p.get("Contents", [])]
    assert v1 == expected


def test_delimiter_pagination_v1_and_v2(s3, bucket):
    """Common prefixes and keys paged together: each entry exactly once, in order."""
    for key in ["a/1", "a/2", "a/3", "b/1", "c", "d/1", "d/2", "e"]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    expected = ["a/", "b/", "c", "d/", "e"]

    seen = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Delimiter="/", PaginationConfig={"PageSize": 2}):
        entries = [p["Prefix"] for p in page.get("CommonPrefixes", [])] + [o["Key"] for o in page.get("Contents", [])]
        assert len(entries) <= 2, page
        seen += sorted(entries)
    assert seen == expected

    seen = []
    for page in s3.get_paginator("list_objects").paginate(Bucket=bucket, Delimiter="/", PaginationConfig={"PageSize": 2}):
        entries = [p["Prefix"] for p in page.get("CommonPrefixes", [])] + [o["Key"] for o in page.get("Contents", [])]
        seen += sorted(entries)
    assert seen == expected


def test_conditional_put_and_response_overrides(s3, bucket):
    s3.put_object(Bucket=bucket, Key="once", Body=b"first", IfNoneMatch="*")
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket=bucket, Key="once", Body=b"second", IfNoneMatch="*")
    assert http_status(info.value) == 412, info.value.response
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"first"

    got = s3.get_object(
        Bucket=bucket,
        Key="once",
        ResponseContentType="application/x-custom",
        ResponseContentDisposition='attachment; filename="x.txt"',
    )
    assert got["ContentType"] == "application/x-custom"
    assert got["ContentDisposition"] == 'attachment; filename="x.txt"'


def test_copy_object_metadata_directives(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"copy me", ContentType="text/x-src", Metadata={"color": "blue"})

    s3.copy_object(Bucket=bucket, Key="copied", CopySource={"Bucket": bucket, "Key": "src"})
    head = s3.head_object(Bucket=bucket, Key="copied")
    assert head["Metadata"] == {"color": "blue"}
    assert head["ContentType"] == "text/x-src"
    assert s3.get_object(Bucket=bucket, Key="copied")["Body"].read() == b"copy me"

    s3.copy_object(
        Bucket=bucket,
        Key="replaced",
        CopySource={"Bucket": bucket, "Key": "src"},
        MetadataDirective="REPLACE",
        Metadata={"shape": "round"},
        ContentType="text/x-new",
    )
    head = s3.head_object(Bucket=bucket, Key="replaced")
    assert head["Metadata"] == {"shape": "round"}
    assert head["ContentType"] == "text/x-new"
    assert s3.get_object(Bucket=bucket, Key="replaced")["Body"].read() == b"copy me"

    # copy onto itself with REPLACE: the way clients change metadata in place
    s3.copy_object(
        Bucket=bucket, Key="src", CopySource={"Bucket": bucket, "Key": "src"}, MetadataDirective="REPLACE", Metadata={"color": "red"}
    )
    assert s3.head_object(Bucket=bucket, Key="src")["Metadata"] == {"color": "red"}
    assert s3.get_object(Bucket=bucket, Key="src")["Body"].read() == b"copy me"

    # a source key that needs escaping in x-amz-copy-source
    for i, key in enumerate(SPECIAL_KEYS):
        s3.put_object(Bucket=bucket, Key=key, Body=f"body {i}".encode())
        s3.copy_object(Bucket=bucket, Key=f"copies/{i}", CopySource={"Bucket": bucket, "Key": key})
        assert s3.get_object(Bucket=bucket, Key=f"copies/{i}")["Body"].read() == f"body {i}".encode(), key


@pytest.mark.parametrize("quiet", [True, False], ids=["quiet", "verbose"])
def test_delete_objects(s3, bucket, quiet):
    keys = [f"k{i}" for i in range(4)]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    s3.put_object(Bucket=bucket, Key="keep", Body=b"x")
    res = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys + ["never-existed"]], "Quiet": quiet})
    assert res.get("Errors", []) == []
    if quiet:
        assert res.get("Deleted", []) == []
    else:
        assert sorted(d["Key"] for d in res["Deleted"]) == sorted(keys + ["never-existed"])
    left = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert left == ["keep"]


@pytest.mark.parametrize("transport", ["header", "trailer"])
def test_multipart_upload_fileobj(user, bucket, tmp_path, transport):
    s3 = user.s3()
    trailers = force_trailer_checksums(s3) if transport == "trailer" else None
    data = (hashlib.sha256(b"mp").digest() * (12 * MiB // 32))[: 12 * MiB]
    config = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=2, use_threads=True)
    s3.upload_fileobj(io.BytesIO(data), bucket, "big.bin", Config=config)
    if trailers is not None:
        assert trailers == ["x-amz-checksum-crc32"] * 3, trailers

    head = s3.head_object(Bucket=bucket, Key="big.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"].strip('"').endswith("-3"), head["ETag"]

    out = io.BytesIO()
    s3.download_fileobj(bucket, "big.bin", out, Config=config)
    assert hashlib.sha256(out.getvalue()).hexdigest() == hashlib.sha256(data).hexdigest()
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_multipart_abort_and_list_parts(s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="aborted.bin")
    uid = up["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key="aborted.bin", UploadId=uid, PartNumber=1, Body=b"x" * (5 * MiB))
    parts = s3.list_parts(Bucket=bucket, Key="aborted.bin", UploadId=uid)["Parts"]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in parts] == [(1, part["ETag"], 5 * MiB)]
    assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])] == [uid]
    s3.abort_multipart_upload(Bucket=bucket, Key="aborted.bin", UploadId=uid)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert_missing(s3, bucket, "aborted.bin")
    with pytest.raises(ClientError) as info:
        s3.upload_part(Bucket=bucket, Key="aborted.bin", UploadId=uid, PartNumber=2, Body=b"late")
    assert error_code(info.value) == "NoSuchUpload"


def test_multipart_complete_errors(s3, bucket):
    uid = s3.create_multipart_upload(Bucket=bucket, Key="m")["UploadId"]
    p1 = s3.upload_part(Bucket=bucket, Key="m", UploadId=uid, PartNumber=1, Body=b"a" * 100)
    p2 = s3.upload_part(Bucket=bucket, Key="m", UploadId=uid, PartNumber=2, Body=b"b" * 100)
    cases = [
        ([(1, p1["ETag"]), (2, p2["ETag"])], "EntityTooSmall"),  # a part other than the last < 5 MiB
        ([(1, '"00000000000000000000000000000000"')], "InvalidPart"),
        ([(2, p2["ETag"]), (1, p1["ETag"])], "InvalidPartOrder"),
    ]
    for parts, code in cases:
        with pytest.raises(ClientError) as info:
            s3.complete_multipart_upload(
                Bucket=bucket, Key="m", UploadId=uid, MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in parts]}
            )
        assert error_code(info.value) == code, (parts, info.value.response)
        assert_missing(s3, bucket, "m")
    s3.abort_multipart_upload(Bucket=bucket, Key="m", UploadId=uid)


def test_multipart_copy(s3, bucket):
    """boto3's managed copy of a large object: CreateMultipartUpload + UploadPartCopy."""
    data = (hashlib.sha256(b"copy").digest() * (11 * MiB // 32))[: 11 * MiB]
    s3.put_object(Bucket=bucket, Key="orig.bin", Body=data)
    config = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=2)
    s3.copy({"Bucket": bucket, "Key": "orig.bin"}, bucket, "copy.bin", Config=config)
    head = s3.head_object(Bucket=bucket, Key="copy.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"].strip('"').endswith("-3"), head["ETag"]
    got = s3.get_object(Bucket=bucket, Key="copy.bin")["Body"].read()
    assert hashlib.sha256(got).hexdigest() == hashlib.sha256(data).hexdigest()


def test_ranged_get(s3, bucket):
    data = bytes(range(256)) * 4
    s3.put_object(Bucket=bucket, Key="r", Body=data)
    got = s3.get_object(Bucket=bucket, Key="r", Range="bytes=10-19")
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["Body"].read() == data[10:20]
    assert got["ContentRange"] == f"bytes 10-19/{len(data)}"
    assert got["ContentLength"] == 10
    tail = s3.get_object(Bucket=bucket, Key="r", Range="bytes=-5")
    assert tail["Body"].read() == data[-5:]
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket=bucket, Key="r", Range=f"bytes={len(data) + 10}-")
    assert http_status(info.value) == 416 and error_code(info.value) == "InvalidRange"


def test_conditional_get(s3, bucket):
    put = s3.put_object(Bucket=bucket, Key="c", Body=b"conditional")
    etag = put["ETag"]
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert error_code(info.value) == "304" and http_status(info.value) == 304
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"conditional"
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket=bucket, Key="c", IfMatch='"0123456789abcdef0123456789abcdef"')
    assert http_status(info.value) == 412 and error_code(info.value) == "PreconditionFailed"


def test_user_metadata_round_trip(s3, bucket):
    s3.put_object(Bucket=bucket, Key="m", Body=b"meta", Metadata={"k": "v", "another-key": "Another Value"})
    assert s3.head_object(Bucket=bucket, Key="m")["Metadata"] == {"k": "v", "another-key": "Another Value"}
    assert s3.get_object(Bucket=bucket, Key="m")["Metadata"] == {"k": "v", "another-key": "Another Value"}


# -- checksums --------------------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["header", "trailer"])
def test_default_checksum_put(user, bucket, transport):
    """A plain put_object: botocore adds x-amz-checksum-crc32 on its own."""
    s3 = user.s3()
    trailers = force_trailer_checksums(s3) if transport == "trailer" else None
    data = b"default checksum " * 1000
    put = s3.put_object(Bucket=bucket, Key="plain", Body=data)
    if trailers is not None:
        assert trailers == ["x-amz-checksum-crc32"]
    assert put.get("ChecksumCRC32") == crc32_b64(data)
    assert s3.get_object(Bucket=bucket, Key="plain")["Body"].read() == data


@pytest.mark.parametrize("transport", ["header", "trailer"])
def test_checksum_sha256(user, bucket, transport):
    s3 = user.s3()
    if transport == "trailer":
        force_trailer_checksums(s3)
    data = b"sha256 body " * 500
    put = s3.put_object(Bucket=bucket, Key="sha", Body=data, ChecksumAlgorithm="SHA256")
    assert put.get("ChecksumSHA256") == b64(hashlib.sha256(data).digest())
    assert s3.get_object(Bucket=bucket, Key="sha")["Body"].read() == data


def test_checksum_crc32c(s3, bucket):
    # botocore computes CRC32C only with awscrt installed; we give the value ourselves.
    data = b"crc32c body " * 500
    value = crc32c_b64(data)
    put = s3.put_object(Bucket=bucket, Key="c32c", Body=data, ChecksumAlgorithm="CRC32C", ChecksumCRC32C=value)
    assert put.get("ChecksumCRC32C") == value
    assert s3.get_object(Bucket=bucket, Key="c32c")["Body"].read() == data


def test_wrong_crc32_is_bad_digest(s3, bucket):
    data = b"the real body"
    wrong = crc32_b64(b"something else")
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket=bucket, Key="badcrc", Body=data, ChecksumCRC32=wrong)
    assert error_code(info.value) == "BadDigest", info.value.response
    assert http_status(info.value) == 400
    assert_missing(s3, bucket, "badcrc")


def test_trailer_checksum_by_hand(user, s3, bucket):
    data = b"aws-chunked with a trailer"
    good = raw_trailer_put(user, bucket, "trailer-ok", data, "x-amz-checksum-crc32", crc32_b64(data))
    assert good.status_code == 200, good.text
    assert s3.get_object(Bucket=bucket, Key="trailer-ok")["Body"].read() == data

    bad = raw_trailer_put(user, bucket, "trailer-bad", data, "x-amz-checksum-crc32", crc32_b64(b"other"))
    assert bad.status_code == 400, bad.text
    assert ET.fromstring(bad.content).findtext("Code") == "BadDigest", bad.text
    assert_missing(s3, bucket, "trailer-bad")


def test_wrong_content_md5_is_bad_digest(s3, bucket):
    data = b"the real body"
    wrong = b64(hashlib.md5(b"something else").digest())
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket=bucket, Key="badmd5", Body=data, ContentMD5=wrong)
    assert error_code(info.value) == "BadDigest", info.value.response
    assert_missing(s3, bucket, "badmd5")


def test_wrong_checksum_keeps_previous_version(s3, bucket):
    s3.put_object(Bucket=bucket, Key="v", Body=b"version one")
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket=bucket, Key="v", Body=b"version two", ChecksumCRC32=crc32_b64(b"nope"))
    assert error_code(info.value) == "BadDigest"
    assert s3.get_object(Bucket=bucket, Key="v")["Body"].read() == b"version one"


# -- presigned URLs ---------------------------------------------------------------------------


def test_presigned_get(s3, bucket):
    data = b"presigned download"
    s3.put_object(Bucket=bucket, Key="p/get.txt", Body=data)
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "p/get.txt"}, ExpiresIn=300)
    r = requests.get(url, timeout=HTTP_TIMEOUT_S)
    assert r.status_code == 200, r.text
    assert r.content == data


def test_presigned_put(s3, bucket):
    data = b"presigned upload"
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "p/put.txt"}, ExpiresIn=300)
    r = requests.put(url, data=data, timeout=HTTP_TIMEOUT_S)
    assert r.status_code == 200, r.text
    assert s3.get_object(Bucket=bucket, Key="p/put.txt")["Body"].read() == data


def test_presigned_expired(s3, bucket):
    s3.put_object(Bucket=bucket, Key="p/old.txt", Body=b"x")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "p/old.txt"}, ExpiresIn=1)
    time.sleep(2.5)
    r = requests.get(url, timeout=HTTP_TIMEOUT_S)
    assert r.status_code == 403, r.text
    code = ET.fromstring(r.content).findtext("Code")
    assert code == "AccessDenied", r.text


def test_presigned_tampered_is_refused(s3, bucket):
    s3.put_object(Bucket=bucket, Key="p/secret.txt", Body=b"x")
    s3.put_object(Bucket=bucket, Key="p/other.txt", Body=b"y")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "p/secret.txt"}, ExpiresIn=300)
    r = requests.get(url.replace("secret.txt", "other.txt"), timeout=HTTP_TIMEOUT_S)
    assert r.status_code == 403, r.text
    assert ET.fromstring(r.content).findtext("Code") == "SignatureDoesNotMatch"
