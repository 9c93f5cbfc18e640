# The gun's clock from an SNTP server (RFC 4330), as micropython-lib's
# ntptime gets it: one 48-byte UDP request (0x1B: leap 0, version 3, mode
# 3 = client, then zeros) to port 123, and the server's transmit time
# from the answer.  Unlike ntptime it never blocks: the socket is polled
# between short sleeps, so the screen and the scanner run on while the
# answer is on its way, and it refuses an answer no server should give
# (not mode 4, unsynchronised, a kiss-o'-death).
#
# main.py's WiFi task asks after every association and then every few
# hours, with back-off while it fails; a TLS gun connects only once the
# clock is set, as a device checks the broker certificate's dates.
import asyncio
import socket
from micropython import const

_NTP_1970 = const(2208988800)   # seconds from 1900 (NTP) to 1970 (Unix)
_POLL_MS = const(50)


def request(buf):
    """buf (48 bytes) made the client's request; returns it."""
    for i in range(48):
        buf[i] = 0
    buf[0] = 0x1B
    return buf


def unix(buf, n):
    """Unix seconds from a server's answer (n bytes of buf), 0 for an
    answer to ignore: short, not from a server (mode 4), its clock not
    synchronised (leap 3) or stratum 0 (kiss-o'-death) or above 15."""
    if n is None or n < 48 or buf[0] & 7 != 4 or buf[0] >> 6 == 3 \
            or not 0 < buf[1] < 16:
        return 0
    t = buf[40] << 24 | buf[41] << 16 | buf[42] << 8 | buf[43]
    return t - _NTP_1970 if t > _NTP_1970 else 0


async def query(addr, timeout_ms=2000):
    """Ask the server at addr (a socket address, getaddrinfo's [-1]);
    Unix seconds, or 0 if no usable answer came within timeout_ms.
    OSError when the network says no (ICMP unreachable, no route)."""
    buf = request(bytearray(48))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.setblocking(False)
        s.connect(addr)             # answers from elsewhere are dropped
        s.write(buf)
        for _ in range(timeout_ms // _POLL_MS):
            await asyncio.sleep_ms(_POLL_MS)
            t = unix(buf, s.readinto(buf))
            if t:
                return t
    finally:
        s.close()
    return 0
