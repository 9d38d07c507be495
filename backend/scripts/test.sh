#!/usr/bin/env bash
# Run the backend's tests with coverage. Uses DATABASE_URL's server when set,
# an embedded PostgreSQL otherwise. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
coverage erase
coverage run -m pytest "$@"
coverage report
