# Pickgun scanner gun: wires the board, journal, order store, sync session
# and app together as asyncio tasks.  Runs on the ESP32 and, with
# PICKGUN_BOARD=host, on the MicroPython unix port.
import gc
import sys
import time

from gun.picks import PickSet

# Big buffers first, while the heap is still in one piece.  The rest of
# the long-lived state is preallocated by its owner at start-up too (the
# journal's offset table, the order store's index, the buffers of the
# journal and the MQTT client): nothing that lives long is allocated per
# scan or per snapshot, so the heap does not fragment over a day.
_picks = PickSet(400)
_mqtt_rx = bytearray(8192)          # the MQTT receive buffer (gun/sync.py)

import asyncio                      # noqa: E402
import socket                       # noqa: E402
import boards                       # noqa: E402
from micropython import const       # noqa: E402
from time import ticks_add, ticks_diff  # noqa: E402
from shared import wire             # noqa: E402
from gun.app import App             # noqa: E402
from gun.scanner import Scanner     # noqa: E402
from drivers import gm65            # noqa: E402

# Checking a code's check character indexes wire.CHECK_SYMBOLS, and
# MicroPython interns every one-character string it makes that way.
# Interned now, at boot: interning them during the first scans would grow
# the interned-string pool by one contiguous block (about 7 KB on the
# unix port) in whatever heap the day has left.
for _c in wire.CHECK_SYMBOLS:
    pass

SYNC_RESTART_MS = 5000
_DECODER_RETRY_MS = const(10000)
WDT_MS = 30000          # a loop stuck this long is reset by the watchdog
WDT_FEED_MS = 500       # well within any timeout (the simulator's are
                        # short)
RESET_DELAY_MS = 5000   # after a crash: time to read the console, or to
                        # interrupt it (Ctrl-C), before the gun restarts
PANEL_RETRY_MS = 10000
IDLE_WDT_MS = 3600000   # the watchdog at the REPL (Ctrl-C): it cannot be
                        # stopped, only slowed
CRASH_MAX = 1024        # crash.txt: the end of the traceback, the error


class FlashIsFat(OSError):
    pass
# network.WLAN statuses (the ESP32 port's values; boards/host.py models
# them), and how long an association may take before connect() again.
_STAT_CONNECTING = const(1001)
_STAT_GOT_IP = const(1010)
_ASSOCIATE_MS = const(30000)
_CLOCK_EVERY_MS = const(21600000)   # NTP again every 6 h: the RTC drifts
_CLOCK_RETRY_MS = const(2000)       # then doubling, up to 5 min


def storage(board):
    """Mount the flash and open the journal and the order store.
    FlashIsFat if the flash is FAT: its rename removes the target first,
    so a power cut between the two loses the journal's beeped picks."""
    import vfs
    from gun.journal import Journal
    from gun.store import OrderStore
    gc.collect()
    board.mount()
    fs, at = None, ""
    for f, where in vfs.mount():        # the mount DATA_DIR is on
        if board.DATA_DIR.startswith(where) and len(where) > len(at):
            fs, at = f, where
    if isinstance(fs, vfs.VfsFat):
        raise FlashIsFat()
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


