#!/usr/bin/env bash
set -euo pipefail
cd "$(dirname "$0")/.."
ruff check app tests scripts devtools --fix
ruff format app tests scripts devtools
