import fakes
from gun.app import App
from shared import wire


def make(*snaps, journal=None):
    b = fakes.Board()
    j = journal if journal is not None else fakes.Journal()
    s = fakes.Store()
    sy = fakes.Sync()
    for sn in snaps:
        s.put(sn)
    return App(b, j, s, sy), b, j, s, sy


def refused(a, b, j, reason, before=0):
    assert a.screen == "refused", a.screen
    assert a.reason == reason, a.reason
    assert b.beeps[-1] == "err", b.beeps
    assert j.pending_count() == before, j.decoded()
    rows = a.refresh()
    assert rows[1] == "REFUSED", rows
    text = " ".join(rows)
    for word in wire.reason_text(reason).split()[:2]:
        assert word in text, (word, rows)


def ready(*snaps, **kw):
    a, b, j, s, sy = make(*snaps, **kw)
    assert a.on_scan(fakes.order()) == "order"
    return a, b, j, s, sy
