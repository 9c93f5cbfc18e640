"""Order snapshots for the guns.  Every change a gun must see (a pick, a
note, picking reset, a status change) bumps orders.rev inside the same
transaction; the MQTT worker publishes each order whose rev is ahead of
published_rev.  The database is the outbox, so no change is lost if the
worker or the broker is down when it happens.

Which orders get a snapshot: those awaiting fulfilment, and any order a
gun may still hold one of (its last snapshot is retained on the broker).
An order that never had one needs none: an Open order, say, or one
cancelled before it was placed (docs/protocol.md, order snapshot).

Four columns say where an order's topic stands:
  offered_rev    the last revision handed to the broker, written before
                 it is sent: from then on guns may hold it
  published_rev  the last revision the outbox dealt with: published (the
                 broker acknowledged it), or passed over because no gun
                 needs it
  published_at   when a snapshot was last published (NULL: never)
  cleared_rev    the revision whose retained snapshot was cleared, or
                 passed over; cleared_rev below offered_rev or
                 published_rev means a snapshot may be retained on the
                 broker (guns may hold it)

A snapshot never exceeds wire.SNAPSHOT_MAX bytes: fit() shortens it,
least needed first (CUTS), down to a status-only snapshot."""
import datetime
import logging
import re
import time

from server.orders import states as order_states
from server.orders.picking import suggested_lot
from server.orders.picks import PICKED_COUNT
from server.core.db import now
from server.core.wording import short_name, timestamp
from shared import wire

log = logging.getLogger(__name__)

LABEL_MAX = 16          # characters of "cl": one row of the gun's screen
NAME_MAX = 32           # characters of a line's product name
NOTE_CUT = 60           # characters kept of a note cut to fit
MORE = "... (more on the picking list)"


# ------------------------------------------------------------- contents
def client_label(name):
    """"Jane R." for Jane Roy: enough for an associate to match the order
    with its paperwork, little for anyone who finds a lost gun (every gun
    holds every order awaiting fulfilment)."""
    return short_name(name, LABEL_MAX)


def _cut(text, keep):
    return text if len(text) <= keep + len(MORE) else \
        text[:keep].rstrip() + MORE


def order_snapshot(db, order_id):
    """The snapshot a gun gets for the order now (a dict, within
    wire.SNAPSHOT_MAX once encoded), or None if there is no such order."""
    full = _full_snapshot(db, order_id)
    return fit(full)[0] if full is not None else None


# What a snapshot line's "lot" may hold (docs/protocol.md): a lot id that
# is not (made by hand, or before the contract) is left out, never sent.
_LOT = re.compile(r"[A-Z0-9-]{1,%d}\Z" % wire.LOT_MAX)


def _lot_to_pick(db, sku, today, known):
    """The line's "lot": the picking list's first-expiring good lot of
    the SKU (server.orders.picking.suggested_lot), None if none or not
    sendable.  `known` caches it per SKU for one snapshot."""
    if sku not in known:
        lot = suggested_lot(db, sku, today)
        known[sku] = lot if lot and _LOT.match(lot) else None
    return known[sku]


def _full_snapshot(db, order_id, today=None):
    order = db.execute(
        "SELECT o.id, o.rev, o.status, c.name AS client FROM orders o "
        "LEFT JOIN clients c ON c.id = o.client_id WHERE o.id = ?",
        [order_id]).fetchone()
    if order is None:
        return None
    lines = []
    today = today or datetime.date.today().isoformat()
    lots = {}
    picking = order_states.awaiting_fulfilment(order["status"])
    for r in db.execute(
            "SELECT l.sku, p.name, l.qty, " + PICKED_COUNT + " AS got "
            "FROM order_lines l LEFT JOIN products p ON p.sku = l.sku "
            "WHERE l.order_id = ? ORDER BY l.id", [order_id]):
        line = {"sku": r["sku"], "qty": r["qty"], "got": r["got"]}
        if r["name"]:
            line["name"] = r["name"][:NAME_MAX]
        lot = _lot_to_pick(db, r["sku"], today, lots) \
            if picking and r["got"] < r["qty"] else None
        if lot:
            line["lot"] = lot
        lines.append(line)
    # notes.severity 'info' -> an information note ("s": "i"); 'ack',
    # NULL or anything else -> must-acknowledge (no "s", as before).
    notes = [wire.note(r["id"], _cut(r["text"] or "",
                                     wire.TEXT_MAX - len(MORE)),
                       r["severity"] == "info")
             for r in db.execute(
                 "SELECT id, text, severity FROM notes WHERE order_id = ? "
                 "ORDER BY id", [order_id])]
    picked = [r["serial"] for r in db.execute(
        "SELECT serial FROM picks WHERE order_id = ? AND status = 'accepted' "
        "ORDER BY id", [order_id])]
    return wire.snapshot(order["id"], order["rev"], order["status"],
                         client_label(order["client"]), lines, notes, picked)


