#!/usr/bin/env bash
# Set up a fresh Debian machine for Pickgun: system packages (only those
# missing), then a virtual environment in .venv with Pickgun installed.
# Usage: tools/bootstrap.sh [run|test]
set -euo pipefail
cd "$(dirname "$0")/.."
want=${1:-run}
case "$want" in
    run|test) ;;
    *) echo "usage: tools/bootstrap.sh [run|test]" >&2; exit 2 ;;
esac

python=${PYTHON:-python3}
need=()
# Debian's python3 lacks ensurepip (and so venv's pip) until python3-venv is
# installed; python3-venv brings python3 itself on a machine without it.
"$python" -c "import ensurepip, venv" >/dev/null 2>&1 || need+=(python3-venv)
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ "$want" = test ]; then
    [ -x /usr/bin/chromium ] || need+=(chromium)
    # zbar, for pyzbar: bench/camera.py reads the QR decoder's frames
    # with it too.
    ldconfig -p 2>/dev/null | grep -q 'libzbar\.so\.0' || need+=(libzbar0)
fi
if [ ${#need[@]} -gt 0 ]; then
    sudo=""
    if [ "$(id -u)" != 0 ]; then
        if ! command -v sudo >/dev/null 2>&1; then
            echo "Pickgun needs these Debian packages: ${need[*]}" >&2
            echo "As root, run: apt-get install -y ${need[*]}" >&2
            echo "then run this command again." >&2
            exit 1
        fi
        sudo="sudo"
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "Pickgun needs: ${need[*]} (no apt-get here: install them with" \
             "this system's package manager, then run this command again)" >&2
        exit 1
    fi
    echo "Installing system packages: ${need[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

# A .venv whose pip does not run (an interrupted first run, or a Python
# since removed) is made again from scratch.
if ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
    echo "Creating .venv"
    "$python" -m venv --clear .venv
fi
extras="."
[ "$want" = test ] && extras=".[test]"
stamp=".venv/.installed-$want"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "Installing Pickgun and its dependencies into .venv ($want set-up)"
    .venv/bin/python -m pip install -q --disable-pip-version-check -e "$extras"
    touch "$stamp"
fi

# The test set-up checks the firmware against MicroPython's ESP32 and
# ESP32-S3 stubs.  Each set goes to a folder of its own, outside .venv's
# site-packages: they define modules CPython has (time, socket, requests,
# ...) and would shadow them there.  firmware/pyrightconfig.json points at
# .venv/firmware-stubs, firmware/pyrightconfig-s3.json at
# .venv/firmware-stubs-s3.
install_stubs() {           # folder, then the requirements
    local stubs="$1"
    shift
    if [ "$(cat "$stubs/.installed" 2>/dev/null)" != "$*" ]; then
        echo "Installing MicroPython stubs into $stubs: $*"
        rm -rf "$stubs"
        .venv/bin/python -m pip install -q --disable-pip-version-check \
            --target "$stubs" "$@"
        echo "$*" > "$stubs/.installed"
    fi
}
if [ "$want" = test ]; then
    install_stubs .venv/firmware-stubs \
        micropython-esp32-esp32-generic-stubs==1.29.0.post1 \
        micropython-stdlib-stubs==1.29.0.post2
    install_stubs .venv/firmware-stubs-s3 \
        micropython-esp32-esp32-generic-s3-stubs==1.29.0.post1 \
        micropython-stdlib-stubs==1.29.0.post2
fi
