import fakes
from app_prelude import ready


class J(fakes.Journal):
    def append(self, *args, **kw):
        self.beeps_at_append = list(board.beeps)
        self.kicks_at_append = sync.kicks
        return super().append(*args, **kw)


a, board, j, s, sync = ready(fakes.snapshot(), journal=J())
before = list(board.beeps)
code = fakes.bottle("B000001")
assert a.on_scan(code + "\r") == "accepted"
assert j.beeps_at_append == before
assert j.kicks_at_append == 0
assert board.beeps[-1] == "ok"
assert sync.kicks == 1
ev = j.decoded()[0]
assert ev["k"] == "pick" and ev["o"] == 1042 and ev["c"] == code
assert ev["at"] == board.now
assert a.screen == "picking"
rows = a.refresh()
assert rows[2] == "1/2" and rows[4] == "CBD-OIL-30", rows
assert "OK B000001" in rows, rows
assert rows[0].endswith("1 wait"), rows
