#!/usr/bin/env bash
# Wait for the database, apply migrations, create the first superuser. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m app.prestart
