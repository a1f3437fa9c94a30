#!/usr/bin/env python3
"""Tiergate control-plane upload benchmark (issue 2).

Starts its own `tiergate serve` (release binary) on free ports, each with a fresh temp dir and
a fresh bucket in the MinIO hot tier (127.0.0.1:9000), and measures:

  1. throughput: N REST uploads (POST /api/files/upload, multipart) of a 100 MiB random file vs
     N direct PUTs of the same file into the same MinIO, alternating; curl is the client for
     both sides; median MiB/s of each and the ratio REST/direct (target >= 0.8);
  2. memory: the server's VmRSS when idle (after one warm-up upload), then sampled every 50 ms
     during 8 concurrent 100 MiB REST uploads; idle, peak and growth (target growth <= 64 MiB);
     once with the default part size, once with part_size = 5 MiB;
  3. listing: GET /api/files (default page) for a user with 10,000 files: 500 sequential
     requests on one keep-alive curl connection; p50 and p99 (SQLite, and Postgres unless
     --no-postgres).

Everything talks to 127.0.0.1 only; every wait and loop is bounded, and the whole run is cut off
after --max-seconds. Nothing is asserted on timings: it prints numbers (and --json writes them).
Only servers, temp dirs, buckets and databases this script created are stopped and removed.

Needs: the tiergate release binary, curl, psql (for Postgres), the
services of scripts/services.sh (Postgres :55432, MinIO :9000) and the venv (requests, boto3).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import hashlib
import json
import math
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import boto3
import requests
from botocore.config import Config as BotoConfig

REPO = Path(__file__).resolve().parent.parent
MINIO = "http://127.0.0.1:9000"
MINIO_USER = "tiergate"
MINIO_PASSWORD = "tiergate-secret"
MINIO_PIDFILE = Path("/opt/tiergate-cache/run/minio-hot.pid")
PG_ADMIN_URL = "postgres://tiergate:tiergate@127.0.0.1:55432/postgres"
PG_BASE_URL = "postgres://tiergate:tiergate@127.0.0.1:55432/"
MIB = 1024 * 1024
PASSWORD = "bench-password-123"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


# --------------------------------------------------------------------------- /proc helpers
def proc_status_kib(pid: int, field: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def proc_cpu_seconds(pid: int | None) -> float:
    if not pid:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime
    except (OSError, IndexError, ValueError):
        return 0.0


def system_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine."""
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    total = sum(parts[:8])
    return total - idle, total


def minio_pid() -> int | None:
    try:
        pid = int(MINIO_PIDFILE.read_text().strip())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


class CpuMeter:
    """CPU seconds of tiergate, MinIO, this script's children (curl) and the machine over a phase."""

    def __init__(self, server_pid: int):
        self.server_pid = server_pid
        self.minio_pid = minio_pid()

    def snap(self) -> dict:
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        busy, total = system_cpu()
        return {
            "t": time.monotonic(),
            "tiergate": proc_cpu_seconds(self.server_pid),
            "minio": proc_cpu_seconds(self.minio_pid),
            "clients": ru.ru_utime + ru.ru_stime,
            "busy": busy,
            "total": total,
        }

    @staticmethod
    def delta(a: dict, b: dict) -> dict:
        wall = b["t"] - a["t"]
        total = max(b["total"] - a["total"], 1)
        ours = sum(b[k] - a[k] for k in ("tiergate", "minio", "clients"))
        return {
            "wall_s": round(wall, 2),
            "tiergate_cpu_s": round(b["tiergate"] - a["tiergate"], 2),
            "minio_cpu_s": round(b["minio"] - a["minio"], 2),
            "curl_cpu_s": round(b["clients"] - a["clients"], 2),
            # CPU the rest of the machine used meanwhile (other jobs, this script): interference
            "others_cpu_s": round(max((b["busy"] - a["busy"]) / CLK_TCK - ours, 0.0), 2),
            "machine_busy_pct": round(100.0 * (b["busy"] - a["busy"]) / total, 1),
        }


# --------------------------------------------------------------------------- small helpers
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    s = sorted(values)
    k = max(1, math.ceil(p / 100.0 * len(s)))
    return s[k - 1]


