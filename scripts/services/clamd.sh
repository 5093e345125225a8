#!/usr/bin/env bash
# A real ClamAV daemon on this machine for the 四性检测 virus-scan tests (AQ-01):
# Debian's clamav-daemon (apt-get install when missing). The official virus
# databases cannot be downloaded here (freshclam needs the internet), so the
# daemon loads one test signature of dangan's own: the EICAR test string
# (an .ndb body signature, "Dangan.Test.EICAR").
#   scripts/services/clamd.sh start|stop|status|env
set -euo pipefail

CACHE="${DANGAN_TEST_SERVICES_CACHE:-$HOME/.cache/dangan}/clamd"
SOCKET="$CACHE/clamd.sock"
PIDFILE="$CACHE/clamd.pid"
LOG="$CACHE/clamd.log"
# X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H* in hex
EICAR_HEX="58354f2150254041505b345c505a58353428505e2937434329377d2445494341522d5354414e444152442d414e544956495255532d544553542d46494c452124482b482a"

answering() {
  [ -S "$SOCKET" ] && python3 - "$SOCKET" <<'PY' >/dev/null 2>&1
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(sys.argv[1])
s.sendall(b"zPING\0"); assert s.recv(16).startswith(b"PONG")
PY
}

install() {
  command -v clamd >/dev/null && return
  echo "== installing clamav-daemon (apt)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends clamav-daemon >&2 || {
    apt-get update >&2 && apt-get install -y --no-install-recommends clamav-daemon >&2
  }
}

start() {
  answering && return
  install
  mkdir -p "$CACHE/db"
  echo "Dangan.Test.EICAR:0:*:$EICAR_HEX" > "$CACHE/db/dangan-test.ndb"
  cat > "$CACHE/clamd.conf" <<CONF
LocalSocket $SOCKET
DatabaseDirectory $CACHE/db
PidFile $PIDFILE
LogFile $LOG
Foreground yes
User root
StreamMaxLength 200M
CONF
  rm -f "$SOCKET"
  nohup "$(command -v clamd)" -c "$CACHE/clamd.conf" >>"$LOG" 2>&1 &
  for _ in $(seq 1 120); do
    answering && return
    sleep 0.5
  done
  echo "clamd did not answer on $SOCKET; see $LOG" >&2
  exit 1
}

stop() {
  [ -f "$PIDFILE" ] && kill "$(cat "$PIDFILE")" 2>/dev/null || true
  rm -f "$PIDFILE" "$SOCKET"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) answering && echo running || { echo stopped; exit 1; } ;;
  env) echo "DANGAN_CLAMD=unix:$SOCKET" ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
