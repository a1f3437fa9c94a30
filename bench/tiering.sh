#!/usr/bin/env bash
# shellcheck disable=SC2034  # KEEP and TG_BIN are read by lib.sh
# Tiering vs rclone copy (issue 4): a tiering pass (`tiergate tiering run-now`) moving a set of
# objects from the hot MinIO (127.0.0.1:9000) to the cold MinIO (127.0.0.1:9100) against
# `rclone copy` of the same backing objects between the same two servers, in the same run and
# in turns; then GET of a 128 MiB cold object through the gateway against a direct GET of the
# same object from the cold MinIO (curl --aws-sigv4 both). Prints numbers only: no timed
# assertions. See bench/README.md.
#
#   bash bench/tiering.sh [--rounds 3] [--concurrency 8] [--batch-size 64] [--get-n 21]
#                         [--small 2000x64KiB] [--large 8x128MiB] [--only small,large,get]
#                         [--env TIERGATE_X__Y=V ...] [--keep]
#
# Each round of a set: a new Tiergate user uploads the set through the S3 gateway (rclone copy
# from a local folder, 8 transfers); the user's backing objects are then hot/<bucket>/user-<id>/.
# Odd rounds time the tiering pass first, even rounds rclone first. rclone copies
# hot:<hot bucket>/user-<id> to a fresh cold bucket (--transfers 8 --checkers 8, other settings
# default: --s3-upload-cutoff 200Mi, so a 128 MiB object is one PUT; --s3-chunk-size 5Mi);
# that bucket is purged after the round (not timed). The pass runs with
# TIERGATE_TIERING__DELETE_HOT_AFTER_COPY=false, so the hot copies stay for rclone.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS=3
CONCURRENCY=8
BATCH=64
GET_N=21
SMALL=2000x64KiB
LARGE=8x128MiB
ONLY=small,large,get
EXTRA_ENV=()
while (($#)); do
    case $1 in
        --rounds) ROUNDS=$2; shift 2 ;;
        --concurrency) CONCURRENCY=$2; shift 2 ;;
        --batch-size) BATCH=$2; shift 2 ;;
        --get-n) GET_N=$2; shift 2 ;;
        --small) SMALL=$2; shift 2 ;;
        --large) LARGE=$2; shift 2 ;;
        --only) ONLY=$2; shift 2 ;;
        --env) EXTRA_ENV+=("$2"); shift 2 ;;
        --keep) KEEP=1; shift ;;
        *) die "unknown argument $1" ;;
    esac
done
want() { [[ ,$ONLY, == *,$1,* ]]; }
bytes_of() { # 64KiB -> 65536
    local n=${1%%[KMG]iB} u=${1##*[0-9]}
    case $u in KiB) echo $((n << 10)) ;; MiB) echo $((n << 20)) ;; GiB) echo $((n << 30)) ;; *) echo "$1" ;; esac
}

TG_BIN=$(find_bin) || die "no tiergate binary (set TIERGATE_BIN)"
command -v rclone >/dev/null || die "rclone not on PATH (eval \"\$(bash scripts/services.sh env)\")"
mkdir -p "$ROOT/bench/out"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$ROOT/bench/out/tiering-$STAMP.jsonl
: >"$OUT"
RC_BUCKETS=()

