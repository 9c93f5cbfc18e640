#!/usr/bin/env bash
# Set up a fresh Debian machine for Pickgun: system packages (only those
# missing), then a virtual environment in .venv with Pickgun installed.
# Usage: tools/bootstrap.sh [run|test]
set -euo pipefail
cd "$(dirname "$0")/.."
want=${1:-run}

python=${PYTHON:-python3}
need=()
"$python" -c "import ensurepip, venv" >/dev/null 2>&1 || need+=(python3-venv)
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ "$want" = test ]; then
    [ -x /usr/bin/chromium ] || need+=(chromium)
fi
if [ ${#need[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "Installing system packages: ${need[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
extras="."
[ "$want" = test ] && extras=".[test]"
stamp=".venv/.installed-$want"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/pip install -q --disable-pip-version-check -e "$extras"
    touch "$stamp"
fi
