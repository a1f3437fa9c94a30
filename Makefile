# Tiergate: `make run` starts the embedded default; `make test` runs everything.
# s3s 0.17 declares Rust 1.96 but builds on 1.95: hence --ignore-rust-version.

CARGO       ?= cargo
CARGO_FLAGS := --ignore-rust-version
TARGET_DIR  := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
VENV        ?= $(or $(TIERGATE_VENV),$(or $(TIERGATE_CACHE),/opt/tiergate-cache)/venv)
PYTHON      := $(VENV)/bin/python
export CARGO_TERM_COLOR ?= auto

PREFIX      ?= /usr/local

.PHONY: run build build-debug install compose-test test test-rust test-clients test-web lint fmt web web-deps clean services services-stop bench

## run: build the dashboard and the server, and start the embedded default (SQLite + ./data)
run: build
	$(TARGET_DIR)/release/tiergate serve

## build: the release binary, with the dashboard (web/dist, built first) inside it
build: web
	$(CARGO) build $(CARGO_FLAGS) --release --bin tiergate

## install: the release binary (dashboard inside) into $(PREFIX)/bin
install: build
	install -d $(PREFIX)/bin
	install -m 0755 $(TARGET_DIR)/release/tiergate $(PREFIX)/bin/tiergate

# The debug binary as the tests build it (`cargo test` builds target/debug/tiergate with the
# test build's features): a separate `cargo build` would compile the dependencies again.
build-debug:
	$(CARGO) test $(CARGO_FLAGS) --workspace --all-targets --no-run

## test: everything: formatting and lints, Rust unit and integration tests, the real S3
## clients (aws-cli, boto3, rclone), and the dashboard (unit tests and the browser e2e)
test: lint test-rust test-clients test-web

# The dashboard is built first: a test checks that the binary serves it from any folder.
test-rust: web
	$(CARGO) test $(CARGO_FLAGS) --workspace --all-targets

test-clients: build-debug
	@if [ -x "$(PYTHON)" ]; then \
		TIERGATE_BIN=$(TARGET_DIR)/debug/tiergate $(PYTHON) -m pytest -q tests/clients; \
	elif [ "$$TIERGATE_REQUIRE_SERVICES" = 1 ]; then \
		echo "no Python venv with the S3 clients at $(VENV) (run scripts/services.sh install)"; exit 1; \
	else \
		echo "skipping the S3 client tests: no venv at $(VENV) (run 'make services')"; \
	fi

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy $(CARGO_FLAGS) --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

## web: the dashboard, built into web/dist
web: web-deps
	cd web && npm run build

web-deps: web/node_modules/.package-lock.json

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund

test-web: web build-debug
	cd web && npm run lint && npm run typecheck && npm run test
	cd web && E2E_SKIP_BUILD=1 TIERGATE_BIN=$(TARGET_DIR)/debug/tiergate npm run e2e

## compose-test: docker-compose.yml and the Dockerfile, built and walked for real with podman
## (local stand-ins for the registry images: scripts/compose-standins.sh)
compose-test:
	bash scripts/compose-test.sh

## services: install and start Postgres and two MinIO servers for the tests (as .ci/run does)
services:
	bash scripts/services.sh install
	bash scripts/services.sh start
	@echo 'now run: eval "$$(bash scripts/services.sh env)"'

services-stop:
	bash scripts/services.sh stop

clean:
	$(CARGO) clean
	rm -rf web/dist web/node_modules
