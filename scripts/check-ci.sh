#!/usr/bin/env bash
# Check what surrounds the code:
#  1. the GitHub workflows and Dependabot's settings in .github/, and the pre-commit
#     configuration: actionlint, then zizmor (offline); any finding fails;
#  2. every shell script of the repository with shellcheck;
#  3. every pre-commit hook of .pre-commit-config.yaml on every file.
# actionlint, zizmor and pre-commit go, hash-pinned, into .tools/ci
# (scripts/ci/tools.txt); shellcheck is Debian's, installed with apt-get when missing
# and run as root. The hooks need what scripts/test.sh needs: uv (found or installed
# as it does) and Node.js 20+.
#
#     ./scripts/check-ci.sh                   run every check
#     ./scripts/check-ci.sh --install-hooks   install the tools and the git hook only
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

TOOLS="$ROOT/.tools/ci"
PINS="$ROOT/scripts/ci/tools.txt"

install_tools() {
  if [ -x "$TOOLS/bin/pre-commit" ] && cmp -s "$PINS" "$TOOLS/tools.txt"; then
    return
  fi
  echo "Installing actionlint, zizmor and pre-commit into .tools/ci"
  python3 -m venv "$TOOLS"
  # This machine's pip configuration names local folders that may not exist.
  { "$TOOLS/bin/pip" install --quiet --disable-pip-version-check --require-hashes -r "$PINS"; } 2>&1 \
    | { grep -v "is ignored: it is neither a file nor a directory" || true; }
  cp "$PINS" "$TOOLS/tools.txt"
}

ensure_shellcheck() {
  if command -v shellcheck >/dev/null 2>&1; then
    return
  fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "shellcheck was not found: installing Debian's shellcheck"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null
  else
    echo "shellcheck was not found: install Debian's 'shellcheck' package (apt-get install shellcheck)." >&2
    exit 1
  fi
}

# Tracked files that are shell scripts: *.sh, or a first line naming sh or bash.
shell_scripts() {
  git ls-files -z | while IFS= read -r -d '' file; do
    case "$file" in
      *.sh) echo "$file" ;;
      *) [ -f "$file" ] && head -n 1 "$file" | grep -qE '^#!.*[/ ](ba)?sh( |$)' && echo "$file" ;;
    esac
  done
  return 0
}

cd "$ROOT"
install_tools
if [ "${1:-}" = "--install-hooks" ]; then
  "$TOOLS/bin/pre-commit" install
  exit 0
fi
ensure_shellcheck

echo "=== GitHub workflows: actionlint $("$TOOLS/bin/actionlint" --version | head -n 1)"
# With shellcheck on PATH, actionlint checks every `run:` script with it too.
"$TOOLS/bin/actionlint" .github/workflows/*.yml
echo "actionlint: no findings"

echo "=== GitHub workflows, Dependabot, pre-commit: $("$TOOLS/bin/zizmor" --version)"
# The default persona. The pedantic one also wants the service containers' images
# pinned by digest; like docker-compose.yml's, they are pinned by tag. A file that
# does not match its schema (dependabot.yml too) fails rather than being skipped.
"$TOOLS/bin/zizmor" --quiet --strict-collection --color never --offline --no-progress \
  .github/ .pre-commit-config.yaml

echo "=== Shell scripts: shellcheck $(shellcheck --version | awk '/^version:/ {print $2}')"
mapfile -t scripts < <(shell_scripts)
shellcheck "${scripts[@]}"
echo "shellcheck: no findings in ${#scripts[@]} scripts"

echo "=== pre-commit hooks on every file: $("$TOOLS/bin/pre-commit" --version)"
"$TOOLS/bin/pre-commit" run --all-files --show-diff-on-failure --color never
