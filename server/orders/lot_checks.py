"""Which lots no bottle may be picked from, and why: the one rule for the
guns' lots message, the server's judging of a pick, the Lots page's
flags and the bottles the picking list and the guns suggest.

Minimal version written with the Lots page, to the agreed interface
(lot_refusal, refused_lots); the pick checks' own version of this module
replaces it when both are merged.

A lot is refused when it is recalled, on hold, or expired: lots expire
at the start of their expiry day (docs/protocol.md, Lots message).  A
lot refused for several reasons gives the first of LOT_REASONS' order
of judging: recalled, on hold, expired."""
from shared import wire

def _reason(status, expires_on, today):
    if status == "recalled":
        return "lot_recalled"
    if status == "on_hold":
        return "lot_on_hold"
    if expires_on is not None and expires_on <= today:
        return "expired"
    return None


def lot_refusal(db, lot_id, today):
    """None when bottles of `lot_id` may be picked on `today` (ISO
    date), else "lot_on_hold", "lot_recalled" or "expired".  An unknown
    lot is not refused here (the pick's own checks find it)."""
    row = db.execute("SELECT status, expires_on FROM lots WHERE id = ?",
                     [lot_id]).fetchone()
    if row is None:
        return None
    return _reason(row["status"], row["expires_on"], today)


def refused_lots(db, today):
    """[[lot id, reason]] of the refused lots that still have a bottle in
    stock (the guns' lots message), at most wire.LOTS_MAX, recalled and
    held first, then the most recently expired."""
    rows = db.execute(
        "SELECT t.id, t.status, t.expires_on FROM lots t "
        "WHERE (t.status != 'released' OR t.expires_on <= ?) AND EXISTS ("
        " SELECT 1 FROM bottles b WHERE b.lot_id = t.id "
        " AND b.status = 'in_stock') "
        "ORDER BY t.status = 'released', t.expires_on DESC, t.id",
        [today])
    out = []
    for r in rows:
        reason = _reason(r["status"], r["expires_on"], today)
        if reason:
            out.append([r["id"], reason])
    return out[:wire.LOTS_MAX]
