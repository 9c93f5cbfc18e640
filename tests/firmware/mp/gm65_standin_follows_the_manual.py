# The host board's GM65 (boards/host_gm65.py) answers as the module's
# manual says (its worked examples, byte for byte) and scans as its
# settings say.
import asyncio

from gm65_rig import power_on


async def out(module, ms=150):
    """All the module sends until it has been quiet for ms."""
    got = bytearray()
    buf = bytearray(64)
    while True:
        try:
            n = await asyncio.wait_for_ms(module.readinto(buf), ms)
        except asyncio.TimeoutError:
            return bytes(got)
        got += buf[:n]


def h(text):
    return bytes(int(x, 16) for x in text.split())


async def main():
    harness, m, tap, sc = power_on()
    # The manual's examples (register 0x000A, the beep's frequency)
    m.write(h("7E 00 08 01 00 0A 3E 4C CF"))
    assert await out(m) == h("02 00 00 01 00 33 31")
    m.write(h("7E 00 07 01 00 0A 01 EE 8A"))
    assert await out(m) == h("02 00 00 01 3E E4 AC")
    m.write(h("7E 00 08 01 00 0A 3F 11 22"))  # CRC wrong: no reply
    m.write(h("7E 00 08 01 00 0A 3F"))  # cut short: none either
    assert await out(m) == b"" and m.zone[0x0A] == 0x3E
    await asyncio.sleep_ms(300)  # the cut frame is forgotten after 400 ms
    # AB CD in place of the CRC: taken; a frame in pieces: one frame
    m.write(h("7E 00 08 01 00 0A 40 AB CD"))
    m.write(h("7E 00 07 01"))
    m.write(h("00 0A 01 EE 8A"))
    assert await out(m) == h("02 00 00 01 00 33 31") + h(
        "02 00 00 01 40 7B F5"
    ), "abcd"
    # a frame that takes over 400 ms is unknown
    m.write(h("7E 00 07 01"))
    await asyncio.sleep_ms(450)
    m.write(h("00 0A 01 EE 8A"))
    assert await out(m) == b""
    # 4 registers at once; past the 256 registers: no reply
    m.write(h("7E 00 07 01 00 00 04 AB CD"))
    assert await out(m) == h("02 00 00 04 D4 00 00 01 FB D5")
    m.write(h("7E 00 07 01 00 FE 04 AB CD"))
    assert await out(m) == b""
    # save: the manual's frame; the flash keeps the registers
    m.write(h("7E 00 09 01 00 00 00 DE C8"))
    assert await out(m) == h("02 00 00 01 00 33 31") and m.saves == 1
    with open(m.path, "rb") as f:
        data = f.read()
    assert len(data) == 260 and data[0x0A] == 0x40 and data[256] == 1

    # Scanning, by its settings: factory (manual mode) nothing at all
    harness.show(b"PGO:1:Q\r")
    assert await out(m) == b""
    m.zone[0] = 0xD5  # command mode: one read per trigger
    harness.show(b"PGO:2:Q")
    assert await out(m) == b""
    m.write(h("7E 00 08 01 00 02 01 AB CD"))
    assert await out(m) == h("02 00 00 01 00 33 31")
    harness.show(b"PGO:3:Q")
    harness.show(b"PGO:4:Q")
    assert await out(m) == b"PGO:3:Q" and not m.zone[2] & 1
    m.zone[0] = 0xD6  # continuous; no tail, as it came
    harness.show(b"PGO:5:Q")
    harness.show(b"")  # nothing in view: nothing sent
    harness.show(b"PGO:6:Q")
    assert await out(m) == b"PGO:5:QPGO:6:Q"
    for tail, sent in ((0x01, b"\r"), (0x21, b"\r\n"), (0x41, b"\t"),
                       (0x61, b""), (0x20, b"")):
        m.zone[0x60] = tail
        harness.show(b"PGO:7:Q")
        assert await out(m) == b"PGO:7:Q" + sent, tail
    m.zone[0] = 0xD7  # sensing mode: a label coming into view
    m.zone[0x0D] = 0x01  # USB keyboard: nothing on the serial port
    harness.show(b"PGO:8:Q")
    assert await out(m) == b""
    m.zone[0x0D] = 0x00
    harness.show(b"X" * 600)  # longer than its buffer: in pieces
    got = await out(m)
    assert got == b"X" * 600, len(got)


asyncio.run(main())
print("OK")
