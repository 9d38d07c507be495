#!/usr/bin/env bash
# Run every test: backend lint, types and tests with coverage (among them two backend
# instances behind Debian's nginx); then the admin UI's checks (generated client up to
# date, biome, tsc, vitest, build) and its browser tests (Playwright with Debian's
# Chromium against the real backend and PostgreSQL).
# Uses DATABASE_URL's PostgreSQL server when set, an embedded one otherwise.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=../frontend/scripts/ui.sh
source "$ROOT/frontend/scripts/ui.sh"

# Debian packages the backend tests drive: nginx in front of two backend instances
# (backend/tests/test_balancer.py), SpamAssassin scoring every email
# (backend/tests/api/test_email_messages.py) and openssl making a certificate for the
# SMTP TLS tests (backend/tests/test_smtp_connection.py). Installed here when missing,
# if we may.
missing=()
[ -x /usr/sbin/nginx ] || missing+=(nginx)
[ -x /usr/bin/spamassassin ] || missing+=(spamassassin)
[ -x /usr/bin/openssl ] || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Not found: ${missing[*]}. Installing Debian's packages for the backend tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "Not found: ${missing[*]}. Install Debian's packages (apt-get install ${missing[*]}) for the backend tests." >&2
    exit 1
  fi
fi

sync_backend
cd "$ROOT/backend"
echo "== Backend: lint and types"
uv run --frozen bash scripts/lint.sh
echo "== Backend: tests"
uv run --frozen bash scripts/test.sh

echo "== Frontend: packages"
if ! have_node; then
  node_help
  exit 1
fi
ensure_frontend_deps
cd "$FRONTEND"
echo "== Frontend: generated API client matches the backend"
npm run --silent check-client
echo "== Frontend: lint (biome)"
npm run --silent lint
echo "== Frontend: types (tsc)"
npm run --silent typecheck
echo "== Frontend: unit tests (vitest)"
npm run --silent test
echo "== Frontend: build"
npm run --silent build
ui_sources_hash >"$FRONTEND/.build-stamp"
echo "== Frontend: browser tests (Playwright)"
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  echo "Chromium was not found at $chromium: install Debian's 'chromium' package (or set CHROMIUM_PATH)." >&2
  exit 1
fi
started=$SECONDS
npm run --silent e2e
echo "Browser tests took $((SECONDS - started)) s"
