"""What the server tells a gun after a batch: its cumulative ack, and
the answers to its gets (answers()).

The rule (docs/protocol.md, Ack) is built so that no rejection is lost,
whatever was lost or reordered on the way:

- upto: every event of the epoch up to it is committed (no gap below).
- since: the ack lists in rej *every* rejected event with
  since < seq <= upto, wherever it was first recorded (an earlier batch,
  across a gap).  since is at most the upto last told to the gun, and
  below every event the gun sent in this batch, so a resend (which starts
  at the gun's own upto + 1) is always answered with an ack the gun can
  use, even when earlier acks were lost.
- An ack holds at most ACK_REJ_MAX rejections in ACK_BYTES_MAX bytes
  (server.gunlink.gun_payloads); when more are due, upto is lowered to
  just before the first that does not fit (still true: those events are
  committed), and the gun's next send gets the rest.

Runs inside the batch's transaction: devices.upto, the last upto told,
is updated with the events it covers."""
import logging

from server.gunlink import gun_payloads as payloads
from server.gunlink import snapshots
from shared import wire

log = logging.getLogger(__name__)

# The most an ack holds apart from its rej entries (numbers at their
# widest), and what each entry adds beside its own JSON (", ").
_ACK_BASE = len(wire.encode(wire.ack(payloads.U32_MAX, payloads.U32_MAX,
                                     [], since=payloads.U32_MAX)))
_ENTRY_SEP = 2


def device_ack(db, device, seen, at):
    """The ack for `device`, whose events this batch saw as [(ep, seq)] in
    arrival order.  The gun's journal is the epoch of its latest event:
    a gun starts a new epoch only when it starts a new journal."""
    ep = seen[-1][0]
    row = db.execute("SELECT ep, upto FROM devices WHERE id = ?",
                     [device]).fetchone()
    told = row["upto"] if row["ep"] == ep else 0
    if row["ep"] != ep:
        log.info("%s: journal epoch %d (was %d)", device, ep, row["ep"])
    since = min([told] + [seq - 1 for e, seq in seen if e == ep])
    upto, rejected = _covered(db, device, ep, since)
    db.execute("UPDATE devices SET ep = ?, upto = ?, last_seen = ? "
               "WHERE id = ?", [ep, max(upto, told), at, device])
    return wire.ack(ep, upto, rejected, since=since)


def _covered(db, device, ep, since):
    """(upto, rej entries): walk the recorded events after `since` until a
    gap, or until the ack is full."""
    upto = since
    rejected = []
    size = _ACK_BASE
    for seq, outcome, reason, order, code in db.execute(
            "SELECT seq, outcome, reason, order_id, code FROM device_events "
            "WHERE device_id = ? AND ep = ? AND seq > ? ORDER BY seq",
            [device, ep, since]):
        if seq != upto + 1:
            break                   # a gap: wait for the missing event
        if outcome == "rejected":
            entry = {"seq": seq, "why": reason, "o": order or 0,
                     "c": code or ""}
            size += len(wire.encode(entry)) + _ENTRY_SEP
            if len(rejected) == payloads.ACK_REJ_MAX or \
                    size > payloads.ACK_BYTES_MAX:
                break               # the next ack carries it
            rejected.append(entry)
        upto = seq
    return upto, rejected


def answers(db, gets):
    """[(topic, payload)] answering gets [(device, order id)], once per
    gun and order, with the order as it stands after the batch
    (docs/protocol.md, Answer)."""
    out, done = [], set()
    for device, order_id in gets:
        if (device, order_id) not in done:
            done.add((device, order_id))
            out.append((wire.dev_topic(device, wire.ANSWER),
                        snapshots.answer_payload(db, order_id)))
    return out
