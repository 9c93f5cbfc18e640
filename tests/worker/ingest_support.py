"""Helpers for the ingest tests: event messages as a gun sends them, the
state a refused event must leave untouched, and a gun's journal with the
ack rule of docs/protocol.md (section 3, Ack), to check what a gun would
learn from the acks the server sends."""
import json

from shared import wire
from worker_support import code


def evt(seq, order=1001, code_=None, ep=7, kind=wire.PICK, notes=None,
        device="G01", by=None):
    obj = wire.event(ep, seq, kind, order, 1700000000, code_, notes, by)
    return wire.dev_topic(device, wire.EVT), wire.encode(obj)


def pick(seq, serial, order=1001, ep=7, device="G01", by=None, **kw):
    return evt(seq, order, code(serial, **kw), ep=ep, device=device, by=by)


def ret(seq, serial, order=1002, ep=7, device="G01", by=None, **kw):
    """A bottle scanned back in at the returns bench."""
    return evt(seq, order, code(serial, **kw), ep=ep, kind=wire.RETURN,
               device=device, by=by)


def raw(obj, device="G01"):
    """An event message from a dict as it is, valid or not."""
    return wire.dev_topic(device, wire.EVT), json.dumps(obj).encode()


def state(db):
    """Everything a refused event must leave untouched (it adds only its
    own record: a device_events row, and a picks row saying why)."""
    return (
        [tuple(r) for r in db.execute(
            "SELECT serial, status, order_id FROM bottles ORDER BY serial")],
        [tuple(r) for r in db.execute(
            "SELECT id, status, rev FROM orders ORDER BY id")],
        [tuple(r) for r in db.execute(
            "SELECT order_id, serial FROM picks WHERE status = 'accepted' "
            "ORDER BY id")],
        [tuple(r) for r in db.execute(
            "SELECT order_id, action, detail FROM order_history "
            "ORDER BY id")])


def verdicts(db, device="G01"):
    """{seq: (outcome, reason)} of the device's recorded events."""
    return {r[0]: (r[1], r[2]) for r in db.execute(
        "SELECT seq, outcome, reason FROM device_events "
        "WHERE device_id = ?", [device])}


class GunModel:
    """A gun's journal, with the documented ack rule:

    - an ack of another epoch, or whose upto is not above the gun's, is
      ignored (nothing new);
    - an ack whose upto is above the highest seq the gun may have sent, or
      whose since is above the gun's upto, is ignored (the gun resends);
    - otherwise each rej entry above the gun's upto is a rejection it
      learns, then the events up to upto leave the journal."""

    def __init__(self, device="G01", ep=7):
        self.device, self.ep = device, ep
        self.journal = {}          # seq -> message (topic, payload), unacked
        self.next_seq = 1
        self.upto = 0
        self.hi = 0                # highest seq that may have been sent
        self.learnt = {}           # seq -> reason
        self.told_twice = 0        # rejections learnt again (harmless)
        self.applied = self.ignored = 0

    def write(self, kind, order, code_=None, notes=None):
        seq = self.next_seq
        self.next_seq += 1
        obj = wire.event(self.ep, seq, kind, order, 1700000000, code_, notes)
        self.journal[seq] = (wire.dev_topic(self.device, wire.EVT),
                             wire.encode(obj))
        return seq

    def send(self, limit=None):
        """The unacked events in seq order (at most limit), as sent."""
        out = [self.journal[s] for s in sorted(self.journal)][:limit]
        for seq in sorted(self.journal)[:limit]:
            self.hi = max(self.hi, seq)
        return out

    def sent(self, seq):
        self.hi = max(self.hi, seq)

    def reboot(self):
        # Everything written may have gone out before the power cut.
        self.hi = self.next_seq - 1

    def on_ack(self, ack):
        """Apply an ack dict; True if it moved the journal on."""
        wire.check_ack(ack)
        if ack["ep"] != self.ep or ack["upto"] <= self.upto:
            return False
        if ack["upto"] > self.hi or ack["since"] > self.upto:
            self.ignored += 1
            return False
        for r in ack["rej"]:
            if r["seq"] > self.upto:
                if r["seq"] in self.learnt:
                    self.told_twice += 1
                self.learnt[r["seq"]] = r["why"]
        for seq in range(self.upto + 1, ack["upto"] + 1):
            self.journal.pop(seq, None)
        self.upto = ack["upto"]
        self.applied += 1
        return True
