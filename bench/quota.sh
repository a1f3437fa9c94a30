#!/usr/bin/env bash
# shellcheck disable=SC2034  # KEEP and TG_BIN are read by lib.sh
# The cost of quota enforcement (issue 13): PUT 64 KiB through the gateway (Postgres catalog +
# MinIO hot tier) by a user without a quota and by a user with one (far from full, so every
# write reserves room and is checked at commit), in turns (free, limited, then limited, free,
# ...), and the medians. Prints numbers only: no timed assertions. See bench/README.md.
#
#   bash bench/quota.sh [--rounds 5] [--duration 15s] [--concurrent 4]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS=5
DUR=15s
CONC=4
while (($#)); do
    case $1 in
        --rounds) ROUNDS=$2; shift 2 ;;
        --duration) DUR=$2; shift 2 ;;
        --concurrent) CONC=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        *) die "unknown argument $1" ;;
    esac
done

TG_BIN=$(find_bin) || die "no tiergate binary (set TIERGATE_BIN)"
S3LOAD=$CACHE/bin/s3load
if [[ ! -x $S3LOAD || $ROOT/bench/s3load/main.go -nt $S3LOAD ]]; then
    log "building s3load"
    (cd "$ROOT/bench/s3load" && go build -o "$S3LOAD" .) || die "go build s3load"
fi
mkdir -p "$ROOT/bench/out"
OUT=$ROOT/bench/out/quota-$(date -u +%Y%m%dT%H%M%SZ).jsonl
: >"$OUT"
trap cleanup_tiergate EXIT
trap 'exit 130' INT TERM

log "$(machine_info | head -1)"
start_tiergate TIERGATE_AUDIT__TARGET=off
make_user "ops@example.com"
ADMIN_TOKEN=$U_TOKEN
make_user "free-$(rand)@example.com"
FREE_AK=$U_AK FREE_SK=$U_SK
make_user "limited-$(rand)@example.com"
LIMITED_AK=$U_AK LIMITED_SK=$U_SK
LIMITED_ID=$(curl -fsS -m 10 -H "authorization: Bearer $U_TOKEN" "$TG_API/api/auth/me" | jq -r .user_id)
curl -fsS -m 10 -X PUT -H "authorization: Bearer $ADMIN_TOKEN" -H 'content-type: application/json' \
    -d '{"bytes": 1099511627776, "objects": 100000000}' "$TG_API/api/admin/users/$LIMITED_ID/quota" >/dev/null \
    || die "set the quota"

run() { # who round
    local who=$1 round=$2 ak sk tmp
    case $who in
        free) ak=$FREE_AK sk=$FREE_SK ;;
        *) ak=$LIMITED_AK sk=$LIMITED_SK ;;
    esac
    tmp=$(mktemp)
    "$S3LOAD" -host "$TG_S3" -access-key "$ak" -secret-key "$sk" -bucket files -region us-east-1 \
        -target "$who" -op put -obj-size 64KiB -concurrent "$CONC" -duration "$DUR" >"$tmp" 2>"$tmp.err" \
        || { cat "$tmp.err" >&2; die "s3load $who failed"; }
    jq -c --argjson round "$round" '. + {round: $round}' "$tmp" | tee -a "$OUT" >&2
    rm -f "$tmp" "$tmp.err"
}

for r in $(seq 1 "$ROUNDS"); do
    if ((r % 2)); then run free "$r"; run limited "$r"; else run limited "$r"; run free "$r"; fi
done

python3 - "$OUT" "$ROUNDS" "$DUR" "$CONC" <<'PY'
import json, statistics, sys
path, rounds, dur, conc = sys.argv[1:]
rows = [json.loads(l) for l in open(path) if l.strip()]
def med(who, field):
    return statistics.median(r[field] for r in rows if r["target"] == who)
print(f"\nPUT 64 KiB through the gateway, with and without a quota: {rounds} rounds x {dur}, {conc} workers, medians")
print(f"{'':<22}{'no quota':>12}{'quota':>12}{'ratio':>8}")
for field, label in (("ops_per_s", "ops/s"), ("p50_ms", "p50 ms"), ("p99_ms", "p99 ms")):
    f, q = med("free", field), med("limited", field)
    print(f"{label:<22}{f:>12.2f}{q:>12.2f}{q / f:>8.3f}")
print(f"errors: {sum(r['errors'] for r in rows)}   target: quota ops/s within 5% of no quota")
print(f"raw: {path}")
PY
