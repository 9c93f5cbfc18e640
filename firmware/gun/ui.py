# The gun's screens as a machine: a base screen with a stack of overlays.
#
#   refused          the refusal, over anything (why, what to do); a
#                    sign-in or out shows as one (staff: HELLO, BYE)
#   note | info      the open order's notes: must-acknowledge ones to
#                    confirm (note), information ones to read (info)
#   idle | order | picking | complete      the base
#   (diag, the diagnostics: a base screen too, from OK on idle)
#   (returns: returns mode, from OK on a Shipped or Delivered order's
#   screen; a bottle scanned there is a return, App.take_back)
#
# The top of the stack is the screen (what the panel shows and the state
# reports).  A refusal covers the rest until OK dismisses it; notes
# covered by a refusal wait under it, and after the last note the base
# shows again.  Going to a base screen drops the overlays.
#
# UI holds the stack and what its screens show; gun/app.py's App is a UI
# (one object, no `.ui.` lookups on the way).  Each screen is one
# function of the table at the bottom (SCREENS; note and info share one):
# screen(app, ok) builds its rows, (rows, big) for gun/screens.py's
# paint(), or, ok true, does what OK does on it (App.view() and
# App.on_key() look it up).  They read the app's order state (snapshot,
# notes, picks) and call back the app for what records (App.ack: the
# notes confirmed) or closes the order.
#
# Nothing here allocates to change screens: the refusal's fields are
# filled in place, so a full heap can still show "Busy".
import gc

from gun import VERSION, rules
from gun.screens import (COLS, center, fit, note_pages, status,
                         wrap)


class UI:
    """The stack and what its screens show.  One per gun, its fields
    changed in place: showing a refusal allocates nothing."""

    def __init__(self):
        self.base = "idle"      # idle, order, picking, complete, returns
        self.notes = None       # the notes over it: None, "note" or "info"
        # The refusal, on top while `reason` is set: the reason (a wire
        # reason code, or busy / flash_full / flash_error / error), the
        # message, a detail (the order, SKU or serial) and what to do.
        self.reason = None
        self.message = self.detail = self.todo = ""
        self.screen = "idle"    # the top
        self.items = []         # the information notes shown (info)
        self.note_i = 0         # note (or info) shown, and its page
        self.page = 0
        self.cur_sku = None     # line last picked (picking screen)
        self.last = ""          # last scan result (picking screen)
        self.msg = ""

    # The top is recomputed by each move: the refusal, else the notes,
    # else the base.
    def show(self, base):
        """Show a base screen: the overlays are dropped."""
        self.base = self.screen = base
        self.notes = self.reason = None

    def push(self, notes):
        """Show notes ("note" or "info") from their first page, over the
        base, under the refusal if one is up."""
        self.notes = notes
        self.note_i = self.page = 0
        if self.reason is None:
            self.screen = notes

    def show_refusal(self, reason, message, detail, todo):
        """Show a refusal over everything (or replace the one up)."""
        self.reason = reason
        self.message = message
        self.detail = detail
        self.todo = todo
        self.msg = message
        self.screen = "refused"

    def pop(self):
        """Take the top overlay off: the refusal, else the notes."""
        if self.reason is not None:
            self.reason = None
        else:
            self.notes = None
        self.screen = self.notes or self.base

    def next(self, notes):
        """The next page, else the next note; False after the last."""
        if self.page < len(note_pages(
                notes[self.note_i].get("text", ""))) - 1:
            self.page += 1
        elif self.note_i + 1 < len(notes):
            self.page = 0
            self.note_i += 1
        else:
            return False
        return True


