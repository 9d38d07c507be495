#!/usr/bin/env bash
set -euo pipefail
cd "$(dirname "$0")/.."
mypy app
ruff check app tests scripts devtools
ruff format --check app tests scripts devtools
