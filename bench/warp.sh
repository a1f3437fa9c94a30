#!/usr/bin/env bash
# shellcheck disable=SC2034  # KEEP and TG_BIN are read by lib.sh
# S3 gateway vs MinIO direct (issue 3): the same warp-style load, the same client settings,
# against Tiergate's S3 gateway (Postgres catalog + MinIO hot tier, a user's long-lived key) and
# against the hot MinIO directly, in turns (gateway, direct, then direct, gateway, ...), and the
# medians. GET 32 MiB also runs through bench/relay, a bare TCP relay in front of the same
# MinIO: about the best any process relaying the bytes gets on this machine. Prints numbers
# only: no timed assertions. See bench/README.md.
#
#   bash bench/warp.sh [--rounds 3] [--duration 20s] [--concurrent 4] [--list-objects 100000]
#                      [--only put32,put32sp,get32,put64k,list,stat] [--keep]
#
# The load generator is bench/s3load (Go, on minio-go, the client warp is built on): warp itself
# cannot be installed here (the Go module proxy refuses github.com/minio/warp), so s3load does
# warp's put/get/list/stat. It is built on first use into /opt/tiergate-cache/bin/s3load.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS=3
DUR=20s
CONC=4
LIST_OBJECTS=100000
ONLY=put32,put32sp,get32,put64k,list,stat
GET_OBJECTS=16
PREP_CONC=16
while (($#)); do
    case $1 in
        --rounds) ROUNDS=$2; shift 2 ;;
        --duration) DUR=$2; shift 2 ;;
        --concurrent) CONC=$2; shift 2 ;;
        --list-objects) LIST_OBJECTS=$2; shift 2 ;;
        --only) ONLY=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        *) die "unknown argument $1" ;;
    esac
done
want() { [[ ,$ONLY, == *,$1,* ]]; }

TG_BIN=$(find_bin) || die "no tiergate binary (set TIERGATE_BIN)"
S3LOAD=$CACHE/bin/s3load
if [[ ! -x $S3LOAD || $ROOT/bench/s3load/main.go -nt $S3LOAD ]]; then
    log "building s3load"
    (cd "$ROOT/bench/s3load" && go build -o "$S3LOAD" .) || die "go build s3load"
fi
mkdir -p "$ROOT/bench/out"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$ROOT/bench/out/warp-$STAMP.jsonl
: >"$OUT"
DIRECT_BUCKET=tg-bench-direct-$(rand)
GW_BUCKET=bench

cleanup() {
    set +e
    [[ -n ${LOAD_PID:-} ]] && kill "$LOAD_PID" 2>/dev/null
    rclone_env
    purge_bucket hot "$DIRECT_BUCKET"
    cleanup_tiergate
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "$(machine_info | head -1)"
start_tiergate
make_user "warp-$(rand)@example.com"
if want get32; then start_relay "${HOT_EP#http://}"; fi
MINIO_HOT_PID=$(minio_pid 9000)

# One s3load run; appends its JSON line, with round, CPU seconds of tiergate and of the hot
# MinIO, and (gateway) the tiergate RSS peak sampled every 100 ms, to $OUT.
run_one() { # target round name s3load-args...
    local target=$1 round=$2 name=$3; shift 3
    local host ak sk bucket
    case $target in
        gateway) host=$TG_S3 ak=$U_AK sk=$U_SK bucket=$GW_BUCKET ;;
        relay) host=$RELAY_EP ak=$MINIO_AK sk=$MINIO_SK bucket=$DIRECT_BUCKET ;;
        *) host=$HOT_EP ak=$MINIO_AK sk=$MINIO_SK bucket=$DIRECT_BUCKET ;;
    esac
    local tg0 mi0 pg0 rl0 ld rss0 tmp peak=0
    tg0=$(cpu_s "$TG_PID"); mi0=$(cpu_s "$MINIO_HOT_PID"); pg0=$(pg_cpu_s); ld=$(load1); rss0=$(rss_kib "$TG_PID")
    rl0=$(cpu_s "${RELAY_PID:-0}")
    tmp=$(mktemp)
    "$S3LOAD" -host "$host" -access-key "$ak" -secret-key "$sk" -bucket "$bucket" -region us-east-1 \
        -target "$target" "$@" >"$tmp" 2>"$tmp.err" &
    LOAD_PID=$!
    if [[ $round == 1 && ( $name == put32 || $name == put32sp || $name == put64k ) ]]; then
        (sleep 10; top -b -n1 -w 200 | head -20 >"$ROOT/bench/out/warp-$STAMP-top-$name-$target.txt") &
    fi
    if [[ $target == gateway ]]; then peak=$(sample_rss_peak "$TG_PID" "$LOAD_PID" 1200); fi
    wait "$LOAD_PID" || { cat "$tmp.err" >&2; die "s3load $name $target failed"; }
    LOAD_PID=
    [[ -s $tmp.err ]] && head -3 "$tmp.err" >&2
    jq -c --arg name "$name" --argjson round "$round" --argjson tg "$(cpu_s "$TG_PID")" --argjson tg0 "$tg0" \
        --argjson mi "$(cpu_s "$MINIO_HOT_PID")" --argjson mi0 "$mi0" --argjson peak "$peak" --argjson rss0 "$rss0" \
        --argjson pg "$(pg_cpu_s)" --argjson pg0 "$pg0" --argjson ld "$ld" \
        --argjson rl "$(cpu_s "${RELAY_PID:-0}")" --argjson rl0 "$rl0" \
        '. + {name: $name, round: $round, tiergate_cpu_s: ($tg - $tg0), minio_cpu_s: ($mi - $mi0), relay_cpu_s: ($rl - $rl0),
              postgres_cpu_s: ($pg - $pg0), load1_before: $ld, rss_before_kib: $rss0, rss_peak_kib: $peak}' \
        "$tmp" | tee -a "$OUT" >&2
    rm -f "$tmp" "$tmp.err"
}

