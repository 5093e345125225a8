#!/usr/bin/env bash
# A real MinIO server on this machine for tests and local trials: built once from
# its Go module (no Docker, no downloads but the Go module proxy) and cached.
#   scripts/services/minio.sh start|stop|status|env
set -euo pipefail

CACHE="${DANGAN_TEST_SERVICES_CACHE:-$HOME/.cache/dangan}/minio"
PORT="${DANGAN_TEST_MINIO_PORT:-9100}"
DATA="${DANGAN_TEST_MINIO_DATA:-$CACHE/data}"
PIDFILE="$CACHE/minio.pid"
LOG="$CACHE/minio.log"
USER_="${DANGAN_TEST_MINIO_USER:-dangan-test}"
PASS="${DANGAN_TEST_MINIO_PASSWORD:-dangan-test-secret}"

answering() { curl -sf "http://127.0.0.1:$PORT/minio/health/live" >/dev/null 2>&1; }

# Pinned: the newest release the Go module proxy served when it was last chosen
# (2026-02-12). Change it deliberately; the binary is cached per version.
MINIO_VERSION="${DANGAN_MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}"
BIN="$CACHE/bin/$MINIO_VERSION/minio"
# A first build on two busy cores takes 5-15 minutes; past this it is stopped
# with a message instead of leaving the caller waiting.
BUILD_TIMEOUT="${DANGAN_MINIO_BUILD_TIMEOUT:-2400}"

build() {
  [ -x "$BIN" ] && return
  command -v go >/dev/null || { echo "MinIO needs the Go toolchain (go) to build" >&2; exit 1; }
  echo "== building MinIO $MINIO_VERSION from the Go module proxy (first time only;" \
    "5-15 minutes on two cores, at most $((BUILD_TIMEOUT / 60)) minutes)" >&2
  mkdir -p "$(dirname "$BIN")"
  local started=$SECONDS buildlog="$CACHE/build.log"
  # -v names each package as it is compiled: the heartbeat below counts them.
  GOBIN="$(dirname "$BIN")" GOFLAGS=-mod=mod timeout "$BUILD_TIMEOUT" \
    go install -v -trimpath -ldflags "-s -w" "github.com/minio/minio@$MINIO_VERSION" \
    >"$buildlog" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 30
    kill -0 "$pid" 2>/dev/null || break
    echo "   ... MinIO build: $((SECONDS - started)) s, $(grep -cv '^go: downloading' "$buildlog")" \
      "of about 1,300 packages compiled" >&2
  done
  if ! wait "$pid"; then
    tail -20 "$buildlog" >&2
    echo "MinIO build failed or took over $BUILD_TIMEOUT s (DANGAN_MINIO_BUILD_TIMEOUT)." >&2
    rm -f "$BIN"
    exit 1
  fi
  echo "== MinIO built in $((SECONDS - started)) s" >&2
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
