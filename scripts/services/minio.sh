#!/usr/bin/env bash
# A real MinIO server on this machine for tests and local trials: built once from
# its Go module (no Docker, no downloads but the Go module proxy) and cached.
#   scripts/services/minio.sh start|stop|status|env
set -euo pipefail

CACHE="${DANGAN_TEST_SERVICES_CACHE:-$HOME/.cache/dangan}/minio"
PORT="${DANGAN_TEST_MINIO_PORT:-9100}"
DATA="${DANGAN_TEST_MINIO_DATA:-$CACHE/data}"
BIN="$CACHE/bin/minio"
PIDFILE="$CACHE/minio.pid"
LOG="$CACHE/minio.log"
USER_="${DANGAN_TEST_MINIO_USER:-dangan-test}"
PASS="${DANGAN_TEST_MINIO_PASSWORD:-dangan-test-secret}"

answering() { curl -sf "http://127.0.0.1:$PORT/minio/health/live" >/dev/null 2>&1; }

build() {
  [ -x "$BIN" ] && return
  command -v go >/dev/null || { echo "MinIO needs the Go toolchain (go) to build" >&2; exit 1; }
  echo "== building MinIO from github.com/minio/minio (first time only, a few minutes)" >&2
  mkdir -p "$CACHE/bin"
  GOBIN="$CACHE/bin" GOFLAGS=-mod=mod go install github.com/minio/minio@latest >&2
}

case "${1:-}" in
  start)
    if answering; then exit 0; fi
    build
    mkdir -p "$DATA"
    MINIO_ROOT_USER="$USER_" MINIO_ROOT_PASSWORD="$PASS" MINIO_BROWSER=off \
      setsid nohup "$BIN" server "$DATA" --address "127.0.0.1:$PORT" --quiet >"$LOG" 2>&1 &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 120); do
      answering && exit 0
      sleep 0.5
    done
    echo "MinIO did not start on port $PORT; last log lines:" >&2
    tail -20 "$LOG" >&2
    exit 1
    ;;
  stop)
    if [ -f "$PIDFILE" ]; then
      kill "$(cat "$PIDFILE")" 2>/dev/null || true
      rm -f "$PIDFILE"
    fi
    ;;
  status)
    answering
    ;;
  env)
    # The settings that point dangan at this server.
    echo "DANGAN_S3_ENDPOINT=http://127.0.0.1:$PORT"
    echo "DANGAN_S3_ACCESS_KEY=$USER_"
    echo "DANGAN_S3_SECRET_KEY=$PASS"
    ;;
  *)
    echo "usage: $0 start|stop|status|env" >&2
    exit 2
    ;;
esac
