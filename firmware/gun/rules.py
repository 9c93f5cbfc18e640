# The gun's judgement of a bottle scan, before anything is recorded: pure
# functions of the open order's snapshot and this gun's own picks, with no
# state, no screen and no flash.  Importable under CPython too (no
# micropython module here), where tests compare it with the server's.
#
# check() answers with the wire's reason codes (docs/protocol.md,
# Rejection reasons): the gun-only ones (no_order, notes_pending) and those
# of the server's checks it can judge offline, in the server's order
# (not_pickable, duplicate, wrong_product, over_pick).  The gun tests the
# SKU before the serial: a serial the snapshot lists is one of the order's
# bottles, so its label names a SKU on the order unless the label
# disagrees with the bottle record, which the server refuses first anyway
# (lot_mismatch).  What it cannot know offline (unknown_bottle,
# bottle_taken, not_in_stock, lot_mismatch) the server rejects after sync.
#
# `picks`: the gun's unsynced picks (gun/picks.py PickSet, or anything
# with `serial in picks` and picks.count(order, sku)).  Nothing here
# allocates.


def line(snap, sku):
    """The snapshot's line for sku, or None."""
    for ln in snap["lines"]:
        if ln["sku"] == sku:
            return ln
    return None


def count(line, picks, oid):
    """Bottles on a line: accepted by the server ("got") plus this gun's
    own picks the server has not counted nor rejected yet."""
    return line.get("got", 0) + picks.count(oid, line["sku"])


def left(snap, picks, oid):
    """Bottles still to pick on the whole order."""
    n = 0
    for ln in snap["lines"]:
        c = count(ln, picks, oid)
        if c < ln["qty"]:
            n += ln["qty"] - c
    return n


def check(snap, oid, serial, sku, picks, notes):
    """None if the bottle (serial, label's sku) may be picked for order
    oid, whose snapshot is snap (None: no order open) and whose
    must-acknowledge notes still to confirm number `notes`; else the
    reason code of the first check that fails."""
    if snap is None:
        return "no_order"
    if not snap.get("pick"):
        return "not_pickable"
    if notes:
        return "notes_pending"
    ln = line(snap, sku)
    if ln is None:
        return "wrong_product"
    if serial in snap.get("bot", ()) or serial in picks:
        return "duplicate"
    if count(ln, picks, oid) >= ln["qty"]:
        return "over_pick"
    return None


# ------------------------------------------------------------- returns
# A bottle scanned back in at the returns bench (a `ret` event), judged
# offline as the server does after sync, in its order (docs/protocol.md):
# not_returnable, not_on_order, duplicate.  `rets`: the gun's own returns
# (a PickSet: find() and order()).  What it cannot know offline
# (unknown_bottle, lot_mismatch, a return made on the web or another gun)
# the server rejects after sync.


def returnable(snap):
    """Whether the order's bottles may be scanned back in."""
    return snap is not None and snap.get("st") in ("shipped", "delivered")


def check_return(snap, oid, serial, rets):
    """None if the bottle may be scanned back in for order oid; else the
    reason.  A serial not in `bot` is refused unless the snapshot left
    serials out of `bot` (docs/protocol.md, When the whole does not fit:
    its lines count more bottles than `bot` lists, or it has no lines,
    status only): then only the server can tell."""
    if not returnable(snap):
        return "not_returnable"
    bot = snap["bot"]
    if serial not in bot:
        n = 0
        for ln in snap["lines"]:
            n += ln.get("got", 0)
        if n <= len(bot) and snap["lines"]:
            return "not_on_order"
    i = rets.find(serial)
    if i >= 0 and rets.order(i) == oid:
        return "duplicate"
    return None
