# Pickgun scanner gun: wires the board, journal, order store, sync session
# and app together as asyncio tasks.  Runs on the ESP32 and, with
# PICKGUN_BOARD=host, on the MicroPython unix port.
import gc
import sys

from gun.picks import PickSet

# Big buffers first, while the heap is still in one piece.  The rest of
# the long-lived state is preallocated by its owner at start-up too (the
# journal's offset table, the order store's index, the buffers of the
# journal and the MQTT client): nothing that lives long is allocated per
# scan or per snapshot, so the heap does not fragment over a day.
_picks = PickSet(400)
_mqtt_rx = bytearray(8192)          # the MQTT receive buffer (gun/sync.py)

import asyncio                      # noqa: E402
import boards                       # noqa: E402
from shared import wire             # noqa: E402
from gun.app import App             # noqa: E402
from gun.scanner import Scanner     # noqa: E402

# Checking a code's check character indexes wire.CHECK_SYMBOLS, and
# MicroPython interns every one-character string it makes that way.
# Interned now, at boot: interning them during the first scans would grow
# the interned-string pool by one contiguous block (about 7 KB on the
# unix port) in whatever heap the day has left.
for _c in wire.CHECK_SYMBOLS:
    pass

WIFI_RETRY_MS = 10000
SYNC_RESTART_MS = 5000


def storage(board):
    """Mount the flash and open the journal and the order store."""
    from gun.journal import Journal
    from gun.store import OrderStore
    gc.collect()
    board.mount()
    journal = Journal(board.DATA_DIR)      # journal.st, journal.log
    store = OrderStore(board.DATA_DIR)     # orders/
    return journal, store


def start(board, cfg):
    """Open the journal and the order store, and build the app and the
    sync session on them, as run() does (the bench boots through here)."""
    journal, store = storage(board)
    gc.collect()
    from gun.sync import Sync
    app = App(board, journal, store, picks=_picks)
    sync = Sync(board, cfg, journal, store, app,
                rxbuf=_mqtt_rx if "max_packet" not in cfg else None)
    app.sync = sync
    if _updates():
        from gun import ota
        sync.ota = ota.Ota(board, cfg, journal, app, sync)
    gc.collect()
    return journal, store, app, sync


def _updates():
    """Whether the gun runs from a ROMFS image: only one can be updated
    over the air (gun/ota.py, boot.py)."""
    import gun
    return getattr(gun, "__file__", "").startswith("/rom/")


def _stopped(board, why):
    """A version on trial that stops on an error screen goes back to the
    one before (gun/ota.py)."""
    try:
        if _updates():
            from gun import ota
            ota.stopped(board, why)
    except Exception as e:
        _log("ota", e)


def _log(where, e):
    print("pickgun:", where, "failed:", repr(e))
    try:
        sys.print_exception(e)
    except AttributeError:
        pass


async def _sync_task(sync):
    while True:                     # the session must outlive its bugs
        try:
            await sync.run()
        except Exception as e:
            _log("sync", e)
        await asyncio.sleep_ms(SYNC_RESTART_MS)


async def _wifi_task(board):
    while True:
        try:
            if not board.wifi_up():
                board.wifi_connect()
        except Exception as e:      # the radio: try again later
            _log("wifi", e)
        await asyncio.sleep_ms(WIFI_RETRY_MS)


async def _until_fails(coro, stop, where):
    try:
        await coro
    except EOFError:
        pass                # its stream ended (the host harness went away)
    except Exception as e:
        _log(where, e)
    stop.set()


def _try(fn, *args):
    """fn(*args), or None if it fails (logged): a stopped gun still shows
    why, whatever part of its hardware fails too."""
    try:
        return fn(*args)
    except Exception as e:
        _log("stopped gun", e)


async def config_error(board, errors, message="Config error",
                       todo="Re-provision gun"):
    """Show why the gun cannot start and stay there: re-provisioning (a new
    config.json and a restart) is the way out; for a flash that fails at
    start-up, a restart or a lead.  Never raises: a crash would only restart
    the gun into the same stop, over and over."""
    from gun import screens
    _try(board.uart)                # bring the hardware up as usual
    _try(board.keys)
    rows = screens.config_error(errors, message, todo)
    fb = _try(board.display)
    if fb is not None:
        screens.paint(fb, rows, 1)
        _try(fb.show)
    _try(board.beep, "err")
    _try(board.report, rows, {
        "screen": "config_error" if message == "Config error" else "stopped",
        "msg": "; ".join(errors), "pending": 0, "link": "offline",
        "scans": 0, "keys": 0})
    while True:
        await asyncio.sleep_ms(60000)


async def run(board, errors=None):
    from gun import config
    cfg = None
    if not errors:
        cfg, errors = config.load(board)
    if errors:
        _log("config", ValueError("; ".join(errors)))
        _stopped(board, "config error")
        return await config_error(board, errors)
    try:
        journal, store, app, sync = start(board, cfg)
    except Exception as e:          # the flash: mount, journal, orders
        _log("start", e)
        _stopped(board, "flash error")
        return await config_error(board, [repr(e), "Restart the gun."],
                                  "Flash error", "If again: a lead")
    stop = asyncio.Event()
    if sync.ota:
        asyncio.create_task(sync.ota.task())
    asyncio.create_task(app.display_task(board.display))
    asyncio.create_task(_sync_task(sync))
    asyncio.create_task(_wifi_task(board))
    asyncio.create_task(_until_fails(
        app.input_task(Scanner(board.uart(), ticks_ms=board.ticks_ms)),
        stop, "scanner"))
    asyncio.create_task(_until_fails(app.input_task(board.keys(), True),
                                     stop, "keys"))
    await stop.wait()


def main():
    errors = None
    try:
        board = boards.load()
    except Exception as e:          # board.txt or config.json names no board
        if sys.platform in ("linux", "darwin"):
            raise                   # PICKGUN_BOARD: a developer's slip
        _log("board", e)
        board = boards.load(boards.DEFAULT_DEVICE_BOARD)
        errors = ["unknown board " + boards.name()[:24]]
    try:
        asyncio.run(run(board, errors))
    finally:
        asyncio.new_event_loop()
    if sys.platform not in ("linux", "darwin"):
        import machine              # a device never just stops
        machine.reset()


if __name__ == "__main__":
    main()
