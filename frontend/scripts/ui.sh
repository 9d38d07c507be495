# Shared by scripts/start.sh and scripts/test.sh: the admin UI's toolchain and build.
# shellcheck shell=bash

FRONTEND="$ROOT/frontend"
MIN_NODE_MAJOR=20

# True when Node.js (20 or newer) and npm are there; otherwise says why on stderr.
have_node() {
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "Node.js and npm were not found." >&2
    return 1
  fi
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  if [ "$major" -lt "$MIN_NODE_MAJOR" ]; then
    echo "Node.js $(node --version) is too old: the admin UI needs Node.js $MIN_NODE_MAJOR or newer." >&2
    return 1
  fi
}

node_help() {
  cat >&2 <<MSG
To get the admin UI, install Node.js $MIN_NODE_MAJOR+ with npm (https://nodejs.org, or your
system's package manager, e.g. 'apt-get install nodejs npm' where it ships Node.js $MIN_NODE_MAJOR+),
then run this command again: it builds the UI by itself.
MSG
}

_hash_files() {
  # Content hash of the files given (paths relative to frontend/), in a stable order.
  (cd "$FRONTEND" && find "$@" -type f -print0 2>/dev/null | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
}

# `npm ci` when node_modules is missing or package-lock.json changed since the last install.
ensure_frontend_deps() {
  local lock_hash stamp="$FRONTEND/node_modules/.package-lock.sha256"
  lock_hash="$(_hash_files package-lock.json)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_hash" ]; then
    return
  fi
  echo "Installing the admin UI's packages (npm ci)"
  # Explicit returns: callers may run this inside `if`, where `set -e` does not apply.
  (cd "$FRONTEND" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) || return 1
  echo "$lock_hash" >"$stamp"
}

ui_sources_hash() {
  _hash_files index.html package.json package-lock.json vite.config.ts tsconfig.json tsconfig.app.json src public
}

# Build frontend/dist when the UI's sources changed since the last build.
build_ui_if_changed() {
  local stamp="$FRONTEND/.build-stamp" hash
  hash="$(ui_sources_hash)"
  if [ -f "$FRONTEND/dist/index.html" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
    echo "Admin UI is up to date (frontend/dist)"
    return
  fi
  ensure_frontend_deps || return 1
  echo "Building the admin UI (its sources changed since the last build)"
  (cd "$FRONTEND" && npm run build --silent) || return 1
  echo "$hash" >"$stamp"
}
