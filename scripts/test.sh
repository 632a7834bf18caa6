#!/usr/bin/env bash
# Runs the whole test suite: lint, then pytest against SQLite and the local PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/services.sh
# The browser tests drive Debian's Chromium, headless; install it once when it is missing.
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null \
    || echo "test: could not install chromium with apt; the browser tests fail under CI=true, else skip" >&2
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/pytest -q -n 3 "$@"
