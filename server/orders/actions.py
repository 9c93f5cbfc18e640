"""The action runner: every change to an order goes through `run`.

In one write transaction it
  1. gates the action by the order's status (server.orders.states),
  2. runs the action's effect, which raises before writing if the order
     is not ready or a field is wrong,
  3. moves the status where the state machine (or the effect) says, and
     returns picked bottles to stock when the order will never ship,
  4. writes the history row (core.history.record_history),
  5. bumps the order's revision when a gun would see the change; the MQTT
     worker publishes the new snapshot from the database (the outbox).
A refused action raises before anything is written, so it changes nothing.

Order Menu actions take their effect from REGISTRY: `perform(db,
order_id, action, actor, **form)` (pages and API: `apply_action`, with
the form as a mapping).  The actions with a form or a file of their own
(DONE_ELSEWHERE: documents, labels, after-shipping records) hand their
effect to `run` from their own module.  Which role may ask for an action
is the pages' and API's check (server.web.auth), before they call here: the
runner knows an actor by name only, and guns and the system act too."""
from server.core import fields
from server.core.db import transaction
from server.core.history import bump_rev, record_history
from server.core.wording import counted
from server.orders import effects, entry
from server.orders import states
from server.orders.effects import note_fields, release_picks, releases_picks
from server.orders.queries import REASON, not_ready, order_lines, \
    require_order
from server.core.errors import ActionRefused, BadInput

REASON_MAX = 200

# Each Order Menu action's effect; an action not here only records itself
# in the history (with an optional detail).
REGISTRY = {**effects.EFFECTS, **entry.EFFECTS, "add_note": effects.add_note}

# Actions with a service and form of their own (they run their own
# effect); the Order Menu refuses them rather than log an empty entry.
DONE_ELSEWHERE = {
    "upload_document": "from the Documents section",
    "generate_documents": "from the Documents section",
    "print_shipping_label": "from the Documents section",
    "reprint_patient_labels": "by the label reprint, which returns the PDF",
    "reprint_bottle_labels": "by the label reprint, which returns the PDF",
    "add_complaint": "on the Complaints tab",
    "record_destruction": "on the Destruction tab",
    "return_grams": "on the Returned Grams tab",
}


def run(db, order_id, action, actor, effect, form=None, gate=None,
        check=None):
    """Run `effect` (db, order, actor, form) -> effects.Done as `action`
    on the order, in the steps above.  gate: the action whose statuses
    allow this one (Resolve Complaint is allowed where Log Complaint is),
    `action` itself by default; it is `action` the history records.
    check(order, act): more refusals before the effect (the Order Menu's).
    Returns (done, status before, status after).  Raises OrderNotFound,
    IllegalAction, ActionRefused, BadInput or the effect's own errors."""
    form = form if form is not None else {}
    with transaction(db):
        order = require_order(db, order_id)
        before = order["status"]
        act = states.order_require(order, gate or action)
        after = states.target(before, gate or action)
        reason = check(order, act) if check else None
        done = effect(db, order, actor, form)
        if done.status is not None:
            after = done.status
        if done.deleted:
            return done, before, after
        detail, gun_visible = done.detail, done.gun_visible
        if after != before:
            db["orders"].update(order_id, {"status": after})
            if releases_picks(before, after):
                count = release_picks(db, order_id, "picked")
                if count:
                    detail = _join(detail, "%s returned to inventory"
                                   % counted(count, "picked bottle",
                                             "picked bottles"))
            gun_visible = True
        if reason:
            # Last, so the reason reads back whole (queries.refund_of).
            detail = _join(detail, REASON + reason)
        record_history(db, order_id, action, before, after, actor, detail)
        if gun_visible:
            bump_rev(db, order_id)
    return done, before, after


def perform(db, order_id, action, actor, /, **form):
    """Do one Order Menu action with its form fields, e.g. carrier and
    tracking for ship, text for add_note.  Returns {"order_id", "action",
    "from", "to", "message", "deleted"} (and "note_id" for add_note).
    (The first four are positional-only, so any form field name is
    welcome.)"""
    return apply_action(db, order_id, action, actor, form)


def apply_action(db, order_id, action, actor, params=None):
    """`perform` with the form as a mapping (a request's form or JSON)."""
    params = params or {}
    if action == "add_note":
        note_id = add_note(db, order_id, params.get("text"), actor,
                           params.get("severity"))
        status = require_order(db, order_id)["status"]
        return _result(order_id, action, status, status,
                       "Note added.", note_id=note_id)

    def menu_check(order, act):
        if action in DONE_ELSEWHERE:
            raise BadInput("%s is done %s, not as an Order Menu action."
                           % (act.label, DONE_ELSEWHERE[action]))
        waits_for = not_ready(order["status"],
                              order_lines(db, order_id)).get(action)
        if waits_for:
            raise ActionRefused("%s: the order has no items. %s."
                                % (act.label, waits_for))
        reason = fields.optional_text(params.get("reason"), "Reason",
                                      REASON_MAX)
        if action == "pick":
            # Picking happens on the guns; the server has nothing to do.
            raise _OnTheGuns(order["status"])
        return reason

    effect = REGISTRY.get(action, effects.record_only)
    try:
        done, before, after = run(db, order_id, action, actor, effect,
                                  params, check=menu_check)
    except _OnTheGuns as e:
        return _result(order_id, action, e.status, e.status,
                       "Scan this order's QR code with a scanner gun "
                       "to pick its bottles.")
    message = done.message
    if not message:
        act = states.ACTIONS[action]
        message = ("%s: the order is now %s." % (
            act.label, states.STATUS_LABELS[after]) if after != before
            else "%s recorded in the order history." % act.label)
    return _result(order_id, action, before, after, message,
                   deleted=done.deleted)


def add_note(db, order_id, text, author, severity: str | None = "ack"):
    """Attach a note; guns show it as an alert, so the order's snapshot
    revision goes up.  severity: "ack" (the default, also for None) or
    "info" (see effects.add_note).  Returns the note id."""
    text, severity = note_fields(text, severity)   # refused before lookup
    done, _, _ = run(db, order_id, "add_note", author, effects.add_note,
                     {"text": text, "severity": severity})
    return done.result["note_id"]


def archive_all(db, status, actor):
    """The dashboard's Archive Shipped / Archive Delivered: archive every
    unarchived order in `status`.  Returns how many were archived."""
    states.require(status, "archive")
    with transaction(db):
        ids = [r["id"] for r in db.execute(
            "SELECT id FROM orders WHERE status = ? AND archived = 0",
            [status])]
        for order_id in ids:
            apply_action(db, order_id, "archive", actor)
    return len(ids)


class _OnTheGuns(Exception):
    """Pick Bottles asked of the server: nothing to do or record."""

    def __init__(self, status):
        super().__init__(status)
        self.status = status


def _result(order_id, action, before, after, message, **extra):
    out = {"order_id": order_id, "action": action, "from": before,
           "to": after, "message": message, "deleted": False}
    out.update(extra)
    return out


def _join(a, b):
    return b if not a else a + "; " + b