async def _wifi_task(board, cfg):
    """Keep the station connected, by its status: connect() at start, and
    again when it is idle or has failed for a whole association time
    since (the station tries again by itself meanwhile, and connect()
    while it associates would start that over), never while it is
    connecting.  Once it is, set the clock by SNTP (gun/sntp.py) from cfg
    ntp (default: the broker's host), before the sync session's TLS
    handshake needs it, and again every 6 hours.  No ssid: nothing to
    join; the log and the idle screen say so, and the task stays alive
    (the watchdog's feeder counts it among the tasks that must run)."""
    if not cfg.get("ssid"):
        print("pickgun: wifi: no ssid in config.json: provision the gun "
              "with --ssid")
        while True:
            await asyncio.sleep_ms(60000)
    from gun import sntp
    addr = None                     # the NTP server's, resolved once
    due = board.ticks_ms()          # next NTP query
    wait = _CLOCK_RETRY_MS
    tried = None                    # ticks of the last connect()
    while True:
        now = board.ticks_ms()
        st = 0
        try:
            st = board.wifi_status()
            if st != _STAT_GOT_IP and st != _STAT_CONNECTING and (
                    tried is None or ticks_diff(now, tried) >= _ASSOCIATE_MS):
                tried = now
                board.wifi_connect()
        except Exception as e:      # the radio: try again later
            _log("wifi", e)
        if st != _STAT_GOT_IP:
            if ticks_diff(now, due) > 0:
                due = now           # held due: ticks wrap after 6 days
        elif ticks_diff(now, due) >= 0:
            due = ticks_add(now, wait)
            wait = min(wait * 2, 300000)
            try:
                if addr is None:    # blocks on DNS when cfg ntp is a name
                    addr = socket.getaddrinfo(
                        cfg.get("ntp") or cfg["broker"],
                        cfg.get("ntp_port", 123))[0][-1]
                t = await sntp.query(addr)
                if not t:
                    raise OSError("no answer from " + str(addr))
                board.clock(t)
                due = ticks_add(board.ticks_ms(), _CLOCK_EVERY_MS)
                wait = _CLOCK_RETRY_MS
            except Exception as e:  # DNS, the network, the NTP server
                print("pickgun: ntp failed:", repr(e))   # (no traceback)
                addr = None
        await asyncio.sleep_ms(500)


async def _decoder(app, port, scanner):
    """Set the decoder up (drivers/gm65.py), then handle its codes.  One
    that does not answer is named on the idle screen and asked again
    every 10 s while nothing comes from it; its codes are handled
    meanwhile, and once they come it is asked no more (a try would drop
    the codes that came during it)."""
    while True:
        app.decoder = await gm65.setup(port, scanner)
        app._changed()
        if not app.decoder:
            break
        print("pickgun: decoder failed:", app.decoder)
        scans = app.scans
        try:
            await asyncio.wait_for_ms(app.input_task(scanner),
                                      _DECODER_RETRY_MS)
        except asyncio.TimeoutError:
            pass
        if app.scans != scans:
            break
    await app.input_task(scanner)


async def _until_fails(coro, stop, where):
    try:
        await coro
    except EOFError:
        pass                # its stream ended (the host harness went away)
    except Exception as e:
        _log(where, e)
    stop.set()


_panel_failed = None     # ticks_ms of the panel's last failure to open


def _panel(board):
    """board.display(), or None while the panel does not answer: the gun
    runs headless (it scans, beeps and syncs; the app still reports its
    screen) and tries the panel again at a screen change once
    PANEL_RETRY_MS have passed.  The first failure is logged and said
    with the error beep."""
    global _panel_failed
    if _panel_failed is not None and time.ticks_diff(
            time.ticks_ms(), _panel_failed) < PANEL_RETRY_MS:
        return None
    try:
        return board.display()
    except Exception as e:
        if _panel_failed is None:
            _log("panel", e)
            _try(board.beep, "err")
        _panel_failed = time.ticks_ms()


_wdt = None             # the watchdog, once started


async def _watchdog(board, tasks):
    """Start the hardware watchdog and feed it while the gun is healthy:
    the event loop turns (this task runs) and none of `tasks`, which run
    for as long as the gun does, has ended.  Otherwise the watchdog
    resets the gun."""
    global _wdt
    _wdt = dog = board.wdt(WDT_MS)
    while True:
        for t in tasks:
            if t.done():
                _log("watchdog", RuntimeError("a task ended"))
                return
        dog.feed()
        await asyncio.sleep_ms(WDT_FEED_MS)


