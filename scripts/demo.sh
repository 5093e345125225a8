#!/usr/bin/env bash
# One command: set up, generate sample scans, ingest them, serve the web UI.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/dangan demo "$@"
