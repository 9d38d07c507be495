#!/usr/bin/env bash
# Start the whole app: API and admin UI on http://localhost:8000.
# Without DATABASE_URL (environment or .env) an embedded PostgreSQL is started.
# The UI is rebuilt first when its sources changed (needs Node.js 20+ and npm); without
# Node.js the API is still served.
# Arguments go to the server launcher (--reload, --port, --host, --workers).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=../frontend/scripts/ui.sh
source "$ROOT/frontend/scripts/ui.sh"

if have_node; then
  if ! build_ui_if_changed; then
    echo "WARNING: building the admin UI failed (see above); serving the API with the last build, if any." >&2
  fi
else
  node_help
  if [ -f "$FRONTEND/dist/index.html" ]; then
    echo "Serving the API with the admin UI built earlier (frontend/dist), which may be out of date." >&2
  else
    echo "Serving the API only: http://localhost:8000/api/v1 (interactive docs at /docs)." >&2
  fi
fi

sync_backend
cd "$ROOT/backend"
exec uv run --frozen python scripts/serve.py "$@"
