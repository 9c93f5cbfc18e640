# argv: a free port to listen on.
import asyncio
import sys

import boards

b = boards.load()
done = []
PORT = int(sys.argv[1])


async def serve(r, w):
    await asyncio.sleep(3)


async def joined():
    b.wifi_connect()
    while not b.wifi_up():
        await asyncio.sleep_ms(20)


async def go():
    await joined()
    srv = await asyncio.start_server(serve, "127.0.0.1", PORT)
    try:
        await b.open_connection("127.0.0.1", 1)
    except OSError:
        done.append("refused")
    r, w = await b.open_connection("127.0.0.1", PORT)

    async def reader():
        try:
            await r.read(10)
        except OSError:
            done.append("dropped")

    t = asyncio.create_task(reader())
    await asyncio.sleep_ms(100)
    b.wifi_set(False)
    assert not b.wifi_up()
    await asyncio.sleep_ms(500)
    assert t.done(), "reader still waiting"
    try:
        await b.open_connection("127.0.0.1", PORT)
    except OSError:
        done.append("no wifi")
    b.wifi_set(True)
    while not b.wifi_up():          # the station joins again by itself
        await asyncio.sleep_ms(20)
    r, w = await b.open_connection("127.0.0.1", PORT)
    w.write(b"x")
    await w.drain()
    w.close()
    srv.close()


asyncio.run(go())
assert done == ["refused", "dropped", "no wifi"], done