def s3_client():
    return boto3.client(
        "s3",
        endpoint_url=MINIO,
        aws_access_key_id=MINIO_USER,
        aws_secret_access_key=MINIO_PASSWORD,
        region_name="us-east-1",
        config=BotoConfig(s3={"addressing_style": "path"}, retries={"max_attempts": 2},
                          connect_timeout=5, read_timeout=60),
    )


def remove_bucket(bucket: str) -> None:
    """Deletes every object and unfinished multipart upload of `bucket`, then the bucket."""
    s3 = s3_client()
    try:
        for _ in range(10_000):  # pages of up to 1000 keys: bounded
            page = s3.list_objects_v2(Bucket=bucket, MaxKeys=1000)
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if not keys:
                break
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
        for _ in range(1000):
            ups = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
            if not ups:
                break
            for u in ups:
                s3.abort_multipart_upload(Bucket=bucket, Key=u["Key"], UploadId=u["UploadId"])
        s3.delete_bucket(Bucket=bucket)
    except s3.exceptions.NoSuchBucket:
        pass
    except Exception as e:  # cleanup is best effort; say what is left
        log(f"WARNING: could not remove bucket {bucket}: {e}")


def psql(sql: str) -> None:
    subprocess.run(["psql", PG_ADMIN_URL, "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
                   check=True, timeout=60, capture_output=True, text=True)


# --------------------------------------------------------------------------- the server
class Server:
    """One `tiergate serve` with its own temp dir, bucket and (optionally) Postgres database."""

    def __init__(self, binary: Path, root: Path, name: str, catalog: str = "sqlite",
                 part_size: int | None = None):
        self.binary = binary
        self.name = name
        self.catalog = catalog
        self.part_size = part_size
        self.dir = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root))
        self.bucket = f"tg-upbench-{uuid.uuid4().hex[:12]}"
        self.database: str | None = None
        self.proc: subprocess.Popen | None = None
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.dir / "server.log"

    def start(self, timeout: float = 60.0) -> None:
        if self.catalog == "postgres":
            self.database = f"tg_upbench_{uuid.uuid4().hex[:10]}"
            psql(f"CREATE DATABASE {self.database}")
            catalog_url = PG_BASE_URL + self.database
        else:
            catalog_url = f"sqlite://{self.dir}/catalog.db?mode=rwc"
        env = {k: v for k, v in os.environ.items() if not k.startswith("TIERGATE_")}
        env.update({
            "TIERGATE_SERVER__DATA_DIR": str(self.dir / "data"),
            "TIERGATE_SERVER__CONTROL_PLANE_ADDR": f"127.0.0.1:{self.port}",
            "TIERGATE_SERVER__GATEWAY_ADDR": f"127.0.0.1:{free_port()}",
            "TIERGATE_SERVER__PUBLIC_URL": self.url,
            "TIERGATE_SERVER__LOG_LEVEL": "warn",
            "TIERGATE_CATALOG__URL": catalog_url,
            "TIERGATE_UPLOAD__MAX_BYTES": str(200 * MIB),
            "TIERGATE_TIERS__HOT__KIND": "s3",
            "TIERGATE_TIERS__HOT__ENDPOINT": MINIO,
            "TIERGATE_TIERS__HOT__BUCKET": self.bucket,
            "TIERGATE_TIERS__HOT__ACCESS_KEY_ID": MINIO_USER,
            "TIERGATE_TIERS__HOT__SECRET_ACCESS_KEY": MINIO_PASSWORD,
            "TIERGATE_TIERS__HOT__CREATE_BUCKET": "true",
        })
        if self.part_size:
            env["TIERGATE_TIERS__HOT__PART_SIZE"] = str(self.part_size)
        logf = open(self.log_path, "wb")
        self.proc = subprocess.Popen([str(self.binary), "serve"], env=env, stdout=logf, stderr=logf,
                                     stdin=subprocess.DEVNULL, cwd=self.dir, start_new_session=True)
        logf.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"{self.name}: tiergate exited with {self.proc.returncode}:\n{self.tail_log()}")
            try:
                if requests.get(self.url + "/readyz", timeout=2).status_code == 200:
                    log(f"{self.name}: tiergate pid {self.proc.pid} ready on {self.url} "
                        f"(catalog {self.catalog}, bucket {self.bucket}, part_size {self.part_size or 'default'})")
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise BenchError(f"{self.name}: /readyz not 200 after {timeout}s:\n{self.tail_log()}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def tail_log(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def user(self, email: str) -> str:
        """Signs `email` up and logs in; returns the bearer token."""
        r = requests.post(self.url + "/api/auth/signup", json={"email": email, "password": PASSWORD}, timeout=30)
        if r.status_code != 201:
            raise BenchError(f"signup {email}: {r.status_code} {r.text[:300]}")
        r = requests.post(self.url + "/api/auth/login", json={"email": email, "password": PASSWORD}, timeout=30)
        if r.status_code != 200:
            raise BenchError(f"login {email}: {r.status_code} {r.text[:300]}")
        return r.json()["access_token"]

    def stop(self, keep: bool = False) -> None:
        if self.proc and self.proc.poll() is not None:
            log(f"{self.name}: WARNING: tiergate pid {self.proc.pid} had already exited with "
                f"{self.proc.returncode} (negative: killed by that signal) before we stopped it:\n"
                f"{self.tail_log(15)}")
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                log(f"{self.name}: tiergate did not stop in 15 s after SIGTERM; killing pid {self.proc.pid}")
                self.proc.kill()
                self.proc.wait(timeout=15)
        warnings = [l for l in self.tail_log(400).splitlines()
                    if any(w in l for w in ("WARN", "ERROR", "panicked", "RUST_BACKTRACE"))]
        if warnings:
            log(f"{self.name}: server log warnings/errors (last {min(len(warnings), 10)}):")
            for line in warnings[-10:]:
                log("  " + line[:300])
        remove_bucket(self.bucket)
        if self.database:
            try:
                psql(f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")
            except Exception as e:
                log(f"WARNING: could not drop database {self.database}: {e}")
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)


# --------------------------------------------------------------------------- curl clients
CURL_COMMON = ["curl", "-sS", "--max-time", "300", "-H", "Expect:"]


def curl_rest_upload_cmd(server: Server, token: str, path: Path, out: Path) -> list[str]:
    return CURL_COMMON + ["-o", str(out), "-w", "%{http_code} %{time_total}",
                          "-H", f"Authorization: Bearer {token}",
                          "-F", f"file=@{path};type=application/octet-stream",
                          server.url + "/api/files/upload"]


def presigned_put_url(bucket: str, key: str) -> str:
    # curl 7.88's --aws-sigv4 signs a PUT -T body as if it were empty (MinIO answers
    # SignatureDoesNotMatch), so the direct side uses a presigned URL (UNSIGNED-PAYLOAD),
    # made here by boto3 before the clock starts; curl only streams the file.
    return s3_client().generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": key},
                                              ExpiresIn=3600)


