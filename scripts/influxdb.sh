#!/usr/bin/env bash
# A throw-away InfluxDB 2.x on loopback, for tests and the native stack.
#
#   eval "$(scripts/influxdb.sh start)"   # builds influxd if needed, starts, onboards,
#                                         # prints `export INFLUX_*=...` lines on stdout
#   scripts/influxdb.sh status            # prints the exports of the running one
#   scripts/influxdb.sh stop              # stops it and removes its data
#   scripts/influxdb.sh stop --keep-data  # stops it, keeps its data folder (printed on stderr)
#   INFLUXD_DATA_DIR=<folder> scripts/influxdb.sh start
#                                         # restarts a kept instance: same data, port and token
#
# Everything but the export lines goes to stderr. INFLUXDB_STATE_FILE says
# where the running instance is recorded (default .local/influxdb/state.env),
# so several instances (e.g. the test run's and a developer's) can coexist.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
state="${INFLUXDB_STATE_FILE:-$repo/.local/influxdb/state.env}"
org="${INFLUX_SETUP_ORG:-iot}"
bucket="${INFLUX_SETUP_BUCKET:-iot}"

log() { printf '[influxdb] %s\n' "$*" >&2; }

alive() { [[ -n "${INFLUXD_PID:-}" ]] && kill -0 "$INFLUXD_PID" 2>/dev/null; }

print_exports() {
  printf 'export INFLUX_URL=%q\n' "$INFLUX_URL"
  printf 'export INFLUX_TOKEN=%q\n' "$INFLUX_TOKEN"
  printf 'export INFLUX_ORG=%q\n' "$INFLUX_ORG"
  printf 'export INFLUX_BUCKET=%q\n' "$INFLUX_BUCKET"
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

wait_healthy() {
  local url="$1" deadline=$((SECONDS + ${INFLUXD_START_TIMEOUT:-60}))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$INFLUXD_PID" 2>/dev/null; then
      log "influxd exited during start-up; last lines of $INFLUXD_LOG:"
      tail -n 20 "$INFLUXD_LOG" >&2
      return 1
    fi
    if curl -fsS "$url/health" 2>/dev/null | grep -q '"status": *"pass"'; then return 0; fi
    sleep 0.2
  done
  log "influxd did not pass /health within ${INFLUXD_START_TIMEOUT:-60} s; see $INFLUXD_LOG"
  return 1
}

start() {
  if [[ -f "$state" ]]; then
    # shellcheck disable=SC1090
    source "$state"
    if alive; then
      log "already running (pid $INFLUXD_PID) at $INFLUX_URL"
      print_exports
      return 0
    fi
    rm -rf "${INFLUXD_DIR:-/nonexistent}" "$state"
  fi

  local bin port dir reuse=""
  bin="$("$here/build-influxd.sh")"
  if [[ -n "${INFLUXD_DATA_DIR:-}" && -f "$INFLUXD_DATA_DIR/instance.env" ]]; then
    # A kept instance: same folder, port and credentials; already onboarded.
    dir="$INFLUXD_DATA_DIR"
    # shellcheck disable=SC1091
    source "$dir/instance.env"
    port="${INFLUX_URL##*:}"
    reuse=1
  else
    port="$(free_port)"
    dir="$(mktemp -d "${TMPDIR:-/tmp}/influxd-data.XXXXXX")"
    INFLUX_URL="http://127.0.0.1:$port"
    INFLUX_ORG="$org"
    INFLUX_BUCKET="$bucket"
    # Development-only credentials, fresh for every new instance.
    INFLUX_TOKEN="dev-$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')"
  fi
  INFLUXD_DIR="$dir"
  INFLUXD_LOG="$dir/influxd.log"
  local password
  password="dev-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"

  log "starting $("$bin" version 2>/dev/null | head -n 1) on $INFLUX_URL (data in $dir)"
  # setsid: the server outlives this script and ignores the caller's Ctrl-C;
  # `stop` ends it.
  # --pprof-disabled, as the compose files and k8s run it: by default influxd
  # samples every 4 KB allocated for /debug/pprof, a fifth of its CPU on
  # fleet-wide queries (bench/README.md).
  setsid "$bin" \
    --http-bind-address "127.0.0.1:$port" \
    --bolt-path "$dir/influxd.bolt" \
    --engine-path "$dir/engine" \
    --sqlite-path "$dir/influxd.sqlite" \
    --reporting-disabled \
    --pprof-disabled \
    --log-level "${INFLUXD_LOG_LEVEL:-warn}" \
    >>"$INFLUXD_LOG" 2>&1 </dev/null &
  INFLUXD_PID=$!

  mkdir -p "$(dirname "$state")"
  {
    printf 'INFLUXD_PID=%q\nINFLUXD_DIR=%q\nINFLUXD_LOG=%q\n' "$INFLUXD_PID" "$INFLUXD_DIR" "$INFLUXD_LOG"
    printf 'INFLUX_URL=%q\nINFLUX_TOKEN=%q\nINFLUX_ORG=%q\nINFLUX_BUCKET=%q\n' \
      "$INFLUX_URL" "$INFLUX_TOKEN" "$INFLUX_ORG" "$INFLUX_BUCKET"
  } >"$state"

  if ! wait_healthy "$INFLUX_URL"; then stop; return 1; fi
  printf 'INFLUX_URL=%q\nINFLUX_TOKEN=%q\nINFLUX_ORG=%q\nINFLUX_BUCKET=%q\n' \
    "$INFLUX_URL" "$INFLUX_TOKEN" "$INFLUX_ORG" "$INFLUX_BUCKET" >"$dir/instance.env"
  if [[ -n "$reuse" ]]; then
    log "ready again with the kept data of $dir"
    print_exports
    return 0
  fi

  local body
  body=$(printf '{"username":"admin","password":"%s","org":"%s","bucket":"%s","token":"%s"}' \
    "$password" "$INFLUX_ORG" "$INFLUX_BUCKET" "$INFLUX_TOKEN")
  if ! curl -fsS -X POST "$INFLUX_URL/api/v2/setup" -H 'Content-Type: application/json' -d "$body" >/dev/null; then
    log "onboarding through POST /api/v2/setup failed"
    stop
    return 1
  fi
  log "ready: $(curl -fsS "$INFLUX_URL/health" | tr -d '\n' | tr -s ' ')"
  print_exports
}

stop() {
  [[ -f "$state" ]] || { log "no instance recorded in $state"; return 0; }
  # shellcheck disable=SC1090
  source "$state"
  if alive; then
    kill -TERM "$INFLUXD_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do alive || break; sleep 0.2; done
    if alive; then kill -KILL "$INFLUXD_PID" 2>/dev/null || true; fi
    log "stopped pid $INFLUXD_PID"
  fi
  if [[ "${1:-}" == "--keep-data" ]]; then
    log "kept $INFLUXD_DIR (restart with INFLUXD_DATA_DIR=$INFLUXD_DIR $0 start)"
  elif [[ -n "${INFLUXD_DIR:-}" && -d "$INFLUXD_DIR" ]]; then
    rm -rf "$INFLUXD_DIR"
  fi
  rm -f "$state"
}

status() {
  [[ -f "$state" ]] || { log "not running"; return 1; }
  # shellcheck disable=SC1090
  source "$state"
  alive || { log "recorded pid ${INFLUXD_PID:-?} is gone"; return 1; }
  print_exports
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