# --------------------------------------------------------------- screens
# Each returns (rows, big): 8 text rows (gun/screens.py: row 0 the status
# bar) and the index of a row drawn at double size (-1: none).
def idle(app, ok):
    """OK: the diagnostics.  Above "Scan an order" ("Scan your badge"
    while a sign-in is required): how many orders the gun can open
    offline ("24 held offline": store.held()); below it: who is signed
    in, what
    is wrong with the decoder, if anything ("No decoder reply"); the last
    row: why the link is down ("TLS: not trusted"), else that the clock
    is not set (scans then carry at 0)."""
    if ok:
        return app.show("diag")
    link = app.link
    pending = app.journal.pending_count()
    held = app.store.held()
    st = app.staff
    rows = [status(link, pending),
            center(str(held) + " held offline") if held else "",
            center("Scan your badge" if st.req and not st.who
                   else "Scan an order")]
    if st.who:
        rows.append(center(st.name))        # who is signed in
    rows.extend((center(app.decoder) if app.decoder else "",
                 center(str(pending) + " waiting") if pending else ""))
    rows.extend(wrap(app.msg)[:2])
    rows = fit(rows)
    if link != "online" and app.sync is not None and app.sync.why:
        rows[7] = app.sync.why[:COLS]
    elif not app.board.clock():
        rows[7] = "Clock not set"
    return rows, -1


