# GM65 QR decoder module: set up at boot over its serial command protocol
# (docs/firmware.md, "The GM65 decoder").  Each register ("zone bit") the
# gun depends on is read; if the bits the gun needs differ it is written
# and read back; the module's flash is written (saved) only when a
# register was, so a gun that boots every day does not wear it out.
#
# Frames, to the module: 7E 00, type (07 read, 08 write, 09 save), length,
# address (2 bytes), data, then CRC-16/XMODEM of type..data (big-endian).
# Its reply: 02 00 00, length, data, CRC of the bytes after 02 00.  The
# module answers nothing to a frame that fails its CRC.
#
# The decoder's line belongs to the scanner (gun/scanner.py), which frames
# the replies among the codes: setup() reads them through it, before the
# scanner task reads codes.  Nothing here runs per scan.
import asyncio
from micropython import const

_TYPE_READ = const(7)
_TYPE_WRITE = const(8)
_TYPE_SAVE = const(9)
_REPLY_MS = const(500)      # a reply takes a few ms at 9600 Bd
_TRIES = const(3)           # per command: a garbled or lost byte is retried


def crc(buf, end):
    """CRC-16/XMODEM (polynomial 0x1021, from 0, no reflection) of
    buf[2:end]: a command frame's after 7E 00, a reply's after 02 00."""
    c = 0
    for i in range(2, end):
        c ^= buf[i] << 8
        for _ in range(8):
            c = (c << 1 ^ 0x1021 if c & 0x8000 else c << 1) & 0xFFFF
    return c


async def send(port, scanner, kind, index, value):
    """One command: read the register at `index` (value: 1, how many),
    write `value` into it, or save them all; returns the reply's data
    byte.  TimeoutError when the module never answers, ValueError when its
    replies fail their checks."""
    f = bytearray(9)
    f[0] = 0x7E
    f[2] = kind
    f[3] = 1
    f[4] = index >> 8
    f[5] = index & 0xFF
    f[6] = value
    c = crc(f, 7)
    f[7] = c >> 8
    f[8] = c & 0xFF
    r = scanner.reply
    garbled = False
    try:
        for _ in range(_TRIES):
            r[0] = 0            # awaited: the scanner returns it
            port.write(f)
            try:
                while await asyncio.wait_for_ms(scanner.read(),
                                                _REPLY_MS) is not r:
                    pass        # a code while setting up: dropped
            except asyncio.TimeoutError:
                continue
            # Its CRC, or 33 31 (a write's), which some modules are
            # reported to end every reply with
            if r[0] == 2 and r[3] == 1 and (
                    kind == _TYPE_READ or not r[4]) and (
                    crc(r, 5) == r[5] << 8 | r[6]
                    or r[5] == 0x33 and r[6] == 0x31):
                return r[4]
            garbled = True
    finally:
        r[0] = 0xFF             # no longer awaited: a late one is dropped
    raise ValueError if garbled else asyncio.TimeoutError


async def setup(port, scanner):
    """Put the bits the gun needs into the module (its scan mode, its
    serial output, a CR after each code) and check them by reading them
    back; save them to its flash if any was written.  Returns "" when the
    module is set, else what is wrong, for the idle screen (at most 16
    characters).  Other bits are left as they are."""
    # address (2 bytes), mask, value: what the gun needs, register by
    # register (docs/firmware.md has the bits)
    want = (b"\x00\x00\x43\x02"     # continuous scanning, its beep off
            b"\x00\x03\x02\x02"     # setup barcodes ignored
            b"\x00\x0d\x03\x00"     # codes out of the serial port
            b"\x00\x60\xff\x01")    # CR after a code, nothing else added
    written = False
    try:
        for i in range(0, len(want), 4):
            index = want[i] << 8 | want[i + 1]
            mask = want[i + 2]
            value = await send(port, scanner, _TYPE_READ, index, 1)
            if value & mask != want[i + 3]:
                await send(port, scanner, _TYPE_WRITE, index,
                           value & ~mask | want[i + 3])
                written = True
                if await send(port, scanner, _TYPE_READ, index, 1) \
                        & mask != want[i + 3]:
                    return "Decoder refused"
        if written:
            await send(port, scanner, _TYPE_SAVE, 0, 0)
    except (asyncio.TimeoutError, OSError):     # (OSError: the UART)
        return "No decoder reply"
    except ValueError:
        return "Decoder garbled"
    return ""
