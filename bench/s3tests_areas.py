"""Passes per feature area of the ceph s3-tests file, for one or more servers side by side.

Usage: python bench/s3tests_areas.py NAME=JUNIT.xml[+ISOLATED_DIR] [NAME=... ...]
(ISOLATED_DIR: the JUnit files of s3tests.sh --isolate; their results replace the first run's.)
Prints a Markdown table: one row per area (the first pattern below that a test's name matches),
with passed/run for each server, and a total row. The areas follow the features the suite
exercises; a name says enough (the JUnit XML keeps no pytest markers).
"""

from __future__ import annotations

import glob
import os
import re
import sys
import xml.etree.ElementTree as ET

AREAS = [
    ("browser POST uploads", r"post_object"),
    ("tagging", r"tagging|_tags?_|_tags?$"),
    ("lifecycle", r"lifecycle|restore_object|cloud_"),
    ("object lock", r"object_lock|legal_hold|retention"),
    ("versioning", r"versioning|versioned|delete_marker|_current_|version"),
    ("encryption (SSE)", r"sse|encrypt"),
    ("bucket logging", r"logging"),
    ("bucket policy, public access block", r"policy|block_public|public_block"),
    ("ACL, anonymous access", r"acl|anon|public|access_bucket|object_raw|grant"),
    ("CORS", r"cors"),
    ("website", r"website"),
    ("checksums", r"checksum"),
    ("GetObjectAttributes", r"attributes"),
    ("conditional writes", r"if_match|if_none_match|ifmatch|ifnonematch|conditional|put_write"),
    ("multipart uploads", r"multipart|upload_part"),
    ("listing", r"list|prefix|delimiter|marker|max_keys|continuation|encoding_type"),
    ("copy", r"copy"),
    ("bucket administration", r"bucket_create|bucket_delete|bucket_head|bucket_recreate|create_bucket|bucket_get_location|bucket_name"),
    ("ranges", r"range"),
    ("objects (other)", r""),
]


def area(name: str) -> str:
    for label, pattern in AREAS:
        if re.search(pattern, name):
            return label
    return AREAS[-1][0]


def outcomes(path: str) -> dict[str, bool]:
    """test name (with parameters) -> passed; set-up and tear-down errors count as failures."""
    passed: dict[str, bool] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        name = case.get("name", "")
        ok = all(case.find(tag) is None for tag in ("failure", "error", "skipped"))
        passed[name] = passed.get(name, True) and ok
    return passed


def merged(spec: str) -> dict[str, bool]:
    """A run's outcomes, with the tests re-run in isolation (a directory after '+') replacing
    the first run's; a test that passed in isolation but left a bucket behind counts as passed."""
    first, _, isolated = spec.partition("+")
    result = outcomes(first)
    if isolated:
        for path in sorted(glob.glob(os.path.join(isolated, "*.xml"))):
            for case in ET.parse(path).getroot().iter("testcase"):
                name = case.get("name", "")
                failed = case.find("failure") is not None or case.find("skipped") is not None
                error = case.find("error")
                teardown_only = error is not None and (error.get("message") or "").startswith("failed on teardown")
                ok = not failed and (error is None or teardown_only)
                result[name] = ok
    return result


def main(argv: list[str]) -> None:
    servers = [arg.split("=", 1) for arg in argv]
    results = {name: merged(spec) for name, spec in servers}
    tests = sorted(set().union(*(r.keys() for r in results.values())))
    rows: dict[str, dict[str, list[int]]] = {}
    for test in tests:
        row = rows.setdefault(area(test), {name: [0, 0] for name, _ in servers})
        for name, _ in servers:
            if test in results[name]:
                row[name][1] += 1
                row[name][0] += results[name][test]
    names = [name for name, _ in servers]
    print("| area | tests | " + " | ".join(f"{n} passed" for n in names) + " |")
    print("|---|---:|" + "---:|" * len(names))
    order = [label for label, _ in AREAS]
    totals = {n: [0, 0] for n in names}
    for label in sorted(rows, key=order.index):
        cells = []
        for n in names:
            got, ran = rows[label][n]
            totals[n][0] += got
            totals[n][1] += ran
            cells.append(f"{got}" if ran else "–")
        count = max(rows[label][n][1] for n in names)
        print(f"| {label} | {count} | " + " | ".join(cells) + " |")
    print(f"| **all** | {len(tests)} | " + " | ".join(f"**{totals[n][0]}**" for n in names) + " |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