cleanup() {
    set +e
    rclone_env
    local b
    for b in "${RC_BUCKETS[@]}"; do purge_bucket cold "$b"; done
    cleanup_tiergate
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "$(machine_info | head -1)"
start_tiergate TIERGATE_TIERING__CONCURRENCY="$CONCURRENCY" TIERGATE_TIERING__BATCH_SIZE="$BATCH" \
    TIERGATE_TIERING__DELETE_HOT_AFTER_COPY=false ${EXTRA_ENV[@]+"${EXTRA_ENV[@]}"}
rclone_env
MINIO_HOT_PID=$(minio_pid 9000)
MINIO_COLD_PID=$(minio_pid 9100)

# The local source files of a set (random bytes), made once.
make_set() { # name count size
    local dir=$TG_DIR/src-$1 n=$2 size i
    size=$(bytes_of "$3")
    mkdir -p "$dir"
    for i in $(seq -f '%05g' 1 "$n"); do head -c "$size" /dev/urandom >"$dir/obj-$i.bin"; done
    echo "$dir"
}

# Timed command: sets T_WALL T_CPU T_MAXRSS_KIB (from /usr/bin/time) and T_PEAK_KIB (VmRSS sampled
# every 100 ms); its output goes to $1.
timed() { # outfile cmd...
    local out=$1; shift
    local tf pid child
    tf=$(mktemp)
    /usr/bin/time -f '%e %U %S %M' -o "$tf" "$@" >"$out" 2>&1 &
    pid=$!
    # the timed process is /usr/bin/time's child
    child=
    local i
    for i in $(seq 1 50); do child=$(pgrep -P "$pid" | head -1 || true); [[ -n $child ]] && break; sleep 0.02; done
    T_PEAK_KIB=0
    [[ -n $child ]] && T_PEAK_KIB=$(sample_rss_peak "$child" "$child" 3600)
    wait "$pid" || { cat "$out" >&2; die "failed: $*"; }
    read -r T_WALL u s T_MAXRSS_KIB <"$tf"
    T_CPU=$(echo "$u + $s" | bc)
    rm -f "$tf"
}

emit() { # json
    echo "$1" | tee -a "$OUT" >&2
}

tier_pass() { # set round bytes
    local out=$TG_DIR/pass.out mi0 mc0 pg0 ld run_id row
    mi0=$(cpu_s "$MINIO_HOT_PID"); mc0=$(cpu_s "$MINIO_COLD_PID"); pg0=$(pg_cpu_s); ld=$(load1)
    timed "$out" bash -c "cd '$TG_DIR' && exec '$TG_BIN' tiering run-now"
    cat "$out" >&2
    run_id=$(sed -n 's/^tiering run \([0-9]*\):.*/\1/p' "$out" | head -1)
    [[ -n $run_id ]] || die "no run id in: $(cat "$out")"
    row=$(psql "$PG_BASE/$TG_DB" -qtAX -F ' ' \
        -c "SELECT status, moved, failed, bytes_moved, finished_at - started_at FROM tiering_runs WHERE id = $run_id")
    read -r status moved failed bytes_moved ms <<<"$row"
    emit "$(jq -nc --arg set "$1" --argjson round "$2" --argjson bytes "$3" --arg status "$status" \
        --argjson moved "$moved" --argjson failed "$failed" --argjson bytes_moved "$bytes_moved" \
        --argjson pass_s "$(echo "scale=3; $ms / 1000" | bc)" --argjson wall "$T_WALL" --argjson cpu "$T_CPU" \
        --argjson maxrss "$T_MAXRSS_KIB" --argjson peak "$T_PEAK_KIB" \
        --argjson mi "$(echo "$(cpu_s "$MINIO_HOT_PID") - $mi0" | bc)" \
        --argjson mc "$(echo "$(cpu_s "$MINIO_COLD_PID") - $mc0" | bc)" \
        --argjson pg "$(echo "$(pg_cpu_s) - $pg0" | bc)" --argjson ld "$ld" \
        '{tool: "tiering", set: $set, round: $round, bytes: $bytes, status: $status, moved: $moved,
          failed: $failed, bytes_moved: $bytes_moved, pass_s: $pass_s, wall_s: $wall, cpu_s: $cpu,
          maxrss_kib: $maxrss, rss_peak_kib: $peak, minio_hot_cpu_s: $mi, minio_cold_cpu_s: $mc,
          postgres_cpu_s: $pg, load1_before: $ld}')"
}

