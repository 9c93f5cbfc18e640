# Serial QR decoder driver (GM65-style modules: the decoded text, then CR,
# LF or CR LF).  Bytes are framed into a preallocated line buffer: nothing
# is allocated per byte, only once per complete code.  A line longer than
# the buffer is discarded whole and reported as MISREAD.  Decoders in
# continuous mode repeat a code while it stays in view: an identical code
# within `repeat_ms` of the previous sighting is dropped (each repeat
# extends the window, so holding the gun on a label scans it once).
#
# The same line carries the decoder's replies to its commands
# (drivers/gm65.py): 02 00 00 len data... CRC, binary, with no line end.
# One that starts a line is framed by its length, so its bytes (CR and LF
# among them) never reach a code: it is kept in `reply` for the driver
# when the driver waits for one (reply[0] == 0), else dropped.  A code
# the decoder sends with no line end (its factory setting) ends after
# `gap_ms` with no byte, and so does a reply cut short.
import asyncio
import time
from micropython import const

MISREAD = "\x00misread"     # read() result for an overlong/garbled line

_CR = const(13)
_LF = const(10)
_STX = const(2)             # first byte of a decoder reply


class Scanner:
    def __init__(self, stream, maxlen=96, repeat_ms=800, ticks_ms=None,
                 chunk=32, gap_ms=80):
        self._s = stream
        self._ticks = ticks_ms or time.ticks_ms
        self.repeat_ms = repeat_ms
        self.gap_ms = gap_ms
        self._line = bytearray(maxlen)
        self._n = 0
        self._over = False
        self._rep = False       # the line is a decoder reply
        self.reply = bytearray(b"\xff" * 7)
        self._last = bytearray(maxlen)
        self._last_n = 0
        self._last_t = 0
        self._chunk = bytearray(chunk)
        self._pos = 0
        self._len = 0

    async def read(self):
        """Next code as a str (printable ASCII; other bytes become '?'),
        or MISREAD; `reply` itself when the reply awaited has come.
        Raises EOFError if the stream ends."""
        while True:
            r = self.poll()
            if r is not None:
                return r
            if self._n:             # a line under way: ends when idle
                try:
                    n = await asyncio.wait_for_ms(
                        self._s.readinto(self._chunk), self.gap_ms)
                except asyncio.TimeoutError:
                    r = self._end()
                    if r is not None:
                        return r
                    continue
            else:
                n = await self._s.readinto(self._chunk)
            if n is None:
                continue            # nothing yet (a UART with no data)
            if not n:
                raise EOFError
            self._pos = 0
            self._len = n

    def forget(self):
        """Accept the next code even if it repeats the last one (after a
        key press: a deliberate rescan)."""
        self._last_n = 0

    def feed(self, data):
        """Synchronous entry for tests: queue bytes (len <= chunk size)."""
        self._chunk[:len(data)] = data
        self._pos = 0
        self._len = len(data)

    def poll(self):
        """Consume buffered bytes; return a result or None."""
        line = self._line
        cap = len(line)
        chunk = self._chunk
        while self._pos < self._len:
            b = chunk[self._pos]
            self._pos += 1
            n = self._n
            if self._rep:
                if n < 3 and b:     # not 02 00 00: a garbled line, then
                    self._rep = False
                else:
                    if n < cap:
                        line[n] = b
                    n += 1
                    self._n = n
                    # 02 00 00 len, len bytes of data (0: 256), the CRC
                    if n > 3 and n == (line[3] or 256) + 6:
                        r = self._end()
                        if r is not None:
                            return r
                    continue
            if b == _CR or b == _LF:
                r = self._end()
                if r is not None:
                    return r
            elif n < cap:
                line[n] = b
                self._n = n + 1
                self._rep = not n and b == _STX
            else:
                self._over = True
        return None

    def _end(self):
        n = self._n
        self._n = 0
        line = self._line
        if self._rep:           # a decoder reply: never a code
            self._rep = self._over = False
            r = self.reply
            want = not r[0]
            for i in range(7):
                r[i] = line[i]
            if n < 4 or n != (line[3] or 256) + 6:
                r[0] = 0xFF     # cut short (the idle gap): no reply
            return r if want else None
        if self._over:
            self._over = False
            self._last_n = 0
            return MISREAD
        if n == 0:
            return None             # second half of CR LF, blank line
        now = self._ticks()
        if n == self._last_n and time.ticks_diff(now, self._last_t) \
                < self.repeat_ms:
            last = self._last
            i = 0
            while i < n and line[i] == last[i]:
                i += 1
            if i == n:
                self._last_t = now
                return None
        self._last_t = now
        self._last_n = n
        last = self._last
        for i in range(n):
            b = line[i]
            last[i] = b
            if b < 32 or b > 126:
                line[i] = 63        # '?'
        return str(memoryview(line)[:n], "ascii")
