# Reynard — the two commands people need are `make run` and `make test`.
CARGO ?= cargo
ARGS ?=

.PHONY: run test lint build web check-tools

## Build the web client and the server, then serve on an embedded SQLite
## database in ./data (open the printed URL).
run: check-tools web
	$(CARGO) run --release -p reynard-server --bin reynard -- serve $(ARGS)

## Every test. Set REYNARD_TEST_DATABASE_URL=postgres://… to also run the
## repository suite on PostgreSQL (CI does).
test: check-tools
	scripts/test

## Formatting and lints, as checked before each commit.
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## The release binary at target/release/reynard, with the web client inside.
build: check-tools web
	$(CARGO) build --release -p reynard-server --bin reynard

## The web client in web/dist (embedded into the binary at build time).
web:
	@if [ -f web/package.json ]; then \
	  command -v npm >/dev/null || { echo "Node.js and npm are needed to build the web client (https://nodejs.org)."; exit 1; }; \
	  [ -d web/node_modules ] || (cd web && npm ci --no-audit --no-fund); \
	  (cd web && npm run build); \
	fi

check-tools:
	@command -v $(CARGO) >/dev/null || { echo "Rust is needed: install it from https://rustup.rs, then run make again."; exit 1; }
