# shellcheck shell=bash disable=SC2034
# Shared helpers for bench/warp.sh and bench/tiering.sh (sourced, not run).
#
# Starts a Tiergate server on free 127.0.0.1 ports with a fresh Postgres database and fresh
# MinIO buckets, makes users and S3 keys, samples RSS and CPU, and removes everything again.
# Everything is bounded: each wait has a deadline, each loop a count.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=/opt/tiergate-cache
PG_ADMIN_URL=${TIERGATE_TEST_PG_URL:-postgres://tiergate:tiergate@127.0.0.1:55432/postgres}
PG_BASE=${PG_ADMIN_URL%/*}
HOT_EP=http://127.0.0.1:9000
COLD_EP=http://127.0.0.1:9100
MINIO_AK=tiergate
MINIO_SK=tiergate-secret
PASSWORD=bench-password-1
export PATH=$CACHE/venv/bin:$CACHE/bin:/usr/local/go/bin:$PATH

set -E
# shellcheck disable=SC2154
trap 'rc=$?; ((BASH_SUBSHELL)) || log "ERROR: exit $rc at ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND"' ERR

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
rand() { head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

find_bin() {
    local b
    for b in "${TIERGATE_BIN:-}" "${CARGO_TARGET_DIR:+$CARGO_TARGET_DIR/release/tiergate}" \
        "$CACHE/target/release/tiergate" "$ROOT/target/release/tiergate"; do
        if [[ -n $b && -x $b ]]; then echo "$b"; return 0; fi
    done
    return 1
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# rclone remotes "hot" and "cold" (the two MinIO servers), by environment, no config file.
rclone_env() {
    export RCLONE_CONFIG=/dev/null
    local r ep
    for r in HOT COLD; do
        [[ $r == HOT ]] && ep=$HOT_EP || ep=$COLD_EP
        export RCLONE_CONFIG_${r}_TYPE=s3 RCLONE_CONFIG_${r}_PROVIDER=Minio RCLONE_CONFIG_${r}_ENDPOINT=$ep \
            RCLONE_CONFIG_${r}_ACCESS_KEY_ID=$MINIO_AK RCLONE_CONFIG_${r}_SECRET_ACCESS_KEY=$MINIO_SK \
            RCLONE_CONFIG_${r}_REGION=us-east-1 RCLONE_CONFIG_${r}_FORCE_PATH_STYLE=true
    done
}

# Removes a bucket and everything in it (also unfinished multipart uploads); quiet when absent.
purge_bucket() { # remote bucket
    timeout 900 rclone purge "$1:$2" >/dev/null 2>&1 || true
    timeout 60 rclone cleanup "$1:$2" >/dev/null 2>&1 || true
    timeout 60 rclone rmdir "$1:$2" >/dev/null 2>&1 || true
}

psql_admin() { psql "$PG_ADMIN_URL" -qtAX -v ON_ERROR_STOP=1 -c "$1"; }

# Starts `tiergate serve` in a new temp dir; sets TG_DIR TG_PID TG_API TG_S3 TG_DB TG_HOT_BUCKET
# TG_COLD_BUCKET and exports the TIERGATE_* settings (so `tiergate tiering run-now` sees them).
# Extra settings come as NAME=VALUE arguments.
start_tiergate() {
    TG_DIR=$(mktemp -d /tmp/tg-bench-XXXXXX)
    TG_DB=tg_bench_$(rand)
    TG_HOT_BUCKET=tg-bench-hot-$(rand)
    TG_COLD_BUCKET=tg-bench-cold-$(rand)
    psql_admin "CREATE DATABASE $TG_DB" || die "create database"
    local cp gw
    cp=$(free_port); gw=$(free_port)
    TG_API=http://127.0.0.1:$cp
    TG_S3=http://127.0.0.1:$gw
    export TIERGATE_SERVER__DATA_DIR=$TG_DIR/data \
        TIERGATE_SERVER__CONTROL_PLANE_ADDR=127.0.0.1:$cp TIERGATE_SERVER__GATEWAY_ADDR=127.0.0.1:$gw \
        TIERGATE_SERVER__PUBLIC_URL=$TG_API TIERGATE_SERVER__GATEWAY_PUBLIC_URL=$TG_S3 \
        TIERGATE_SERVER__LOG_LEVEL=warn \
        TIERGATE_CATALOG__URL=$PG_BASE/$TG_DB \
        TIERGATE_TIERS__HOT__KIND=s3 TIERGATE_TIERS__HOT__ENDPOINT=$HOT_EP \
        TIERGATE_TIERS__HOT__BUCKET=$TG_HOT_BUCKET TIERGATE_TIERS__HOT__ACCESS_KEY_ID=$MINIO_AK \
        TIERGATE_TIERS__HOT__SECRET_ACCESS_KEY=$MINIO_SK TIERGATE_TIERS__HOT__CREATE_BUCKET=true \
        TIERGATE_TIERS__COLD__KIND=s3 TIERGATE_TIERS__COLD__ENDPOINT=$COLD_EP \
        TIERGATE_TIERS__COLD__BUCKET=$TG_COLD_BUCKET TIERGATE_TIERS__COLD__ACCESS_KEY_ID=$MINIO_AK \
        TIERGATE_TIERS__COLD__SECRET_ACCESS_KEY=$MINIO_SK TIERGATE_TIERS__COLD__CREATE_BUCKET=true \
        TIERGATE_TIERING__SCHEDULE="0 0 1 1 *" \
        TIERGATE_AUTH__ADMINS='["ops@example.com"]'
    local kv
    for kv in "$@"; do export "${kv?}"; done
    (cd "$TG_DIR" && exec "$TG_BIN" serve >"$TG_DIR/tiergate.log" 2>&1) &
    TG_PID=$!
    local i
    for i in $(seq 1 120); do
        if curl -fsS -m 2 "$TG_API/readyz" >/dev/null 2>&1; then
            log "tiergate pid $TG_PID ready: REST $TG_API, S3 $TG_S3, db $TG_DB, hot bucket $TG_HOT_BUCKET"
            return 0
        fi
        kill -0 "$TG_PID" 2>/dev/null || { tail -20 "$TG_DIR/tiergate.log" >&2; die "tiergate exited"; }
        sleep 0.5
    done
    tail -20 "$TG_DIR/tiergate.log" >&2
    die "tiergate not ready after 60 s"
}

# A bare TCP relay (bench/relay) in front of a MinIO: what any process standing between the
# client and MinIO costs at the least, measured beside the gateway. Sets RELAY_EP RELAY_PID.
start_relay() { # target 127.0.0.1:port
    local bin=$CACHE/bin/tcprelay port i
    if [[ ! -x $bin || $ROOT/bench/relay/tcprelay.c -nt $bin ]]; then
        log "building tcprelay"
        mkdir -p "$CACHE/bin"
        cc -O2 -pthread -o "$bin" "$ROOT/bench/relay/tcprelay.c" || die "cc tcprelay"
    fi
    port=$(free_port)
    "$bin" "$port" "${1##*:}" 2>>"${TG_DIR:-/tmp}/relay.log" &
    RELAY_PID=$!
    RELAY_EP=http://127.0.0.1:$port
    for i in $(seq 1 50); do
        if curl -s -o /dev/null -m 2 "$RELAY_EP/"; then return 0; fi
        sleep 0.1
    done
    die "tcprelay not listening on $RELAY_EP"
}

stop_tiergate() {
    if [[ -n ${TG_PID:-} ]] && kill -0 "$TG_PID" 2>/dev/null; then
        kill "$TG_PID" 2>/dev/null || true
        local i
        for i in $(seq 1 50); do kill -0 "$TG_PID" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$TG_PID" 2>/dev/null || true
    fi
    TG_PID=
}

# Removes what start_tiergate made (call from an EXIT trap).
cleanup_tiergate() {
    stop_tiergate
    [[ -n ${RELAY_PID:-} ]] && kill "$RELAY_PID" 2>/dev/null
    rclone_env
    [[ -n ${TG_HOT_BUCKET:-} ]] && purge_bucket hot "$TG_HOT_BUCKET"
    [[ -n ${TG_COLD_BUCKET:-} ]] && purge_bucket cold "$TG_COLD_BUCKET"
    [[ -n ${TG_DB:-} ]] && psql_admin "DROP DATABASE IF EXISTS $TG_DB WITH (FORCE)" >/dev/null 2>&1
    if [[ -n ${TG_DIR:-} && -d $TG_DIR && -z ${KEEP:-} ]]; then rm -rf "$TG_DIR"; fi
}

# A user with a long-lived S3 key: sets U_TOKEN U_AK U_SK.
make_user() { # email
    local email=$1 out
    curl -fsS -m 30 -H 'content-type: application/json' -d "{\"email\":\"$email\",\"password\":\"$PASSWORD\"}" \
        "$TG_API/api/auth/signup" >/dev/null || die "signup $email"
    out=$(curl -fsS -m 30 -H 'content-type: application/json' \
        -d "{\"email\":\"$email\",\"password\":\"$PASSWORD\"}" "$TG_API/api/auth/login") || die "login $email"
    U_TOKEN=$(jq -r .access_token <<<"$out")
    out=$(curl -fsS -m 30 -X POST -H "authorization: Bearer $U_TOKEN" -H 'content-type: application/json' \
        -d '{}' "$TG_API/api/keys") || die "create key for $email"
    U_AK=$(jq -r .access_key_id <<<"$out")
    U_SK=$(jq -r .secret_access_key <<<"$out")
    [[ -n $U_AK && $U_AK != null ]] || die "no access key in: $out"
}

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kib() { awk '/^VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# CPU seconds (user+system) a process has used so far.
cpu_s() {
    awk -v t="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / t }' "/proc/$1/stat" 2>/dev/null || echo 0
}
# CPU seconds used so far by all postgres processes (the catalog's backends are pooled, so they live on).
pg_cpu_s() {
    local t p total=0
    t=$(getconf CLK_TCK)
    for p in $(pgrep -x postgres); do
        total=$(awk -v t="$t" -v acc="$total" '{ sub(/^.*\) /, ""); print acc + ($12 + $13) / t }' "/proc/$p/stat" 2>/dev/null || echo "$total")
    done
    echo "$total"
}
load1() { cut -d' ' -f1 /proc/loadavg; }
minio_pid() { # port
    pgrep -f "minio server --address 127.0.0.1:$1 " | head -1
}

# Samples VmRSS of $1 every 100 ms while $2 is alive (at most $3 seconds); prints the peak (KiB).
sample_rss_peak() { # pid watch_pid max_seconds
    local pid=$1 watch=$2 max=$3 peak=0 r i
    for i in $(seq 1 $((max * 10))); do
        kill -0 "$watch" 2>/dev/null || break
        r=$(rss_kib "$pid")
        ((r > peak)) && peak=$r
        sleep 0.1
    done
    echo "$peak"
}

machine_info() {
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); nproc: $(nproc); load: $(cut -d' ' -f1-3 /proc/loadavg)${TG_BIN:+; binary: $TG_BIN of $(date -u -r "$TG_BIN" '+%Y-%m-%dT%H:%M:%SZ')}"
    free -h | sed -n 1,2p
}
