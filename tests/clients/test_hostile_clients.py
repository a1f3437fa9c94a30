"""What one hostile client can do to the host: many logins at once must not take the server's
memory (each password hash is ~19 MiB; auth.password_hash_concurrency bounds how many run)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from conftest import HTTP_TIMEOUT_S, PASSWORD

LOGINS = 200
PEAK_RSS_LIMIT_KIB = 256 * 1024


def peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc/PID/status")


def test_concurrent_wrong_logins_keep_memory_bounded_and_the_server_answering(server, fresh_user):
    pid = server.proc.pid
    # Forget the peak so far (Linux: 5 resets VmHWM), so what follows is measured alone.
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    start = threading.Barrier(LOGINS + 1)

    def wrong_login():
        start.wait()
        r = requests.post(
            server.url("/api/auth/login"),
            json={"email": fresh_user.email, "password": "not the password"},
            timeout=HTTP_TIMEOUT_S,
        )
        return r.status_code, r.headers.get("Retry-After"), r.json()["error"]["code"]

    with ThreadPoolExecutor(LOGINS) as pool:
        futures = [pool.submit(wrong_login) for _ in range(LOGINS)]
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
