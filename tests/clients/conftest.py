"""Shared fixtures for the real-client suite: a fresh `tiergate serve` per configuration,
users and their credentials, and helpers to run aws-cli / rclone and to build boto3 clients.

Run:  cd /work/main && /opt/tiergate-cache/venv/bin/python -m pytest -q tests/clients
Env:  eval "$(bash scripts/services.sh env)" for the Postgres + MinIO configuration (without
      it that configuration is skipped, or fails when TIERGATE_REQUIRE_SERVICES=1).
      TIERGATE_BIN (else $CARGO_TARGET_DIR/debug/tiergate, else target/debug/tiergate).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import boto3
import pytest
import requests
from botocore.config import Config

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
READY_TIMEOUT_S = 60
HTTP_TIMEOUT_S = 60
PASSWORD = "correct-horse-battery"
ADMIN_EMAIL = "admin@tiergate.test"
LOG_TAIL_LINES = 60
BACKTRACE_FRAME = re.compile(r"^\s+(\d+: |at )")


# ---------------------------------------------------------------------------------------------
# environment


def services_required() -> bool:
    return os.environ.get("TIERGATE_REQUIRE_SERVICES") == "1"


def service_env(name: str) -> str:
    """A service setting; a missing one skips the test, or fails it when services are required."""
    value = os.environ.get(name, "")
    if value:
        return value
    reason = f"{name} is not set (run: eval \"$(bash scripts/services.sh env)\")"
    if services_required():
        pytest.fail(f"{reason}, and TIERGATE_REQUIRE_SERVICES=1")
    pytest.skip(reason)


def tiergate_bin() -> Path:
    candidates = []
    if os.environ.get("TIERGATE_BIN"):
        candidates.append(Path(os.environ["TIERGATE_BIN"]))
    elif os.environ.get("CARGO_TARGET_DIR"):
        candidates.append(Path(os.environ["CARGO_TARGET_DIR"]) / "debug" / "tiergate")
    else:
        candidates.append(REPO_ROOT / "target" / "debug" / "tiergate")
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    pytest.fail(
        f"tiergate binary not found at {candidates[0]} "
        "(set TIERGATE_BIN, or CARGO_TARGET_DIR, or build with cargo build --bin tiergate)"
    )


def client_bin(name: str) -> str:
    """A client program: the one beside this Python (the venv's bin) first, then PATH."""
    local = Path(sys.executable).parent / name
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    found = shutil.which(name)
    if not found:
        pytest.fail(f"`{name}` not found beside {sys.executable} nor on PATH")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_random_file(path: Path, size: int, seed: int = 0) -> Path:
    """`size` pseudo-random bytes, deterministic for a seed, written in 1 MiB blocks."""
    path.parent.mkdir(parents=True, exist_ok=True)
    block = hashlib.sha256(str(seed).encode()).digest() * (1 << 15)  # 1 MiB
    with open(path, "wb") as f:
        written, n = 0, 0
        while written < size:
            piece = hashlib.sha256(f"{seed}-{n}".encode()).digest() + block[32:]
            piece = piece[: size - written]
            f.write(piece)
            written += len(piece)
            n += 1
    return path


def tree(root: Path) -> dict[str, str]:
    """Relative path → sha256 of every file under `root`."""
    return {p.relative_to(root).as_posix(): sha256_file(p) for p in sorted(root.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------------------------------------
# the server


@dataclass
class Server:
    name: str
    api: str
    gateway: str
    log_path: Path
    workdir: Path
    proc: subprocess.Popen | None = None
    cleanups: list = field(default_factory=list)
    # The environment the server runs with, so another process can share its catalog and tiers.
    env: dict = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.api + path

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last lines of the server's log, without backtrace frames (kept in the file)."""
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError as e:
            return f"(no log: {e})"
        text = [t for t in text if not BACKTRACE_FRAME.match(t)]
        return "\n".join(t[:2000] for t in text[-lines:])

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    # -- REST helpers ---------------------------------------------------------------------

    def signup_login(self, email: str | None = None) -> "User":
        email = email or f"{unique('u')}@example.com"
        r = requests.post(self.url("/api/auth/signup"), json={"email": email, "password": PASSWORD}, timeout=HTTP_TIMEOUT_S)
        assert r.status_code == 201, f"signup: {r.status_code} {r.text}"
        r = requests.post(self.url("/api/auth/login"), json={"email": email, "password": PASSWORD}, timeout=HTTP_TIMEOUT_S)
        assert r.status_code == 200, f"login: {r.status_code} {r.text}"
        token = r.json()["access_token"]
        user = User(server=self, email=email, token=token)
        creds = user.post("/api/credentials")
        assert creds.status_code == 200, f"credentials: {creds.status_code} {creds.text}"
        body = creds.json()
        user.access_key_id = body["access_key_id"]
        user.secret_access_key = body["secret_access_key"]
        user.credentials = body
        return user


@dataclass
class User:
    server: Server
    email: str
    token: str
    access_key_id: str = ""
    secret_access_key: str = ""
    credentials: dict = field(default_factory=dict)

    @property
    def auth(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **kw) -> requests.Response:
        return requests.get(self.server.url(path), headers=self.auth, timeout=HTTP_TIMEOUT_S, **kw)

    def post(self, path: str, **kw) -> requests.Response:
        return requests.post(self.server.url(path), headers=self.auth, timeout=HTTP_TIMEOUT_S, **kw)

    def delete(self, path: str, **kw) -> requests.Response:
        return requests.delete(self.server.url(path), headers=self.auth, timeout=HTTP_TIMEOUT_S, **kw)

    def put(self, path: str, **kw) -> requests.Response:
        return requests.put(self.server.url(path), headers=self.auth, timeout=HTTP_TIMEOUT_S, **kw)

    def s3(self, **kw):
        return s3_client(self.server, self.access_key_id, self.secret_access_key, **kw)

    # -- aws-cli ---------------------------------------------------------------------------

    def aws_env(self, home: Path) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        home.mkdir(parents=True, exist_ok=True)
        (home / "config").write_text("")
        (home / "credentials").write_text("")
        env.update(
            AWS_ACCESS_KEY_ID=self.access_key_id,
            AWS_SECRET_ACCESS_KEY=self.secret_access_key,
            AWS_DEFAULT_REGION=REGION,
            AWS_CONFIG_FILE=str(home / "config"),
            AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"),
            AWS_EC2_METADATA_DISABLED="true",
            AWS_PAGER="",
            AWS_RETRY_MODE="standard",
            AWS_MAX_ATTEMPTS="2",
        )
        return env

    def aws(self, home: Path, *args: str, check: bool = True, timeout: int = 300) -> subprocess.CompletedProcess:
        cmd = [client_bin("aws"), "--endpoint-url", self.server.gateway, *args]
        return run(cmd, env=self.aws_env(home), check=check, timeout=timeout)

    # -- rclone ----------------------------------------------------------------------------

    def rclone_env(self, home: Path) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RCLONE_") and not k.startswith("AWS_")}
        home.mkdir(parents=True, exist_ok=True)
        conf = home / "rclone.conf"
        conf.write_text("")
        env.update(
            RCLONE_CONFIG=str(conf),
            RCLONE_CONFIG_TG_TYPE="s3",
            RCLONE_CONFIG_TG_PROVIDER="Other",
            RCLONE_CONFIG_TG_ENDPOINT=self.server.gateway,
            RCLONE_CONFIG_TG_ACCESS_KEY_ID=self.access_key_id,
            RCLONE_CONFIG_TG_SECRET_ACCESS_KEY=self.secret_access_key,
            RCLONE_CONFIG_TG_REGION=REGION,
            RCLONE_CONFIG_TG_FORCE_PATH_STYLE="true",
            RCLONE_CACHE_DIR=str(home / "cache"),
        )
        return env

    def rclone(self, home: Path, *args: str, check: bool = True, timeout: int = 300) -> subprocess.CompletedProcess:
        cmd = [client_bin("rclone"), *args]
        return run(cmd, env=self.rclone_env(home), check=check, timeout=timeout)


def run(cmd: list, env: dict, check: bool = True, timeout: int = 300) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if check and p.returncode != 0:
        pytest.fail(
            f"command failed (exit {p.returncode}): {' '.join(map(str, cmd))}\n"
            f"--- stdout ---\n{p.stdout[-4000:]}\n--- stderr ---\n{p.stderr[-4000:]}"
        )
    return p


def s3_client(server: Server, access_key: str, secret_key: str, session_token: str | None = None, **config):
    cfg = Config(
        region_name=REGION,
        signature_version="s3v4",
        s3={"addressing_style": "path"},
        retries={"max_attempts": 1, "mode": "standard"},
        connect_timeout=10,
        read_timeout=120,
        **config,
    )
    return boto3.client(
        "s3",
        endpoint_url=server.gateway,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        aws_session_token=session_token,
        config=cfg,
    )


def psql(admin_url: str, sql: str) -> None:
    exe = shutil.which("psql")
    if not exe:
        if services_required():
            pytest.fail("psql is not installed, and TIERGATE_REQUIRE_SERVICES=1")
        pytest.skip("psql is not installed")
    subprocess.run([exe, admin_url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], check=True, capture_output=True, timeout=60)


def with_db(url: str, db: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + db, parts.query, parts.fragment))


def start_server(config: str, workdir: Path, extra_env: dict | None = None) -> Server:
    binary = tiergate_bin()
    cp_port, gw_port = free_port(), free_port()
    while gw_port == cp_port:
        gw_port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIERGATE_") or k.startswith("TIERGATE_TEST_")}
    env.update(
        NO_COLOR="1",
        TIERGATE_SERVER__DATA_DIR=str(workdir / "data"),
        TIERGATE_SERVER__CONTROL_PLANE_ADDR=f"127.0.0.1:{cp_port}",
        TIERGATE_SERVER__GATEWAY_ADDR=f"127.0.0.1:{gw_port}",
        TIERGATE_SERVER__PUBLIC_URL=f"http://127.0.0.1:{cp_port}",
        TIERGATE_SERVER__GATEWAY_PUBLIC_URL=f"http://127.0.0.1:{gw_port}",
        # Every test signs up and logs in from 127.0.0.1: the per-address limits would refuse
        # the suite itself (tests/api/auth.rs covers them).
        TIERGATE_AUTH__SIGNUPS_PER_ADDRESS="1000000",
        TIERGATE_AUTH__LOGIN_ATTEMPTS_PER_ADDRESS="1000000",
        # One string, comma-separated, as an operator writes it in the environment.
        TIERGATE_AUTH__ADMINS=f"{ADMIN_EMAIL}, ops@example.com",
        TIERGATE_AUDIT__TARGET=str(workdir / "audit.log"),
    )
    env.update(extra_env or {})
    server = Server(
        name=config,
        api=f"http://127.0.0.1:{cp_port}",
        gateway=f"http://127.0.0.1:{gw_port}",
        log_path=workdir / "tiergate.log",
        workdir=workdir,
    )
    server.env = env
    if config == "postgres-minio":
        admin = service_env("TIERGATE_TEST_PG_URL")
        endpoint = service_env("TIERGATE_TEST_S3_ENDPOINT")
        access = service_env("TIERGATE_TEST_S3_ACCESS_KEY")
        secret = service_env("TIERGATE_TEST_S3_SECRET_KEY")
        db = unique("tg_clients_")
        psql(admin, f"CREATE DATABASE {db}")
        server.cleanups.append(lambda: psql(admin, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        bucket = unique("tg-clients-")
        env.update(
            TIERGATE_CATALOG__URL=with_db(admin, db),
            TIERGATE_TIERS__HOT__KIND="s3",
            TIERGATE_TIERS__HOT__ENDPOINT=endpoint,
            TIERGATE_TIERS__HOT__BUCKET=bucket,
            TIERGATE_TIERS__HOT__ACCESS_KEY_ID=access,
            TIERGATE_TIERS__HOT__SECRET_ACCESS_KEY=secret,
            TIERGATE_TIERS__HOT__CREATE_BUCKET="true",
        )
        server.cleanups.append(lambda: empty_and_remove_minio_bucket(endpoint, access, secret, bucket))
    log = open(server.log_path, "wb")
    server.proc = subprocess.Popen(
        [str(binary), "serve"], cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    log.close()
    deadline = time.monotonic() + READY_TIMEOUT_S
    last = "no answer"
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            stop_server(server)
            pytest.fail(f"tiergate exited with {server.proc.returncode} before it was ready:\n{server.log_tail()}")
        try:
            r = requests.get(server.url("/readyz"), timeout=2)
            if r.status_code == 200:
                return server
            last = f"{r.status_code} {r.text[:300]}"
        except requests.RequestException as e:
            last = str(e)
        time.sleep(0.2)
    stop_server(server)
    pytest.fail(f"tiergate not ready after {READY_TIMEOUT_S}s (last: {last}):\n{server.log_tail()}")


def start_gateway(server: Server, name: str) -> tuple[subprocess.Popen, str]:
    """Another `tiergate gateway` process on `server`'s catalog and tiers (as a scaled-out
    deployment runs several); returns it and its endpoint once it accepts connections."""
    port = free_port()
    env = dict(server.env, TIERGATE_SERVER__GATEWAY_ADDR=f"127.0.0.1:{port}")
    log_path = server.workdir / f"{name}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [str(tiergate_bin()), "gateway"],
            cwd=server.workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{name} exited with {proc.returncode}:\n{log_path.read_text(errors='replace')[-4000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    proc.kill()
    pytest.fail(f"{name} did not listen within {READY_TIMEOUT_S}s")


def signed_request(
    user: "User",
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict | None = None,
    session_token: str | None = None,
    access: tuple[str, str] | None = None,
    stream=None,
) -> requests.Response:
    """An S3 request built by hand (so a header can say what a client library would not), signed
    with SigV4 as botocore signs it, with the user's keys or `access`. `stream`, when given, is
    sent instead of `body`: bytes with a Content-Length, an iterator without one (chunked)."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    key_id, secret = access or (user.access_key_id, user.secret_access_key)
    req = AWSRequest(method=method, url=f"{user.server.gateway}{path}", data=body, headers=dict(headers or {}))
    S3SigV4Auth(Credentials(key_id, secret, session_token), "s3", REGION).add_auth(req)
    prepared = req.prepare()
    headers = dict(prepared.headers)
    if stream is not None and not isinstance(stream, bytes):
        headers.pop("Content-Length", None)
    data = body if stream is None else stream
    return requests.request(method, prepared.url, data=data, headers=headers, timeout=HTTP_TIMEOUT_S)


def stop_server(server: Server) -> None:
    if server.proc is not None and server.proc.poll() is None:
        server.proc.terminate()
        try:
            server.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait(timeout=10)
    for cleanup in reversed(server.cleanups):
        try:
            cleanup()
        except Exception as e:  # best effort: leftovers in a test service are not a failure
            print(f"cleanup failed: {e}", file=sys.stderr)


def empty_and_remove_minio_bucket(endpoint: str, access: str, secret: str, bucket: str) -> None:
    c = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=access,
        aws_secret_access_key=secret,
        config=Config(region_name=REGION, s3={"addressing_style": "path"}),
    )
    for page in c.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            c.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
    for page in c.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
        for u in page.get("Uploads", []):
            c.abort_multipart_upload(Bucket=bucket, Key=u["Key"], UploadId=u["UploadId"])
    c.delete_bucket(Bucket=bucket)


# ---------------------------------------------------------------------------------------------
# fixtures

CONFIGS = ["embedded", "postgres-minio"]


@pytest.fixture(scope="session", params=CONFIGS)
def server(request, tmp_path_factory):
    workdir = tmp_path_factory.mktemp(f"tiergate-{request.param}")
    srv = start_server(request.param, workdir)
    yield srv
    stop_server(srv)


@pytest.fixture(scope="session")
def second_gateway(server):
    """The endpoint of a second gateway process sharing the server's catalog and tiers."""
    proc, endpoint = start_gateway(server, "gateway-2")
    yield endpoint
    proc.terminate()
    try:
        proc.wait(timeout=40)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def admin(server) -> User:
    """The administrator named in the server's settings (auth.admins)."""
    return server.signup_login(ADMIN_EMAIL)


@pytest.fixture(scope="session")
def user(server) -> User:
    """One user per server, shared by tests that work in buckets of their own."""
    return server.signup_login()


@pytest.fixture
def fresh_user(server) -> User:
    """A user of its own, for tests that look at everything a user has."""
    return server.signup_login()


@pytest.fixture
def s3(user):
    return user.s3()


@pytest.fixture
def bucket(s3):
    """A fresh, empty bucket of the session user; emptied and removed afterwards."""
    name = unique("b-")
    s3.create_bucket(Bucket=name)
    yield name
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=name, Delete={"Objects": keys, "Quiet": True})
        s3.delete_bucket(Bucket=name)
    except Exception as e:
        print(f"bucket cleanup failed: {e}", file=sys.stderr)


@pytest.fixture
def clienthome(tmp_path) -> Path:
    """An empty home for aws-cli / rclone config, so the machine's files cannot interfere."""
    home = tmp_path / "clienthome"
    home.mkdir()
    return home


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and rep.when in ("setup", "call"):
        srv = item.funcargs.get("server") if hasattr(item, "funcargs") else None
        if srv is None and hasattr(item, "funcargs"):
            u = item.funcargs.get("user") or item.funcargs.get("fresh_user")
            srv = getattr(u, "server", None)
        if isinstance(srv, Server):
            rep.sections.append((f"tiergate log tail ({srv.name}: {srv.log_path})", srv.log_tail()))
