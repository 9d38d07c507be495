#!/usr/bin/env bash
# Run every test: backend lint, types and tests with coverage.
# Uses DATABASE_URL's PostgreSQL server when set, an embedded one otherwise.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

sync_backend
cd "$ROOT/backend"
echo "== Backend: lint and types"
uv run --frozen bash scripts/lint.sh
echo "== Backend: tests"
uv run --frozen bash scripts/test.sh
