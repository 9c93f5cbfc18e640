# The gun's application: a state machine driven by scans, keys and the
# sync session.  No hardware here: the board, journal, order store and sync
# come in through the constructor (tests pass fakes).
#
# Screens: idle -> order -> picking -> complete, with note (one per
# unacknowledged must-acknowledge note, OK each) and info (information
# notes) shown over them; refused is shown over any of them.
#
# Notes are must-acknowledge (the default) or information (wire.is_info).
# Must-acknowledge notes stop picking until OK confirms them all; their ids
# go to the journal as one notes_ack event.  Opening a pickable order with
# such notes shows the first at once (the "note" beep says there is one),
# not the order screen: OK goes on to the next, and the last OK confirms
# them and shows the order.  One added on the web while picking shows the
# same way and OK then goes back to picking.  Information notes never stop
# picking and are never acknowledged: each is shown once per opening of
# the order, as an "INFO" alert that OK pages through and a bottle scan
# simply goes past.  Opening an order with information notes only shows
# them at once; with must-acknowledge notes too, after the confirmation;
# one added on the web while picking pops up over the picking screen.
#
# Every bottle is checked locally, with no network, before anything is
# recorded.  An accepted pick goes to the journal first; only when append()
# has returned (the event is on flash) does the gun beep "ok".
#
# Scanning another order while one is open switches at once: every pick
# is already on flash, so nothing is lost, and the left order resumes
# where it was when its code is scanned again.
#
# A full heap (MemoryError) does not stop the gun: the scan and key tasks
# run each input through handle(), which collects the garbage and tries
# once more, then refuses the input ("Busy - scan again", err beep).  The
# handlers do their allocating before anything is recorded, so a failure
# before the journal append records nothing (at most part of the screen
# state has changed, which the retry sets again).
# Once append() has returned the event is on flash; what follows first
# updates what mirrors the journal in memory (the pick table, the note
# acks) without allocating, so the gun's state matches its journal, and
# the retry only finishes the screen and beep (the input itself is not
# run again: it would record the pick twice).  If that fails too, the
# "Busy" refusal shows, the event stays recorded and is synced as usual,
# and scanning the bottle again says "Already counted".
#
# Any other error (a flash write failing, a device, a bug) does not stop
# the gun either: handle() logs it and refuses the input, without a retry
# unless the event is already on flash.  A full flash (OSError 28) says
# "Flash full: sync", a failing one (any other OSError) "Flash error",
# both with the "flash" beep; the journal keeps what it had, so nothing
# recorded is lost and the same scan works once there is room again.  The
# display task, too, logs a failure, waits a little and paints the whole
# screen again.
import gc
import sys
from micropython import const

try:
    import asyncio
except ImportError:  # pragma: no cover
    asyncio = None

from shared import wire
from gun import screens
from gun.picks import PickSet
from gun.scanner import MISREAD

# What the associate should do after each refusal.
TODO = {
    "foreign": "Scan a Pickgun label",
    "check": "Scan it again",
    "format": "Label damaged: ask a lead",
    "no_order": "Scan the order QR first",
    "unknown_order": "Sync? Get WiFi, then rescan",
    "not_pickable": "Order can't be picked now",
    "wrong_product": "Put it back",
    "over_pick": "Put it back",
    "duplicate": "Already counted",
    "journal_full": "Sync: find WiFi",
    "notes_pending": "Press OK to read notes",
}
# What to do after a server rejection: of a pick, of a notes_ack (its
# notes are asked again, see on_acked).
TODO_SERVER = ("Take it out of the order", "Read the notes again")

# Refusals after a MemoryError: built now, shown without allocating.
BUSY_SCAN = ("busy", "Busy - scan again", "", "")
BUSY_KEY = ("busy", "Busy - press again", "", "")
# After a flash write, or anything else, failed (handle()): reason,
# message, what to do; with the "flash" beep but for the last.
ERRORS = (("flash_full", "Flash full: sync", "Get WiFi, then try again"),
          ("flash_error", "Flash error", "Try again, or ask a lead"),
          ("error", "Gun error", "Try again, or ask a lead"))

_MAX_REJECTIONS = const(8)     # (folded into the code: no name kept)
ACKED_ORDERS = 32       # orders whose note acknowledgements are remembered


