# Tiergate: `make run` starts the embedded default; `make test` runs everything.
# s3s 0.17 declares Rust 1.96 but builds on 1.95: hence --ignore-rust-version.

CARGO       ?= cargo
CARGO_FLAGS := --ignore-rust-version
export CARGO_TERM_COLOR ?= auto

.PHONY: run build test test-rust lint fmt clean services services-stop bench

## run: build and start the embedded default (SQLite + folders under ./data)
run: build
	$(CARGO) run $(CARGO_FLAGS) --release --bin tiergate -- serve

build:
	$(CARGO) build $(CARGO_FLAGS) --release --bin tiergate

## test: everything: formatting, lints, unit and integration tests
test: lint test-rust

test-rust:
	$(CARGO) test $(CARGO_FLAGS) --workspace --all-targets

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy $(CARGO_FLAGS) --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

## services: start Postgres and two MinIO servers for the tests (as .ci/run does)
services:
	bash scripts/services.sh install
	bash scripts/services.sh start
	@echo 'now run: eval "$$(bash scripts/services.sh env)"'

services-stop:
	bash scripts/services.sh stop

clean:
	$(CARGO) clean
