from gun.scanner import MISREAD
from shared import wire
import fakes
from app_prelude import ready, refused

a, b, j, s, sy = ready(fakes.snapshot())
assert a.on_scan("https://example.com/x") == "foreign"
refused(a, b, j, "foreign")
good = fakes.bottle("B000001")
bad = good[:-1] + ("0" if good[-1] != "0" else "1")
assert a.on_scan(bad) == "check"
refused(a, b, j, "check")
assert a.on_scan(MISREAD) == "check"
refused(a, b, j, "check")
body = "PGB:B1:CBD-OIL-30"
assert a.on_scan(body + ":" + wire.check_char(body)) == "format"
refused(a, b, j, "format")
assert sy.kicks == 0