# ROUNDS rounds, gateway and direct in turns (and the relay between them when RELAY=1), the
# order flipped every round.
pair() { # name s3load-args...
    local name=$1; shift
    local r t order targets=(gateway direct)
    [[ ${RELAY:-} == 1 ]] && targets=(gateway relay direct)
    for r in $(seq 1 "$ROUNDS"); do
        order=("${targets[@]}")
        if ((r % 2 == 0)); then mapfile -t order < <(printf '%s\n' "${targets[@]}" | tac); fi
        for t in "${order[@]}"; do run_one "$t" "$r" "$name" "$@"; done
    done
}

prepare_both() { # name s3load-args...
    local name=$1; shift
    run_one gateway 0 "$name" -op prepare "$@"
    run_one direct 0 "$name" -op prepare "$@"
}

IDLE_RSS=$(rss_kib "$TG_PID")
log "tiergate idle RSS: $IDLE_RSS KiB"
if want put32; then pair put32 -op put -obj-size 32MiB -concurrent "$CONC" -duration "$DUR"; fi
# The same with one PUT per object (no client multipart): the gateway streams it to the hot
# tier as a multipart upload of its own (part_size 8 MiB) -- not a target, for comparison.
if want put32sp; then pair put32sp -op put -obj-size 32MiB -concurrent "$CONC" -duration "$DUR" -disable-multipart; fi
if want get32; then
    prepare_both prep-get32 -obj-size 32MiB -objects "$GET_OBJECTS" -concurrent "$CONC" -prefix G
    # The bare TCP relay in front of the hot MinIO runs beside them: about the best a gateway can do.
    RELAY=1 pair get32 -op get -obj-size 32MiB -objects "$GET_OBJECTS" -concurrent "$CONC" -prefix G -duration "$DUR"
fi
if want put64k; then pair put64k -op put -obj-size 64KiB -concurrent "$CONC" -duration "$DUR"; fi
if want list || want stat; then
    prepare_both prep-1k -obj-size 1KiB -objects "$LIST_OBJECTS" -concurrent "$PREP_CONC" -split "$CONC" -prefix L -max-time 15m
    # list: worker c lists L/<c>/ to its end (pages of 1000, delimiter "/") over and over.
    if want list; then pair list -op list -objects "$LIST_OBJECTS" -concurrent "$CONC" -split "$CONC" -prefix L -duration "$DUR"; fi
    if want stat; then pair stat -op stat -objects "$LIST_OBJECTS" -concurrent "$CONC" -split "$CONC" -prefix L -duration "$DUR"; fi
fi
curl -fsS -m 10 "$TG_API/metrics" >"$ROOT/bench/out/warp-$STAMP-metrics.txt" 2>/dev/null || true
HWM=$(hwm_kib "$TG_PID")

python3 - "$OUT" "$IDLE_RSS" "$HWM" "$CONC" "$DUR" "$ROUNDS" "$LIST_OBJECTS" <<'EOF'
import json, statistics, sys
path, idle, hwm, conc, dur, rounds, nlist = sys.argv[1:]
rows = [json.loads(l) for l in open(path) if l.strip()]
def med(name, target, field):
    v = [r[field] for r in rows if r["name"] == name and r["target"] == target and r["round"] > 0]
    return statistics.median(v) if v else None
def errs(name):
    return sum(r["errors"] for r in rows if r["name"] == name)
