# The gun's application: scans, keys and the sync session's news in,
# screens, beeps and journal events out.  No hardware here: the board,
# journal, order store and sync come in through the constructor (tests pass
# fakes).  Who does what:
#
#   gun/ui.py      the screens: a base screen (idle -> order -> picking ->
#                  complete) under a stack of overlays (note / info, then
#                  refused), and the table of what each draws and what OK
#                  does on it.  App is a UI: the stack's fields are its own.
#   gun/rules.py   whether a bottle may be picked: the wire's reason codes
#   here           the open order's state, and the commit step: an
#                  accepted input goes to the journal, then to memory
#                  (the commit fields, _record), then to the screen and
#                  the beep (_finish)
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
# An order the store lacks, scanned while the link is up, is asked for (a
# get, gun/sync.py): the gun shows "Fetching order" and opens it when its
# snapshot arrives (on_snapshot), says "Unknown order" when the server has
# none (on_answer), and "No answer" after _FETCH_MS without either
# (checked by power_task).  Offline it is refused at once.
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
# Sign-in (gun/staff.py holds the roster, the lots and who is signed in):
# a badge scanned signs its associate in, or out if signed in already;
# with the roster's `req`, order and bottle scans are refused (sign_in)
# until someone is (the gate at the top of on_scan).  A long press of
# BACK, `idle` seconds without a scan or key (power_task) or a roster
# without them signs out.  journal.by is who is signed in: every event
# appended carries it.  A bottle of a lot the lots message names is
# refused first of all its checks (pick).
#
# Any other error (a flash write failing, a device, a bug) does not stop
# the gun either: handle() logs it and refuses the input, without a retry
# unless the event is already on flash.  A full flash (OSError 28) says
# "Flash full: sync", a failing one (any other OSError) "Flash error",
# both with the "flash" beep; the journal keeps what it had, so nothing
# recorded is lost and the same scan works once there is room again.  The
# display task, too, logs a failure, waits a little and paints the whole
# screen again.
import asyncio
import gc
import sys
from micropython import const
from time import ticks_diff, ticks_ms

from shared import wire
from gun import rules, screens
from gun.ui import UI, SCREENS
from gun.picks import PickSet
from gun.scanner import MISREAD
from gun.staff import Staff

# What the associate should do after each refusal.
TODO = {
    "foreign": "Scan a Pickgun label",
    "check": "Scan it again",
    "format": "Label damaged: ask a lead",
    "no_order": "Scan the order QR first",
    "unknown_order": "Not on this gun: get WiFi",
    "not_pickable": "Order can't be picked now",
    "wrong_product": "Put it back",
    "over_pick": "Put it back",
    "duplicate": "Already counted",
    "journal_full": "Sync: find WiFi",
    "notes_pending": "Press OK to read notes",
    "not_on_order": "Set it aside: ask a lead",
}
# What to do after a server rejection: of a pick, of a notes_ack (its
# notes are asked again, see on_acked).
TODO_SERVER = ("Take it out of the order", "Read the notes again")

# The "busy" refusal's message after a MemoryError, for a scan or a key.
BUSY_SCAN = "Busy - scan again"
BUSY_KEY = "Busy - press again"

# const() and a leading underscore: folded into the code, no name kept.
_MAX_REJECTIONS = const(8)
_ACKED_ORDERS = const(32)   # orders whose note acknowledgements are kept
_DIM = const(16)            # the panel's contrast when dimmed (of 255)
_FETCH_MS = const(5000)     # a get's answer is waited for this long
_RETURNS = const(64)        # returns remembered (returns mode, take_back)
# An order scanned that may still open when its snapshot arrives.
_WAITING = ("unknown_order", "fetching")


