import sys
import asyncio
from gun.mqtt import MQTTClient, MQTTError
from shared import wire

# argv: broker host, port, user, password, mode (what the client does).
HOST, USER, PW, MODE = sys.argv[1], sys.argv[3], sys.argv[4], sys.argv[5]
PORT = int(sys.argv[2])
got = []


def cb(topic, payload, retained):
    got.append((topic, bytes(payload), retained))
    print("MSG", topic, retained, bytes(payload).decode())


def client(ka=30):
    return MQTTClient(
        USER,
        USER,
        PW,
        keepalive=ka,
        clean=False,
        callback=cb,
        will=(
            wire.dev_topic(USER, wire.STATUS),
            wire.encode(wire.status(False)),
            True,
            1,
        ),
    )


async def connect(c):
    r, w = await asyncio.open_connection(HOST, PORT)
    return await c.connect(r, w)


async def main():
    if MODE == "auth":
        c = client()
        try:
            await connect(c)
            print("FAIL connected with a bad password")
        except MQTTError as e:
            print("REFUSED", e)
        print("CLOSED", c.connected)
        return
    if MODE == "basic":
        c = client()
        print("SESSION", await connect(c))
        granted = await c.subscribe(
            [(wire.dev_topic(USER, wire.ACK), 1), (wire.ORDER_FILTER, 1)]
        )
        print("GRANTED", granted)
        pid = await c.publish(
            wire.dev_topic(USER, wire.EVT),
            wire.encode(wire.event(7, 1, "pick", 1042, 0, code="PGB:X")),
            qos=1,
        )
        print("PUBACKED", pid, c.unacked())
        pids = []
        for s in range(2, 12):
            pids.append(
                await c.publish(
                    wire.dev_topic(USER, wire.EVT),
                    wire.encode(
                        wire.event(7, s, "pick", 1042, 0, code="PGB:X")
                    ),
                    qos=1,
                    wait=False,
                )
            )
        while c.unacked():
            await asyncio.sleep_ms(10)
        print("WINDOW", len(set(pids)))
        await c.publish(
            wire.dev_topic(USER, wire.STATUS),
            wire.encode(wire.status(True, "t", 0, 7, 0)),
            retain=True,
            qos=0,
        )
        print("READY")
        while not any(t.endswith("/ack") for t, _, _ in got):
            await asyncio.sleep_ms(20)
        await c.disconnect()
        print("CLEAN", c.error)
        return
    if MODE in ("keepalive", "spoof"):
        c = client(ka=2)
        await connect(c)
        if MODE == "spoof":  # another gun's topic, an order's
            await c.publish("pickgun/dev/G02/evt", b"spoof", qos=1)
            await c.publish("pickgun/order/1", b"spoof", qos=1, retain=True)
        else:
            await asyncio.sleep(5)  # idle: only PINGREQs keep it open
        print("ALIVE", c.connected)
        await c.publish(wire.dev_topic(USER, wire.EVT), b"{}", qos=1)
        print("PUBACKED")
        await c.disconnect()
        return
    if MODE == "will":
        c = client()
        await connect(c)
        await c.publish(
            wire.dev_topic(USER, wire.STATUS),
            wire.encode(wire.status(True, "t", 0, 7, 0)),
            retain=True,
            qos=1,
        )
        print("ONLINE")
        await asyncio.sleep(60)
        return
    if MODE == "restart":
        c = client(ka=5)
        await connect(c)
        await c.subscribe([(wire.dev_topic(USER, wire.ACK), 1)])
        print("CONNECTED")
        err = await c.wait_closed()
        print("DROPPED", repr(err))
        tries = 0
        while True:
            tries += 1
            try:
                present = await connect(c)
                break
            except OSError:
                await asyncio.sleep_ms(100)
        print("RECONNECTED", present, tries > 0)
        await c.publish(wire.dev_topic(USER, wire.EVT), b'{"after": 1}', qos=1)
        print("PUBACKED")
        while not got:
            await asyncio.sleep_ms(20)
        await c.disconnect()
        return


asyncio.run(main())
