# argv: the broker's TLS port, the CA (DER) file.  The host board's TLS
# link, cold-booted (its clock at 2000-01-01), then after clock(t): a
# certificate that starts today is refused, as on a device, then taken.
import asyncio
import sys
import time

import boards
from gun import tls

b = boards.load()
PORT = int(sys.argv[1])
with open(sys.argv[2], "rb") as f:
    from binascii import b2a_base64
    ctx, err = tls.context(b2a_base64(f.read()))
assert err is None, err
assert b.clock() == 0                      # power-on: 2000-01-01


async def handshake():
    r, w = await b.open_connection("127.0.0.1", PORT, ssl=ctx)
    try:
        w.write(b"\xc0\x00")               # PINGREQ: makes the handshake
        await w.drain()
        return "handshake done"
    finally:
        w.close()


async def main():
    b.wifi_connect()
    while not b.wifi_up():                 # the association takes a while
        await asyncio.sleep_ms(50)
    try:
        print(await handshake())
    except Exception as e:
        print(type(e).__name__, tls.link_error(e))
    b.clock(int(time.time()))              # what NTP does
    print(b.clock() > 1704067200, await handshake())
    b.clock(int(time.time()) + 4000 * 86400)   # past the certificate
    try:
        print(await handshake())
    except Exception as e:
        print(type(e).__name__, tls.link_error(e))


asyncio.run(main())