class App(UI):
    """The gun: its screens (UI, whose fields it shares) and the open
    order's state."""

    def __init__(self, board, journal, store, sync=None, picks=None):
        UI.__init__(self)
        self.board = board
        self.journal = journal
        self.store = store
        self.sync = sync
        self.link = "offline"
        self.oid = None           # open order id
        self.snap = None          # its snapshot
        self.todo_notes = []      # notes of the open order still to confirm
        self.seen = []            # ids of the open order's info notes shown
        self.rejections = []      # server rejections still to show
        self.wanted = None        # unknown order scanned: open if it arrives
        self._stored = 0          # store.changes at the last idle redraw
        self.asked = 0            # ticks when it was asked for (a get)
        self.staff = Staff(board.DATA_DIR)
        self.used = ticks_ms()    # the last scan or key (idle sign-out)
        # This gun's picks the server has not rejected (nor counted yet)
        self.picks = picks if picks is not None else \
            PickSet(getattr(journal, "capacity", 400))
        # order -> note ids this gun has recorded as acknowledged
        self.acked = {}
        # The bottles this gun scanned back in (returns mode, take_back),
        # under the sku "": their unsynced events at boot, and every one
        # since (the oldest forgotten past _RETURNS: the server still
        # rejects a second return).
        self.rets = PickSet(_RETURNS)
        self.scanner = None
        # The decoder's set-up (main.py): None until it is done, then ""
        # or what is wrong with it (shown on the idle screen)
        self.decoder = None
        self.scans = 0            # scans and key presses handled (tests)
        self.keys = 0
        self.rows = None
        self.dirty = True
        # The input on its way to flash: filled before the journal append
        # (everything that allocates), brought into memory by _record after
        # it (nothing that allocates).  commit: wire.PICK or
        # wire.NOTES_ACK, None when nothing is; commit_c: the pick's serial
        # (bytes), or the order's acked ids with the new ones added;
        # commit_n: the pick's sku index in the pick table.
        self.commit = None
        self.commit_c = None
        self.commit_n = 0
        self._ev = asyncio.Event()
        # The panel's power (power_task): its FrameBuffer once open, lit
        # 0 full, 1 dimmed, 2 off, and when the last input came.
        self.fb = None
        self.lit = 0
        self.touched = ticks_ms()
        # The pick table and note acks from unsynced journal events (the
        # rest is in the snapshots' "bot" lists), a page at a time.
        start = None
        while True:
            page = self.journal.pending(16, start)
            for _seq, payload in page:
                try:
                    ev = wire.decode(payload)
                    kind = ev.get("k")
                    if kind == wire.PICK or kind == wire.RETURN:
                        code = wire.parse_code(ev.get("c", ""))
                        if code[0] == "bottle":
                            if kind == wire.PICK:
                                self.picks.add(code[1], ev["o"], code[2])
                            else:
                                self.rets.add(code[1], ev["o"], "")
                    elif kind == wire.NOTES_ACK:
                        self._add_acked(ev["o"], ev.get("n") or ())
                except (wire.WireError, wire.CodeError):
                    pass            # not one to replay
            if len(page) < 16:
                break
            start = page[-1][0] + 1

    # ------------------------------------------------------------ state
    def _add_acked(self, oid, ids):
        """Add ids to the order's list of acknowledged note ids; returns
        the list.  Bounded: past _ACKED_ORDERS orders one other entry is
        forgotten, whose notes are then simply asked again if that order is
        reopened."""
        have = self.acked.get(oid)
        if have is None:
            if len(self.acked) >= _ACKED_ORDERS:
                for old in self.acked:
                    if old != self.oid:
                        del self.acked[old]
                        break
            have = self.acked[oid] = []
        for i in ids:
            if i not in have:
                have.append(i)
        return have

    def complete(self):
        return self.snap is not None and \
            rules.left(self.snap, self.picks, self.oid) == 0

    def _load(self, oid):
        # Open order oid: its snapshot, or None if the gun has none.
        snap = self.store.get(oid)
        if snap is None:
            return None
        have = self.acked.get(oid, ())
        todo = [n for n in snap.get("notes", ())
                if n.get("id") not in have and not wire.is_info(n)]
        self.oid = oid
        self.snap = snap
        self.todo_notes = todo
        self.note_i = self.page = 0
        # Forget own picks the snapshot now counts.
        for serial in snap.get("bot", ()):
            self.picks.remove(serial, oid)
        return snap

    # ----------------------------------------------------------- inputs
    def on_scan(self, text):
        self.scans += 1
        self.used = ticks_ms()
        if text is MISREAD:
            return self.refuse("check")
        try:
            code = wire.parse_code(text)
        except wire.CodeError as e:
            return self.refuse(e.reason)
        # ---- sign-in: a badge, else the gate
        if code[0] == "badge":
            name = self.staff.name
            r = self.staff.badge(code[1], code[2])
            if r == "badge_unknown":
                return self.refuse(r, "Staff " + str(code[1]),
                                   todo="Ask a lead")
            return self._signed(r == "in", self.staff.name or name)
        if self.staff.req and not self.staff.who:
            return self.refuse("sign_in")
        # ----
        if code[0] == "order":
            return self.open_order(code[1])
        return self.pick(text.strip(), code)

    def on_key(self, key):
        self.keys += 1
        self.used = ticks_ms()
        if self.scanner is not None:
            self.scanner.forget()   # a rescan after a key press is deliberate
        if key == "BACK_LONG":      # (after its BACK): sign-out
            if self.staff.who:
                name = self.staff.name
                self.staff.out()
                self._signed(False, name)
        elif key == "BACK":
            self.close()
        elif key == "OK":
            # What OK does on the screen up (gun/ui.py SCREENS); over a server
            # rejection, the next one first.
            screen = self.screen
            if screen == "refused" and self.rejections:
                self._show_rejection()
            else:
                SCREENS[screen](self, True)
        self._changed()

    def open_order(self, oid):
        prev = self.oid
        was_open = prev is not None and prev != oid and not self.complete()
        snap = self._load(oid)
        if snap is None:
            self.wanted = oid
            sync = self.sync
            if self.link == "online" and sync is not None:
                sync.ask(oid)
                self.asked = ticks_ms()
                return self.refuse("fetching", "Order " + str(oid),
                                   "Fetching order", "Wait a moment", "info")
            return self.refuse("unknown_order", "Order " + str(oid))
        self.wanted = None
        self.cur_sku = None
        self.last = ""
        self.show("order")
        self.msg = ("Left " + str(prev) + " open") if was_open else ""
        self.seen = []
        if self.todo_notes and snap.get("pick"):
            self.push("note")
        # (An order that is not pickable shows its order screen, which
        # says so; OK there still shows its notes.)
        self._beep("note" if self.todo_notes else
                   "info" if self._info() else "ok")
        self._changed()
        return "order"

    def _info(self):
        """Show the open order's information notes not shown yet (unless
        must-acknowledge ones are pending: they come first, the rest after
        them); the info screen then goes back to the base screen.  Over a
        refusal they wait behind it.  False if there is nothing to show."""
        # Called with an order open only: self.snap is its snapshot.
        new = [n for n in self.snap.get("notes", ()) if wire.is_info(n)  # pyright: ignore[reportOptionalMemberAccess]
               and n.get("id") not in self.seen]
        if not new or self.todo_notes:
            return False
        for n in new:
            self.seen.append(n.get("id"))
        if self.notes == "info":
            self.items = self.items + new
            return True
        self.items = new
        self.push("info")
        return True

    def pick(self, text, code):
        if self.base == "returns":
            return self.take_back(text, code)
        serial, sku = code[1], code[2]
        reason = self.staff.lot(code[3])     # a lot held, recalled...
        if reason is not None:
            return self.refuse(reason, "Lot " + code[3],
                               todo="Put it aside")
        reason = rules.check(self.snap, self.oid, serial, sku, self.picks,
                             len(self.todo_notes))
        if reason is not None:
            detail = sku
            if reason == "not_pickable":
                detail = "Order " + str(self.oid)
            elif reason == "duplicate":
                detail = serial
            elif reason == "no_order" or reason == "notes_pending":
                detail = ""
            return self.refuse(reason, detail)
        if self.journal.full():
            return self.refuse("journal_full")
        # Everything that allocates, before anything is recorded.
        self.commit_c = serial.encode()
        self.commit_n = self.picks.reserve(sku)
        self.commit = wire.PICK
        self.journal.append(wire.PICK, self.oid, self.board.clock(),
                            code=text)
        # On flash: the pick table follows, then the beep may say so.
        return self._finish()

    def take_back(self, text, code):
        """A bottle scanned in returns mode (pick() hands it on): checked
        against the order's shipped bottles (rules.check_return), then
        journaled as a ret event as a pick is (commit step, below)."""
        serial = code[1]
        reason = rules.check_return(self.snap, self.oid, serial, self.rets)
        if reason is not None:
            return self.refuse(reason, "", serial + ": " +
                               wire.reason_text(reason))
        if self.journal.full():
            return self.refuse("journal_full")
        self.commit_c = serial.encode()
        self.commit_n = self.rets.reserve("")
        self.commit = wire.RETURN
        self.journal.append(wire.RETURN, self.oid, self.board.clock(),
                            code=text)
        return self._finish()

    def ack(self):
        """OK on the last page of the last note: one notes_ack event."""
        if self.journal.full():
            self.page = 0
            self.note_i = 0
            return self.refuse("journal_full")
        # Everything that allocates, before anything is recorded: the
        # order's acked list is replaced, not grown, after the append.
        ids = [n["id"] for n in self.todo_notes]
        have = self._add_acked(self.oid, ())
        self.commit_c = have + [i for i in ids if i not in have]
        self.commit = wire.NOTES_ACK
        self.journal.append(wire.NOTES_ACK, self.oid, self.board.clock(),
                            notes=ids)
        return self._finish()

    # ------------------------------------------------------------ commit
    def _record(self):
        """After the journal append: bring the memory in line with the
        journal (self.commit, for the open order).  Allocates nothing
        and may run twice."""
        c = self.commit_c
        if self.commit == wire.PICK:
            if self.picks.find(c) < 0:
                self.picks.put(c, self.oid, self.commit_n)
        elif self.commit == wire.RETURN:
            if self.rets.find(c) < 0:
                self.rets.put(c, self.oid, self.commit_n)
        else:
            self.acked[self.oid] = c    # an existing key: no allocation
            self.todo_notes = ()
            self.note_i = 0
            self.page = 0
            if self.notes == "note":
                self.pop()

    def _finish(self):
        """_record(), then the screen and the beep (and sync, at once).
        May allocate: a failure here is retried, the input not run again."""
        self._record()
        done = self.complete()
        pick = self.commit == wire.PICK
        self._beep("done" if done and pick else "ok")
        if self.sync is not None:
            self.sync.kick()
        if pick or self.commit == wire.RETURN:
            if pick:
                self.cur_sku = self.picks.skus[self.commit_n]
            # commit_c is the bottle's serial (bytes) for a pick or return.
            self.last = self.msg = "OK " + str(self.commit_c, "ascii")  # pyright: ignore[reportArgumentType]
            self.show("returns" if not pick else
                      "complete" if done else "picking")
            self._changed()
            self.commit = None
            return "accepted"
        s = self.base
        if s != "order":
            s = "complete" if done else "picking"
        self.show(s)
        if s != "order" or not self.msg.startswith("Left "):
            self.msg = "Notes confirmed"     # (else the order screen's hint)
        self._info()
        self.commit = None

    # ---------------------------------------------------------- refusing
    def refuse(self, reason, detail="", message=None, todo=None,
               pattern="err"):
        """Show why a scan was refused.  Records nothing."""
        message = message or wire.reason_text(reason)
        self.show_refusal(reason, message, detail,
                          TODO.get(reason, "") if todo is None else todo)
        self._beep(pattern)
        self._changed()
        return reason

    def close(self):
        self.oid = None
        self.snap = None
        self.todo_notes = []
        self.seen = []
        self.rejections = []
        self.items = []
        self.show("idle")
        self.msg = ""

    # ---------------------------------------------------------- sign-in
    def _signed(self, hello, name):
        """Signed in (hello) or out (the open order closes): say who,
        beep, and the journal's events carry who from now on."""
        # Done already: a full heap here must not reach handle()'s retry,
        # which would scan the badge again (and undo it).
        self.journal.by = self.staff.who or None
        if not hello:
            try:
                self.close()
            except MemoryError:
                pass            # closed enough: no order, no snapshot
        self.show_refusal("signed_in" if hello else "signed_out",
                          "Signed in" if hello else "Signed out", name,
                          "Scan an order" if hello else
                          "Scan your badge" if self.staff.req else "")
        self.screen = "staff"
        try:
            self._beep("ok" if hello else "info")
        except MemoryError:
            pass
        self._changed()
        return self.reason

    def on_staff(self, obj, payload, lots):
        """A roster (lots 0) or lots message from sync, decoded (None:
        empty); raises what Staff.take raises (nothing changes)."""
        name = self.staff.name
        if self.staff.take(obj, payload, lots):
            self._signed(False, name)       # no longer on the roster
        self._changed()

    def _idle_out(self):
        st = self.staff
        if st.who and st.idle and \
                ticks_diff(ticks_ms(), self.used) >= st.idle * 1000:
            name = st.name
            st.out()
            self._signed(False, name)

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
                        (self.rets if r.get("k") == wire.RETURN
                         else self.picks).remove(what)
                except wire.CodeError:
                    pass            # shown with the code as it was
            if len(self.rejections) < _MAX_REJECTIONS:
                self.rejections.append((what, r.get("why", ""), oid))
        # Shown at once, over a local refusal; after a server one.
        if self.rejections and not (self.screen == "refused" and
                                    self.todo in TODO_SERVER):
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
        self.show_refusal(why, message,
                          ("Order " + str(oid)) if oid else "", todo)
        self._beep("warn")

    def on_snapshot(self, order_id):
        if order_id == self.oid:
            screen = self.screen
            had = len(self.todo_notes)
            at = self.note_i, self.page
            # The open order's, reloaded: self.snap is set (hence the
            # pyright ignores below).
            self._load(order_id)
            if screen == "info" and not self.todo_notes:
                self.note_i, self.page = at         # same alert, same page
            if not self.snap.get("pick") and screen in ("order", "note",  # pyright: ignore[reportOptionalMemberAccess]
                                                         "picking", "info"):
                # Cancelled, refused... on the web: say so now, not at
                # the next scan.
                self.refuse("not_pickable", "Order " + str(order_id),
                            message="Order " + str(
                                self.snap.get("st", "")).replace("_", " "),  # pyright: ignore[reportOptionalMemberAccess]
                            pattern="warn")
                return
            under = self.notes or self.base     # under the refusal, if one
            if len(self.todo_notes) > had and under in (
                    "order", "note", "picking", "complete", "info"):
                # A must-acknowledge note added: shown at once (after the
                # refusal, if one is up), and OK goes back to where the gun
                # was.
                if under == "info":
                    self.seen = []      # cut short: shown again after
                if self.snap.get("pick"):  # pyright: ignore[reportOptionalMemberAccess]
                    self.push("note")
                elif screen != "refused":
                    self.show("order")      # which says "Not pickable"
                self._beep("note")
            elif screen == "picking" and self.complete():
                self.show("complete")
            if under in ("order", "picking", "complete", "info") and \
                    self._info():
                self._beep("info")      # an info note added: no stop
            self._changed()
        elif order_id == self.wanted and self.screen == "refused" \
                and self.reason in _WAITING:
            self.open_order(order_id)

    def on_answer(self, order_id, why):
        """The server has no such order (the answer to a get): why, a
        reason name."""
        if order_id == self.wanted and self.reason == "fetching":
            self.wanted = None
            self.refuse(why, "Order " + str(order_id),
                        todo="Not a Pickgun order: ask a lead"
                        if why == "unknown_order" else None)

    def _fetched(self):
        """A get not answered in time: say so (the order still opens if
        its snapshot comes)."""
        if self.reason == "fetching" and \
                ticks_diff(ticks_ms(), self.asked) >= _FETCH_MS:
            self.refuse("unknown_order", "Order " + str(self.wanted),
                        "No answer: scan again", "Server did not answer")

    # ----------------------------------------------------------- output
    def _beep(self, pattern):
        """board.beep(pattern), the panel lit to be read.  A buzzer that
        fails is logged and the gun goes on (a MemoryError goes on to
        handle(), which retries)."""
        self.wake()
        try:
            self.board.beep(pattern)
        except MemoryError:
            raise
        except Exception as e:
            sys.print_exception(e)

    def _changed(self):
        self.dirty = True
        self._ev.set()

    def view(self):
        """(rows, big) of the screen on top (gun/ui.py SCREENS); the idle
        screen when what it shows is gone (no order, no notes)."""
        s = self.screen
        if s != "idle" and s != "refused" and s != "diag" and \
                s != "staff" and (
                self.snap is None or s == "note" and not self.todo_notes
                or s == "info" and not self.items):
            s = "idle"
        rows, big = SCREENS[s](self, False)  # pyright: ignore[reportGeneralTypeIssues]
        if self.staff.who and rows[1] == "Order " + str(self.oid):
            rows[1] = (str(self.oid) + " " + self.staff.name)[:16]  # who
        return rows, big

    def state(self):
        s = self.screen
        return {"screen": s, "order": self.oid,
                "pending": self.journal.pending_count(), "link": self.link,
                "msg": self.msg,
                "reason": self.reason, "decoder": self.decoder,
                "scans": self.scans, "keys": self.keys,
                "notes": len(self.todo_notes) - self.note_i
                if self.todo_notes else 0,
                "info": len(self.items) - self.note_i
                if s == "info" else 0,
                "picks": len(self.picks), "by": self.staff.who}

    def refresh(self, fb=None):
        """Draw the screen if anything changed; returns the rows."""
        if not self.dirty and self.rows is not None:
            return self.rows
        self.dirty = False
        # A screen returns None only for OK (view() asks for its rows).
        rows, big = self.view()  # pyright: ignore[reportGeneralTypeIssues]
        self.rows = rows
        if fb is not None:
            screens.paint(fb, rows, big)
            fb.show()
        self.board.report(rows, self.state())
        return rows

    # ------------------------------------------------ full heap, errors
    def handle(self, fn, arg, busy=BUSY_SCAN):
        """fn(arg), fn being on_scan or on_key, surviving any error.  A
        MemoryError: collect and try once more (only the finishing part if
        the input is already on flash), then refuse it as busy (message
        `busy`).  Any other: logged; once more only if the input is
        already on flash, else refused at once.  Returns fn's result, or
        the refusal's reason."""
        scans, keys = self.scans, self.keys
        seq = self.journal.next_seq
        self.commit = None
        reason = "busy"
        todo = ""
        for _ in range(2):
            try:
                if self.commit is not None and self.journal.next_seq != seq:
                    return self._finish()
                self.scans, self.keys = scans, keys     # counted once
                self.commit = None
                return fn(arg)
            except MemoryError:
                gc.collect()
            except Exception as e:
                sys.print_exception(e)
                reason, busy, todo = "error", "Gun error", \
                    "Try again, or ask a lead"
                if self.journal.next_seq == seq:    # nothing recorded
                    pattern = "err"
                    if isinstance(e, OSError) and self.commit is not None:
                        # (commit is set just before the journal append)
                        pattern = "flash"
                        if e.errno == 28:
                            reason, busy, todo = "flash_full", \
                                "Flash full: sync", "Get WiFi, then try again"
                        else:
                            reason, busy = "flash_error", "Flash error"
                    self.commit = None
                    return self.busy(busy, reason, todo, pattern)
        if self.commit is not None and self.journal.next_seq != seq:
            self._record()      # recorded: memory follows the journal
        self.commit = None
        return self.busy(busy, reason, todo)

    def busy(self, message=BUSY_SCAN, reason="busy", todo="", pattern="err"):
        """Refuse the input (for want of memory, or after an error);
        allocates nothing of its own and never raises."""
        self.show_refusal(reason, message, "", todo)
        try:
            self.board.beep(pattern)
        except Exception:
            pass                # not even a full heap: nothing to retry
        self._changed()
        return reason

    # ------------------------------------------------------------ tasks
    # ------------------------------------------------------------ power
    def wake(self):
        """An input (or an alert): the panel at full brightness at once."""
        self.touched = ticks_ms()
        if self.lit:
            self._light(0)

    def _light(self, level):
        """The panel at full contrast (0), dimmed (1) or off (2).  A panel
        that fails (I2C) is logged and tried again at the next step."""
        fb = self.fb
        if fb is None or level == self.lit:
            return
        try:
            if level == 2:
                fb.poweroff()
            else:
                if self.lit == 2:
                    fb.poweron()
                fb.contrast(255 if level == 0 else _DIM)
            self.lit = level
        except Exception as e:
            sys.print_exception(e)

    async def power_task(self, cfg):
        """Dim the panel after cfg dim_ms without input (default 30 s),
        switch it off after blank_ms (2 min; 0: never); a scan, a key or
        an alert lights it again.  Also times out a get (_fetched) and
        signs out after the roster's idle time (_idle_out), and redraws
        the idle screen when the orders held offline change."""
        dim_ms = cfg.get("dim_ms", 30000)
        off_ms = cfg.get("blank_ms", 120000)
        while True:
            await asyncio.sleep_ms(500)
            self._fetched()
            self._idle_out()
            n = self.store.changes
            if n != self._stored and self.screen == "idle":
                self._changed()     # "24 held offline" moved
            self._stored = n
            idle = ticks_diff(ticks_ms(), self.touched)
            self._light(2 if off_ms and idle >= off_ms else
                        1 if dim_ms and idle >= dim_ms else 0)

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
                    fb = self.fb = display()
                    self.lit = 0        # a panel starts lit
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

    async def input_task(self, source, keys=False):
        """Handle the decoder's codes (source.read()), or with keys the key
        presses (source.get()), until the source ends (EOFError).  A full
        heap while reading loses a scan, which shows "busy"; a key press
        is read again."""
        if not keys:
            self.scanner = source
        read = source.get if keys else source.read
        while True:
            try:
                got = await read()
            except MemoryError:
                gc.collect()
                if not keys:
                    self.busy(BUSY_SCAN)
                continue
            except EOFError:
                raise
            except Exception as e:      # the UART: log, read on
                sys.print_exception(e)
                await asyncio.sleep_ms(200)
                continue
            if keys and self.lit == 2:
                self.wake()             # a key on a dark panel only wakes it
                continue
            self.wake()                 # a scan counts (and beeps) as ever
            if keys:
                self.handle(self.on_key, got, BUSY_KEY)
            else:
                self.handle(self.on_scan, got)
