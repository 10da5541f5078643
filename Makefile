# Reynard — the two commands people need are `make run` and `make test`.
CARGO ?= cargo
ARGS ?=

.PHONY: run test lint build check-tools

## Build everything needed and serve on an embedded SQLite database in ./data.
run: check-tools
	$(CARGO) run --release -p reynard-server --bin reynard -- serve $(ARGS)

## Every test. Set REYNARD_TEST_DATABASE_URL=postgres://… to also run the
## repository suite on PostgreSQL (CI does).
test: check-tools
	scripts/test

## Formatting and lints, as checked before each commit.
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## The release binary at target/release/reynard.
build: check-tools
	$(CARGO) build --release -p reynard-server --bin reynard

check-tools:
	@command -v $(CARGO) >/dev/null || { echo "Rust is needed: install it from https://rustup.rs, then run make again."; exit 1; }