def curl_direct_put_cmd(bucket: str, key: str, path: Path, out: Path) -> list[str]:
    return CURL_COMMON + ["-o", str(out), "-w", "%{http_code} %{time_total}",
                          "-T", str(path), presigned_put_url(bucket, key)]


def run_curl(cmd: list[str], expect: int, out: Path) -> float:
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=330)
    try:
        code, secs = r.stdout.split()
        code_i, secs_f = int(code), float(secs)
    except ValueError:
        raise BenchError(f"curl failed ({r.returncode}): {r.stderr.strip()}") from None
    if code_i != expect:
        body = out.read_text(errors="replace")[:500] if out.exists() else ""
        raise BenchError(f"expected HTTP {expect}, got {code_i} after {secs_f:.2f} s "
                         f"(curl exit {r.returncode}: {r.stderr.strip()}): {body}")
    return secs_f


def stored_right(body: dict, size: int, md5: str) -> bool:
    """Whether an upload's answer names the file's size and an ETag it can have: its MD5, or
    (a body of unknown length goes to MinIO in parts) a multipart ETag. The bytes themselves
    are checked by `verify_download`."""
    etag = body.get("etag") or ""
    multipart = len(etag) > 33 and etag[32] == "-" and etag[33:].isdigit()
    return body.get("file_size") == size and (etag == md5 or multipart)


