# argv: an SNTP server's port, a UDP port where nothing answers.  The
# gun's SNTP client: ntptime's request bytes, which answers it takes, a
# query to the server and to a port that never answers.
import asyncio
import socket
import sys
import time

from gun import sntp

buf = sntp.request(bytearray(b"\xff" * 48))
assert bytes(buf) == b"\x1b" + bytes(47), buf
print("request", bytes(buf[:4]))


def answer(first=0x24, stratum=2, t=3913056000):     # 2024-01-01
    a = bytearray(48)
    a[0], a[1] = first, stratum
    a[40:44] = t.to_bytes(4, "big")
    return a


good = sntp.unix(answer(), 48)
assert good == 3913056000 - 2208988800, good
for bad, n in ((answer(), 47), (answer(), None),
               (answer(first=0x23), 48),        # mode 3: a client
               (answer(first=0xE4), 48),        # leap 3: unsynchronised
               (answer(stratum=0), 48),         # kiss-o'-death
               (answer(stratum=16), 48),
               (answer(t=0), 48)):
    assert sntp.unix(bad, n) == 0, (bytes(bad[:2]), n)
print("answers checked")


async def main():
    addr = socket.getaddrinfo("127.0.0.1", int(sys.argv[1]))[0][-1]
    t = await sntp.query(addr)
    print("server", abs(t - time.time()) < 2)
    silent = socket.getaddrinfo("127.0.0.1", int(sys.argv[2]))[0][-1]
    ticks = 0

    async def count():                  # the event loop runs meanwhile
        nonlocal ticks
        while True:
            await asyncio.sleep_ms(10)
            ticks += 1

    counter = asyncio.create_task(count())
    start = time.ticks_ms()
    t = await sntp.query(silent, 500)
    took = time.ticks_diff(time.ticks_ms(), start)
    counter.cancel()
    print("silent", t, 450 <= took < 1500, ticks > 20)


asyncio.run(main())