# --------------------------------------------------------- fitting it in
# Each step leaves out what a gun misses least; fit() takes them in turn
# until the payload is within wire.SNAPSHOT_MAX.
def _no_names(snap, over):
    """The gun shows the SKU anyway, and accepts a bottle of any good
    lot without being told which to pick from."""
    for line in snap["lines"]:
        line.pop("name", None)
        line.pop("lot", None)


def _no_info_notes(snap, over):
    """They never stop picking; the picking list has them."""
    snap["notes"] = [n for n in snap["notes"] if not wire.is_info(n)]


def _short_notes(snap, over):
    """Must-acknowledge notes keep as much of their text as fits (their
    first NOTE_CUT characters at least) and still stop picking until
    confirmed; the rest is on the picking list."""
    notes = snap["notes"]
    if not notes:
        return
    texts = [n["text"] for n in notes]

    def cut_to(keep):
        for n, text in zip(notes, texts, strict=True):
            n["text"] = _cut(text, keep)
        return len(wire.encode(snap))

    low, high = NOTE_CUT, max(len(t) for t in texts)
    while low < high:                       # the longest cut that fits
        keep = (low + high + 1) // 2
        if cut_to(keep) <= wire.SNAPSHOT_MAX:
            low = keep
        else:
            high = keep - 1
    cut_to(low)


def _fewer_bottles(snap, over):
    """The oldest serials go, as many as it takes: the gun no longer
    refuses a second scan of those bottles itself, the server still does
    (duplicate); "got" still counts them."""
    bot = snap["bot"]
    k = 0
    while over > 0 and k < len(bot):
        over -= len(bot[k]) + 4           # "B000123" and its ", "
        k += 1
    snap["bot"] = bot[k:]


def _status_only(snap, over):
    """Still too big (lines by the hundred): the guns learn the status,
    and cannot pick the order."""
    snap.update(pick=False, lines=[], notes=[], bot=[])


CUTS = (_no_names, _no_info_notes, _short_notes, _fewer_bottles,
        _status_only)


def fit(snap):
    """(snapshot, payload): `snap` shortened in place, one step of CUTS
    after another, until its payload is within wire.SNAPSHOT_MAX."""
    payload = wire.encode(snap)
    taken = []
    for step in CUTS:
        if len(payload) <= wire.SNAPSHOT_MAX:
            break
        step(snap, len(payload) - wire.SNAPSHOT_MAX)
        payload = wire.encode(snap)
        taken.append(step.__name__.lstrip("_"))
    if taken:
        # Status only: no gun can pick the order.
        log.log(logging.WARNING if "status_only" in taken else logging.INFO,
                "snapshot of order %s rev %s shortened to %d bytes: %s",
                snap["o"], snap["rev"], len(payload), ", ".join(taken))
    return snap, payload


# ----------------------------------------------------------- the outbox
def unpublished(db, limit=200):
    """Orders whose latest revision has not been dealt with yet."""
    return [r["id"] for r in db.execute(
        "SELECT id FROM orders WHERE rev != published_rev ORDER BY id "
        "LIMIT ?", [limit])]