def rest_upload(server: Server, token: str, path: Path, out: Path, md5: str) -> float:
    secs = run_curl(curl_rest_upload_cmd(server, token, path, out), 201, out)
    body = json.loads(out.read_text())
    size = path.stat().st_size
    if not stored_right(body, size, md5):
        raise BenchError(f"REST upload stored {body.get('file_size')} bytes, etag {body.get('etag')}; "
                         f"expected {size}, {md5}")
    return secs


def verify_download(server: Server, token: str, out: Path, md5: str) -> None:
    """Downloads the upload whose answer is in `out` (following the redirect) and compares
    its MD5, outside any timed section."""
    file_id = json.loads(out.read_text())["id"]
    r = requests.get(f"{server.url}/api/files/{file_id}/download", headers={"Authorization": f"Bearer {token}"},
                     stream=True, timeout=120)
    r.raise_for_status()
    got = hashlib.md5()
    for chunk in r.iter_content(1 << 20):
        got.update(chunk)
    if got.hexdigest() != md5:
        raise BenchError(f"the download of file {file_id} has MD5 {got.hexdigest()}, expected {md5}")


def direct_put(bucket: str, key: str, path: Path, out: Path) -> float:
    return run_curl(curl_direct_put_cmd(bucket, key, path, out), 200, out)


# --------------------------------------------------------------------------- benches
def bench_throughput(args, root: Path, big: Path, md5: str) -> dict:
    srv = Server(args.bin, root, "throughput")
    try:
        srv.start()
        token = srv.user("uploader@bench.test")
        out = srv.dir / "curl.out"
        size = big.stat().st_size
        log("throughput: warm-up (1 REST, 1 direct)")
        rest_upload(srv, token, big, out, md5)
        verify_download(srv, token, out, md5)
        direct_put(srv.bucket, "bench-direct/warmup", big, out)
        rest, direct = [], []
        meter = CpuMeter(srv.pid)
        cpu_rest = {"wall_s": 0.0, "tiergate_cpu_s": 0.0, "minio_cpu_s": 0.0, "curl_cpu_s": 0.0,
                    "others_cpu_s": 0.0}
        cpu_direct = dict(cpu_rest)
        busy_rest, busy_direct = [], []
        failures: list[str] = []

        def measured(side: str, fn, cpu: dict, busy: list, speeds: list) -> str:
            a = meter.snap()
            try:
                t = fn()
            except BenchError as e:  # recorded, not retried: a failed upload is a finding
                failures.append(f"{side} run {i + 1}: {e}")
                log(f"throughput {i + 1}/{args.n}: {side} FAILED: {e}")
                if srv.proc.poll() is not None:
                    raise BenchError(f"tiergate exited with {srv.proc.returncode}") from None
                return "failed"
            d = CpuMeter.delta(a, meter.snap())
            speeds.append(size / MIB / t)
            for k in cpu:
                cpu[k] += d[k]
            busy.append(d["machine_busy_pct"])
            return f"{speeds[-1]:.1f} MiB/s ({t:.2f} s)"

        for i in range(args.n):
            r1 = measured("REST", lambda: rest_upload(srv, token, big, out, md5), cpu_rest, busy_rest, rest)
            r2 = measured("direct", lambda: direct_put(srv.bucket, f"bench-direct/{i}", big, out),
                          cpu_direct, busy_direct, direct)
            log(f"throughput {i + 1}/{args.n}: REST {r1}, direct {r2}")
        if not rest or not direct:
            raise BenchError(f"no successful runs on one side: {failures}")

        def per_run(c: dict, runs: int) -> dict:
            return {k: round(v / runs, 2) for k, v in c.items()}

        r = {
            "file_mib": size / MIB,
            "n": args.n,
            "rest_mib_s": [round(x, 1) for x in rest],
            "direct_mib_s": [round(x, 1) for x in direct],
            "rest_median_mib_s": round(statistics.median(rest), 1),
            "direct_median_mib_s": round(statistics.median(direct), 1),
            "cpu_per_rest_upload": per_run(cpu_rest, len(rest)),
            "cpu_per_direct_put": per_run(cpu_direct, len(direct)),
            "failures": failures,
            "machine_busy_pct_rest": round(statistics.mean(busy_rest), 1),
            "machine_busy_pct_direct": round(statistics.mean(busy_direct), 1),
        }
        r["ratio"] = round(r["rest_median_mib_s"] / r["direct_median_mib_s"], 3)
        return r
    finally:
        srv.stop(args.keep)


