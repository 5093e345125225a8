#!/usr/bin/env bash
# One command: set up and run the test suite (extra arguments go to pytest).
#   bash scripts/test.sh            the full suite (CI): real servers, browser, both catalogs
#   bash scripts/test.sh --fast     the developers' tier: unit and embedded tests, no
#                                   servers, no browser, no OCR corpus (under 2 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

if [ "${1:-}" = "--fast" ]; then
  shift
  .venv/bin/ruff check .
  .venv/bin/ruff format --check .
  # one test process per core (pytest-xdist): these tests share no server
  exec .venv/bin/python -m pytest -m "not slow and not browser" -q -n auto "$@"
fi

# Browser tests drive Debian's Chromium through its chromedriver (no downloads).
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi
  if [ "$SUDO" = none ] || ! command -v apt-get >/dev/null; then
    echo "浏览器测试需要 chromium 和 chromium-driver，请让管理员安装。" >&2
    exit 1
  fi
  echo "== 安装 Chromium（浏览器测试用）"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
fi

# docker-compose.yml is checked with Debian's docker-compose (`config` needs no Docker engine).
if ! command -v docker-compose >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== 安装 docker-compose（检查 docker-compose.yml 用）"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
  else
    echo "检查 docker-compose.yml 需要 docker-compose，请让管理员安装。" >&2
    exit 1
  fi
fi

.venv/bin/ruff check .
.venv/bin/ruff format --check .

# The real servers the production-backend tests use, started (and built or
# installed the first time, with their progress shown here) before pytest.
for service in postgres elasticsearch minio; do
  echo "== 启动测试服务 $service"
  bash "scripts/services/$service.sh" start
done

if [ $# -gt 0 ]; then
  exec .venv/bin/python -m pytest "$@"
fi
.venv/bin/python -m pytest
# The desks, retention and access tests once more on the PostgreSQL catalog
# (tests/conftest.py gives each test home a database of its own). Tests that
# edit the SQLite file or start their own processes are left out here; the
# conformance, disposal and worker tests above cover PostgreSQL for them.
echo "== 目录数据库换成 PostgreSQL 再测一遍"
DANGAN_TEST_CATALOG=postgresql exec .venv/bin/python -m pytest -q -p no:cacheprovider \
  tests/test_api.py tests/test_people.py tests/test_volumes.py tests/test_compliance_desk.py \
  tests/test_security_levels.py tests/test_transfer.py tests/test_review.py \
  tests/test_access.py tests/test_filing.py \
  -k "not previous_version and not command_line and not concurrent_processes"
