"""What one hostile client can do to the host: many logins at once must not take the server's
memory (each password hash is ~19 MiB; auth.password_hash_concurrency bounds how many run), nor
may huge XML bodies or metadata."""

from __future__ import annotations

import socket
import threading
import time
from urllib.parse import urlsplit
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import xml.etree.ElementTree as ET

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import HTTP_TIMEOUT_S, PASSWORD, signed_request, start_server, stop_server
from test_boto3 import assert_missing

LOGINS = 200
PEAK_RSS_LIMIT_KIB = 256 * 1024


def peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc/PID/status")


@pytest.fixture
def own_server(server, tmp_path):
    """A fresh server of the same configuration, so what it holds in memory is this test's alone."""
    fresh = start_server(server.name, tmp_path)
    yield fresh
    stop_server(fresh)


def test_concurrent_wrong_logins_keep_memory_bounded_and_the_server_answering(own_server):
    server = own_server
    fresh_user = server.signup_login()
    pid = server.proc.pid
    # Forget the peak so far (Linux: 5 resets VmHWM), so what follows is measured alone.
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    start = threading.Barrier(LOGINS + 1)

    def wrong_login(i: int):
        # E-mails without an account: each is checked against the decoy hash, so every one of
        # these logins hashes (an account's own failed logins stop hashing after a few).
        start.wait()
        r = requests.post(
            server.url("/api/auth/login"),
            json={"email": f"nobody-{i}@example.com", "password": "not the password"},
            timeout=HTTP_TIMEOUT_S,
        )
        return r.status_code, r.headers.get("Retry-After"), r.json()["error"]["code"]

    with ThreadPoolExecutor(LOGINS) as pool:
        futures = [pool.submit(wrong_login, i) for i in range(LOGINS)]
        start.wait()
        # Meanwhile the server answers other requests.
        assert requests.get(server.url("/healthz"), timeout=HTTP_TIMEOUT_S).status_code == 200
        assert fresh_user.get("/api/auth/me").status_code == 200
        assert "files" in [b["Name"] for b in fresh_user.s3().list_buckets()["Buckets"]]
        answers = [f.result() for f in futures]

    for status, retry_after, code in answers:
        assert (status, code) in ((401, "invalid_credentials"), (503, "busy")), (status, code)
        if status == 503:
            assert retry_after and int(retry_after) >= 1, retry_after
    peak = peak_rss_kib(pid)
    assert peak < PEAK_RSS_LIMIT_KIB, f"peak RSS {peak} KiB during {LOGINS} concurrent logins"
    # The right password still works afterwards.
    r = requests.post(
        server.url("/api/auth/login"),
        json={"email": fresh_user.email, "password": PASSWORD},
        timeout=HTTP_TIMEOUT_S,
    )
    assert r.status_code == 200, r.text


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/PID/status")


BIG = 64 * 1024 * 1024
RSS_GROWTH_LIMIT_KIB = 16 * 1024


