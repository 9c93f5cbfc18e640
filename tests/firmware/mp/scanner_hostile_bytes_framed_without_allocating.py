import micropython
from gun.scanner import MISREAD
from gun.scanner import Scanner
from scanner_hostile import BURST, HIGH
from scanner_prelude import Stream

sc = Scanner(Stream([]), ticks_ms=lambda: 0)
res = [0]


def locked(data):
    # poll() over data with the heap locked: only a complete line may
    # allocate (its str), so feed what ends no line
    chunk = sc._chunk
    micropython.heap_lock()
    try:
        for i in range(0, len(data) - 31, 32):
            for k in range(32):
                chunk[k] = data[i + k]
            sc._pos = 0
            sc._len = 32
            if sc.poll() is not None:
                res[0] += 1
    finally:
        micropython.heap_unlock()


for i in range(len(BURST)):
    if BURST[i] in (10, 13):
        BURST[i] = 32
locked(b"\r\n" * 512)  # blank lines: nothing to return
locked(BURST)  # 10 KB, no line end
assert res[0] == 0
sc.feed(b"\n")
assert sc.poll() is MISREAD  # the overlong line, once
sc.feed(HIGH[:20] + b"\n")
assert sc.poll() == "?" * 20
