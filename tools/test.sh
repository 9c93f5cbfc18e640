#!/usr/bin/env bash
# Run Pickgun's checks and test suite: ruff, basedpyright over the CPython
# side and over the firmware (against MicroPython's ESP32 stubs, then its
# ESP32-S3 stubs), then pytest.  Extra arguments go to pytest, e.g.
# `tools/test.sh -m browser` runs one lane (README.md, Tests).  Two
# workers (pytest-xdist): the firmware and whole-stack tests on one, the
# rest on the other (tests/conftest.py); `-p no:xdist` runs in one.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/bootstrap.sh test
.venv/bin/ruff check
.venv/bin/basedpyright --warnings
.venv/bin/basedpyright --warnings -p firmware/pyrightconfig.json
.venv/bin/basedpyright --warnings -p firmware/pyrightconfig-s3.json
if [[ " $* " == *" -p no:xdist "* ]]; then
    exec .venv/bin/python -m pytest "$@"
fi
exec .venv/bin/python -m pytest -n 2 --dist loadgroup "$@"