print(f"\nS3 gateway vs MinIO direct: {rounds} rounds x {dur} each side, {conc} workers, medians")
print(f"{'bench':<26}{'gateway':>14}{'direct':>14}{'ratio':>8}  target")
lines = [
    ("put32", "mib_per_s", "PUT 32 MiB MiB/s", ">= 0.85", lambda r: r >= 0.85),
    ("put32sp", "mib_per_s", "PUT 32 MiB 1-part MiB/s", "(no target)", None),
    ("get32", "mib_per_s", "GET 32 MiB MiB/s", ">= 0.85", lambda r: r >= 0.85),
    ("put64k", "ops_per_s", "PUT 64 KiB ops/s", ">= 0.6", lambda r: r >= 0.6),
    ("list", "requests_per_s", "LIST pages/s", "> 1 (faster)", lambda r: r > 1),
    ("list", "req_p50_ms", "LIST page p50 ms", "< 1 (lower)", lambda r: r < 1),
    ("list", "req_p99_ms", "LIST page p99 ms", "", None),
    ("stat", "ops_per_s", "HEAD ops/s", "> 1 (faster)", lambda r: r > 1),
    ("stat", "p50_ms", "HEAD p50 ms", "< 1 (lower)", lambda r: r < 1),
    ("stat", "p99_ms", "HEAD p99 ms", "", None),
    ("put32", "p50_ms", "PUT 32 MiB p50 ms", "", None),
    ("put64k", "p50_ms", "PUT 64 KiB p50 ms", "", None),
    ("put64k", "p99_ms", "PUT 64 KiB p99 ms", "", None),
]
for name, field, label, tdesc, ok in lines:
    g, d = med(name, "gateway", field), med(name, "direct", field)
    if g is None or d is None:
        continue
    ratio = g / d if d else float("nan")
    met = "" if ok is None else ("met" if ok(ratio) else "MISSED")
    print(f"{label:<26}{g:>14.2f}{d:>14.2f}{ratio:>8.2f}  {tdesc} {met}")
rl, gw, di = (med("get32", t, "mib_per_s") for t in ("relay", "gateway", "direct"))
if rl and di:
    print(f"{'GET 32 MiB, bare TCP relay':<26}{rl:>14.2f}{di:>14.2f}{rl / di:>8.2f}  (about the best a process relaying the bytes gets here; "
          f"gateway / relay {gw / rl:.2f})")
    rcpu = statistics.median([r["relay_cpu_s"] / r["seconds"] for r in rows if r["name"] == "get32" and r["target"] == "relay"])
    print(f"  get32: cores busy (median): relay {rcpu:.2f}")
for name in ("put32", "put32sp", "get32", "put64k", "list", "stat"):
    g = [r for r in rows if r["name"] == name and r["round"] > 0]
    if g:
        cpu = {t: statistics.median([r["tiergate_cpu_s"] / r["seconds"] for r in g if r["target"] == t] or [0]) for t in ("gateway",)}
        mcpu = {t: statistics.median([r["minio_cpu_s"] / r["seconds"] for r in g if r["target"] == t] or [0]) for t in ("gateway", "direct")}
        pcpu = {t: statistics.median([r.get("postgres_cpu_s", 0) / r["seconds"] for r in g if r["target"] == t] or [0]) for t in ("gateway", "direct")}
        load = {t: statistics.median([r.get("load1_before", 0) for r in g if r["target"] == t] or [0]) for t in ("gateway", "direct")}
        ccpu = {t: statistics.median([r["client_cpu_s"] / r["seconds"] for r in g if r["target"] == t] or [0]) for t in ("gateway", "direct")}
        print(f"  {name}: cores busy (median): tiergate {cpu['gateway']:.2f}; minio {mcpu['gateway']:.2f} (gw run) / "
              f"{mcpu['direct']:.2f} (direct run); postgres {pcpu['gateway']:.2f} / {pcpu['direct']:.2f}; "
              f"client {ccpu['gateway']:.2f} / {ccpu['direct']:.2f}; load1 before {load['gateway']:.1f} / {load['direct']:.1f}; errors {errs(name)}")
for r in rows:
    if r["round"] == 0:
        print(f"  prepare {r['name']} {r['target']}: {r['ops']} objects in {r['seconds']:.1f} s = {r['ops_per_s']:.0f} PUT/s (p50 {r['p50_ms']:.1f} ms), errors {r['errors']}")
p = [r["rss_peak_kib"] for r in rows if r["name"] == "put32" and r["target"] == "gateway"]
if p:
    print(f"tiergate RSS: idle {int(idle)/1024:.1f} MiB; peak during PUT 32 MiB runs {max(p)/1024:.1f} MiB "
          f"(per run: {', '.join(f'{x/1024:.0f}' for x in p)}); VmHWM at the end {int(hwm)/1024:.1f} MiB")
print(f"raw: {path}")
EOF
echo "command: bash bench/warp.sh --rounds $ROUNDS --duration $DUR --concurrent $CONC --list-objects $LIST_OBJECTS --only $ONLY"
