#!/usr/bin/env bash
# Prove that ./scripts/add-resource.sh still works: in a fresh clone of this repository
# (its last commit), add a resource with a field of every type, check that a second
# run and bad arguments are refused without changing anything, then run what the
# test command runs on the result: backend lint, types and tests (the authorization
# matrix and the fuzz test reach the new routes), the UI's checks and build, and the
# browser tests of the new page (its story and the accessibility checks).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
ensure_uv

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
COPY="$WORK/repository"
git clone --quiet "$ROOT" "$COPY"
cd "$COPY"

RESOURCE=(InvoiceLine --field sku:str:required --field notes:text
  --field quantity:int:required --field price:float --field paid:bool
  --field due:date --field sent_at:datetime)

echo "== add-resource ${RESOURCE[*]}"
./scripts/add-resource.sh "${RESOURCE[@]}"
git add --all
git -c user.name=check -c user.email=check@example.com commit --quiet -m "InvoiceLine"

refused() {
  local expected="$1"
  shift
  local output status=0
  output="$(./scripts/add-resource.sh "$@" 2>&1)" || status=$?
  if [ "$status" -ne 2 ] || ! grep -qF "$expected" <<<"$output"; then
    echo "add-resource $* should have refused with: $expected" >&2
    echo "$output" >&2
    exit 1
  fi
  if [ -n "$(git status --porcelain)" ]; then
    echo "add-resource $* changed files although it refused:" >&2
    git status --short >&2
    exit 1
  fi
  echo "refused, nothing changed: add-resource $*"
}
refused "InvoiceLine exists already" "${RESOURCE[@]}"
refused "the name is PascalCase" invoice_line
refused "unknown type 'money'" Budget --field amount:money
refused "'title' is taken" Budget --field title:str
refused "given twice" Budget --field amount:int --field amount:float

echo "== Backend: lint, types and tests"
cd "$COPY/backend"
uv run --frozen bash scripts/lint.sh
uv run --frozen pytest -q -p no:cacheprovider

echo "== Frontend: checks, build and the new page's browser tests"
cd "$COPY/frontend"
npm run --silent check-client
npm run --silent lint
npm run --silent typecheck
npm run --silent build
npx playwright test e2e/invoice-lines.spec.ts e2e/accessibility.spec.ts
