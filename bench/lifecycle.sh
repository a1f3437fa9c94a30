#!/usr/bin/env bash
# A tiering pass that follows lifecycle rules over a large catalog (issue 15): N objects
# (default 1,000,000) in 100 buckets, 50 of which have one rule each (25 by prefix, 25 by tag,
# each with a size filter so 1 KiB objects qualify); 1% of the objects match and move to the
# cold tier. Prints the pass's time, the catalog round trips per object moved, the objects rows
# the catalog read, and the peak RSS of `tiergate tiering run-now`; then, as the peer, `rclone
# copy` of the same files between the same two folders.
#
#   bash bench/lifecycle.sh [OBJECTS]
#
# Needs: the release binary (`make build`; or TIERGATE_BIN), Debian's Postgres 15 binaries
# (`scripts/services.sh install` puts them there), rclone and python3 from the venv. Runs as
# root: it starts a Postgres cluster of its own (in a temp dir, on a free port, with
# pg_stat_statements loaded, so that the pass's statements can be counted) and removes it at the
# end. The tiers are local folders: the figures are the catalog's work, not a network's.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

N=${1:-1000000}
BUCKETS=100
RULE_BUCKETS=50
BIN=$(find_bin) || die "no release binary: run 'make build' (or set TIERGATE_BIN)"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
[[ -x $PGBIN/initdb ]] || die "no Postgres binaries under /usr/lib/postgresql (scripts/services.sh install)"
command -v rclone >/dev/null || die "no rclone on PATH ($CACHE/venv/bin)"

