#!/usr/bin/env bash
# A real PostgreSQL server on this machine for tests and local trials, from
# Debian's packages (installed with apt-get when missing), in a data folder of
# its own on a port of its own, so it never touches a system cluster.
#   scripts/services/postgres.sh start|stop|status|env
set -euo pipefail

PORT="${DANGAN_TEST_PG_PORT:-5433}"
# The server refuses to run as root, and the postgres user cannot enter root's
# home: as root the data folder lives under /var/tmp and belongs to postgres.
if [ "$(id -u)" = 0 ]; then
  DATA="${DANGAN_TEST_PG_DATA:-/var/tmp/dangan-pg-$PORT}"
  RUN=(su postgres -s /bin/bash -c)
else
  DATA="${DANGAN_TEST_PG_DATA:-${DANGAN_TEST_SERVICES_CACHE:-$HOME/.cache/dangan}/pg-$PORT}"
  RUN=(bash -c)
fi
SOCKDIR="$DATA/socket"
LOG="$DATA/server.log"

bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

install_server() {
  bindir >/dev/null && return
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "PostgreSQL is not installed and cannot be installed here (needs root and apt-get)" >&2
    exit 1
  fi
  echo "== installing PostgreSQL from Debian's packages (first time only)" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
  # the package starts a system cluster on 5432; dangan's own cluster is separate
}

answering() {
  local bin
  bin=$(bindir) || return 1
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$PORT" 2>/dev/null
}

case "${1:-}" in
  start)
    if answering; then exit 0; fi
    install_server
    BIN=$(bindir)
    if [ ! -f "$DATA/PG_VERSION" ]; then
      mkdir -p "$DATA"
      [ "$(id -u)" = 0 ] && chown postgres:postgres "$DATA"
      "${RUN[@]}" "'$BIN/initdb' -D '$DATA' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null"
    fi
    mkdir -p "$SOCKDIR"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$SOCKDIR"
    # fsync stays on: the crash tests depend on what the server promises
    "${RUN[@]}" "'$BIN/pg_ctl' -D '$DATA' -l '$LOG' -w -t 60 \
      -o \"-p $PORT -h 127.0.0.1 -k '$SOCKDIR' -c max_connections=200\" start >/dev/null" || {
      echo "PostgreSQL did not start on port $PORT; last log lines:" >&2
      tail -20 "$LOG" >&2
      exit 1
    }
    ;;
  stop)
    BIN=$(bindir) || exit 0
    [ -f "$DATA/postmaster.pid" ] && "${RUN[@]}" "'$BIN/pg_ctl' -D '$DATA' -m fast stop >/dev/null" || true
    ;;
  status)
    answering
    ;;
  env)
    # The setting that points dangan at this server (tests make a database each).
    echo "DANGAN_DATABASE_URL=postgresql://postgres@127.0.0.1:$PORT/postgres"
    ;;
  *)
    echo "usage: $0 start|stop|status|env" >&2
    exit 2
    ;;
esac
