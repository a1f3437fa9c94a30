"""rclone (configured by environment variables only) against the gateway."""

from __future__ import annotations

import hashlib
import subprocess

import pytest

from conftest import tree, unique, write_random_file

MiB = 1024 * 1024

# rclone's defaults upload up to 200 MiB in one PUT; these flags make the 7 MiB file go up
# as a multipart upload of 5 MiB parts.
MULTIPART = ["--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M"]
QUICK_FAIL = ["--retries", "1", "--low-level-retries", "2"]


def make_folder(root):
    files = {
        "readme.txt": b"rclone was here\n",
        "docs/one.md": b"# one\n" * 200,
        "docs/deep/two.bin": bytes(range(256)) * 100,
        "empty.dat": b"",
        "name with spaces.txt": b"spaces\n",
    }
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    write_random_file(root / "media" / "big.bin", 7 * MiB, seed=7)
    return root


def parse_ls(output: str) -> dict[str, int]:
    out = {}
    for line in output.splitlines():
        line = line.strip()
        if line:
            size, name = line.split(" ", 1)
            out[name] = int(size)
    return out


@pytest.mark.parametrize("mode", ["single-put", "multipart"])
def test_copy_check_ls_purge(user, clienthome, tmp_path, mode):
    rclone = lambda *a, **kw: user.rclone(clienthome, *a, *QUICK_FAIL, **kw)  # noqa: E731
    extra = MULTIPART if mode == "multipart" else []
    src = make_folder(tmp_path / "src")
    b = unique("rc-")

    rclone("mkdir", f"tg:{b}")
    rclone("copy", str(src), f"tg:{b}/data", *extra, timeout=300)

    etag = user.s3().head_object(Bucket=b, Key="data/media/big.bin")["ETag"].strip('"')
    if mode == "multipart":
        assert etag.endswith("-2"), f"7 MiB in 5 MiB parts: ETag {etag}"
    else:
        assert "-" not in etag, f"a single PUT: ETag {etag}"

    expected = {p: (src / p).stat().st_size for p in tree(src)}
    listed = parse_ls(rclone("ls", f"tg:{b}/data").stdout)
    assert listed == expected

    check = rclone("check", str(src), f"tg:{b}/data", check=False)
    assert check.returncode == 0, f"rclone check failed:\n{check.stderr}"
    assert "0 differences found" in check.stderr, check.stderr
    # hashes were compared, not only sizes
    assert "hashes could not be checked" not in check.stderr, check.stderr

    # and the bytes come back identical
    dst = tmp_path / "dst"
    rclone("copy", f"tg:{b}/data", str(dst), timeout=300)
    assert tree(dst) == tree(src)

    # a second copy finds nothing to do
    again = rclone("copy", str(src), f"tg:{b}/data", "-v", *extra)
    assert "Copied (new)" not in again.stderr and "Copied (replaced" not in again.stderr, again.stderr

    rclone("purge", f"tg:{b}")
    buckets = rclone("lsd", "tg:").stdout
    assert b not in buckets


def test_rcat_and_server_side_copy(user, clienthome):
    """`rclone rcat` streams stdin (multipart, unknown size); `copyto` between remote paths
    is a server-side copy, in parts (UploadPartCopy) above --s3-copy-cutoff."""
    from conftest import client_bin

    b = unique("rcat-")
    user.rclone(clienthome, "mkdir", f"tg:{b}")
    data = (hashlib.sha256(b"rcat").digest() * (11 * MiB // 32))[: 11 * MiB]
    env = user.rclone_env(clienthome)
    p = subprocess.run(
        [client_bin("rclone"), "rcat", f"tg:{b}/streamed.bin", "--s3-chunk-size", "5M", *QUICK_FAIL],
        input=data, env=env, capture_output=True, timeout=300,
    )
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    user.rclone(clienthome, "copyto", f"tg:{b}/streamed.bin", f"tg:{b}/copy/streamed.bin", "--s3-copy-cutoff", "5M", *QUICK_FAIL)
    listed = parse_ls(user.rclone(clienthome, "ls", f"tg:{b}").stdout)
    assert listed == {"streamed.bin": len(data), "copy/streamed.bin": len(data)}
    s3 = user.s3()
    for key in ("streamed.bin", "copy/streamed.bin"):
        assert s3.head_object(Bucket=b, Key=key)["ETag"].strip('"').endswith("-3"), key
        p = subprocess.run(
            [client_bin("rclone"), "cat", f"tg:{b}/{key}", *QUICK_FAIL], env=env, capture_output=True, timeout=300,
            stdin=subprocess.DEVNULL,
        )
        assert p.returncode == 0 and p.stdout == data, key
    user.rclone(clienthome, "purge", f"tg:{b}")
