"""The Order Profile's records: who acknowledged each note on which gun,
and what the after-shipping records share (server.orders.complaints,
.destruction, .returned_grams): their limits, their not-found error and
their field rules.

Writes go through the action runner (server.orders.actions.run): one
write transaction holding the status check (server.orders.states), the
effect and the order_history row.  Complaints, destruction and returned grams
are after-shipping records: server.orders.states offers them only for an order
in an after-shipping status that dispensed something (bottles that left
the building).  A refused request raises before anything is written:
OrderNotFound (404), RecordNotFound (404), BadInput (400), IllegalAction
(NothingDispensed among them) or ActionRefused (409)."""
import datetime

from server.core import fields
from server.core.errors import BadInput
from server.core.wording import timestamp
from server.orders.queries import STAFF_NAME

TEXT_MAX = 2000
NAME_MAX = 80
LOCATION_MAX = 120
MAX_GRAMS = 100_000.0
MAX_BOTTLES = 500
# A destruction's net weight may exceed the bottles' declared contents by
# this much (scale, residue), never more.
WEIGHT_TOLERANCE = 0.10


class RecordNotFound(LookupError):
    """A complaint (or other record) that is not on this order (404)."""


# ------------------------------------------------------------------ notes
# "ack": the gun stops until the associate acknowledges the note;
# "info": shown on the gun, nothing to acknowledge.
NOTE_SEVERITIES = {
    "ack": "Must acknowledge",
    "info": "Information",
}


def note_acks(db, order_id):
    """{note id: [acknowledgement]} for the order's notes, oldest first.

    An acknowledgement is a gun's accepted notes_ack event for this order
    whose "n" list names the note: device_id and device_name, staff_id
    and staff_name (who was signed in on the gun; None when nobody was,
    and for firmware before sign-in: the gun alone is known), gun_at (the
    gun's clock, None when it was never set) and received_at (when the
    server recorded it)."""
    acks = {}
    for r in db.execute(
            "SELECT n.id AS note_id, e.id AS event_id, e.device_id, "
            " d.name AS device_name, e.staff_id, "
            + STAFF_NAME + " AS staff_name, "
            " e.gun_at, e.received_at, e.ep, e.seq "
            "FROM device_events e "
            "JOIN json_each(CASE WHEN json_valid(e.payload) "
            "     THEN e.payload ELSE '{}' END, '$.n') j "
            "JOIN notes n ON n.id = j.value AND n.order_id = e.order_id "
            "LEFT JOIN devices d ON d.id = e.device_id "
            "LEFT JOIN staff s ON s.id = e.staff_id "
            "WHERE e.order_id = ? AND e.kind = 'notes_ack' "
            " AND e.outcome = 'accepted' AND j.type = 'integer' "
            "ORDER BY e.received_at, e.id", [order_id]):
        ack = dict(r)
        ack["gun_at"] = _gun_time(ack["gun_at"])
        acks.setdefault(ack.pop("note_id"), []).append(ack)
    return acks


def order_notes(db, order_id):
    """The order's notes with severity, its label and their acks."""
    acks = note_acks(db, order_id)
    notes = []
    for r in db.execute(
            "SELECT id, order_id, text, author, severity, created_at "
            "FROM notes WHERE order_id = ? ORDER BY id", [order_id]):
        note = dict(r)
        note["severity"] = note["severity"] or "ack"
        note["severity_label"] = NOTE_SEVERITIES.get(note["severity"],
                                                     note["severity"])
        note["acks"] = acks.get(note["id"], [])
        notes.append(note)
    return notes


def _gun_time(at):
    """The gun's clock (seconds since 1970) as stored text, None if unset."""
    if isinstance(at, str):
        return at or None
    try:
        return timestamp(at) \
            if at else None
    except (OverflowError, OSError, ValueError, TypeError):
        return None


# ---------------------------------------------------------------- input
def grams_field(value, what):
    return fields.grams(value, what, MAX_GRAMS)


def date_field(value, what, order):
    """A YYYY-MM-DD date, not in the future and not before the order."""
    day = fields.date(value, what, latest=datetime.date.max)
    # Stored times are UTC; allow a day either way for the local date.
    today = datetime.datetime.now(datetime.timezone.utc).date()
    if day > today + datetime.timedelta(days=1):
        raise BadInput("%s cannot be in the future" % what)
    created = (order.get("created_at") or "")[:10]
    try:
        earliest = datetime.date.fromisoformat(created) - \
            datetime.timedelta(days=1)
    except ValueError:
        earliest = None
    if earliest is not None and day < earliest:
        raise BadInput("%s cannot be before the order was created (%s)"
                       % (what, created))
    return day.isoformat()


SERIAL_MAX = 40


def serials_field(value):
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(
            isinstance(s, str) for s in value):
        raise BadInput("Bottles must be a list of bottle serials")
    if len(value) > MAX_BOTTLES:
        raise BadInput("At most %d bottles per destruction" % MAX_BOTTLES)
    serials = []
    for s in value:
        s = s.strip().upper()
        if len(s) > SERIAL_MAX:
            raise BadInput("Not a bottle serial: %s" % fields.shown(s))
        if s and s not in serials:
            serials.append(s)
    if not serials:
        raise BadInput("Choose at least one bottle to destroy")
    return serials


def same_name(a, b):
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def short(text, limit=200):
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"

