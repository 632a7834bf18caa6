#!/usr/bin/env bash
# Creates .venv and installs the project with its test and distributed extras. Re-running is
# cheap: it reinstalls only when pyproject.toml changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv 2>/dev/null || true
[ -x .venv/bin/python ] || python3 -m venv .venv
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  # Playwright drives Debian's Chromium (below); it must never fetch a browser build of its own.
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 .venv/bin/python -m pip install --quiet -e '.[dev,distributed]'
  rm -f .venv/.installed-*
  touch "$stamp"
fi
