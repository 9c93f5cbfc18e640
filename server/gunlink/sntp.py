"""A small SNTP server (RFC 4330) for the guns, which `pickgun up` runs.

A gun's clock reads 2000-01-01 after power-on, and MicroPython on the
ESP32 checks the broker certificate's dates against it, so a gun sets its
clock by SNTP before it connects (docs/firmware.md, Clock).  Warehouse
WiFi may not reach the Internet's time servers, but it reaches the
Pickgun server: a gun asks its broker's host unless its config.json names
another server (`ntp`, `ntp_port`).

The answer carries this machine's clock, so keep that clock right (the
system's own NTP client): the server says stratum 10 and reference
"LOCL", as a server whose time source it cannot vouch for.  Requests
that are not client requests (mode 3) of at least 48 bytes are ignored,
and at most one answer goes out per request: nothing here amplifies."""
import logging
import select
import socket
import struct
import threading
import time

log = logging.getLogger(__name__)

NTP_1970 = 2208988800          # seconds from 1900 (NTP's era) to 1970
PACKET = 48
CLIENT, SERVER = 3, 4          # the modes of a request and an answer
STRATUM = 10
PRECISION = -20                # about a microsecond: 2 ** -20 s
REFERENCE = b"LOCL"
DEFAULT_PORT = 123


def ntp_timestamp(seconds):
    """64-bit NTP timestamp (seconds since 1900, 32-bit fraction)."""
    whole = int(seconds)
    return (whole + NTP_1970) << 32 | int((seconds - whole) * 2 ** 32)


def answer(request, received, now=time.time):
    """The answer to `request` (bytes) received at `received` (Unix
    seconds), or None for anything that is not a client's request."""
    if len(request) < PACKET or request[0] & 7 != CLIENT:
        return None
    version = request[0] >> 3 & 7 or 3
    poll = request[2]
    stamp = ntp_timestamp(now())
    return struct.pack(
        "!BBBbII4sQ8sQQ", version << 3 | SERVER, STRATUM, poll,
        PRECISION, 0, 1 << 10, REFERENCE, stamp,
        request[40:48],                 # the client's transmit time
        ntp_timestamp(received), ntp_timestamp(now()))


class SNTPServer:
    """Answers SNTP requests on host:port (UDP) from a thread, until
    stop().  port 0 takes a free one (tests); .port says which."""

    def __init__(self, host="0.0.0.0", port=DEFAULT_PORT):
        self.host = host
        self.port = port
        self.answered = 0
        self._sock = None
        self._thread = None
        self._stop = threading.Event()

    def start(self):
        """Bind and serve; OSError if the port cannot be had (123 needs
        root or CAP_NET_BIND_SERVICE, or another NTP server holds it)."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        s = socket.socket(family, socket.SOCK_DGRAM)
        try:
            s.bind(("" if self.host == "0.0.0.0" else self.host, self.port))
        except OSError:
            s.close()
            raise
        self._sock = s
        self.port = s.getsockname()[1]
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, args=(s,),
                                        daemon=True, name="sntp")
        self._thread.start()
        return self

    def _serve(self, s):
        while not self._stop.is_set():
            if not select.select([s], [], [], 0.2)[0]:
                continue
            try:
                request, peer = s.recvfrom(512)
            except OSError:
                continue
            out = answer(request, time.time())
            if out is None:
                continue
            try:
                s.sendto(out, peer)
                self.answered += 1
            except OSError as e:
                log.debug("SNTP answer to %s failed: %s", peer, e)

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
