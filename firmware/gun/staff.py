# Who is signed in on the gun, the roster that says who may sign in, and
# the lots the gun refuses bottles of (docs/protocol.md, Roster and Lots
# message).  No screen, no clock, no MicroPython module: tested under
# CPython too (tests/firmware/test_staff.py); gun/app.py shows and beeps,
# gun/sync.py brings the retained messages in.
#
# The roster is kept compact: the staff numbers in an array, the badge
# hashes as 8 bytes each in one bytes object, the names (UTF-8) one after
# the other in another, each after its length in bytes: a name becomes a
# str only for the associate signed in.  The
# lots in one bytes object of 13-byte records, the lot padded to 12 with
# spaces and the index of its reason in `why`: a lot's characters never
# match a reason index (below 16), so a match of a padded lot is always
# a whole record.  A lots message naming more than 13 reasons besides
# wire.LOT_REASONS refuses the lots of the others as lot_on_hold.
#
# Each message, once checked (wire.check_roster, wire.check_lots: a
# malformed one raises and changes nothing), is kept on flash as it came
# (written new, then renamed) and read again at start-up, so a rebooted
# gun checks badges and lots offline.  An empty payload: none (nobody
# may sign in, no lot refused).  Who is signed in lives in RAM only: a
# restart signs out.
import json
import os
from array import array
from binascii import unhexlify

from shared import wire

_PAD = "            "      # wire.LOT_MAX spaces
_WHY_MAX = 16


class Staff:
    def __init__(self, root=None):
        self.dir = root     # where the messages are kept (None: nowhere)
        self.req = False    # sign-in required
        self.idle = 0       # seconds unused before signing out (0 never)
        self._ids = array("I")
        self._h = b""
        self._names = b""
        self._lots = b""
        self.why = []
        self.who = 0        # staff number signed in, 0: nobody
        self.name = ""
        self._hw = b""      # their badge's hash
        if root is not None:
            for lots in (0, 1):
                try:
                    with open(root + ("/lots" if lots else "/roster")) as f:
                        obj = json.load(f)
                    if type(obj.get("v")) is int and obj["v"] == 1:
                        self.take(obj, None, lots)
                except MemoryError:
                    raise
                except Exception:   # none kept, or not one: none
                    pass

    def take(self, obj, payload, lots):
        """A roster (lots 0) or lots message (1), decoded (None: the
        empty payload); kept on flash as `payload` unless that is None.
        Raises wire.WireError (malformed: nothing changes) or the flash's
        OSError (nothing changes in memory).  True when it signs out the
        associate signed in (no longer on the roster)."""
        if obj is not None:
            if lots:
                obj = wire.check_lots(obj)
            else:
                wire.check_roster(obj)
        p = self.dir
        if payload is not None and p is not None:
            p += "/lots" if lots else "/roster"
            with open(p + ".t", "wb") as f:
                f.write(payload)
            os.rename(p + ".t", p)
        if lots:
            why = list(wire.LOT_REASONS)
            obj = obj or {}
            blob = bytearray(b" " * (13 * len(obj)))
            at = 0
            for lot in obj:
                r = obj[lot]
                if r not in why:
                    if len(why) < _WHY_MAX:
                        why.append(r)
                    else:
                        r = why[0]
                for c in lot:       # (no copies: a lot is ASCII)
                    blob[at] = ord(c)
                    at += 1
                at += 12 - len(lot)
                blob[at] = why.index(r)
                at += 1
            self._lots = bytes(blob)
            self.why = why
            return False
        ids = array("I")
        h = bytearray()
        names = bytearray()
        for e in obj["s"] if obj else ():
            ids.append(e["id"])
            h.extend(unhexlify(e["h"]))
            e = e["n"].encode()
            names.append(len(e))
            names.extend(e)
        self._ids, self._h, self._names = ids, bytes(h), bytes(names)
        self.req = bool(obj and obj["req"])
        self.idle = obj["idle"] if obj else 0
        if self.who and self._find(self.who, self._hw) < 0:
            self.out()
            return True
        return False

    # --------------------------------------------------------------- lots
    def lot(self, lot):
        """The reason the gun refuses bottles of `lot`, or None."""
        if not self._lots:
            return None         # (no lots: a scan allocates nothing here)
        i = self._lots.find((lot + _PAD)[:12].encode())
        return None if i < 0 else self.why[self._lots[i + 12]]

    # ------------------------------------------------------------ sign-in
    def _find(self, sid, h):
        ids = self._ids
        for i in range(len(ids)):
            if ids[i] == sid and self._h[8 * i:8 * i + 8] == h:
                return i
        return -1

    def badge(self, sid, body):
        """A badge scanned (wire.parse_code: staff number, body): "in"
        (signed in, or over to this associate), "out" (the badge signed
        in: signed out) or "badge_unknown" (no roster entry matches:
        nothing changes)."""
        h = unhexlify(wire.badge_hash(body))
        i = self._find(sid, h)
        if i < 0:
            return "badge_unknown"
        if sid == self.who:
            self.out()
            return "out"
        names = self._names
        p = 0
        while i:                # the i-th name
            p += 1 + names[p]
            i -= 1
        self.who, self._hw = sid, h
        self.name = str(names[p + 1:p + 1 + names[p]], "utf-8")
        return "in"

    def out(self):
        self.who = 0
        self.name = ""
        self._hw = b""
