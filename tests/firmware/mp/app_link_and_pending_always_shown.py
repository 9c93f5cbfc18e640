import fakes
from app_prelude import ready

a, b, j, s, sy = ready(fakes.snapshot())
for state, word in (
    ("online", "Online"),
    ("connecting", "Linking"),
    ("offline", "Offline"),
):
    a.on_link(state)
    for scr in ("order", "picking", "refused"):
        if scr == "refused":
            a.refuse("check")
        else:
            a.show(scr)
        a.dirty = True
        rows = a.refresh()
        assert rows[0].startswith(word) and rows[0].endswith("synced"), rows
a.on_key("OK")
a.on_scan(fakes.bottle("B000001"))
assert a.refresh()[0] == "Offline   1 wait"
assert (
    b.reports[-1][1]["pending"] == 1 and b.reports[-1][1]["link"] == "offline"
)