W=$(mktemp -d /tmp/tiergate-lifecycle-XXXXXX)
chmod 755 "$W"
PGPORT=$(free_port)
HTTP=$(free_port)
S3=$(free_port)
SERVER_PID=
cleanup() {
    [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null || true
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$W/pg" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$W"
}
trap cleanup EXIT

log "Postgres cluster of its own on :$PGPORT (pg_stat_statements)"
mkdir -p "$W/pg" && chown postgres "$W/pg"
runuser -u postgres -- "$PGBIN/initdb" -D "$W/pg" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$W/pg" -l "$W/pg/log" -w start \
    -o "-p $PGPORT -k $W/pg -c listen_addresses=127.0.0.1 -c shared_preload_libraries=pg_stat_statements -c shared_buffers=512MB" >/dev/null
PSQL=("$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U postgres)
"${PSQL[@]}" -d postgres -c "CREATE DATABASE bench"
"${PSQL[@]}" -d bench -c "CREATE EXTENSION pg_stat_statements"

cat >"$W/config.toml" <<TOML
[server]
data_dir = "$W/data"
control_plane_addr = "127.0.0.1:$HTTP"
public_url = "http://127.0.0.1:$HTTP"
gateway_addr = "127.0.0.1:$S3"
gateway_public_url = "http://127.0.0.1:$S3"
[catalog]
url = "postgres://postgres@127.0.0.1:$PGPORT/bench"
[tiers.hot]
kind = "fs"
root = "$W/hot"
[tiers.cold]
kind = "fs"
root = "$W/cold"
[tiering]
default_policy = "none"
[audit]
target = "off"
TOML
export TIERGATE_CONFIG=$W/config.toml

log "starting tiergate to sign up and set the rules through the REST API"
"$BIN" serve >"$W/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 150); do curl -sf "http://127.0.0.1:$HTTP/healthz" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$HTTP/healthz" >/dev/null || { tail -20 "$W/serve.log" >&2; die "tiergate did not start"; }
api() { curl -sf -H 'content-type: application/json' "$@"; }
api -X POST "http://127.0.0.1:$HTTP/api/auth/signup" -d "{\"email\":\"bench@example.com\",\"password\":\"$PASSWORD\"}" >/dev/null
TOKEN=$(api -X POST "http://127.0.0.1:$HTTP/api/auth/login" -d "{\"email\":\"bench@example.com\",\"password\":\"$PASSWORD\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
USER_ID=$("${PSQL[@]}" -d bench -tAc "SELECT id FROM users WHERE email = 'bench@example.com'")
"${PSQL[@]}" -d bench -c "INSERT INTO buckets (owner_id, name, created_at)
    SELECT $USER_ID, 'bucket-' || lpad(b::text, 3, '0'), 0 FROM generate_series(0, $((BUCKETS - 1))) b"
for ((b = 0; b < RULE_BUCKETS; b++)); do
    if ((b % 2 == 0)); then
        filter='{"and": {"prefix": "due/", "objectSizeGreaterThan": 0}}'
    else
        filter='{"and": {"tags": [{"key": "tier", "value": "cold"}], "objectSizeGreaterThan": 0}}'
    fi
    api -X PUT -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$HTTP/api/buckets/bucket-$(printf %03d $b)/lifecycle" \
        -d "{\"rules\": [{\"id\": \"rule-$b\", \"status\": \"Enabled\", \"filter\": $filter,
             \"transitions\": [{\"date\": 1577836800000, \"storageClass\": \"STANDARD_IA\"}]}]}" >/dev/null
done
kill "$SERVER_PID" && wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=

# Object i is in bucket i % 100 (ids from 1 up); in the 50 rule buckets, 1 in 50 objects matches
# (bucket parity chooses a prefix rule or a tag rule): 1% of all. Others carry other tags, so the
# tag index is not trivially empty.
log "catalog: $N objects in $BUCKETS buckets"
# One statement inserts them all: the usage trigger would update the user's one usage row a
# million times in one transaction (a chain of row versions walked at each update), so it is off
# for the load and the usage is set once after it. The tags trigger stays on: it fills
# object_tags, which the rules read.
"${PSQL[@]}" -d bench -c "
ALTER TABLE objects DISABLE TRIGGER objects_usage;
INSERT INTO objects (owner_id, bucket_id, key, version_id, size, etag, tier, hot_key, created_at, display_name, tags)
SELECT $USER_ID, b.id,
       CASE WHEN m AND (i % $BUCKETS) % 2 = 0 THEN 'due/' ELSE 'keep/' END || lpad(i::text, 8, '0'),
       'v' || i, 1024, md5(i::text), 'hot', 'user-$USER_ID/v' || i || '-o', 0, 'o',
       CASE WHEN m AND (i % $BUCKETS) % 2 = 1 THEN '{\"tier\":\"cold\"}'
            WHEN i % 7 = 0 THEN '{\"tier\":\"hot\"}' ELSE '{}' END
FROM (SELECT i, (i % $BUCKETS) < $RULE_BUCKETS AND (i / $BUCKETS) % 50 = 0 AS m FROM generate_series(0, $((N - 1))) i) s
JOIN buckets b ON b.name = 'bucket-' || lpad((s.i % $BUCKETS)::text, 3, '0');
ALTER TABLE objects ENABLE TRIGGER objects_usage;
UPDATE user_usage SET bytes = (SELECT sum(size) FROM objects), objects = (SELECT count(*) FROM objects);
ANALYZE;"
MATCHED=$("${PSQL[@]}" -d bench -tAc "SELECT count(*) FROM objects WHERE key LIKE 'due/%' OR tags = '{\"tier\":\"cold\"}'")
log "writing the $MATCHED matching objects' bytes into the hot folder"
"${PSQL[@]}" -d bench -tAc "SELECT hot_key FROM objects WHERE key LIKE 'due/%' OR tags = '{\"tier\":\"cold\"}'" >"$W/keys"
python3 - "$W/hot" "$W/keys" <<'PY'
import os, sys
root, keys = sys.argv[1], sys.argv[2]
for line in open(keys):
    key = line.strip()
    if key:
        path = os.path.join(root, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(os.urandom(1024))
PY

"${PSQL[@]}" -d bench -c "SELECT pg_stat_statements_reset(); SELECT pg_stat_reset();" >/dev/null
read_before=$("${PSQL[@]}" -d bench -tAc "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) FROM pg_stat_user_tables WHERE relname = 'objects'")
log "the pass: tiergate tiering run-now"
/usr/bin/time -v "$BIN" tiering run-now >"$W/pass.out" 2>"$W/pass.time" || { cat "$W/pass.out" "$W/pass.time" >&2; die "the pass failed"; }
sleep 1 # statistics reach pg_stat_* asynchronously
read_after=$("${PSQL[@]}" -d bench -tAc "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) FROM pg_stat_user_tables WHERE relname = 'objects'")
statements=$("${PSQL[@]}" -d bench -tAc "SELECT sum(calls) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
    WHERE d.datname = 'bench' AND s.query NOT LIKE '%pg_stat%'")
run=$("${PSQL[@]}" -d bench -tAc "SELECT moved || ' ' || failed || ' ' || (finished_at - started_at) FROM tiering_runs ORDER BY id DESC LIMIT 1")
read -r moved failed pass_ms <<<"$run"
rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$W/pass.time")
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$W/pass.time")

log "the peer: rclone copy of the same $MATCHED files between the same folders"
rclone_start=$(date +%s.%N)
rclone copy --files-from "$W/keys" --no-traverse "$W/hot" "$W/cold-rclone" >/dev/null 2>&1
rclone_s=$(python3 -c "import time; print(f'{time.time() - $rclone_start:.2f}')")

echo
echo "objects=$N buckets=$BUCKETS rules=$RULE_BUCKETS matched=$MATCHED moved=$moved failed=$failed"
echo "pass: ${pass_ms} ms by the run record (process wall clock ${wall}); peak RSS $((rss_kb / 1024)) MiB"
echo "catalog statements in the pass: $statements ($(python3 -c "print(f'{$statements / max($moved, 1):.2f}')") per object moved)"
echo "objects rows read by the catalog in the pass: $((read_after - read_before)) ($(python3 -c "print(f'{($read_after - $read_before) / max($moved, 1):.2f}')") per object moved)"
echo "peer: rclone copy of the $MATCHED files: ${rclone_s} s"