def bench_rss(args, root: Path, big: Path, md5: str, part_size: int | None) -> dict:
    label = f"{part_size // MIB} MiB parts" if part_size else "default parts (8 MiB)"
    srv = Server(args.bin, root, "rss", part_size=part_size)
    try:
        srv.start()
        token = srv.user("rss@bench.test")
        out = srv.dir / "warmup.out"
        log(f"rss ({label}): warm-up upload")
        rest_upload(srv, token, big, out, md5)
        time.sleep(1.0)
        idle = proc_status_kib(srv.pid, "VmRSS") or 0
        samples: list[int] = []
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                v = proc_status_kib(srv.pid, "VmRSS")
                if v is not None:
                    samples.append(v)
                stop.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        meter = CpuMeter(srv.pid)
        outs = [srv.dir / f"c{i}.out" for i in range(args.concurrency)]
        log(f"rss ({label}): {args.concurrency} concurrent uploads")
        sampler.start()
        a = meter.snap()
        t0 = time.monotonic()
        procs = [subprocess.Popen(curl_rest_upload_cmd(srv, token, big, o), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for o in outs]
        failures = []
        try:
            results = [p.communicate(timeout=330) for p in procs]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait(timeout=10)
        for (so, se), o in zip(results, outs):
            parts = so.split()
            if len(parts) != 2 or parts[0] != "201":
                failures.append(f"{so.strip()} {se.strip()} {o.read_text(errors='replace')[:300] if o.exists() else ''}")
            else:
                body = json.loads(o.read_text())
                if not stored_right(body, big.stat().st_size, md5):
                    failures.append(f"wrong stored file: {body}")
        wall = time.monotonic() - t0
        b = meter.snap()
        time.sleep(1.0)
        stop.set()
        sampler.join(timeout=5)
        after = proc_status_kib(srv.pid, "VmRSS") or 0
        hwm = proc_status_kib(srv.pid, "VmHWM") or 0
        peak = max(samples) if samples else 0
        r = {
            "part_size": part_size or 8 * MIB,
            "file_mib": big.stat().st_size / MIB,
            "concurrency": args.concurrency,
            "idle_mib": round(idle / 1024, 1),
            "peak_mib": round(peak / 1024, 1),
            "growth_mib": round((peak - idle) / 1024, 1),
            "after_1s_mib": round(after / 1024, 1),
            "vmhwm_mib": round(hwm / 1024, 1),
            "samples": len(samples),
            "wall_s": round(wall, 2),
            "aggregate_mib_s": round(args.concurrency * big.stat().st_size / MIB / wall, 1),
            "cpu": CpuMeter.delta(a, b),
            "failures": failures,
        }
        if failures:
            log(f"rss ({label}): {len(failures)} uploads failed: {failures[:3]}")
        return r
    finally:
        srv.stop(args.keep)


def seed_files(srv: Server, token: str, count: int, workers: int) -> float:
    local = threading.local()
    errors: list[str] = []
    halt = threading.Event()

    def one(i: int) -> None:
        if halt.is_set() or len(errors) > 20:
            return
        s = getattr(local, "s", None)
        if s is None:
            s = local.s = requests.Session()
            s.headers["Authorization"] = f"Bearer {token}"
        try:
            r = s.post(srv.url + "/api/files/upload",
                       files={"file": (f"seed-{i:05d}.txt", f"file {i}\n".encode(), "text/plain")}, timeout=30)
            if r.status_code != 201:
                errors.append(f"{r.status_code} {r.text[:200]}")
        except requests.RequestException as e:
            errors.append(str(e))

    t0 = time.monotonic()
    ex = cf.ThreadPoolExecutor(workers)
    try:
        list(ex.map(one, range(count)))
    finally:
        halt.set()  # queued work returns at once if we are interrupted
        ex.shutdown(wait=True, cancel_futures=True)
    secs = time.monotonic() - t0
    if errors:
        raise BenchError(f"seeding: {len(errors)} uploads failed, e.g. {errors[:3]}")
    return secs


def time_gets(srv: Server, token: str, path: str, n: int, cfg: Path) -> tuple[list[float], int]:
    """n sequential GETs of `path` by one curl process (one keep-alive connection): seconds each."""
    with open(cfg, "w") as f:
        for _ in range(n):
            f.write(f'url = "{srv.url}{path}"\noutput = "/dev/null"\n')
    r = subprocess.run(["curl", "-sS", "--max-time", "120", "-H", f"Authorization: Bearer {token}",
                        "-w", "%{http_code} %{time_total} %{num_connects}\n", "-K", str(cfg)],
                       capture_output=True, text=True, timeout=150)
    times, connects = [], 0
    for line in r.stdout.splitlines():
        code, secs, nc = line.split()
        if code != "200":
            raise BenchError(f"GET {path}: HTTP {code}")
        times.append(float(secs))
        connects += int(nc)
    if len(times) != n:
        raise BenchError(f"GET {path}: {len(times)} of {n} answered; curl: {r.stderr.strip()[:300]}")
    return times, connects


def bench_list(args, root: Path, catalog: str) -> dict:
    srv = Server(args.bin, root, f"list-{catalog}", catalog=catalog)
    try:
        srv.start()
        other = srv.user("other@bench.test")
        seed_files(srv, other, 100, args.seed_workers)  # someone else's files, to be filtered out
        token = srv.user("lister@bench.test")
        log(f"list ({catalog}): seeding {args.files} files with {args.seed_workers} workers")
        seed_secs = seed_files(srv, token, args.files, args.seed_workers)
        log(f"list ({catalog}): seeded in {seed_secs:.1f} s ({args.files / seed_secs:.0f} uploads/s)")
        page = requests.get(srv.url + "/api/files?limit=50&offset=0",
                            headers={"Authorization": f"Bearer {token}"}, timeout=30).json()
        if page.get("total") != args.files or len(page.get("files", [])) != min(50, args.files):
            raise BenchError(f"list: total {page.get('total')}, {len(page.get('files', []))} files on the page")
        cfg = srv.dir / "curl-list.cfg"
        time_gets(srv, token, "/api/files", 20, cfg)  # warm-up
        meter = CpuMeter(srv.pid)
        a = meter.snap()
        times, connects = time_gets(srv, token, "/api/files", args.requests, cfg)
        cpu = CpuMeter.delta(a, meter.snap())
        last_off = max(args.files - 50, 0)
        deep, _ = time_gets(srv, token, f"/api/files?limit=50&offset={last_off}", 100, cfg)
        ms = [t * 1000 for t in times]
        deep_ms = [t * 1000 for t in deep]
        return {
            "catalog": catalog,
            "files": args.files,
            "seed_s": round(seed_secs, 1),
            "seed_uploads_per_s": round(args.files / seed_secs, 0),
            "requests": args.requests,
            "new_connections": connects,
            "p50_ms": round(percentile(ms, 50), 2),
            "p99_ms": round(percentile(ms, 99), 2),
            "max_ms": round(max(ms), 2),
            "mean_ms": round(statistics.mean(ms), 2),
            "tiergate_cpu_ms_per_request": round(cpu["tiergate_cpu_s"] * 1000 / args.requests, 2),
            "last_page_offset": last_off,
            "last_page_p50_ms": round(percentile(deep_ms, 50), 2),
            "last_page_p99_ms": round(percentile(deep_ms, 99), 2),
        }
    finally:
        srv.stop(args.keep)


# --------------------------------------------------------------------------- report
def machine() -> dict:
    mem = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.splitlines()
    cpu_model = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "nproc": os.cpu_count(),
        "cpu": cpu_model,
        "mem": mem[1] if len(mem) > 1 else "",
        "kernel": platform.release(),
        "loadavg_at_start": open("/proc/loadavg").read().split()[:3],
        "curl": subprocess.run(["curl", "--version"], capture_output=True, text=True).stdout.splitlines()[0],
    }