rclone_copy() { # set round bytes src
    local dst out=$TG_DIR/rclone.out mi0 mc0 n ld
    dst=tg-bench-rc-$(rand)
    RC_BUCKETS+=("$dst")
    mi0=$(cpu_s "$MINIO_HOT_PID"); mc0=$(cpu_s "$MINIO_COLD_PID"); ld=$(load1)
    timed "$out" rclone copy "$4" "cold:$dst" --transfers 8 --checkers 8 --stats 0
    n=$(rclone size --json "cold:$dst" | jq .count)
    emit "$(jq -nc --arg set "$1" --argjson round "$2" --argjson bytes "$3" --argjson n "$n" \
        --argjson wall "$T_WALL" --argjson cpu "$T_CPU" --argjson maxrss "$T_MAXRSS_KIB" \
        --argjson mi "$(echo "$(cpu_s "$MINIO_HOT_PID") - $mi0" | bc)" \
        --argjson mc "$(echo "$(cpu_s "$MINIO_COLD_PID") - $mc0" | bc)" --argjson ld "$ld" \
        '{tool: "rclone", set: $set, round: $round, bytes: $bytes, copied: $n, wall_s: $wall, cpu_s: $cpu,
          maxrss_kib: $maxrss, minio_hot_cpu_s: $mi, minio_cold_cpu_s: $mc, load1_before: $ld}')"
    purge_bucket cold "$dst"
}

# One round of a set: a new user uploads it; tiering and rclone in turns.
LAST_USER_ID='' LAST_AK='' LAST_SK=''
round() { # set round dir count size
    local set=$1 r=$2 dir=$3 count=$4 bytes user_id src
    bytes=$((count * $(bytes_of "$5")))
    make_user "tier-$set-$r-$(rand)@example.com"
    user_id=$(curl -fsS -m 10 -H "authorization: Bearer $U_TOKEN" "$TG_API/api/auth/me" | jq -r .user_id)
    export RCLONE_CONFIG_TG_TYPE=s3 RCLONE_CONFIG_TG_PROVIDER=Other RCLONE_CONFIG_TG_ENDPOINT=$TG_S3 \
        RCLONE_CONFIG_TG_ACCESS_KEY_ID=$U_AK RCLONE_CONFIG_TG_SECRET_ACCESS_KEY=$U_SK \
        RCLONE_CONFIG_TG_REGION=us-east-1 RCLONE_CONFIG_TG_FORCE_PATH_STYLE=true
    timed "$TG_DIR/upload.out" rclone copy "$dir" "tg:$set" --transfers 8 --checkers 8 --stats 0
    emit "$(jq -nc --arg set "$set" --argjson round "$r" --argjson bytes "$bytes" --argjson wall "$T_WALL" \
        --argjson peak "$(rss_kib "$TG_PID")" \
        '{tool: "upload-through-gateway", set: $set, round: $round, bytes: $bytes, wall_s: $wall, server_rss_after_kib: $peak}')"
    src="hot:$TG_HOT_BUCKET/user-$user_id"
    local n
    n=$(rclone size --json "$src" | jq .count)
    [[ $n == "$count" ]] || die "expected $count backing objects under $src, found $n"
    if ((r % 2)); then
        tier_pass "$set" "$r" "$bytes"; rclone_copy "$set" "$r" "$bytes" "$src"
    else
        rclone_copy "$set" "$r" "$bytes" "$src"; tier_pass "$set" "$r" "$bytes"
    fi
    LAST_USER_ID=$user_id LAST_AK=$U_AK LAST_SK=$U_SK
}

IFS=x read -r SMALL_N SMALL_SIZE <<<"$SMALL"
IFS=x read -r LARGE_N LARGE_SIZE <<<"$LARGE"
if want small; then
    log "making $SMALL_N files of $SMALL_SIZE"
    d=$(make_set small "$SMALL_N" "$SMALL_SIZE")
    for r in $(seq 1 "$ROUNDS"); do log "small set, round $r"; round small "$r" "$d" "$SMALL_N" "$SMALL_SIZE"; done
    rm -rf "$d"
fi
if want large || want get; then
    log "making $LARGE_N files of $LARGE_SIZE"
    d=$(make_set large "$LARGE_N" "$LARGE_SIZE")
    rounds=$ROUNDS
    want large || rounds=1
    for r in $(seq 1 "$rounds"); do log "large set, round $r"; round large "$r" "$d" "$LARGE_N" "$LARGE_SIZE"; done
    rm -rf "$d"
