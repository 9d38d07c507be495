# Shared by the scripts in this folder: find or install uv.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT

ensure_uv() {
  if command -v uv >/dev/null 2>&1; then
    return
  fi
  local tools="$ROOT/.tools/uv"
  if [ ! -x "$tools/bin/uv" ]; then
    echo "uv not found: installing it into .tools/uv (a private virtualenv)" >&2
    python3 -m venv "$tools"
    "$tools/bin/pip" install --quiet --disable-pip-version-check uv
  fi
  export PATH="$tools/bin:$PATH"
}

sync_backend() {
  ensure_uv
  (cd "$ROOT/backend" && uv sync --frozen --quiet)
}
