#!/usr/bin/env bash
# Runs a pre-commit hook's command inside backend/ or frontend/, where the tool finds
# the project's configuration (pyproject.toml, biome.json):
#
#     scripts/ci/hook.sh backend|frontend COMMAND [ARGUMENT...] [FILE...]
#
# pre-commit passes file names relative to the repository's root: those under the
# folder are made relative to it. In backend/ the command runs in the backend's
# environment (uv run --frozen); in frontend/ with node_modules/.bin first on PATH,
# after `npm ci` when the lock file changed. Both get uv, which the generated-client
# check calls to read the backend's OpenAPI schema.
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"

folder="$1"
shift
args=()
for arg in "$@"; do
  args+=("${arg#"$folder"/}")
done

ensure_uv
case "$folder" in
  backend)
    cd "$ROOT/backend"
    exec uv run --frozen --quiet "${args[@]}"
    ;;
  frontend)
    # shellcheck source=../../frontend/scripts/ui.sh
    source "$ROOT/frontend/scripts/ui.sh"
    have_node || exit 1
    ensure_frontend_deps
    cd "$FRONTEND"
    export PATH="$FRONTEND/node_modules/.bin:$PATH"
    exec "${args[@]}"
    ;;
  *)
    echo "usage: $0 backend|frontend COMMAND [ARGUMENT...] [FILE...]" >&2
    exit 2
    ;;
esac