def test_huge_xml_bodies_are_refused_before_they_are_read(server, user, bucket):
    """A 64 MiB DeleteObjects or CompleteMultipartUpload body is a client error (S3's
    MaxMessageLengthExceeded), refused from its Content-Length before it is read, and one without
    a length is refused too; the server's memory barely moves."""
    pid = server.proc.pid
    user.s3().put_object(Bucket=bucket, Key="k", Body=b"kept")
    delete = b"<Delete>" + b"<Object><Key>k</Key></Object>" * (BIG // 29) + b"</Delete>"
    complete = b"<CompleteMultipartUpload>" + b"<Part><PartNumber>1</PartNumber><ETag>x</ETag></Part>" * (BIG // 52)
    chunks = (b"<Delete>" * 1024 for _ in range(BIG // 8192))
    before = rss_kib(pid)
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    cases = [
        (f"/{bucket}?delete", delete, 400, "MaxMessageLengthExceeded"),
        (f"/{bucket}/k?uploadId=nope", complete, 400, "MaxMessageLengthExceeded"),
        # Without a length an XML body is refused before it is read (S3 wants the length too).
        (f"/{bucket}?delete", chunks, 411, "MissingContentLength"),
    ]
    for path, body, status, code in cases:
        headers = {"x-amz-content-sha256": "UNSIGNED-PAYLOAD"}
        r = signed_request(user, "POST", path, b"" if not isinstance(body, bytes) else body, headers, stream=body)
        assert r.status_code == status, (path, r.status_code, r.text[:300])
        assert ET.fromstring(r.content).findtext("Code") == code, r.text
    growth = peak_rss_kib(pid) - before
    assert growth < RSS_GROWTH_LIMIT_KIB, f"the peak RSS grew by {growth} KiB"
    assert user.s3().get_object(Bucket=bucket, Key="k")["Body"].read() == b"kept"


def test_user_metadata_over_2_kb_is_refused(user, bucket):
    s3 = user.s3()
    at_limit = {"k": "v" * (2048 - 1)}
    s3.put_object(Bucket=bucket, Key="fits", Body=b"x", Metadata=at_limit)
    over = {"k": "v" * 2048}
    for call in [
        lambda: s3.put_object(Bucket=bucket, Key="big", Body=b"x", Metadata=over),
        lambda: s3.create_multipart_upload(Bucket=bucket, Key="big", Metadata=over),
        lambda: s3.copy_object(
            Bucket=bucket, Key="big", CopySource=f"{bucket}/fits", MetadataDirective="REPLACE", Metadata=over
        ),
    ]:
        with pytest.raises(ClientError) as info:
            call()
        assert info.value.response["Error"]["Code"] == "MetadataTooLarge", info.value.response
    assert_missing(s3, bucket, "big")


@pytest.fixture
def strict_server(server, tmp_path):
    """A fresh server with a short read timeout and few connections, to see them enforced."""
    env = {"TIERGATE_SERVER__REQUEST_READ_TIMEOUT": "2s", "TIERGATE_SERVER__MAX_CONNECTIONS": "8"}
    fresh = start_server(server.name, tmp_path, extra_env=env)
    yield fresh
    stop_server(fresh)


def gateway_socket(server, url: str | None = None) -> socket.socket:
    host = urlsplit(url or server.gateway)
    return socket.create_connection((host.hostname, host.port), timeout=HTTP_TIMEOUT_S)


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closes the connection (rather than the wait running out)."""
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


@pytest.mark.parametrize("listener", ["gateway", "api"])
def test_idle_and_half_sent_connections_are_closed(strict_server, listener):
    url = getattr(strict_server, listener)
    idle = gateway_socket(strict_server, url)
    half = gateway_socket(strict_server, url)
    half.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    assert closed_by_server(idle), "an idle connection stayed open"
    assert closed_by_server(half), "a connection with half-sent headers stayed open"


@pytest.mark.parametrize("listener", ["gateway", "api"])
def test_connections_past_the_limit_are_closed_and_the_rest_served(strict_server, listener):
    url = getattr(strict_server, listener)
    held = [gateway_socket(strict_server, url) for _ in range(8)]
    extra = gateway_socket(strict_server, url)
    assert closed_by_server(extra)
    for s in held:
        s.close()
    # The server notices the closed sockets as it gets to them; then it serves again.
    for _ in range(100):
        try:
            if requests.get(strict_server.url("/healthz"), timeout=HTTP_TIMEOUT_S).status_code == 200:
                break
        except requests.ConnectionError:
            time.sleep(0.1)
    user = strict_server.signup_login()
    assert "files" in [b["Name"] for b in user.s3().list_buckets()["Buckets"]]


def test_an_xml_body_cut_short_or_too_slow_is_a_client_error(strict_server):
    user = strict_server.signup_login()
    s3 = user.s3()
    s3.put_object(Bucket="files", Key="kept", Body=b"kept")
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    req = AWSRequest(
        method="POST",
        url=f"{strict_server.gateway}/files?delete",
        data=b"",
        headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"},
    )
    S3SigV4Auth(Credentials(user.access_key_id, user.secret_access_key), "s3", "us-east-1").add_auth(req)
    head = "".join(f"{k}: {v}\r\n" for k, v in req.prepare().headers.items() if k.lower() != "content-length")
    for slow in (False, True):
        sock = gateway_socket(strict_server)
        sock.sendall(f"POST /files?delete HTTP/1.1\r\nHost: x\r\n{head}Content-Length: 1000\r\n\r\n".encode())
        sock.sendall(b"<Delete><Object><Key>kept</Key>")
        if not slow:
            sock.shutdown(socket.SHUT_WR)  # the body ends 969 bytes early
        answer = sock.recv(65536).decode(errors="replace")
        sock.close()
        want = "RequestTimeout" if slow else "IncompleteBody"
        assert answer.startswith("HTTP/1.1 400") and f"<Code>{want}</Code>" in answer, (slow, answer[:400])
    assert s3.get_object(Bucket="files", Key="kept")["Body"].read() == b"kept"
