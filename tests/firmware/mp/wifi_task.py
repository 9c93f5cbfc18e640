# main.py's WiFi task on the host board, its timers 100 times faster
# than the radio's: a slow association is never started over, a failing
# one is asked again once per association time, and no ssid leaves the
# task idle (alive, for the watchdog's feeder) with a word in the log.
import asyncio
import time

import boards
import main

h = boards.load()
cfg = h.config()
cfg["host"]["assoc_ms"] = 1500          # 150 s by the task's clock


class Board:
    """The host board, whose ticks run 100 times faster for main.py."""

    def __getattr__(self, name):
        return getattr(h, name)

    def ticks_ms(self):
        return time.ticks_add(0, time.ticks_ms() * 100)


async def run():
    task = asyncio.create_task(main._wifi_task(Board(), cfg))
    await asyncio.sleep_ms(1000)
    print("slow", h.wifi_status(), h.connects)      # still associating
    await asyncio.sleep_ms(1000)
    print("joined", h.wifi_up(), h.connects)
    cfg["host"]["assoc_ms"] = 100
    h.wifi_set(False)
    await asyncio.sleep_ms(1300)                    # 130 s by its clock
    n = h.connects
    print("failing", h.wifi_status(), 3 <= n <= 7, n)
    h.wifi_set(True)
    await asyncio.sleep_ms(600)
    print("back", h.wifi_up())
    task.cancel()
    cfg["ssid"] = ""
    n = h.connects
    idle = asyncio.create_task(main._wifi_task(Board(), cfg))
    await asyncio.sleep_ms(300)
    print("no ssid: task idle", not idle.done(), h.connects == n)
    idle.cancel()


asyncio.run(run())
