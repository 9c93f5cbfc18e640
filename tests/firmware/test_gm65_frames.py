"""The GM65 driver's frames (firmware/drivers/gm65.py) under CPython,
against the worked examples of the module's manual (Grow GM65 user
manual, 8.2-8.4: read zone bit, write zone bit, save to EEPROM), and its
CRC rule: CRC-16/XMODEM, which CPython's binascii.crc_hqx(data, 0)
computes apart from the firmware's own code."""
import asyncio
import binascii
import concurrent.futures
import importlib.util
import sys
import types
from pathlib import Path

import pytest

# The manual's examples, as printed there.
READ_000A = "7E 00 07 01 00 0A 01 EE 8A"
READ_000A_REPLY = "02 00 00 01 3E E4 AC"        # the value 0x3E
WRITE_000A = "7E 00 08 01 00 0A 3E 4C CF"       # 0x3E into 0x000A
WRITE_REPLY = "02 00 00 01 00 33 31"
SAVE = "7E 00 09 01 00 00 00 DE C8"
SAVE_REPLY = WRITE_REPLY


def h(text):
    return bytes.fromhex(text)


def _driver():
    # The firmware's `micropython.const` is MicroPython's; here it is the
    # value itself.  asyncio.wait_for_ms is MicroPython's too.
    path = Path(__file__).resolve().parents[2] / "firmware" / "drivers" \
        / "gm65.py"
    spec = importlib.util.spec_from_file_location("gm65_driver", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    had = sys.modules.get("micropython")
    sys.modules["micropython"] = types.SimpleNamespace(  # pyright: ignore
        const=lambda x: x)
    try:
        spec.loader.exec_module(mod)
    finally:
        if had is None:
            del sys.modules["micropython"]
        else:
            sys.modules["micropython"] = had
    return mod


gm65 = _driver()


@pytest.fixture(autouse=True)
def _wait_for_ms(monkeypatch):
    monkeypatch.setattr(asyncio, "wait_for_ms", lambda aw, ms:
                        asyncio.wait_for(aw, ms / 1000), raising=False)


def test_the_manuals_frames_follow_the_crc_rule():
    for frame in (READ_000A, WRITE_000A, SAVE):
        data = h(frame)
        crc = binascii.crc_hqx(data[2:-2], 0)
        assert data[-2:] == crc.to_bytes(2, "big"), frame
    for reply in (READ_000A_REPLY, WRITE_REPLY):
        data = h(reply)
        assert data[-2:] == binascii.crc_hqx(data[2:-2], 0).to_bytes(
            2, "big"), reply


def test_crc_is_the_manuals():
    for frame in (READ_000A, WRITE_000A, SAVE):
        data = bytearray(h(frame))
        assert gm65.crc(data, len(data) - 2) == int.from_bytes(data[-2:],
                                                               "big")
    data = bytearray(h(READ_000A_REPLY))
    assert gm65.crc(data, 5) == 0xE4AC


class Module:
    """The line to a module that answers with the manual's replies, in
    order; or with `garble` applied to them."""

    def __init__(self, replies, garble=None):
        self.replies = [h(r) for r in replies]
        self.garble = garble
        self.sent = []
        self.reply = bytearray(b"\xff" * 7)     # the scanner's

    def write(self, data):
        self.sent.append(bytes(data).hex(" ").upper())

    async def read(self):
        if not self.replies:
            await asyncio.sleep(10)
        r = self.replies.pop(0)
        if self.garble:
            r = self.garble(r)
        self.reply[:] = r
        return self.reply


def run(coro):
    # In a thread of its own: a session's browser keeps an event loop
    # running in this one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def ask(module, kind, index, value):
    return run(gm65.send(module, module, kind, index, value))


def test_read_write_and_save_frames_are_the_manuals():
    m = Module([READ_000A_REPLY, WRITE_REPLY, SAVE_REPLY])
    assert ask(m, 7, 0x000A, 1) == 0x3E
    assert ask(m, 8, 0x000A, 0x3E) == 0
    assert ask(m, 9, 0, 0) == 0
    assert m.sent == [READ_000A, WRITE_000A, SAVE]


@pytest.mark.parametrize("where", [3, 4, 5, 6])
def test_a_corrupted_reply_is_refused(where):
    def flip(r):
        r = bytearray(r)
        r[where] ^= 0x10
        return bytes(r)

    m = Module([READ_000A_REPLY] * 3, garble=flip)
    with pytest.raises(ValueError):
        ask(m, 7, 0x000A, 1)
    assert m.sent == [READ_000A] * 3        # tried three times
    assert m.reply[0] == 0xFF               # no longer awaited


def test_a_reply_ending_33_31_is_taken():
    # Some modules are reported to end every reply with 33 31 (a write's
    # CRC) instead of its own (docs/firmware.md): they are set up too.
    m = Module(["02 00 00 01 3E 33 31"])
    assert ask(m, 7, 0x000A, 1) == 0x3E


def test_a_write_answered_with_data_is_refused():
    m = Module([READ_000A_REPLY] * 3)       # not a write's reply
    with pytest.raises(ValueError):
        ask(m, 8, 0x000A, 0x3E)


def test_setup_frames_for_a_factory_module():
    """The registers the gun sets and the bits it needs (docs/firmware.md,
    "The GM65 decoder"), each frame's CRC computed here."""
    def frame(kind, addr, value):
        body = bytes((kind, 1, addr >> 8, addr & 0xFF, value))
        crc = binascii.crc_hqx(body, 0).to_bytes(2, "big")
        return (b"\x7e\x00" + body + crc).hex(" ").upper()

    def reply(value):
        body = bytes((0, 1, value))
        crc = binascii.crc_hqx(body, 0).to_bytes(2, "big")
        return (b"\x02\x00" + body + crc).hex(" ")

    factory = {0x00: 0xD4, 0x03: 0x01, 0x0D: 0x00, 0x60: 0x00}
    wanted = {0x00: 0x96, 0x03: 0x03, 0x0D: 0x00, 0x60: 0x01}
    replies, frames = [], []
    for addr in (0x00, 0x03, 0x0D, 0x60):
        frames.append(frame(7, addr, 1))
        replies.append(reply(factory[addr]))
        if factory[addr] != wanted[addr]:
            frames += [frame(8, addr, wanted[addr]), frame(7, addr, 1)]
            replies += [reply(0), reply(wanted[addr])]
    frames.append(frame(9, 0, 0))
    replies.append(reply(0))
    m = Module(replies)
    assert run(gm65.setup(m, m)) == ""
    assert m.sent == frames
    assert m.sent[-1] == SAVE