fi

if want get; then
    # The last large-set user's first object: cold now (with its hot copy kept, unused).
    name=obj-00001.bin
    # curl 7.88 does not send x-amz-content-sha256, which S3 (and the gateway) require.
    SHA_HDR="x-amz-content-sha256: UNSIGNED-PAYLOAD"
    cold_key=$(rclone lsf "cold:$TG_COLD_BUCKET/user-$LAST_USER_ID/" | grep -- "-$name\$" | head -1)
    [[ -n $cold_key ]] || die "no cold copy of $name"
    loc=$(curl -fsS -m 30 --aws-sigv4 "aws:amz:us-east-1:s3" -H "$SHA_HDR" --user "$LAST_AK:$LAST_SK" -I "$TG_S3/large/$name" \
        | tr -d '\r' | awk -F': ' 'tolower($1)=="x-amz-storage-class" {print $2}')
    log "GET $name: gateway storage class ${loc:-?}, cold key user-$LAST_USER_ID/$cold_key"
    # The same GET through a bare TCP relay in front of the cold MinIO (bench/relay): the most
    # any process relaying the bytes gets here.
    start_relay "${COLD_EP#http://}"
    get_one() { # target round
        local url user out
        case $1 in
            gateway) url=$TG_S3/large/$name user=$LAST_AK:$LAST_SK ;;
            relay) url=$RELAY_EP/$TG_COLD_BUCKET/user-$LAST_USER_ID/$cold_key user=$MINIO_AK:$MINIO_SK ;;
            *) url=$COLD_EP/$TG_COLD_BUCKET/user-$LAST_USER_ID/$cold_key user=$MINIO_AK:$MINIO_SK ;;
        esac
        out=$(curl -sS -m 300 -o /dev/null -w '%{http_code} %{size_download} %{time_total} %{time_starttransfer}' \
            --aws-sigv4 "aws:amz:us-east-1:s3" -H "$SHA_HDR" --user "$user" "$url")
        read -r code size secs ttfb <<<"$out"
        [[ $code == 200 ]] || die "GET $1 answered $code"
        emit "$(jq -nc --arg t "$1" --argjson round "$2" --argjson size "$size" --argjson s "$secs" --argjson ttfb "$ttfb" \
            '{tool: "get", target: $t, round: $round, size: $size, seconds: $s, ttfb_s: $ttfb, mib_per_s: ($size / 1048576 / $s)}')"
    }
    get_one gateway 0; get_one relay 0; get_one direct 0 # warm-up
    for r in $(seq 1 "$GET_N"); do
        if ((r % 2)); then
            get_one gateway "$r"; get_one relay "$r"; get_one direct "$r"
        else
            get_one direct "$r"; get_one relay "$r"; get_one gateway "$r"
        fi
    done
fi

python3 - "$OUT" "$CONCURRENCY" "$BATCH" "$ROUNDS" "$SMALL" "$LARGE" <<'EOF'
import json, statistics, sys
path, conc, batch, rounds, small, large = sys.argv[1:]
rows = [json.loads(l) for l in open(path) if l.strip()]
med = statistics.median
MiB = 1 << 20
print(f"\nTiering pass vs rclone copy, hot MinIO -> cold MinIO; tiering concurrency={conc} batch_size={batch}; "
      f"rclone --transfers 8 --checkers 8; {rounds} rounds per set, medians")
