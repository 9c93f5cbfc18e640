import asyncio
import sys
from gun.mqtt import MQTTClient, MQTTError

PORT = int(sys.argv[1])  # a free port to serve on
CONNACK = b"\x20\x02\x00\x00"
CASES = [
    ("bad connack", b"\x20\x03\x00\x00\x00", "expected CONNACK"),
    ("refused", b"\x20\x02\x00\x04", "bad user name or password"),
    ("unknown packet", CONNACK + b"\xf0\x00", "unexpected packet"),
    (
        "remaining length",
        CONNACK + b"\x30\xff\xff\xff\xff\x01",
        "malformed remaining length",
    ),
    (
        "topic too long",
        CONNACK + b"\x30\x04\xff\xff\x00\x00",
        "malformed PUBLISH",
    ),
    ("qos 2", CONNACK + b"\x34\x05\x00\x01a\x00\x01", "QoS 2"),
    ("bad puback", CONNACK + b"\x40\x03\x00\x01\x00", "malformed ack"),
    ("bad pingresp", CONNACK + b"\xd0\x01\x00", "malformed PINGRESP"),
    ("eof mid-packet", CONNACK + b"\x30\x10\x00\x01", "connection closed"),
    ("bad utf-8 topic", CONNACK + b"\x30\x05\x00\x02\xff\xfe\x00", "UTF-8"),
]


async def serve(data, box):
    async def handler(r, w):
        await r.read(256)  # the CONNECT
        w.write(data)
        await w.drain()
        box.append(w)
        if box[0] == "big":
            await asyncio.sleep_ms(300)
            box.append(await r.read(64))  # the PUBACK for the big one
        await asyncio.sleep_ms(500)
        w.close()
        await w.wait_closed()

    return await asyncio.start_server(handler, "127.0.0.1", PORT)


async def run(name, data, expect):
    box = [name]
    srv = await serve(data, box)
    port = PORT
    got = []
    c = MQTTClient(
        "G01",
        "G01",
        "pw",
        callback=lambda t, p, r: got.append((t, bytes(p))),
        max_packet=64,
    )
    r, w = await asyncio.open_connection("127.0.0.1", port)
    try:
        await c.connect(r, w)
        err = await c.wait_closed()
    except MQTTError as e:
        err = e
    srv.close()
    await srv.wait_closed()
    return err, c, got, box


async def main():
    for name, data, expect in CASES:
        err, c, got, box = await run(name, data, expect)
        if err is None or expect not in str(err) or c.connected:
            print("FAIL", name, repr(err))
            return
        print("OK", name, err)
    # an oversized message is skipped and acked, the link stays up
    big = (
        b"\x32"
        + bytes((0x80 | 0x6A, 0x01))
        + b"\x00\x01t\x00\x09"
        + b"x" * 229
    )
    small = b"\x30\x05\x00\x01ths"
    err, c, got, box = await run("big", CONNACK + big + small, "closed")
    await asyncio.sleep_ms(900)
    if (
        c.dropped != 1
        or got != [("t", b"hs")]
        or box[-1] != b"\x40\x02\x00\x09"
    ):
        print("FAIL big", c.dropped, got, box[-1:])
        return
    print("OK big")
    print("ALL OK")


asyncio.run(main())
