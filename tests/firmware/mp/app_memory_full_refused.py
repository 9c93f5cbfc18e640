import fakes
from app_prelude import ready, refused

a, b, j, s, sy = ready(fakes.snapshot(), journal=fakes.Journal(capacity=1))
assert a.on_scan(fakes.bottle("B000001")) == "accepted"
assert a.on_scan(fakes.bottle("B000002")) == "journal_full"
refused(a, b, j, "journal_full", 1)
