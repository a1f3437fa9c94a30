#!/usr/bin/env bash
# Builds, once, the local images that stand in for the registry images the Dockerfile and
# docker-compose.yml name, on a machine that reaches no image registry (this one): a Debian
# bookworm base from debootstrap, and on it Rust, Node.js, Postgres and MinIO stand-ins.
# Prints the variables that point the compose file and the Dockerfile at them.
#
#   eval "$(bash scripts/compose-standins.sh)"
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${TIERGATE_CACHE:-/opt/tiergate-cache}
PODMAN=(podman)
log() { echo "[$(date +%H:%M:%S)] standins: $*" >&2; }
have() { "${PODMAN[@]}" image exists "$1"; }

# The base: debootstrap's minbase, trimmed as the official debian:bookworm-slim is (no apt lists
# or downloaded packages, no documentation, manual pages or translations, and a dpkg setting
# that keeps later installs from adding them back): 204 MB before, about 75 MB after.
slim_rootfs() { # dir
    local r=$1
    rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/cache/apt/*.bin "$r"/var/lib/apt/lists/* \
        "$r"/usr/share/doc/* "$r"/usr/share/man/* "$r"/usr/share/info/* "$r"/usr/share/locale/* \
        "$r"/usr/share/groff/* "$r"/usr/share/lintian/*
    mkdir -p "$r/etc/dpkg/dpkg.cfg.d" "$r/etc/apt/apt.conf.d"
    printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
        'path-exclude /usr/share/man/*' 'path-exclude /usr/share/groff/*' 'path-exclude /usr/share/info/*' \
        'path-exclude /usr/share/lintian/*' 'path-exclude /usr/share/locale/*' >"$r/etc/dpkg/dpkg.cfg.d/docker"
    printf '%s\n' 'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };' \
        'Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";' >"$r/etc/apt/apt.conf.d/docker-clean"
}
if ! have localhost/debian:bookworm-slim; then
    tar=$CACHE/images/bookworm-slim.tar
    if [[ ! -s $tar ]]; then
        rm -rf "$CACHE/images/rootfs" && mkdir -p "$CACHE/images/rootfs"
        if [[ -s $CACHE/images/bookworm-minbase.tar ]]; then # an earlier run's, untrimmed
            tar -C "$CACHE/images/rootfs" -xf "$CACHE/images/bookworm-minbase.tar"
        else
            log "debootstrap --variant=minbase bookworm"
            debootstrap --variant=minbase bookworm "$CACHE/images/rootfs" http://deb.debian.org/debian >&2
        fi
        slim_rootfs "$CACHE/images/rootfs"
        tar -C "$CACHE/images/rootfs" -cf "$tar.part" . && mv "$tar.part" "$tar"
        rm -rf "$CACHE/images/rootfs" "$CACHE/images/bookworm-minbase.tar"
    fi
    "${PODMAN[@]}" import "$tar" localhost/debian:bookworm-slim >&2
fi

build() { # image containerfile context
    if have "$1"; then return; fi
    log "building $1"
    "${PODMAN[@]}" build --network host -t "$1" -f "$ROOT/docker/standins/$2" "$3" >&2
}

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
# The machine's extra certificate authorities (e.g. a TLS-inspecting proxy's), for the stand-ins
# that fetch packages from inside a build.
extra_ca() { # dir
    mkdir -p "$1/extra-ca"
    cp /usr/local/share/ca-certificates/*.crt "$1/extra-ca/" 2>/dev/null || true
}
if ! have localhost/tiergate-standin/rust:1.95; then
    toolchain=$(readlink -f "$(dirname "$(readlink -f "$(rustup which rustc 2>/dev/null || command -v rustc)")")/..")
    mkdir -p "$ctx/rust/toolchain"
    (cd "$toolchain" && tar --exclude=./share -cf - .) | tar -C "$ctx/rust/toolchain" -xf -
    extra_ca "$ctx/rust"
    build localhost/tiergate-standin/rust:1.95 rust.Containerfile "$ctx/rust"
fi
if ! have localhost/tiergate-standin/node:20; then
    mkdir -p "$ctx/node"
    cp "$(command -v node)" "$ctx/node/node"
    cp -r "$(dirname "$(readlink -f "$(command -v npm)")")/.." "$ctx/node/npm"
    extra_ca "$ctx/node"
    build localhost/tiergate-standin/node:20 node.Containerfile "$ctx/node"
fi
build localhost/tiergate-standin/postgres:16 postgres.Containerfile "$ROOT/docker/standins"
if ! have localhost/tiergate-standin/minio:latest; then
    if [[ ! -x $CACHE/bin/mc ]]; then
        log "building mc (go install github.com/minio/mc@latest) into $CACHE/bin"
        PATH=/usr/local/go/bin:$PATH GOBIN=$CACHE/bin go install github.com/minio/mc@latest >&2
    fi
    mkdir -p "$ctx/minio"
    cp "$CACHE/bin/minio" "$CACHE/bin/mc" "$ctx/minio/"
    build localhost/tiergate-standin/minio:latest minio.Containerfile "$ctx/minio"
fi
cat <<VARS
export RUST_IMAGE=localhost/tiergate-standin/rust:1.95
export NODE_IMAGE=localhost/tiergate-standin/node:20
export RUNTIME_IMAGE=localhost/debian:bookworm-slim
export POSTGRES_IMAGE=localhost/tiergate-standin/postgres:16
export MINIO_IMAGE=localhost/tiergate-standin/minio:latest
VARS
