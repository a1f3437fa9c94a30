"""aws-cli (`aws s3` and `aws s3api`) against the gateway, as a user would type it."""

from __future__ import annotations

import json
import os
import subprocess
import time

from conftest import sha256_file, tree, unique, write_random_file

MiB = 1024 * 1024


def ls_names(output: str) -> list[str]:
    """Names from `aws s3 ls` lines: `PRE dir/` or `DATE TIME SIZE NAME`."""
    names = []
    for line in output.splitlines():
        parts = line.split(None, 3)
        if not parts:
            continue
        if parts[0] == "PRE":
            names.append(line.split("PRE", 1)[1].strip())
        elif len(parts) == 4:
            names.append(parts[3])
    return names


def ls_sizes(output: str) -> dict[str, int]:
    out = {}
    for line in output.splitlines():
        parts = line.split(None, 3)
        if len(parts) == 4 and parts[0] != "PRE":
            out[parts[3]] = int(parts[2])
    return out


def bucket_names(output: str) -> list[str]:
    """`aws s3 ls` with no path: `DATE TIME NAME` lines."""
    return [line.split()[-1] for line in output.splitlines() if line.strip()]


def test_mb_cp_ls_rm_rb(user, clienthome, tmp_path):
    aws = lambda *a, **kw: user.aws(clienthome, *a, **kw)  # noqa: E731
    b = unique("cli-")
    aws("s3", "mb", f"s3://{b}")
    assert b in bucket_names(aws("s3", "ls").stdout)

    src = tmp_path / "hello.txt"
    src.write_bytes(b"hello from aws-cli\n" * 50)
    aws("s3", "cp", str(src), f"s3://{b}/greetings/hello.txt")
    aws("s3", "cp", str(src), f"s3://{b}/top.txt")

    top = aws("s3", "ls", f"s3://{b}").stdout
    assert sorted(ls_names(top)) == ["greetings/", "top.txt"]
    inside = aws("s3", "ls", f"s3://{b}/greetings/").stdout
    assert ls_names(inside) == ["hello.txt"]
    rec = aws("s3", "ls", f"s3://{b}", "--recursive").stdout
    assert ls_sizes(rec) == {"greetings/hello.txt": src.stat().st_size, "top.txt": src.stat().st_size}

    down = tmp_path / "down.txt"
    aws("s3", "cp", f"s3://{b}/greetings/hello.txt", str(down))
    assert down.read_bytes() == src.read_bytes()

    aws("s3", "rm", f"s3://{b}/top.txt")
    assert ls_names(aws("s3", "ls", f"s3://{b}").stdout) == ["greetings/"]

    # rb refuses a bucket that still has objects
    full = aws("s3", "rb", f"s3://{b}", check=False)
    assert full.returncode != 0
    assert "BucketNotEmpty" in full.stderr, full.stderr

    aws("s3", "rm", f"s3://{b}", "--recursive")
    assert aws("s3", "ls", f"s3://{b}", "--recursive").stdout.strip() == ""
    aws("s3", "rb", f"s3://{b}")
    assert b not in bucket_names(aws("s3", "ls").stdout)


def test_server_side_copy(user, clienthome, tmp_path):
    """`aws s3 cp s3://… s3://…` and `aws s3 mv`: CopyObject inside the gateway."""
    aws = lambda *a, **kw: user.aws(clienthome, *a, **kw)  # noqa: E731
    b = unique("cp-")
    aws("s3", "mb", f"s3://{b}")
    src = tmp_path / "orig.txt"
    src.write_bytes(b"copied on the server\n" * 20)
    aws("s3", "cp", str(src), f"s3://{b}/orig.txt")
    aws("s3", "cp", f"s3://{b}/orig.txt", f"s3://{b}/copy.txt")
    aws("s3", "mv", f"s3://{b}/copy.txt", f"s3://{b}/moved/copy.txt")
    assert sorted(ls_sizes(aws("s3", "ls", f"s3://{b}", "--recursive").stdout)) == ["moved/copy.txt", "orig.txt"]
    aws("s3", "cp", f"s3://{b}/moved/copy.txt", str(tmp_path / "back.txt"))
    assert (tmp_path / "back.txt").read_bytes() == src.read_bytes()
    aws("s3", "rb", f"s3://{b}", "--force")


def test_sync_both_ways(user, clienthome, tmp_path):
    aws = lambda *a, **kw: user.aws(clienthome, *a, **kw)  # noqa: E731
    b = unique("sync-")
    aws("s3", "mb", f"s3://{b}")
    src = tmp_path / "src"
    files = {
        "a.txt": b"alpha\n",
        "nested/b.txt": b"beta\n" * 100,
        "nested/deeper/c.bin": bytes(range(256)) * 64,
        "nested/deeper/empty": b"",
        "with space/d e.txt": b"spaces in names\n",
        "unicode/\u00e9t\u00e9.txt": b"summer\n",
    }
    for rel, data in files.items():
        p = src / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    # an hour old, so a second sync never sees them as newer than the uploaded copies
    old = time.time() - 3600
    for p in src.rglob("*"):
        if p.is_file():
            os.utime(p, (old, old))

    up = aws("s3", "sync", str(src), f"s3://{b}/tree")
    assert up.stdout.count("upload:") == len(files), up.stdout
    listed = ls_sizes(aws("s3", "ls", f"s3://{b}/tree/", "--recursive").stdout)
    assert listed == {f"tree/{k}": len(v) for k, v in files.items()}

    again = aws("s3", "sync", str(src), f"s3://{b}/tree")
    assert "upload:" not in again.stdout, f"second sync uploaded again:\n{again.stdout}"

    dst = tmp_path / "dst"
    down = aws("s3", "sync", f"s3://{b}/tree", str(dst))
    assert down.stdout.count("download:") == len(files), down.stdout
    assert tree(dst) == tree(src)

    # a change and a deletion travel with --delete
    (src / "a.txt").write_bytes(b"alpha, changed\n")
    (src / "nested" / "b.txt").unlink()
    aws("s3", "sync", str(src), f"s3://{b}/tree", "--delete")
    aws("s3", "sync", f"s3://{b}/tree", str(dst), "--delete")
    assert tree(dst) == tree(src)

    aws("s3", "rb", f"s3://{b}", "--force")
    assert b not in bucket_names(aws("s3", "ls").stdout)


