#!/usr/bin/env bash
# The compose test (issue 14): the stack users get (docker-compose.yml and the Dockerfile),
# started for real with podman and walked as a user would:
#   build the images → up → wait for health → sign up → log in → REST upload → S3 PutObject with
#   aws-cli through the published port → a tiering pass (exec tiergate tiering run-now) → both
#   files read back byte-exact through the gateway and the download redirect → down and up again
#   → the files, the users and the tier state are still there → down -v.
# Images come from local stand-ins (scripts/compose-standins.sh): this machine reaches no image
# registry. The local-cold profile stands in for AWS S3.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
VENV=${TIERGATE_VENV:-${TIERGATE_CACHE:-/opt/tiergate-cache}/venv}
log() { echo "[$(date +%H:%M:%S)] compose-test: $*" >&2; }
die() { log "FAILED: $*"; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
rand() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

command -v podman >/dev/null || die "podman is not installed (apt-get install podman runc debootstrap)"
[[ -x $VENV/bin/podman-compose && -x $VENV/bin/aws ]] || die "no podman-compose / aws-cli in $VENV"
export PATH=$VENV/bin:$PATH

eval "$(bash scripts/compose-standins.sh)"
export TIERGATE_IMAGE=localhost/tiergate:compose-test
log "building the tiergate image from the Dockerfile"
# Docker's image format keeps the HEALTHCHECK (podman's default, OCI, drops it).
# The machine's extra certificate authorities (a TLS-inspecting proxy's), as a user behind one
# passes them: a build secret (the stand-ins trust them already; this walks the Dockerfile's path).
secret=()
extra_ca=$(mktemp)
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    cat /usr/local/share/ca-certificates/*.crt >"$extra_ca"
    secret=(--secret "id=extra_ca,src=$extra_ca")
fi
podman build --format docker --network host --build-arg RUST_IMAGE="$RUST_IMAGE" --build-arg NODE_IMAGE="$NODE_IMAGE" \
    --build-arg RUNTIME_IMAGE="$RUNTIME_IMAGE" "${secret[@]}" -t "$TIERGATE_IMAGE" . >&2
rm -f "$extra_ca"
log "image size: $(podman image inspect "$TIERGATE_IMAGE" --format '{{.Size}}') bytes"
# The image this build replaced, and the build stages' layers, are left untagged: without this,
# every run would keep another ~1.7 GB (the cargo and npm cache mounts are kept apart).
podman image prune -f >/dev/null

WORK=$(mktemp -d /tmp/tiergate-compose-XXXXXX)
HTTP_PORT=$(free_port); S3_PORT=$(free_port); COLD_PORT=$(free_port); MINIO_PORT=$(free_port)
MINIO_PASSWORD=$(rand)
cat >"$WORK/.env" <<ENV
POSTGRES_PASSWORD=$(rand)
MINIO_ROOT_USER=tiergate
MINIO_ROOT_PASSWORD=$MINIO_PASSWORD
TIERGATE_JWT_SECRET=$(rand)$(rand)
TIERGATE_KEY_SECRET=$(rand)$(rand)
TIERGATE_ADMINS=ops@example.com
TIERGATE_BIND=127.0.0.1
TIERGATE_HTTP_PORT=$HTTP_PORT
TIERGATE_S3_PORT=$S3_PORT
COLD_PORT=$COLD_PORT
MINIO_PORT=$MINIO_PORT
MINIO_PUBLIC_URL=http://127.0.0.1:$MINIO_PORT
PUBLIC_URL=http://127.0.0.1:$HTTP_PORT
GATEWAY_PUBLIC_URL=http://127.0.0.1:$S3_PORT
COLD_ENDPOINT=http://minio-cold:9000
COLD_PRESIGN_ENDPOINT=http://127.0.0.1:$COLD_PORT
COLD_BUCKET=tiergate-cold
COLD_PATH_STYLE=true
COLD_CREATE_BUCKET=true
COLD_ACCESS_KEY_ID=tiergate
COLD_SECRET_ACCESS_KEY=$MINIO_PASSWORD
ENV
PROJECT=tgtest$(rand | head -c 8)
compose() { podman-compose --project-name "$PROJECT" --env-file "$WORK/.env" -f "$ROOT/docker-compose.yml" --profile local-cold "$@"; }
# Podman runs health checks from systemd timers; where there is no systemd (this CI machine),
# this loop runs them instead, so that `depends_on: condition: service_healthy` can be met.
pump_health() {
    while true; do
        for c in $(podman ps --filter "label=io.podman.compose.project=$PROJECT" --format '{{.Names}}' 2>/dev/null); do
            podman healthcheck run "$c" >/dev/null 2>&1 || true
        done
        sleep 2
    done
}
pump_health &
PUMP=$!
cleanup() {
    set +e
    kill "$PUMP" 2>/dev/null
    compose logs tiergate >"$WORK/tiergate.log" 2>&1
    compose down -v >/dev/null 2>&1
    [[ ${KEEP:-} ]] || rm -rf "$WORK"
}
trap cleanup EXIT
API=http://127.0.0.1:$HTTP_PORT
S3=http://127.0.0.1:$S3_PORT

wait_ready() {
    local i
    for i in $(seq 1 180); do
        if curl -fsS -m 2 "$API/readyz" >/dev/null 2>&1; then return 0; fi
        sleep 1
    done
    compose logs tiergate >&2 || true
    die "tiergate not ready after 180 s"
}

log "up (project $PROJECT; REST $API, S3 $S3)"
compose up -d >&2
wait_ready
podman healthcheck run "${PROJECT}_tiergate_1" >&2 || die "the image's HEALTHCHECK (tiergate healthcheck) fails"
log "ready, and the image's health check passes"

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
creds='{"email":"ops@example.com","password":"compose test password"}'
curl -fsS -H 'content-type: application/json' -d "$creds" "$API/api/auth/signup" >/dev/null || die "signup"
TOKEN=$(curl -fsS -H 'content-type: application/json' -d "$creds" "$API/api/auth/login" | json '["access_token"]')
head -c 300000 /dev/urandom >"$WORK/one.bin"
head -c 2000000 /dev/urandom >"$WORK/two.bin"
FILE_ID=$(curl -fsS -H "authorization: Bearer $TOKEN" -F "file=@$WORK/one.bin" "$API/api/files/upload" | json '["id"]')
C=$(curl -fsS -X POST -H "authorization: Bearer $TOKEN" "$API/api/credentials")
export AWS_ACCESS_KEY_ID=$(json '["access_key_id"]' <<<"$C") AWS_SECRET_ACCESS_KEY=$(json '["secret_access_key"]' <<<"$C")
export AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=$WORK/aws-config AWS_SHARED_CREDENTIALS_FILE=$WORK/aws-creds
aws --endpoint-url "$S3" s3 cp "$WORK/two.bin" s3://files/two.bin >&2 || die "aws s3 cp"
# A hot file downloads through its link too (presigned for the published MinIO).
curl -fsS -L -o "$WORK/one.hot" -H "authorization: Bearer $TOKEN" "$API/api/files/$FILE_ID/download" \
    || die "download redirect of a hot file"
cmp "$WORK/one.bin" "$WORK/one.hot" || die "one.bin differs through the hot download redirect"

log "a tiering pass in the container"
podman exec "${PROJECT}_tiergate_1" tiergate tiering run-now >&2 || die "tiering run-now"
# The image carries the CA bundle its TLS client (rustls) reads for https tiers such as AWS S3.
podman exec "${PROJECT}_tiergate_1" sh -c 'grep -c "BEGIN CERTIFICATE" /etc/ssl/certs/ca-certificates.crt' \
    | awk '$1 >= 100 { ok = 1 } END { exit !ok }' || die "the image has no CA bundle"

check_files() { # what
    local tier
    tier=$(curl -fsS -H "authorization: Bearer $TOKEN" "$API/api/files/$FILE_ID" | json '["tier"]')
    [[ $tier == cold ]] || die "$1: file $FILE_ID is $tier, not cold"
    aws --endpoint-url "$S3" s3 cp s3://files/two.bin "$WORK/two.back" >&2 || die "$1: aws s3 cp back"
    cmp "$WORK/two.bin" "$WORK/two.back" || die "$1: two.bin differs through the gateway"
    curl -fsS -L -o "$WORK/one.back" -H "authorization: Bearer $TOKEN" "$API/api/files/$FILE_ID/download" \
        || die "$1: download redirect"
    cmp "$WORK/one.bin" "$WORK/one.back" || die "$1: one.bin differs through the download redirect"
    rm -f "$WORK/one.back" "$WORK/two.back"
}
check_files "after the pass"

log "down and up again"
compose down >&2
compose up -d >&2
wait_ready
TOKEN=$(curl -fsS -H 'content-type: application/json' -d "$creds" "$API/api/auth/login" | json '["access_token"]') \
    || die "the user is gone after down/up"
check_files "after down and up"
RUNS=$(curl -fsS -H "authorization: Bearer $TOKEN" "$API/api/tiering/runs" | json '["total"]')
[[ $RUNS -ge 1 ]] || die "the run record is gone after down/up"

log "SIGTERM stops tiergate cleanly"
podman stop -t 40 "${PROJECT}_tiergate_1" >/dev/null
code=$(podman inspect "${PROJECT}_tiergate_1" --format '{{.State.ExitCode}}')
[[ $code == 0 ]] || die "tiergate exited $code on SIGTERM"
log "passed"
