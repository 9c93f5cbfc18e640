"""Which lots a bottle may not leave the warehouse from, and why: the one
rule the server's judging of a gun's pick (server.gunlink.ingest) and the
lots message the guns refuse bottles by (docs/protocol.md, Lots message)
both follow.

A lot is refused when it is recalled (lots.status 'recalled'), on hold
('on_hold') or expired: a lot expires at the start of its expiry day,
the warehouse's local date (`today`, a datetime.date or its ISO text,
passed in so that a batch, a page or a message judges every lot against
one date).  Recalled comes
first: a recalled lot that has also expired is still reported as
recalled, the graver reason."""
from shared import wire

RECALLED = "recalled"
ON_HOLD = "on_hold"
# lots.status -> the rejection reason a gun and the server give.
_STATUS_REASONS = {RECALLED: "lot_recalled", ON_HOLD: "lot_on_hold"}
EXPIRED = "expired"


def refusal(status, expires_on, today):
    """The reason a bottle of a lot with this status and expiry date
    (text, YYYY-MM-DD..., or None: never expires) is refused, or None."""
    reason = _STATUS_REASONS.get(status)
    if reason:
        return reason
    if expires_on and expires_on[:10] <= _iso(today):
        return EXPIRED
    return None


def _iso(today):
    return today if isinstance(today, str) else today.isoformat()


def lot_refusal(db, lot_id, today):
    """None, "lot_recalled", "lot_on_hold" or "expired" for lot `lot_id`
    (None for a lot that does not exist: the bottle's own checks say
    so)."""
    row = db.execute("SELECT status, expires_on FROM lots WHERE id = ?",
                     [lot_id]).fetchone()
    return refusal(row[0], row[1], today) if row else None


def refused_lots(db, today):
    """[[lot id, reason]] of the lots with bottles in stock that a gun
    must refuse, at most wire.LOTS_MAX: recalled first, then on hold,
    then expired, the most recently expired first (should there ever be
    more than fit, the ones left out expired longest ago)."""
    rows = db.execute(
        "SELECT l.id, l.status, l.expires_on FROM lots l "
        "WHERE (l.status IN (?, ?) OR substr(l.expires_on, 1, 10) <= ?) "
        "AND EXISTS (SELECT 1 FROM bottles b WHERE b.lot_id = l.id "
        "            AND b.status = 'in_stock') "
        "ORDER BY CASE l.status WHEN ? THEN 0 WHEN ? THEN 1 ELSE 2 END, "
        "l.expires_on DESC, l.id LIMIT ?",
        [RECALLED, ON_HOLD, _iso(today), RECALLED, ON_HOLD,
         wire.LOTS_MAX]).fetchall()
    out = []
    for r in rows:
        entry = [r[0], refusal(r[1], r[2], today)]
        try:
            wire.check_lots(wire.lots([entry]))
        except wire.WireError:
            continue     # no bottle code can carry such a lot id
        out.append(entry)
    return out
