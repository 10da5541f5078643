# Starting the anchor servers (y-sweet, Hocuspocus) for the benchmark.
# Bash functions, meant to be `source`d (by bench/run); they start nothing
# when sourced. Owns: how each anchor is started, on which port, where its
# logs go, and when it counts as up. Stopping is the caller's (by PID, e.g.
# bench/run's stop_pid: SIGTERM ends both servers at once).
#
#   WORK=$(mktemp -d)                  # the caller's temp dir: logs and y-sweet's store go there
#   source bench/anchors/servers.sh
#   start_ysweet     && echo "$YPID http://127.0.0.1:$YPORT"
#   start_hocuspocus && echo "$HPID ws://127.0.0.1:$HPORT"
#
# Each binds 127.0.0.1 port 0 (the kernel picks a free port, so no race with
# another process), reads the port from the server's own output, then waits
# (at most 30 s) until the server answers HTTP on it. The PID is the server
# process itself (started directly with `&`, no wrapper), so /proc/PID/stat
# and /proc/PID/status measure the server. On failure: the log tail on
# stderr, the process stopped, the PID variable empty, return 1.
#
# Environment (optional):
#   YSWEET_BIN   the y-sweet binary (default <repo>/target/anchors/y-sweet/bin/y-sweet,
#                built by bench/anchors/build-y-sweet)
#   YSWEET_STORE "memory" (default: no store, documents live in memory only) or
#                "dir" (a fresh directory under $WORK: y-sweet's filesystem store)
#   YSWEET_LOG   its RUST_LOG filter (default warn: per-document info lines cost time)
#   NODE         the node binary for Hocuspocus (default node)
#   HOCUSPOCUS_JS the server script (default bench/anchors/hocuspocus.mjs;
#                needs `npm ci` in bench/anchors once)

ANCHORS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ANCHORS_ROOT="$(cd "$ANCHORS_DIR/../.." && pwd)"
YPID="" YPORT="" HPID="" HPORT=""

_anchor_stop() { # PID: SIGTERM, SIGKILL after 5 s
  local pid="$1" i
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# _anchor_wait PID LOG REGEX URL_FORMAT: sets _ANCHOR_PORT once REGEX (whose
# last `:NUMBER` is the port) is in LOG and `curl URL_FORMAT%port` answers 200.
_anchor_wait() {
  local pid="$1" log="$2" regex="$3" fmt="$4" url
  local end=$((SECONDS + 30)) # 30 s at most
  _ANCHOR_PORT=""
  while [ "$SECONDS" -lt "$end" ]; do
    kill -0 "$pid" 2>/dev/null || return 1
    if [ -z "$_ANCHOR_PORT" ]; then
      _ANCHOR_PORT="$(grep -Eo "$regex" "$log" 2>/dev/null | head -1 | sed 's/.*://')" || true
    fi
    if [ -n "$_ANCHOR_PORT" ]; then
      # shellcheck disable=SC2059
      url="$(printf "$fmt" "$_ANCHOR_PORT")"
      if curl -fs --max-time 1 -o /dev/null "$url" 2>/dev/null; then return 0; fi
    fi
    sleep 0.1
  done
  return 1
}

# y-sweet: `y-sweet serve --host 127.0.0.1 --port 0` with no --auth (every
# client gets full access, no tokens) and no store (in memory), or a store in
# a fresh directory. Ready when GET /ready answers.
start_ysweet() {
  : "${WORK:?start_ysweet: set WORK to a temp dir first}"
  local bin="${YSWEET_BIN:-$ANCHORS_ROOT/target/anchors/y-sweet/bin/y-sweet}"
  local log store=()
  YPID="" YPORT=""
  if [ ! -x "$bin" ]; then
    echo "start_ysweet: no y-sweet binary at $bin (run bench/anchors/build-y-sweet)" >&2; return 1
  fi
  log="$WORK/ysweet-$(date +%s%N)"
  case "${YSWEET_STORE:-memory}" in
    memory) ;;
    dir) store=("$(mktemp -d "$WORK/ysweet-store.XXXXXX")") ;;
    *) echo "start_ysweet: YSWEET_STORE must be memory or dir" >&2; return 1 ;;
  esac
  # Y_SWEET_* / PORT in the caller's environment would override nothing given
  # here on the command line, but a stray Y_SWEET_AUTH or Y_SWEET_STORE would
  # turn auth or a store on: clear them for this process.
  env -u Y_SWEET_AUTH -u Y_SWEET_STORE -u Y_SWEET_URL_PREFIX -u Y_SWEET_HOST -u Y_SWEET_CHECKPOINT_FREQ_SECONDS -u Y_SWEET_MAX_BODY_SIZE -u PORT \
    NO_COLOR=1 RUST_LOG="${YSWEET_LOG:-warn}" \
    "$bin" serve --host 127.0.0.1 --port 0 "${store[@]}" >"$log.out" 2>"$log.err" &
  YPID=$!
  # It prints the connection string `ys://127.0.0.1:PORT` (not with --prod).
  if ! _anchor_wait "$YPID" "$log.out" 'ys://127\.0\.0\.1:[0-9]+' 'http://127.0.0.1:%s/ready'; then
    echo "y-sweet did not start ($bin):" >&2; tail -n 20 "$log.out" "$log.err" >&2
    _anchor_stop "$YPID"; YPID=""; return 1
  fi
  YPORT="$_ANCHOR_PORT"
}

# Hocuspocus: `PORT=0 node bench/anchors/hocuspocus.mjs` (127.0.0.1, no
# extensions). Ready when its HTTP handler answers GET /.
start_hocuspocus() {
  : "${WORK:?start_hocuspocus: set WORK to a temp dir first}"
  local node="${NODE:-node}" js="${HOCUSPOCUS_JS:-$ANCHORS_DIR/hocuspocus.mjs}" log
  HPID="" HPORT=""
  if [ ! -d "$ANCHORS_DIR/node_modules/@hocuspocus/server" ]; then
    echo "start_hocuspocus: run (cd bench/anchors && npm ci) first" >&2; return 1
  fi
  log="$WORK/hocuspocus-$(date +%s%N)"
  NODE_ENV=production PORT=0 "$node" "$js" >"$log.out" 2>"$log.err" &
  HPID=$!
  if ! _anchor_wait "$HPID" "$log.out" 'hocuspocus ready on ws://127\.0\.0\.1:[0-9]+' 'http://127.0.0.1:%s/'; then
    echo "hocuspocus did not start ($js):" >&2; tail -n 20 "$log.out" "$log.err" >&2
    _anchor_stop "$HPID"; HPID=""; return 1
  fi
  HPORT="$_ANCHOR_PORT"
}
