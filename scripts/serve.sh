#!/usr/bin/env bash
# Runs the product on the embedded default: SQLite under ./var, the in-process scheduler, the
# QuickBooks emulator and demo data, on http://127.0.0.1:8000/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/integrations serve "$@"
