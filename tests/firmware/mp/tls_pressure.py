# argv: the data folder, the config file (see tls_link), a flag file.
# A TLS gun online, then its heap filled to within cfg "free" bytes of
# the limit while the broker restarts: the session must fail, if it
# fails, as an error it retries (never a crash), scans must still go into
# the journal, and once the heap has room again the gun reconnects and
# sends everything.  The unix port keeps mbedTLS's own memory off the
# Python heap (toolchain notes), so this models the Python side of a
# reconnection: the socket, the SSL wrapper, the MQTT session's objects.
from tls_link import cfg, j, sync
import asyncio
import gc
import os
import sys
from time import ticks_diff, ticks_ms

import boards._esp32
import boards.esp32_wroom as board

FLAG = sys.argv[3]
board.wifi_up = boards._esp32.wifi_up = lambda: True
board.resolve = lambda host: host
board.vitals = lambda: (None, None, None, 0)    # no esp32 module here
sync.board = board


def exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


async def until(test, ms):
    start = ticks_ms()
    while not test() and ticks_diff(ticks_ms(), start) < ms:
        await asyncio.sleep_ms(20)


async def main():
    t = asyncio.create_task(sync.run())
    await until(lambda: sync.link == "online", 10000)
    print("ONLINE", sync.link)
    connects = sync.connects
    # Ballast in small pieces, as a day's fragments would be.
    ballast = []
    gc.collect()
    size = 256
    while gc.mem_free() > cfg["free"]:
        try:
            ballast.append(bytearray(size))
        except MemoryError:
            if size == 16:
                break               # full: smaller holes than 16 bytes
            size //= 4
    print("PRESSED", gc.mem_free() <= cfg["free"] or size == 16)
    # The test restarts the broker now; meanwhile a scan is journalled.
    await until(lambda: sync.link != "online", 10000)
    appended = False
    while not appended:
        try:
            j.append("pick", 1042, 0, code="PGB:B1:CBD-OIL-30:L1:Q")
            appended = True
        except MemoryError:
            ballast.pop()       # as App.handle(): room made, tried again
    await until(lambda: exists(FLAG), 20000)
    print("TRIED", sync.connects - connects, j.pending_count(),
          type(sync.last_error).__name__)
    ballast = None
    gc.collect()
    await until(lambda: sync.link == "online" and not j.pending_count(),
                15000)
    print("DRAINED", j.pending_count(), sync.link)
    await sync.stop()
    t.cancel()


asyncio.run(main())
