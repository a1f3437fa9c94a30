# syntax=docker/dockerfile:1.7
# Tiergate: the release binary, with its dashboard inside, on a slim Debian, as a non-root user.
#
#   docker build -t tiergate .
#   docker run -p 8080:8080 -p 9080:9080 -v tiergate-data:/data tiergate
#
# The base images are ARGs, so that a build without a registry can name local stand-ins
# (scripts/compose-standins.sh builds them; scripts/compose-test.sh uses them).
#
# Behind a TLS-inspecting proxy (a corporate one), the build reaches npm and crates.io only if
# it trusts the proxy's certificate authority: pass it as a build secret, which is used by the
# build stages and stays out of the image:
#   docker build --secret id=extra_ca,src=/path/to/proxy-ca.crt -t tiergate .
ARG RUST_IMAGE=docker.io/library/rust:1.95-bookworm
ARG NODE_IMAGE=docker.io/library/node:20-bookworm-slim
ARG RUNTIME_IMAGE=docker.io/library/debian:bookworm-slim

# --- the dashboard ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm --mount=type=secret,id=extra_ca,required=false \
    if [ -s /run/secrets/extra_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/extra_ca; fi \
    && npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

# --- the binary, which carries the dashboard -------------------------------------------------
FROM ${RUST_IMAGE} AS build
# An extra certificate authority (see the top), trusted by cargo (and apt) in this stage only.
RUN --mount=type=secret,id=extra_ca,required=false \
    if [ -s /run/secrets/extra_ca ]; then \
        cp /run/secrets/extra_ca /usr/local/share/ca-certificates/extra-ca.crt && update-ca-certificates; \
    fi
# aws-lc (the TLS library) builds with cmake and a C compiler.
RUN command -v cmake >/dev/null || (apt-get update && apt-get install -y --no-install-recommends cmake \
    && rm -rf /var/lib/apt/lists/*)
WORKDIR /src
COPY Cargo.toml Cargo.lock rustfmt.toml ./
COPY src/ src/
COPY core/ core/
COPY gateway/ gateway/
COPY control-plane/ control-plane/
COPY tiering/ tiering/
COPY migrations/ migrations/
COPY config/ config/
COPY --from=web /src/web/dist/ web/dist/
# The crate registry and the build outputs are cache mounts: a rebuild after a source change
# compiles only what changed.
# The image's binary carries no symbol table (36 MB instead of 47); panics still print their
# message and location.
ENV CARGO_PROFILE_RELEASE_STRIP=symbols
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --ignore-rust-version --bin tiergate \
    && cp target/release/tiergate /usr/local/bin/tiergate

# --- the certificate authorities, and nothing else of the package that brings them ------------
FROM ${RUNTIME_IMAGE} AS certs
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates

# --- what runs -------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE}
# The binary's TLS (rustls) reads only the CA bundle: OpenSSL, which Debian's ca-certificates
# package pulls in, stays out of the image (9.6 MB).
COPY --from=certs /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN useradd --system --uid 10001 --user-group --home-dir /data --no-create-home tiergate \
    && mkdir /data && chown tiergate:tiergate /data
COPY --from=build /usr/local/bin/tiergate /usr/local/bin/tiergate
COPY config/ /etc/tiergate/
# Inside the container the listeners bind every address; the compose file decides what is
# published where.
ENV TIERGATE_SERVER__DATA_DIR=/data \
    TIERGATE_SERVER__CONTROL_PLANE_ADDR=0.0.0.0:8080 \
    TIERGATE_SERVER__GATEWAY_ADDR=0.0.0.0:9080
USER tiergate
WORKDIR /data
VOLUME /data
EXPOSE 8080 9080
HEALTHCHECK --interval=10s --timeout=6s --start-period=120s --retries=3 CMD ["tiergate", "healthcheck"]
# As PID 1, SIGTERM stops it cleanly: requests in flight finish, then it exits.
CMD ["tiergate", "serve"]