def test_large_multipart_cp(user, clienthome, tmp_path):
    aws = lambda *a, **kw: user.aws(clienthome, *a, **kw)  # noqa: E731
    b = unique("big-")
    aws("s3", "mb", f"s3://{b}")
    src = write_random_file(tmp_path / "big.bin", 64 * MiB, seed=64)
    aws("s3", "cp", str(src), f"s3://{b}/big.bin", timeout=600)

    head = json.loads(aws("s3api", "head-object", "--bucket", b, "--key", "big.bin").stdout)
    assert head["ContentLength"] == 64 * MiB
    etag = head["ETag"].strip('"')
    assert etag.endswith("-8"), f"aws-cli uploads 64 MiB in 8 MiB parts; ETag {etag}"

    down = tmp_path / "big.down"
    aws("s3", "cp", f"s3://{b}/big.bin", str(down), timeout=600)
    assert down.stat().st_size == 64 * MiB
    assert sha256_file(down) == sha256_file(src)

    aws("s3", "rb", f"s3://{b}", "--force")


def test_cp_from_stdin(user, clienthome):
    """`aws s3 cp - s3://…`: a body of unknown length, which the CLI sends as multipart."""
    b = unique("stdin-")
    user.aws(clienthome, "s3", "mb", f"s3://{b}")
    data = (b"streamed from a pipe\n" * (9 * MiB // 21 + 1))[: 9 * MiB]
    env = user.aws_env(clienthome)
    from conftest import client_bin

    p = subprocess.run(
        [client_bin("aws"), "--endpoint-url", user.server.gateway, "s3", "cp", "-", f"s3://{b}/piped.txt"],
        input=data, env=env, capture_output=True, timeout=300,
    )
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    p = subprocess.run(
        [client_bin("aws"), "--endpoint-url", user.server.gateway, "s3", "cp", f"s3://{b}/piped.txt", "-"],
        env=env, capture_output=True, timeout=300, stdin=subprocess.DEVNULL,
    )
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    assert p.stdout == data
    user.aws(clienthome, "s3", "rb", f"s3://{b}", "--force")


def test_s3api_list_objects_v2_and_missing_head(user, clienthome, tmp_path):
    aws = lambda *a, **kw: user.aws(clienthome, *a, **kw)  # noqa: E731
    b = unique("api-")
    aws("s3api", "create-bucket", "--bucket", b)
    body = tmp_path / "body.txt"
    body.write_bytes(b"s3api body\n")
    for key in ["logs/2024/a.log", "logs/2024/b.log", "logs/2025/c.log", "logs/readme", "other.txt"]:
        aws("s3api", "put-object", "--bucket", b, "--key", key, "--body", str(body))

    out = json.loads(aws("s3api", "list-objects-v2", "--bucket", b, "--prefix", "logs/", "--delimiter", "/").stdout)
    assert [o["Key"] for o in out.get("Contents", [])] == ["logs/readme"]
    assert [p["Prefix"] for p in out.get("CommonPrefixes", [])] == ["logs/2024/", "logs/2025/"]

    out = json.loads(aws("s3api", "list-objects-v2", "--bucket", b, "--prefix", "logs/2024/").stdout)
    assert [o["Key"] for o in out["Contents"]] == ["logs/2024/a.log", "logs/2024/b.log"]

    # the CLI pages by itself: --page-size 2 still returns every key
    out = json.loads(aws("s3api", "list-objects-v2", "--bucket", b, "--page-size", "2").stdout)
    assert len(out["Contents"]) == 5

    missing = aws("s3api", "head-object", "--bucket", b, "--key", "nope", check=False)
    assert missing.returncode != 0
    assert "404" in missing.stderr, missing.stderr

    missing_bucket = aws("s3", "ls", f"s3://{unique('absent-')}", check=False)
    assert missing_bucket.returncode != 0
    assert "NoSuchBucket" in missing_bucket.stderr, missing_bucket.stderr

    aws("s3", "rb", f"s3://{b}", "--force")


def test_bad_credentials_are_refused(user, clienthome):
    """A wrong secret: the CLI exits non-zero with SignatureDoesNotMatch."""
    env = user.aws_env(clienthome)
    env["AWS_SECRET_ACCESS_KEY"] = "x" * 40
    from conftest import client_bin, run

    p = run([client_bin("aws"), "--endpoint-url", user.server.gateway, "s3", "ls"], env=env, check=False, timeout=120)
    assert p.returncode != 0
    assert "SignatureDoesNotMatch" in p.stderr, p.stderr
