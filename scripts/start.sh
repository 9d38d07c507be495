#!/usr/bin/env bash
# Start the whole app: API and admin UI on http://localhost:8000.
# Without DATABASE_URL (environment or .env) an embedded PostgreSQL is started.
# Arguments go to the server launcher (--reload, --port, --host, --workers).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

sync_backend
cd "$ROOT/backend"
exec uv run --frozen python scripts/serve.py "$@"