def summary(res: dict) -> str:
    lines = ["", "Tiergate control-plane upload benchmark", "=" * 72]
    m = res["machine"]
    lines.append(f"{m['date']}  nproc={m['nproc']}  {m['cpu']}  load at start {' '.join(m['loadavg_at_start'])}")
    lines.append(f"memory: {m['mem']}")
    lines.append("-" * 72)
    t = res.get("throughput")
    if t:
        lines.append(f"throughput, {t['file_mib']:.0f} MiB file, N={t['n']} each, median MiB/s")
        lines.append(f"  REST upload (curl -F)        {t['rest_median_mib_s']:8.1f}   runs {t['rest_mib_s']}")
        lines.append(f"  direct PUT to MinIO (curl -T){t['direct_median_mib_s']:8.1f}   runs {t['direct_mib_s']}")
        lines.append(f"  ratio REST/direct            {t['ratio']:8.3f}   (target >= 0.8)")
        for f in t["failures"]:
            lines.append(f"  FAILED: {f[:300]}")
        c, d = t["cpu_per_rest_upload"], t["cpu_per_direct_put"]
        lines.append(f"  CPU s per REST upload: tiergate {c['tiergate_cpu_s']}, minio {c['minio_cpu_s']}, "
                     f"curl {c['curl_cpu_s']}, others {c['others_cpu_s']} (wall {c['wall_s']}; machine busy {t['machine_busy_pct_rest']}%)")
        lines.append(f"  CPU s per direct PUT:  tiergate {d['tiergate_cpu_s']}, minio {d['minio_cpu_s']}, "
                     f"curl {d['curl_cpu_s']}, others {d['others_cpu_s']} (wall {d['wall_s']}; machine busy {t['machine_busy_pct_direct']}%)")
    for r in res.get("rss", []):
        lines.append(f"RSS, {r['concurrency']} concurrent {r['file_mib']:.0f} MiB REST uploads, part_size {r['part_size'] // MIB} MiB")
        lines.append(f"  idle {r['idle_mib']} MiB  peak {r['peak_mib']} MiB  growth {r['growth_mib']} MiB "
                     f"(target <= 64)  after+1s {r['after_1s_mib']} MiB  VmHWM {r['vmhwm_mib']} MiB")
        lines.append(f"  {r['samples']} samples; {r['wall_s']} s wall, aggregate {r['aggregate_mib_s']} MiB/s; "
                     f"tiergate CPU {r['cpu']['tiergate_cpu_s']} s, minio {r['cpu']['minio_cpu_s']} s, "
                     f"others {r['cpu']['others_cpu_s']} s; "
                     f"failures {len(r['failures'])}")
    for r in res.get("list", []):
        lines.append(f"GET /api/files (default page), {r['files']} files, {r['catalog']}, "
                     f"{r['requests']} sequential requests on {r['new_connections']} connection(s)")
        lines.append(f"  p50 {r['p50_ms']} ms  p99 {r['p99_ms']} ms  max {r['max_ms']} ms  "
                     f"(tiergate CPU {r['tiergate_cpu_ms_per_request']} ms/request)")
        lines.append(f"  last page (offset {r['last_page_offset']}): p50 {r['last_page_p50_ms']} ms  "
                     f"p99 {r['last_page_p99_ms']} ms; seeding {r['seed_s']} s ({r['seed_uploads_per_s']:.0f}/s)")
    for e in res.get("errors", []):
        lines.append(f"ERROR: {e}")
    lines.append("=" * 72)
    return "\n".join(lines)