def outgoing(db, order_ids):
    """([(order id, rev, payload)] to publish, after mark_offered(), and
    [(order id, rev)] that no gun needs a snapshot of, to mark with
    mark_passed())."""
    out, passed = [], []
    for order_id in order_ids:
        row = db.execute(
            "SELECT rev, status, published_rev, offered_rev, cleared_rev "
            "FROM orders WHERE id = ?", [order_id]).fetchone()
        if row is None:
            continue
        # A snapshot on its way to the broker (offered, not acknowledged
        # yet) may be in a gun's hands already: its order still needs
        # the snapshot that closes it.
        if not order_states.awaiting_fulfilment(row["status"]) and \
                row["cleared_rev"] >= max(row["published_rev"],
                                          row["offered_rev"]):
            passed.append((order_id, row["rev"]))    # no gun holds it
            continue
        try:
            payload = _payload(db, order_id)
        except Exception:
            # One order's data must not hold up every other order's
            # snapshot: it is offered again at the next poll.
            log.exception("order %s: snapshot not built", order_id)
            continue
        if payload is None:
            passed.append((order_id, row["rev"]))
        else:
            out.append((order_id, row["rev"], payload))
    return out, passed


def _payload(db, order_id):
    """The encoded snapshot; status only if the full one breaks the
    contract (a note id beyond a small int); None (logged) if even that
    does (an order number beyond what a gun can scan)."""
    snap, payload = fit(_full_snapshot(db, order_id))
    try:
        wire.check_snapshot(snap)
        return payload
    except wire.WireError as e:
        log.error("order %s: no valid snapshot (%s)", order_id, e)
    _status_only(snap, 0)
    try:
        wire.check_snapshot(snap)
    except wire.WireError:
        return None
    return wire.encode(snap)


def answer_payload(db, order_id):
    """The answer to a gun's get (docs/protocol.md): the order's snapshot
    as its topic would carry it, in any status, or wire.no_order()."""
    payload = None
    if db.execute("SELECT 1 FROM orders WHERE id = ?",
                  [order_id]).fetchone() is not None:
        payload = _payload(db, order_id)
    return payload or wire.encode(wire.no_order(order_id))


def mark_offered(db, order_id, rev):
    """`rev` is about to be handed to the broker (see outgoing())."""
    db.execute("UPDATE orders SET offered_rev = ? WHERE id = ? "
               "AND offered_rev < ?", [rev, order_id, rev])


def mark_published(db, order_id, rev):
    db.execute("UPDATE orders SET published_rev = ?, published_at = ? "
               "WHERE id = ? AND published_rev < ?",
               [rev, now(), order_id, rev])


def mark_passed(db, order_id, rev):
    """The outbox dealt with `rev` of an order no gun holds: nothing is
    retained on its topic, nothing is to be cleared."""
    db.execute("UPDATE orders SET published_rev = ?, cleared_rev = ? "
               "WHERE id = ? AND rev = ?", [rev, rev, order_id, rev])


# ---------------------------------------------- what the broker retains
RESYNC_BATCH = 100


def retained(db, after=("", 0), limit=RESYNC_BATCH):
    """[(published_at, id)] of the orders whose snapshot may be retained
    on the broker, in order of publication after `after` (a row of the
    previous page).  The partial index of the orders not cleared keeps
    each page cheap however many orders there are."""
    return [(r[0], r[1]) for r in db.execute(
        "SELECT published_at, id FROM orders WHERE cleared_rev < rev "
        "AND cleared_rev < published_rev AND published_at IS NOT NULL "
        "AND (published_at, id) > (?, ?) ORDER BY published_at, id LIMIT ?",
        [after[0], after[1], limit])]


# A closed order's retained snapshot stays on the broker this long after
# its last change (so a gun that was away for a while still learns the
# order closed), then is cleared: otherwise every gun would receive every
# order ever placed each time it connects.
CLEAR_AFTER_DAYS = 7


def clearable(db, cutoff, limit=200):
    """[(order id, rev)] of orders out of fulfilment whose last snapshot
    was published before `cutoff` (timestamp text) and is still
    retained on the broker."""
    marks = ",".join("?" * len(order_states.FULFILMENT))
    return [(r[0], r[1]) for r in db.execute(
        "SELECT id, rev FROM orders WHERE cleared_rev < rev "
        "AND published_at < ? AND rev = published_rev "
        "AND status NOT IN (%s) ORDER BY published_at LIMIT ?" % marks,
        [cutoff, *order_states.FULFILMENT, limit])]


def mark_cleared(db, order_id, rev):
    """The broker dropped the retained snapshot of `order_id` at `rev`."""
    db.execute("UPDATE orders SET cleared_rev = ? WHERE id = ? AND rev = ?",
               [rev, order_id, rev])


def clear_cutoff(days=CLEAR_AFTER_DAYS):
    return timestamp(time.time() - days * 86400)
