#!/usr/bin/env bash
# Run Pickgun: web server, MQTT worker, a local Mosquitto and two
# simulated scanner guns on demo data.  Extra arguments go to `pickgun up`.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/bootstrap.sh run
exec .venv/bin/pickgun up --demo "$@"