class Timeout(Exception):
    pass


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    candidates = [os.environ.get("TIERGATE_BIN"),
                  os.environ.get("CARGO_TARGET_DIR") and f"{os.environ['CARGO_TARGET_DIR']}/release/tiergate",
                  "/opt/tiergate-cache/target/release/tiergate", str(REPO / "target/release/tiergate")]
    candidates = [c for c in candidates if c]
    default_bin = next((c for c in candidates if Path(c).is_file()), candidates[0])
    ap.add_argument("--bin", type=Path, default=Path(default_bin), help=f"tiergate binary (default {default_bin})")
    ap.add_argument("--n", type=int, default=5, help="uploads per side for throughput (default 5)")
    ap.add_argument("--size-mib", type=int, default=100, help="size of the random file (default 100)")
    ap.add_argument("--concurrency", type=int, default=8, help="concurrent uploads for RSS (default 8)")
    ap.add_argument("--files", type=int, default=10_000, help="files of the listing user (default 10000)")
    ap.add_argument("--requests", type=int, default=500, help="timed GET /api/files (default 500)")
    ap.add_argument("--seed-workers", type=int, default=8)
    ap.add_argument("--only", choices=["throughput", "rss", "list"], action="append",
                    help="run only these benches (repeatable; default all)")
    ap.add_argument("--no-postgres", action="store_true", help="list bench on SQLite only")
    ap.add_argument("--json", type=Path, help="also write the results here as JSON")
    ap.add_argument("--keep", action="store_true",
                    help="keep the servers' temp dirs (logs, SQLite catalogs) under /tmp/tg-upbench-*")
    ap.add_argument("--max-seconds", type=int, default=1800, help="hard limit for the whole run (default 1800)")
    args = ap.parse_args()
    only = set(args.only or ["throughput", "rss", "list"])

    if not args.bin.is_file():
        print(f"no tiergate binary at {args.bin}: build it (cargo build --release --bin tiergate) "
              f"or pass --bin", file=sys.stderr)
        return 2
    for tool in ["curl"] + (["psql"] if "list" in only and not args.no_postgres else []):
        if not shutil.which(tool):
            print(f"{tool} is not on PATH", file=sys.stderr)
            return 2
    try:
        requests.get(MINIO + "/minio/health/live", timeout=3).raise_for_status()
    except requests.RequestException as e:
        print(f"MinIO is not answering at {MINIO} ({e}): bash scripts/services.sh start", file=sys.stderr)
        return 2

    def on_alarm(*_):
        raise Timeout(f"the run took longer than --max-seconds={args.max_seconds}")

    def on_term(signum, _):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, on_term)
    signal.alarm(args.max_seconds)

    root = Path(tempfile.mkdtemp(prefix="tg-upbench-", dir="/tmp"))
    big = root / f"random-{args.size_mib}MiB.bin"
    res: dict = {"machine": machine(), "command": " ".join([sys.executable] + sys.argv), "errors": []}
    try:
        log(f"writing {args.size_mib} MiB of random bytes to {big}")
        h = hashlib.md5()
        with open(big, "wb") as f:
            for _ in range(args.size_mib):
                chunk = os.urandom(MIB)
                h.update(chunk)
                f.write(chunk)
        md5 = h.hexdigest()

        steps = []
        if "throughput" in only:
            steps.append(("throughput", lambda: res.__setitem__("throughput", bench_throughput(args, root, big, md5))))
        if "rss" in only:
            res["rss"] = []
            for ps in (None, 5 * MIB):
                steps.append((f"rss part_size={ps or 'default'}",
                              lambda ps=ps: res["rss"].append(bench_rss(args, root, big, md5, ps))))
        if "list" in only:
            res["list"] = []
            for cat in ["sqlite"] + ([] if args.no_postgres else ["postgres"]):
                steps.append((f"list {cat}", lambda cat=cat: res["list"].append(bench_list(args, root, cat))))
        for name, step in steps:
            try:
                step()
            except (BenchError, subprocess.SubprocessError, requests.RequestException, OSError) as e:
                log(f"{name} FAILED: {e}")
                res["errors"].append(f"{name}: {e}")
    except (Timeout, KeyboardInterrupt) as e:
        res["errors"].append(f"stopped: {e}")
    finally:
        signal.alarm(0)
        if args.keep:
            (root / big.name).unlink(missing_ok=True)
            log(f"kept the servers' temp dirs (logs, catalogs) in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print(summary(res))
    if args.json:
        args.json.write_text(json.dumps(res, indent=2) + "\n")
    return 1 if res["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