def diag(app, ok):
    """For a technician: the firmware, free heap and the largest free
    block of internal RAM (what a TLS handshake needs), battery, WiFi
    signal, clock (UTC) and uptime.  OK reads them again; BACK or a scan
    leaves."""
    if ok:
        return              # (App.on_key repaints: read again)
    bat, rssi, blk, up = app.board.vitals()
    t = app.board.clock()
    return fit([
        status(app.link, app.journal.pending_count()), "FW " + VERSION,
        "Heap " + str(gc.mem_free() // 1024) + "K free",
        "Block " + (str(blk // 1024) + "K" if blk is not None else "n/a"),
        "Bat " + ("%d.%02dV" % (bat // 1000, bat % 1000 // 10) +
                  (" LOW" if bat < 3500 else "") if bat else "n/a"),
        "WiFi " + (str(rssi) + "dBm" if rssi is not None else "off"),
        "UTC %02d:%02d:%02d" % (t // 3600 % 24, t // 60 % 60, t % 60)
        if t else "Clock not set",
        "Up %dd %02dh %02dm" % (up // 86400, up // 3600 % 24, up // 60 % 60)
        if up is not None else ""]), -1


def order(app, ok):
    """The order's lines with their bottles (server-accepted + this gun's
    picks).  OK: the notes to confirm, else picking (when it may); on a
    Shipped or Delivered order, which says so, returns mode."""
    snap = app.snap
    todo = len(app.todo_notes)
    back = rules.returnable(snap)
    if ok:
        if todo and not back:
            app.push("note")
        elif snap.get("pick"):
            app.show("complete" if app.complete() else "picking")
        elif back:
            app.show("returns")
        return
    rows = [status(app.link, app.journal.pending_count()),
            "Order " + str(snap["o"]), snap.get("cl", "")]
    lines = snap["lines"]
    for i in range(len(lines)):
        if i == 3 and len(lines) > 4:
            rows.append("+" + str(len(lines) - i) + " more lines")
            break
        ln = lines[i]
        rows.append(str(rules.count(ln, app.picks, app.oid)) + "/" +
                    str(ln["qty"]) + " " + ln["sku"])
    while len(rows) < 7:
        rows.append("")
    if back:
        st = snap["st"]
        rows[6] = st[0].upper() + st[1:]
        rows.append("OK: scan returns")
        return fit(rows), -1
    hint = app.msg          # "Left 1041 open" stays
    if snap.get("pick") and not todo and app.complete():
        hint = "Complete"
    elif not hint.startswith("Left "):
        if not snap.get("pick"):
            hint = "Not pickable"
        elif todo:
            hint = "OK: read " + str(todo) + (" notes" if todo > 1 else
                                               " note")
        else:
            hint = "Scan bottles"
    rows.append(hint)
    return fit(rows), -1


def notes(app, ok):
    """The open order's notes: must-acknowledge ones (note, "NOTE 1/2";
    OK: its next page, the next note, then all of them confirmed, App.ack)
    or information ones (info, "INFO 1/2"; OK or a scan: the next page or
    note, then back to the base screen)."""
    info = app.screen == "info"
    items = app.items if info else app.todo_notes
    i = app.note_i
    if ok:
        if not app.next(items):
            if not info:
                return app.ack()
            app.items = []
            app.show("order" if app.base == "order" else
                     "complete" if app.complete() else "picking")
        return
    pages = note_pages(items[i].get("text", ""))
    page = min(app.page, len(pages) - 1)
    rows = [status(app.link, app.journal.pending_count()),
            ("INFO " if info else "NOTE ") + str(i + 1) + "/" +
            str(len(items)), ""]
    rows.extend(pages[page])
    while len(rows) < 7:
        rows.append("")
    if page < len(pages) - 1 or info and i + 1 < len(items):
        rows.append("OK: more")
    else:
        rows.append("OK/scan to go on" if info else "OK to confirm")
    return fit(rows), 1


def picking(app, ok):
    """The line last picked while it needs bottles, else the first one
    that does, big: its SKU, its name or the lot to take (the line's
    `lot`, first-expiring; any good lot is accepted), which line of how
    many ("Now line 2 of 3" when the last one filled), and the bottles
    left.  OK: the order screen."""
    if ok:
        return app.show("order")
    snap = app.snap
    picks = app.picks
    oid = app.oid
    lines = snap["lines"]
    ln = rules.line(snap, app.cur_sku) if app.cur_sku else None
    last = app.last or ""
    if ln is None or rules.count(ln, picks, oid) >= ln["qty"]:
        moved = ln is not None
        ln = None
        for i in range(len(lines)):
            if rules.count(lines[i], picks, oid) < lines[i]["qty"]:
                ln = lines[i]
                if len(lines) > 1 and (moved or not last):
                    last = ("Now line " if moved else "Line ") + \
                        str(i + 1) + " of " + str(len(lines))
                break
    rows = [status(app.link, app.journal.pending_count()),
            "Order " + str(oid)]
    if ln is None:
        rows.extend(("", "", "", ""))
    else:
        rows.extend((str(rules.count(ln, picks, oid)) + "/" + str(ln["qty"]),
                     "", ln["sku"], "Take lot " + ln["lot"] if "lot" in ln
                     else ln.get("name", "")))
    left = rules.left(snap, picks, oid)
    rows.append(last)
    rows.append(str(left) + " bottle" + ("" if left == 1 else "s") + " left")
    return fit(rows), -1 if ln is None else 2


def refused(app, ok):
    """Why, the detail, what to do.  OK: back to what the refusal covered
    (App.on_key shows the next server rejection first)."""
    if ok:
        app.pop()
        app.msg = ""
        if app.snap is None and app.screen != "idle":
            app.show("idle")
        elif app.screen == "picking" or app.screen == "complete":
            # A server rejection may have reopened a full order.
            app.show("complete" if app.complete() else "picking")
        return
    rows = [status(app.link, app.journal.pending_count()),
            _HEADS.get(app.reason, "REFUSED"), ""]
    rows.extend(wrap(app.message)[:2])
    while len(rows) < 5:
        rows.append("")
    detail = app.detail or ""
    if app.base == "returns":       # the mode's header on its refusals
        detail = ("RETURNS " + detail.replace("Order ", "")).rstrip()
    rows.append(detail)
    rows.extend(wrap(app.todo)[:2])
    return fit(rows), 1


def complete(app, ok):
    """DONE, the order and its bottles.  OK: the order closes (the idle
    screen)."""
    if ok:
        return app.close()
    n = 0
    for ln in app.snap["lines"]:
        n += rules.count(ln, app.picks, app.oid)
    return fit([status(app.link, app.journal.pending_count()), "DONE", "",
                center("Order complete"), center("Order " + str(app.oid)),
                center(str(n) + (" bottle" if n == 1 else " bottles")),
                "Take to packing", "Scan next order"]), 1


def returns(app, ok):
    """Returns mode: RETURNS (big), the order, its client and the bottles
    this gun has scanned back in for it; BACK leaves (App.on_key)."""
    if ok:
        return
    return fit([status(app.link, app.journal.pending_count()), "RETURNS",
                "", "Order " + str(app.oid), app.snap.get("cl", ""),
                str(app.rets.count(app.oid, "")) + " returned",
                app.last or "", "Scan bottles"]), 1


# The refusal's big word; a sign-in or out (screen "staff") shows as one.
_HEADS = {"fetching": "WAIT", "signed_in": "HELLO", "signed_out": "BYE"}
SCREENS = {"idle": idle, "order": order, "note": notes, "info": notes,
           "staff": refused, "picking": picking, "refused": refused,
           "complete": complete, "diag": diag, "returns": returns}
