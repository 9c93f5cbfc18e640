#!/usr/bin/env bash
# Run Pickgun's whole test suite.  Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/bootstrap.sh test
exec .venv/bin/python -m pytest "$@"