def crashed(board, e):
    """Log an error that ended run() on the console and, kept short, in
    DATA_DIR/crash.txt (written only when it says something new, so a gun
    that crashes at every boot does not wear its flash out)."""
    _log("gun", e)
    try:
        import io
        buf = io.StringIO()
        # The device prints to any stream; the stubs want their IOBase_mp,
        # and their StringIO lacks the device's getvalue().
        sys.print_exception(e, buf)  # pyright: ignore[reportArgumentType]
        text = buf.getvalue()[-CRASH_MAX:]  # pyright: ignore[reportAttributeAccessIssue]
        board.mount()
        name = board.DATA_DIR + "/crash.txt"
        try:
            with open(name) as f:
                if f.read() == text:
                    return
        except OSError:
            pass
        with open(name, "w") as f:
            f.write(text)
    except Exception as e2:         # a flash or heap that fails too
        _log("crash log", e2)


def _try(fn, *args):
    """fn(*args), or None if it fails (logged): a stopped gun still shows
    why, whatever part of its hardware fails too."""
    try:
        return fn(*args)
    except Exception as e:
        _log("stopped gun", e)


def show_stop(board, errors, message, todo, screen="stopped"):
    """Paint a stop screen (screens.config_error), beep, report it.  Never
    raises: the hardware that shows why may fail too."""
    from gun import screens
    rows = screens.config_error(errors, message, todo)
    fb = _try(board.display)
    if fb is not None:
        screens.paint(fb, rows, 1)
        _try(fb.show)
    _try(board.beep, "err")
    _try(board.report, rows, {
        "screen": screen, "msg": "; ".join(errors), "pending": 0,
        "link": "offline", "scans": 0, "keys": 0})


async def config_error(board, errors, message="Config error",
                       todo="Re-provision gun"):
    """Show why the gun cannot start and stay there: re-provisioning (a new
    config.json and a restart) is the way out; for a flash that fails at
    start-up, a restart or a lead.  Never raises: a crash would only restart
    the gun into the same stop, over and over."""
    _try(board.uart)                # bring the hardware up as usual
    _try(board.keys)
    show_stop(board, errors, message, todo,
              "config_error" if message == "Config error" else "stopped")
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
    except FlashIsFat:
        return await config_error(
            board, ["A power cut would lose scans.", "Erase, reflash."],
            "Flash is FAT", "See hardware.md")
    except Exception as e:          # the flash: mount, journal, orders
        _log("start", e)
        _stopped(board, "flash error")
        return await config_error(board, [repr(e), "Restart the gun."],
                                  "Flash error", "If again: a lead")
    stop = asyncio.Event()
    tasks = [asyncio.create_task(app.display_task(lambda: _panel(board))),
             asyncio.create_task(_sync_task(sync)),
             asyncio.create_task(_wifi_task(board, cfg))]
    asyncio.create_task(app.power_task(cfg))
    # A camera board reads codes with its camera (gun/camera.py), the
    # others with their serial decoder; either way into App.input_task.
    cam = board.camera() if hasattr(board, "camera") else None
    port = board.uart() if cam is None else None
    if sync.ota:
        asyncio.create_task(sync.ota.task())
    keys = board.keys()
    if cam is None:
        asyncio.create_task(_until_fails(
            _decoder(app, port, Scanner(port, ticks_ms=board.ticks_ms)),
            stop, "scanner"))
    else:
        from gun import camera
        reader = camera.Reader(app, cam, cfg, board.ticks_ms)
        keys = camera.Trigger(reader, keys)
        asyncio.create_task(_until_fails(app.input_task(reader), stop,
                                         "camera"))
    asyncio.create_task(_until_fails(app.input_task(keys, True),
                                     stop, "keys"))
    asyncio.create_task(_watchdog(board, tasks))
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
    except KeyboardInterrupt:
        # Ctrl-C at the USB console (mpremote, a technician): the REPL
        # must not be reset under them by a watchdog nothing feeds now.
        if _wdt is not None:
            _try(board.wdt, IDLE_WDT_MS)
        raise
    except Exception as e:          # a bug, or hardware that fails at start
        crashed(board, e)
        show_stop(board, [repr(e)[:32]], "Gun error", "Restarting...")
        time.sleep_ms(RESET_DELAY_MS)
        board.reset()               # a device never stays at the REPL
    finally:
        asyncio.new_event_loop()
    if sys.platform not in ("linux", "darwin"):
        board.reset()               # a device never just stops


if __name__ == "__main__":
    main()
