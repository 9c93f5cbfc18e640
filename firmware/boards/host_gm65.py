# A GM65 QR decoder module for the simulated gun (boards/host.py only; a
# real gun has the module itself).  It sits between the harness, which
# shows it labels, and the gun's UART, and behaves as the module's manual
# says (docs/firmware.md, "The GM65 decoder"):
#
# - its registers ("zone bits") start at the factory settings: manual
#   scanning (only while its trigger pin is held, and a gun wires none:
#   no codes at all), its beep on, setup barcodes read, codes out of the
#   serial port with no tail after them;
# - it answers the serial commands (07 read, 08 write, 09 save) with the
#   manual's replies; a frame whose CRC is wrong (AB CD is taken as "no
#   CRC"), that it does not know, that reaches past its registers or that
#   takes over 400 ms gets no reply at all;
# - a save writes the registers to its flash, <PICKGUN_HOST_DIR>/
#   gm65-flash.bin (the 256 registers, then how many saves the flash has
#   had, 4 bytes little-endian); a power cycle (a new GM65 on the same file)
#   starts from there, so settings written but not saved are lost;
# - a label is decoded as its settings say: continuous or sensing mode
#   sends it, command mode only after a trigger command (register 0x0002
#   bit 0, cleared by the read), manual mode never; nothing goes out of
#   the serial port in USB mode; the tail (0x0060 bit 0, type in bits
#   6-5: CR, CR LF, TAB, none) follows it.
#
# Harness side: each line (ending LF; a CR before the LF is dropped) is a
# label coming into view.  A label longer than the module's buffer goes
# out in pieces, as garbage does.
import asyncio
import time

# The factory settings the manual and its summaries report (where they
# disagree, the stand-in takes the least helpful: no tail, manual mode).
FACTORY = {0x00: 0xD4, 0x03: 0x01, 0x0D: 0x00, 0x60: 0x00}
TAILS = (b"\r", b"\r\n", b"\t", b"")
LABEL_MAX = 256


def crc(data):
    """CRC-16/CCITT from 0, bit by bit as the manual computes it."""
    c = 0
    for byte in data:
        bit = 0x80
        while bit:
            c <<= 1
            if c & 0x10000:
                c ^= 0x11021
            if byte & bit:
                c ^= 0x1021
            bit >>= 1
    return c


class GM65:
    """The module.  source: the harness's stream (await readinto(buf));
    path: its flash file.  The gun's side: await readinto(buf), write(buf)
    (a UART's).  zone: its registers; saves: how many times its flash was
    written, ever."""

    def __init__(self, source, path):
        self._src = source
        self.path = path
        self.zone = bytearray(256)
        for addr in FACTORY:
            self.zone[addr] = FACTORY[addr]
        self.saves = 0
        try:
            with open(path, "rb") as f:
                data = f.read()
            if len(data) == 260:
                self.zone[:] = data[:256]
                self.saves = int.from_bytes(data[256:], "little")
        except OSError:
            pass                    # new from the factory
        self._out = bytearray()     # to the gun
        self._op = 0                # how much of it the gun has read
        self._cmd = bytearray()     # the command frame coming in
        self._t = 0                 # when its 7E came
        self._label = bytearray(LABEL_MAX)
        self._ln = 0
        self._ev = asyncio.Event()
        self._eof = False
        self._camera_task = None

    # ------------------------------------------------------- gun's side
    async def readinto(self, buf):
        if self._camera_task is None:
            self._camera_task = asyncio.create_task(self._camera())
        while self._op >= len(self._out):
            if self._eof:
                return 0
            self._ev.clear()
            await self._ev.wait()
        n = min(len(buf), len(self._out) - self._op)
        buf[:n] = memoryview(self._out)[self._op:self._op + n]
        self._op += n
        if self._op >= len(self._out):
            self._out = bytearray()
            self._op = 0
        return n

    def write(self, data):
        now = time.ticks_ms()
        cmd = self._cmd
        for b in data:
            if cmd and time.ticks_diff(now, self._t) > 400:
                cmd = self._cmd = bytearray()   # too slow: unknown
            if not cmd or len(cmd) == 1 and b:
                # looking for 7E 00
                cmd = self._cmd = bytearray()
                if b != 0x7E:
                    continue
                self._t = now
            cmd.append(b)
            if len(cmd) > 3 and len(cmd) == 8 + (
                    (cmd[3] or 256) if cmd[2] == 8 else 1):
                self._command(cmd)
                cmd = self._cmd = bytearray()
        return len(data)

    def _send(self, data):
        self._out += data
        self._ev.set()

    def _command(self, cmd):
        kind = cmd[2]
        addr = cmd[4] << 8 | cmd[5]
        data = cmd[6:-2]
        if cmd[-2:] != b"\xab\xcd" and \
                crc(cmd[2:-2]) != cmd[-2] << 8 | cmd[-1]:
            return                  # CRC wrong: no reply
        if kind == 7:
            count = data[0] or 256
            if addr + count > 256:
                return
            self._reply(self.zone[addr:addr + count])
        elif kind == 8:
            if addr + len(data) > 256:
                return
            self.zone[addr:addr + len(data)] = data
            self._reply(b"\x00")
        elif kind == 9 and addr == 0 and data == b"\x00":
            self.saves += 1
            with open(self.path, "wb") as f:
                f.write(self.zone)
                f.write(self.saves.to_bytes(4, "little"))
            self._reply(b"\x00")

    def _reply(self, data):
        body = bytearray(b"\x00")
        body.append(len(data) & 0xFF)
        body += data
        c = crc(body)
        self._send(b"\x02\x00" + body + bytes((c >> 8, c & 0xFF)))

    # ---------------------------------------------------- harness's side
    async def _camera(self):
        buf = bytearray(64)
        label = self._label
        while True:
            try:
                n = await self._src.readinto(buf)
            except OSError:
                n = 0
            if not n:
                self._eof = True
                self._ev.set()
                return
            for i in range(n):
                b = buf[i]
                if b == 10:
                    if self._ln and label[self._ln - 1] == 13:
                        self._ln -= 1
                    if self._ln:
                        self._decode(True)
                    continue
                if self._ln == LABEL_MAX:
                    self._decode(False)     # too long: a piece of it
                label[self._ln] = b
                self._ln += 1
            while self._op < len(self._out):
                await asyncio.sleep_ms(2)   # the gun reads first

    def _decode(self, whole):
        # The label in view, as the settings say; whole: with its tail.
        z = self.zone
        text = bytes(memoryview(self._label)[:self._ln])
        self._ln = 0
        mode = z[0] & 3
        if mode == 0:
            return                  # manual: no trigger held
        if mode == 1:
            if not z[2] & 1:
                return              # command mode: not triggered
            if whole:
                z[2] &= 0xFE
        if z[0x0D] & 1:
            return                  # USB output: nothing on the serial port
        if whole and z[0x60] & 1:
            text += TAILS[z[0x60] >> 5 & 3]
        self._send(text)
