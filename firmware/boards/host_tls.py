# The host board's TLS, as a device checks it: against the board's clock.
#
# MicroPython >= 1.22 on the ESP32 refuses a certificate whose validity
# has not started, or has ended, by the device's own clock, which reads
# 2000-01-01 after power-on until NTP sets it.  The unix port's mbedTLS
# checks the dates too, but against the computer's clock, which is always
# right, so a simulated gun would never meet the failure.  Its certificate
# is out of reach from Python (no getpeercert() in this build, and the
# ssl module never calls a verify_callback), but MicroPython's mbedTLS
# speaks only TLS 1.2, whose Certificate message travels in the clear:
# Tap sits between the ssl layer and the socket, reads the broker's
# certificate as it passes, and when the board's clock is outside its
# validity it fails the handshake there, before mbedTLS sees it.  The link
# (boards/host.py) then raises what mbedTLS raises on a device: ValueError
# with mbedTLS's own words.  Imported only by TLS links: a gun without
# TLS does not carry its code.  Host-only: the ESP32 board has no need.
import errno
import io
import select

FUTURE = "\nThe certificate validity starts in the future\n"
EXPIRED = "\nThe certificate validity has expired\n"


def _tlv(der, i):
    """(tag, start, end) of the DER element at i."""
    tag, n = der[i], der[i + 1]
    i += 2
    if n & 0x80:
        k, n = n & 0x7F, 0
        for _ in range(k):
            n = n << 8 | der[i]
            i += 1
    return tag, i, i + n


def _days(y, m, d):
    """Days from 1970-01-01 to the civil date (proleptic Gregorian)."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


def _time(der, tag, start, end):
    """Unix seconds of an X.509 Time: UTCTime (YYMMDDhhmmssZ, 1950-2049)
    or GeneralizedTime (YYYYMMDDhhmmssZ)."""
    t = bytes(der[start:end]).decode()
    if tag == 0x17:
        y = int(t[:2])
        y += 2000 if y < 50 else 1900
        t = t[2:]
    else:
        y = int(t[:4])
        t = t[4:]
    f = [int(t[k:k + 2]) for k in range(0, 10, 2)]
    return (_days(y, f[0], f[1]) * 24 + f[2]) * 3600 + f[3] * 60 + f[4]


def validity(der):
    """(notBefore, notAfter) of a DER certificate, in Unix seconds."""
    _, i, _ = _tlv(der, 0)              # Certificate
    _, i, _ = _tlv(der, i)              # tbsCertificate
    tag, _, end = _tlv(der, i)
    if tag == 0xA0:                     # [0] version
        i = end
    for _ in range(3):                  # serial, signature, issuer
        i = _tlv(der, i)[2]
    _, i, _ = _tlv(der, i)              # validity
    tag, start, end = _tlv(der, i)
    tag2, start2, end2 = _tlv(der, end)
    return _time(der, tag, start, end), _time(der, tag2, start2, end2)


class Tap(io.IOBase):
    """The TCP socket under the ssl layer.  Reads the server's handshake
    records until its Certificate message, judges the first (the
    server's own) certificate by rtc(), the board's clock, and from then
    on passes bytes through.  A certificate out of its dates: why says
    mbedTLS's words, and every later read fails (ECONNABORTED)."""

    def __init__(self, sock, rtc):
        self.s = sock
        self.rtc = rtc
        self.why = None
        self._rec = b""         # raw records, until the verdict (None)
        self._hs = b""          # handshake messages gathered from them
        self._poll = select.poll()
        self._poll.register(sock, 0)

    def readinto(self, buf):
        if self.why:
            return -errno.ECONNABORTED
        n = self.s.readinto(buf)
        if n and self._rec is not None:
            self._read_records(self._rec + bytes(memoryview(buf)[:n]))
            if self.why:
                return -errno.ECONNABORTED
        return n

    def _read_records(self, rec):
        while len(rec) >= 5:
            end = 5 + (rec[3] << 8 | rec[4])
            if len(rec) < end:
                break
            if rec[0] != 22:            # not a handshake record: too late
                self._rec = None
                return
            self._hs += rec[5:end]
            rec = rec[end:]
        self._rec = rec
        hs = self._hs
        while len(hs) >= 4:
            end = 4 + (hs[1] << 16 | hs[2] << 8 | hs[3])
            if len(hs) < end:
                return
            if hs[0] == 11:             # Certificate: list, then each
                size = hs[7] << 16 | hs[8] << 8 | hs[9]
                self._judge(hs[10:10 + size])
                self._rec = None
                return
            hs = hs[end:]
        self._hs = hs

    def _judge(self, der):
        try:
            start, end = validity(der)
        except (IndexError, ValueError):
            return                      # mbedTLS will say what is wrong
        now = self.rtc()
        if now < start:
            self.why = FUTURE
        elif now > end:
            self.why = EXPIRED

    def write(self, buf):
        return self.s.write(buf)

    def ioctl(self, req, arg):
        if req == 3:                    # MP_STREAM_POLL
            self._poll.modify(self.s, arg)
            for _obj, ev in self._poll.ipoll(0):
                return ev
            return 0
        if req == 4:                    # MP_STREAM_CLOSE
            self.s.close()
        return 0
