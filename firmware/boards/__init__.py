# Board selection.  Application modules never touch hardware: they get a
# board module that provides the same names everywhere (see boards/host.py
# for the list).  On a desktop (unix port) the board comes from the
# PICKGUN_BOARD environment variable; on a device from /board.txt, then
# the "board" key of /config.json, then the default.
import sys

DEFAULT_DEVICE_BOARD = "esp32_wroom"


def _device_choice():
    # Never raises: a file that cannot say gives the next choice.
    try:
        with open("/board.txt") as f:
            name = f.read().strip()
        if name:
            return name
    except Exception:
        pass
    try:
        import json
        with open("/config.json") as f:
            name = json.load(f).get("board")
        if name:
            return str(name)
    except Exception:
        pass
    return DEFAULT_DEVICE_BOARD


def name():
    if sys.platform in ("linux", "darwin"):
        import os
        return os.getenv("PICKGUN_BOARD") or "host"
    return _device_choice()


def load(board=None):
    """Import and return the board module (boards.<name>).  ValueError for
    a malformed name, ImportError for one with no module."""
    board = board or name()
    for ch in board:
        if not (ch.isalpha() or ch.isdigit() or ch == "_"):
            raise ValueError("bad board name " + board)
    return __import__("boards." + board, None, None, [board])
