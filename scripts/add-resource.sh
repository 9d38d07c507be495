#!/usr/bin/env bash
# Add a user-owned resource to the API, its tests and the admin UI, e.g.
#   ./scripts/add-resource.sh Project --field budget:int --field due:date:required
# See README.md, "Add your own resource". Nothing is changed when it refuses.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=frontend/scripts/ui.sh
source "$ROOT/frontend/scripts/ui.sh"

sync_backend
if have_node; then
  ensure_frontend_deps
else
  node_help
  exit 1
fi
cd "$ROOT/backend"
exec uv run --frozen python -m devtools.add_resource "$@"
