# argv: the data folder, the config file (see tls_link).  Syncs one pick
# over TLS through the ESP32 board's open_connection, or reports the error.
from tls_link import cfg, j, sync
import asyncio
from time import ticks_diff, ticks_ms

import boards._esp32
import boards.esp32_wroom as board

# the one piece of hardware on this path: the board's wifi_up, which the
# sync session asks, and the one open_connection asks, in the code every
# ESP32 board runs (boards/_esp32.py)
board.wifi_up = boards._esp32.wifi_up = lambda: True
# (on the unix port getaddrinfo answers in its own form; the address is
# already one)
board.resolve = lambda host: host
board.vitals = lambda: (None, None, None, 0)    # no esp32 module here
sync.board = board


async def main():
    t = asyncio.create_task(sync.run())
    if cfg.get("expect") == "fail":
        await asyncio.sleep_ms(2500)
        print("ERROR", sync.last_error, sync.connects, sync.link)
    else:
        start = ticks_ms()
        while sync.link != "online" and ticks_diff(ticks_ms(), start) < 10000:
            await asyncio.sleep_ms(20)
        print("ONLINE", sync.link)
        j.append("pick", 1042, 0, code="PGB:B1:CBD-OIL-30:L1:Q")
        sync.kick()
        while j.pending_count() and ticks_diff(ticks_ms(), start) < 10000:
            await asyncio.sleep_ms(20)
        print("DRAINED", j.pending_count(), j.upto)
        await sync.stop()
    t.cancel()


asyncio.run(main())