print(f"{'set':<16}{'tiering MiB/s':>14}{'(wall)':>9}{'rclone MiB/s':>14}{'ratio':>8}  target >= 1.0")
for s, desc in (("small", small), ("large", large)):
    t = [r for r in rows if r["tool"] == "tiering" and r["set"] == s]
    c = [r for r in rows if r["tool"] == "rclone" and r["set"] == s]
    if not t or not c:
        continue
    tp = med([r["bytes"] / MiB / r["pass_s"] for r in t])
    tw = med([r["bytes"] / MiB / r["wall_s"] for r in t])
    cp = med([r["bytes"] / MiB / r["wall_s"] for r in c])
    ratio = tp / cp
    print(f"{s + ' ' + desc:<16}{tp:>14.1f}{tw:>9.1f}{cp:>14.1f}{ratio:>8.2f}  {'met' if ratio >= 1 else 'MISSED'}")
    print(f"  tiering per round: " + "; ".join(f"pass {r['pass_s']:.1f} s wall {r['wall_s']:.1f} s {r['status']} moved {r['moved']} failed {r['failed']}, "
          f"cpu {r['cpu_s']:.1f} s, peak RSS {r['rss_peak_kib']/1024:.0f} MiB (maxrss {r['maxrss_kib']/1024:.0f})" for r in t))
    print(f"  rclone per round:  " + "; ".join(f"{r['wall_s']:.1f} s, copied {r['copied']}, cpu {r['cpu_s']:.1f} s, maxrss {r['maxrss_kib']/1024:.0f} MiB" for r in c))
    print(f"  minio cores busy (median, hot+cold): tiering {med([(r['minio_hot_cpu_s'] + r['minio_cold_cpu_s']) / r['wall_s'] for r in t]):.2f}, "
          f"rclone {med([(r['minio_hot_cpu_s'] + r['minio_cold_cpu_s']) / r['wall_s'] for r in c]):.2f}; "
          f"tiergate/rclone process cores busy: {med([r['cpu_s'] / r['wall_s'] for r in t]):.2f} / {med([r['cpu_s'] / r['wall_s'] for r in c]):.2f}; "
          f"load1 before: tiering {', '.join(str(r['load1_before']) for r in t)}, rclone {', '.join(str(r['load1_before']) for r in c)}")
    u = [r for r in rows if r["tool"] == "upload-through-gateway" and r["set"] == s]
    if u:
        print(f"  upload through the gateway (rclone copy, 8 transfers): median {med([r['bytes'] / MiB / r['wall_s'] for r in u]):.1f} MiB/s")
    if s == "large":
        print(f"  tiering process peak RSS during the {desc} set: {max(r['rss_peak_kib'] for r in t)/1024:.1f} MiB (sampled every 100 ms), "
              f"max VmHWM {max(r['maxrss_kib'] for r in t)/1024:.1f} MiB")
g = [r for r in rows if r["tool"] == "get" and r["round"] > 0]
if g:
    gw = med([r["mib_per_s"] for r in g if r["target"] == "gateway"])
    di = med([r["mib_per_s"] for r in g if r["target"] == "direct"])
    rl = med([r["mib_per_s"] for r in g if r["target"] == "relay"] or [float("nan")])
    print(f"GET {large.split('x')[1]} cold object, curl, median of {len([r for r in g if r['target'] == 'gateway'])}: gateway {gw:.1f} MiB/s, direct cold MinIO {di:.1f} MiB/s, "
          f"ratio {gw/di:.2f} (target >= 0.85: {'met' if gw/di >= 0.85 else 'MISSED'}); TTFB median gateway "
          f"{med([r['ttfb_s'] for r in g if r['target']=='gateway'])*1000:.1f} ms, direct {med([r['ttfb_s'] for r in g if r['target']=='direct'])*1000:.1f} ms")
    print(f"  the same GET through a bare TCP relay (bench/relay): {rl:.1f} MiB/s = {rl/di:.2f} of direct, about the best a process "
          f"relaying the bytes gets here; gateway / relay {gw/rl:.2f}")
print(f"raw: {path}")
EOF
envs=""
for e in ${EXTRA_ENV[@]+"${EXTRA_ENV[@]}"}; do envs+=" --env $e"; done
echo "command: bash bench/tiering.sh --rounds $ROUNDS --concurrency $CONCURRENCY --batch-size $BATCH --get-n $GET_N --small $SMALL --large $LARGE --only $ONLY$envs"
