import asyncio

import boards

b = boards.load()
k = b.keys()
got = []


async def go():
    got.append(await k.get())
    got.append(await k.get())
    got.append(await k.get())
    assert not b.wifi_up()
    b._send("DONE", "")
    try:
        await k.get()
    except EOFError:
        got.append("EOF")


asyncio.run(go())
print(got)
