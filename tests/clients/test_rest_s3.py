"""The REST API and S3 see the same files: bucket `files` is the user's upload folder."""

from __future__ import annotations

import hashlib

import requests

from conftest import HTTP_TIMEOUT_S


def test_rest_upload_is_readable_over_s3(fresh_user):
    data = b"uploaded through the REST API\n" * 40
    r = fresh_user.post("/api/files/upload", files={"file": ("report.txt", data, "text/plain")})
    assert r.status_code == 201, r.text
    body = r.json()
    key = body["filename"]

    s3 = fresh_user.s3()
    got = s3.get_object(Bucket="files", Key=key)
    assert got["Body"].read() == data
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="files").get("Contents", [])] == [key]
    assert s3.head_object(Bucket="files", Key=key)["ETag"].strip('"') == hashlib.md5(data).hexdigest()


def test_s3_put_shows_in_rest_listing(fresh_user):
    data = b"put over S3"
    s3 = fresh_user.s3()
    s3.put_object(Bucket="files", Key="from-s3/notes.txt", Body=data, ContentType="text/plain")

    r = fresh_user.get("/api/files")
    assert r.status_code == 200, r.text
    files = r.json()["files"]
    match = [f for f in files if f["filename"] == "from-s3/notes.txt"]
    assert len(match) == 1, files
    f = match[0]
    assert f["file_size"] == len(data)
    assert f["bucket"] == "files"

    # and its REST download gives the same bytes
    r = fresh_user.get(f"/api/files/{f['id']}/download", allow_redirects=False)
    if r.status_code in (301, 302, 303, 307, 308):
        r = requests.get(r.headers["location"], timeout=HTTP_TIMEOUT_S)
    elif r.status_code == 200 and r.headers.get("content-type", "").startswith("application/json") and "url" in r.json():
        r = requests.get(r.json()["url"], timeout=HTTP_TIMEOUT_S)
    assert r.status_code == 200, r.text
    assert r.content == data