class App:
    def __init__(self, board, journal, store, sync=None, picks=None):
        self.board = board
        self.journal = journal
        self.store = store
        self.sync = sync
        self.link = "offline"
        self.screen = "idle"
        self.msg = ""
        self.oid = None           # open order id
        self.snap = None          # its snapshot
        self.todo_notes = []      # notes of the open order still to confirm
        self.info = ()            # information notes on the info screen
        self.seen = ()            # ids of the open order's info notes shown
        self.resume = "order"     # screen after the note or info screens
        self.note_i = 0           # note (or info) shown, and its page
        self.page = 0
        self.cur_sku = None       # line last picked (picking screen)
        self.last = ""            # last scan result (picking screen)
        self.refusal = None       # (reason, message, detail, todo)
        self.back_to = "idle"
        self.rejections = []      # server rejections still to show
        self.wanted = None        # unknown order scanned: open if it arrives
        # This gun's picks the server has not rejected (nor counted yet)
        self.picks = picks if picks is not None else \
            PickSet(getattr(journal, "capacity", 400))
        # order -> note ids this gun has recorded as acknowledged
        self.acked = {}
        self.scanner = None
        self.scans = 0            # scans and key presses handled (tests)
        self.keys = 0
        self.rows = None
        self.dirty = True
        self._then = None         # finishing an input once it is on flash
        self._ev = asyncio.Event() if asyncio else None
        self.rebuild()

    def attach(self, sync):
        self.sync = sync

    # ------------------------------------------------------------ state
    def rebuild(self):
        """Local pick set and note acks from unsynced journal events (the
        rest is in the snapshots' "bot" lists).  Read a page at a time."""
        start = None
        while True:
            page = self.journal.pending(16, start)
            for seq, payload in page:
                self._replay(payload)
            if len(page) < 16:
                break
            start = page[-1][0] + 1

    def _replay(self, payload):
        try:
            ev = wire.decode(payload)
        except wire.WireError:
            return
        kind = ev.get("k")
        if kind == wire.PICK:
            try:
                code = wire.parse_code(ev.get("c", ""))
            except wire.CodeError:
                return
            if code[0] == "bottle":
                self.picks.add(code[1], ev["o"], code[2])
        elif kind == wire.NOTES_ACK:
            self._add_acked(ev["o"], ev.get("n") or ())

    def _acked_for(self, oid):
        """The order's list of acknowledged note ids.  Bounded: past
        ACKED_ORDERS orders one other entry is forgotten, whose notes are
        then simply asked again if that order is reopened."""
        have = self.acked.get(oid)
        if have is None:
            if len(self.acked) >= ACKED_ORDERS:
                for old in self.acked:
                    if old != self.oid:
                        del self.acked[old]
                        break
            have = self.acked[oid] = []
        return have

    def _add_acked(self, oid, ids):
        have = self._acked_for(oid)
        for i in ids:
            if i not in have:
                have.append(i)

    def pending(self):
        return self.journal.pending_count()

    def count(self, line):
        """Bottles on a line of the open order: accepted by the server plus
        this gun's own picks the server has not seen or not rejected."""
        return line.get("got", 0) + self.picks.count(self.oid, line["sku"])

    def _line(self, sku):
        for line in self.snap["lines"]:
            if line["sku"] == sku:
                return line
        return None

    def left(self):
        n = 0
        for line in self.snap["lines"]:
            c = self.count(line)
            if c < line["qty"]:
                n += line["qty"] - c
        return n

    def complete(self):
        return self.snap is not None and self.left() == 0

    def _prune(self):
        """Forget own picks the open order's snapshot now counts."""
        for serial in self.snap.get("bot", ()):
            self.picks.remove(serial, self.oid)

    def _load(self, oid):
        snap = self.store.get(oid)
        if snap is None:
            return False
        have = self.acked.get(oid, ())
        todo = [n for n in snap.get("notes", ())
                if n.get("id") not in have and not wire.is_info(n)]
        self.oid = oid
        self.snap = snap
        self.todo_notes = todo
        self.note_i = 0
        self.page = 0
        self._prune()
        return True

    # ----------------------------------------------------------- inputs
    def on_scan(self, text):
        self.scans += 1
        if text is MISREAD:
            return self.refuse("check")
        try:
            code = wire.parse_code(text)
        except wire.CodeError as e:
            return self.refuse(e.reason)
        if code[0] == "order":
            return self.open_order(code[1])
        return self.pick(text.strip(), code)

    def open_order(self, oid):
        prev = self.oid
        was_open = prev is not None and prev != oid and not self.complete()
        if not self._load(oid):
            self.wanted = oid
            return self.refuse("unknown_order", "Order " + str(oid))
        self.wanted = None
        self.refusal = None
        self.cur_sku = None
        self.last = ""
        self.screen = "order"
        self.msg = ("Left " + str(prev) + " open") if was_open else ""
        self.seen = []
        if self.todo_notes and self.snap.get("pick"):
            self._notes("order")
        # (An order that is not pickable shows its order screen, which
        # says so; OK there still shows its notes.)
        self._beep("note" if self.todo_notes else
                   "info" if self._info("order") else "ok")
        self._changed()
        return "order"

    def _notes(self, resume):
        """Show the first must-acknowledge note now (over a refusal: once
        it is dismissed); after the last is confirmed the gun goes to
        `resume` ("order", "picking" or "complete").  Allocates nothing."""
        self.note_i = self.page = 0
        self.resume = resume
        if self.screen == "refused":
            self.back_to = "note"
        else:
            self.screen = "note"

    def _info(self, resume):
        """Show the open order's information notes not shown yet (unless
        must-acknowledge ones are pending: they come first, the rest after
        them); the info screen then goes back to `resume`.  Over a refusal
        they wait behind it.  False if there is nothing to show."""
        new = [n for n in self.snap.get("notes", ()) if wire.is_info(n)
               and n.get("id") not in self.seen]
        if not new or self.todo_notes:
            return False
        for n in new:
            self.seen.append(n.get("id"))
        if self.screen == "info" or self.screen == "refused" \
                and self.back_to == "info":
            self.info = self.info + new
            return True
        self.info = new
        self.note_i = self.page = 0
        self.resume = resume
        if self.screen == "refused":
            self.back_to = "info"
        else:
            self.screen = "info"
        return True

    def pick(self, text, code):
        serial, sku = code[1], code[2]
        if self.oid is None:
            return self.refuse("no_order")
        snap = self.snap
        if not snap.get("pick"):
            return self.refuse("not_pickable", "Order " + str(self.oid))
        if self.todo_notes:
            return self.refuse("notes_pending")
        line = self._line(sku)
        if line is None:
            return self.refuse("wrong_product", sku)
        if serial in snap.get("bot", ()) or serial in self.picks:
            return self.refuse("duplicate", serial)
        if self.count(line) >= line["qty"]:
            return self.refuse("over_pick", sku)
        if self.journal.full():
            return self.refuse("journal_full")
        # Everything that allocates, before anything is recorded.
        self._then = (True, (serial.encode(), self.oid,
                             self.picks.reserve(sku), sku, "OK " + serial))
        self.journal.append(wire.PICK, self.oid, self.board.clock(),
                            code=text)
        # On flash: the pick table follows, then the beep may say so.
        return self._finish()

    def _record(self):
        """After the journal append (self._then: (a pick?, its details)):
        bring the memory in line with the journal.  Allocates nothing and
        may run twice."""
        pick, arg = self._then
        if pick:
            if self.picks.find(arg[0]) < 0:
                self.picks.put(arg[0], arg[1], arg[2])
        else:
            self.acked[arg[0]] = arg[1]     # an existing key: no allocation
            self.todo_notes = ()
            self.note_i = 0
            self.page = 0
            if self.screen == "note":
                self.screen = self.resume

    def _finish(self):
        """_record(), then the screen and the beep."""
        self._record()
        pick, arg = self._then
        r = self._picked(arg) if pick else self._noted()
        self._then = None
        return r

    def _picked(self, p):
        sku = p[3]
        last = p[4]
        done = self.complete()
        self._beep("done" if done else "ok")
        if self.sync is not None:
            self.sync.kick()
        self.refusal = None
        self.cur_sku = sku
        self.last = last
        self.msg = last
        self.screen = "complete" if done else "picking"
        self._changed()
        return "accepted"

    def refuse(self, reason, detail="", message=None, todo=None,
               pattern="err"):
        """Show why a scan was refused.  Records nothing."""
        message = message or wire.reason_text(reason)
        self.refusal = (reason, message, detail,
                        TODO.get(reason, "") if todo is None else todo)
        if self.screen != "refused":
            self.back_to = self.screen
        self.screen = "refused"
        self.msg = message
        self._beep(pattern)
        self._changed()
        return reason

    def on_key(self, key):
        self.keys += 1
        if self.scanner is not None:
            self.scanner.forget()   # a rescan after a key press is deliberate
        if key == "BACK":
            self.close()
        elif key == "OK":
            self.ok()
        self._changed()

    def close(self):
        self.oid = None
        self.snap = None
        self.todo_notes = []
        self.info = self.seen = ()
        self.rejections = []
        self.refusal = None
        self.screen = "idle"
        self.msg = ""

    def ok(self):
        s = self.screen
        if s == "refused":
            if self.rejections:
                return self._show_rejection()
            self.refusal = None
            self.msg = ""
            self.screen = self.back_to if self.back_to != "refused" else "idle"
            if self.snap is None and self.screen != "idle":
                self.screen = "idle"
            elif self.screen in ("picking", "complete"):
                # A server rejection may have reopened a full order.
                self.screen = "complete" if self.complete() else "picking"
        elif s == "order":
            if self.todo_notes:
                self._notes("order")
            elif self.snap.get("pick"):
                self.screen = "complete" if self.complete() else "picking"
        elif s == "picking":
            self.screen = "order"
        elif s == "note":
            self._confirm_note()
        elif s == "info":
            if not self._next(self.info):
                self.info = ()
                s = self.resume
                if s in ("picking", "complete"):
                    s = "complete" if self.complete() else "picking"
                self.screen = s
        elif s == "complete":
            self.close()

    def _next(self, notes):
        """The next page, else the next note; False after the last."""
        if self.page < len(screens.note_pages(
                notes[self.note_i].get("text", ""))) - 1:
            self.page += 1
        elif self.note_i + 1 < len(notes):
            self.page = 0
            self.note_i += 1
        else:
            return False
        return True

    def _confirm_note(self):
        if self._next(self.todo_notes):
            return
        if self.journal.full():
            self.page = 0
            self.note_i = 0
            return self.refuse("journal_full")
        # Everything that allocates, before anything is recorded: the
        # order's acked list is replaced, not grown, after the append.
        ids = [n["id"] for n in self.todo_notes]
        have = self._acked_for(self.oid)
        self._then = (False, (self.oid,
                              have + [i for i in ids if i not in have]))
        self.journal.append(wire.NOTES_ACK, self.oid, self.board.clock(),
                            notes=ids)
        return self._finish()

    def _noted(self):
        self._beep("ok")
        if self.sync is not None:
            self.sync.kick()
        s = self.resume
        if s != "order":
            s = "complete" if self.complete() else "picking"
        self.screen = s
        if s != "order" or not self.msg.startswith("Left "):
            self.msg = "Notes confirmed"     # (else the order screen's hint)
        self._info(s)

    # ------------------------------------------------------------- sync
    def on_link(self, state):
        """The link's state, or why it is down (sync.why), changed."""
        self.link = state
        self._changed()

    def on_acked(self, rejected):
        """Events the server rejected (sync.py: seq, why, and the event's
        kind k, order o, code c and note ids n as the gun wrote them).
        A rejected pick leaves the pick table; a rejected notes_ack counts
        for none of its notes (the server rejects it whole), so they are
        asked again.  Every rejection is shown, in turn."""
        for r in rejected or ():
            oid = r.get("o")
            what = r.get("c") or ""
            if r.get("k") == wire.NOTES_ACK:
                # Rejected whole: none of its notes counts as acknowledged
                # any more, so the order asks for them again (at once if it
                # is open, as when a note is added).
                what = None
                have = self.acked.get(oid)
                if have:
                    ids = r.get("n") or ()
                    self.acked[oid] = [i for i in have if i not in ids]
                    self.on_snapshot(oid)
            else:
                try:
                    code = wire.parse_code(what)
                    if code[0] == "bottle":
                        what = code[1]
                        self.picks.remove(what)
                except wire.CodeError:
                    pass            # shown with the code as it was
            if len(self.rejections) < _MAX_REJECTIONS:
                self.rejections.append((what, r.get("why", ""), oid))
        # Shown at once, over a local refusal; after a server one.
        if self.rejections and not (self.screen == "refused"
                                    and self.refusal[3] in TODO_SERVER):
            self._show_rejection()
        self._changed()

    def _show_rejection(self):
        what, why, oid = self.rejections.pop(0)
        todo = TODO_SERVER[0]
        if what is None:
            message = "Notes refused: " + wire.reason_text(why)
            todo = TODO_SERVER[1]
        elif why == "bottle_taken" and what:
            message = what + " on other order"
        else:
            message = (what + ": " if what else "") + wire.reason_text(why)
        detail = ("Order " + str(oid)) if oid else ""
        if self.screen != "refused":
            self.back_to = self.screen
        self.screen = "refused"
        self.refusal = (why, message, detail, todo)
        self.msg = message
        self._beep("warn")

    def on_snapshot(self, order_id):
        if order_id == self.oid:
            screen = self.screen
            had = len(self.todo_notes)
            at = self.note_i, self.page
            self._load(order_id)
            if screen == "info" and not self.todo_notes:
                self.note_i, self.page = at     # same alert, same page
            if not self.snap.get("pick") and screen in ("order", "note",
                                                         "picking", "info"):
                # Cancelled, refused... on the web: say so now, not at
                # the next scan.
                self.refuse("not_pickable", "Order " + str(order_id),
                            message="Order " + str(
                                self.snap.get("st", "")).replace("_", " "),
                            pattern="warn")
                return
            under = self.back_to if screen == "refused" else screen
            if len(self.todo_notes) > had and under in (
                    "order", "note", "picking", "complete", "info"):
                # A must-acknowledge note added: shown at once (after the
                # refusal, if one is up), and OK goes back to where the gun
                # was.
                if under == "info":
                    self.seen = []      # cut short: shown again after
                if self.snap.get("pick"):
                    self._notes(self.resume if under in ("note", "info")
                                else under)
                elif screen != "refused":
                    self.screen = "order"       # which says "Not pickable"
                self._beep("note")
            elif screen == "picking" and self.complete():
                self.screen = "complete"
            screen = under
            if screen in ("order", "picking", "complete", "info") and \
                    self._info(screen):
                self._beep("info")      # an info note added: no stop
            self._changed()
        elif order_id == self.wanted and self.screen == "refused" \
                and self.refusal and self.refusal[0] == "unknown_order":
            self.open_order(order_id)

    # ----------------------------------------------------------- output
    def _beep(self, pattern):
        """board.beep(pattern).  A buzzer that fails is logged and the gun
        goes on (a MemoryError goes on to handle(), which retries)."""
        try:
            self.board.beep(pattern)
        except MemoryError:
            raise
        except Exception as e:
            sys.print_exception(e)

    def _changed(self):
        self.dirty = True
        if self._ev is not None:
            self._ev.set()

    def view(self):
        """(rows, big) of the current screen."""
        link = self.link
        pend = self.pending()
        s = self.screen
        if s == "order" and self.snap is not None:
            counts = [self.count(line) for line in self.snap["lines"]]
            hint = None
            if self.msg and self.msg.startswith("Left "):
                hint = self.msg
            if self.snap.get("pick") and not self.todo_notes \
                    and self.complete():
                hint = "Complete"
            return screens.order(link, pend, self.snap, counts,
                                 len(self.todo_notes), hint)
        if s == "note" and self.todo_notes:
            n = self.todo_notes[self.note_i]
            return screens.note(link, pend, self.note_i, len(self.todo_notes),
                                n.get("text", ""), self.page)
        if s == "info" and self.info:
            n = self.info[self.note_i]
            return screens.note(link, pend, self.note_i, len(self.info),
                                n.get("text", ""), self.page, True)
        if s == "picking" and self.snap is not None:
            line = self._line(self.cur_sku) if self.cur_sku else None
            if line is None:
                for ln in self.snap["lines"]:
                    if self.count(ln) < ln["qty"]:
                        line = ln
                        break
            return screens.picking(link, pend, self.oid, line,
                                   self.count(line) if line else 0,
                                   self.last, self.left())
        if s == "refused" and self.refusal is not None:
            return screens.refused(link, pend, self.refusal[1],
                                   self.refusal[2], self.refusal[3])
        if s == "complete" and self.snap is not None:
            n = 0
            for line in self.snap["lines"]:
                n += self.count(line)
            return screens.complete(link, pend, self.oid, n)
        return screens.idle(link, pend, self.msg,
                            None if link == "online" or self.sync is None
                            else self.sync.why)

    def state(self):
        s = self.screen
        return {"screen": s, "order": self.oid,
                "pending": self.pending(), "link": self.link, "msg": self.msg,
                "reason": self.refusal[0] if self.refusal else None,
                "scans": self.scans, "keys": self.keys,
                "notes": len(self.todo_notes) - self.note_i
                if self.todo_notes else 0,
                "info": len(self.info) - self.note_i
                if s == "info" else 0,
                "picks": len(self.picks)}

    def refresh(self, fb=None):
        """Draw the screen if anything changed; returns the rows."""
        if not self.dirty and self.rows is not None:
            return self.rows
        self.dirty = False
        rows, big = self.view()
        self.rows = rows
        if fb is not None:
            screens.paint(fb, rows, big)
            fb.show()
        self.board.report(rows, self.state())
        return rows

    # ------------------------------------------------ full heap, errors
    def handle(self, fn, arg, refusal=BUSY_SCAN):
        """fn(arg), fn being on_scan or on_key, surviving any error.  A
        MemoryError: collect and try once more (only the finishing part if
        the input is already on flash), then show `refusal`.  Any other:
        logged; once more only if the input is already on flash, else
        refused at once (ERRORS).  Returns fn's result, or the refusal's
        reason."""
        scans, keys = self.scans, self.keys
        seq = self.journal.next_seq
        self._then = None
        for _ in range(2):
            try:
                if self._then is not None and self.journal.next_seq != seq:
                    return self._finish()
                self.scans, self.keys = scans, keys     # counted once
                self._then = None
                return fn(arg)
            except MemoryError:
                gc.collect()
            except Exception as e:
                sys.print_exception(e)
                r = ERRORS[2]
                if self.journal.next_seq == seq:    # nothing recorded
                    if isinstance(e, OSError) and self._then is not None:
                        # (_then is set just before the journal append)
                        r = ERRORS[0] if e.errno == 28 else ERRORS[1]
                    self._then = None
                    return self.busy((r[0], r[1], "", r[2]),
                                     "err" if r is ERRORS[2] else "flash")
                refusal = (r[0], r[1], "", r[2])
        if self._then is not None and self.journal.next_seq != seq:
            self._record()      # recorded: memory follows the journal
        self._then = None
        return self.busy(refusal)

    def busy(self, refusal=BUSY_SCAN, pattern="err"):
        """Refuse the input (for want of memory, or after an error);
        allocates nothing of its own and never raises."""
        if self.screen != "refused":
            self.back_to = self.screen
        self.screen = "refused"
        self.refusal = refusal
        self.msg = refusal[1]
        try:
            self.board.beep(pattern)
        except Exception:
            pass                # not even a full heap: nothing to retry
        self._changed()
        return refusal[0]

    # ------------------------------------------------------------ tasks
    async def display_task(self, display):
        """Paint the screen whenever it changes, on the FrameBuffer that
        display() returns (board.display).  A failure (the panel's I2C, a
        bad field, a full heap) is logged and the whole screen painted
        again shortly after, waiting longer while it persists: the screen
        must not freeze while scans go on."""
        fb = None
        wait = 50
        while True:
            try:
                if fb is None:
                    fb = display()
                self.refresh(fb)
                wait = 50
            except Exception as e:
                if not isinstance(e, MemoryError):
                    sys.print_exception(e)
                gc.collect()
                self.dirty = True       # all of it, next time
                wait = min(wait * 2, 2000)
                await asyncio.sleep_ms(wait)
                continue
            await self._ev.wait()
            self._ev.clear()

    async def scan_task(self, scanner):
        """Handle the decoder's codes until its stream ends (EOFError)."""
        self.scanner = scanner
        while True:
            try:
                text = await scanner.read()
            except MemoryError:
                gc.collect()
                self.busy(BUSY_SCAN)
                continue
            except EOFError:
                raise
            except Exception as e:      # the UART: log, read on
                sys.print_exception(e)
                await asyncio.sleep_ms(200)
                continue
            self.handle(self.on_scan, text)

    async def key_task(self, keys):
        """Handle key presses until the keys' source ends (EOFError)."""
        while True:
            try:
                key = await keys.get()
            except MemoryError:
                gc.collect()
                continue
            except EOFError:
                raise
            except Exception as e:
                sys.print_exception(e)
                await asyncio.sleep_ms(200)
                continue
            self.handle(self.on_key, key, BUSY_KEY)
