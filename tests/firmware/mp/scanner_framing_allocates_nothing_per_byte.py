import micropython
from gun.scanner import MISREAD
from gun.scanner import Scanner
from scanner_prelude import Stream

sc = Scanner(Stream([]), ticks_ms=lambda: 0)
res = [None, None]


def locked_poll(rounds):
    # no allocation allowed in here: poll() must not allocate per byte
    micropython.heap_lock()
    try:
        for _ in range(rounds):
            sc._pos = 0
            res[0] = sc.poll()
    finally:
        micropython.heap_unlock()


sc.feed(b"PGB:B000123:CBD-OIL-30:L2311")
locked_poll(1)
assert res[0] is None
sc.feed(b"A:7\r\n")
assert sc.poll() == "PGB:B000123:CBD-OIL-30:L2311A:7"
sc.feed(b"X" * 32)
locked_poll(10)  # 320 bytes, past the 96-byte buffer
assert res[0] is None
sc.feed(b"\n")
assert sc.poll() is MISREAD
