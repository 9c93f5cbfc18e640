"""JSON API: orders with their lines, picks, notes and allowed actions,
their after-shipping records, and the guns.

Errors are JSON too, from the one set of handlers below: {"error": "..."}
with 400 (bad input), 403 (role), 404 (no such order or record) or 409
(the order's status or state does not allow the action)."""
from flask import Blueprint, jsonify, request

from server.orders import complaints as record_complaints
from server.orders import destruction as record_destruction
from server.orders import records
from server.orders import returned_grams
from server.core import errors
from server.orders import actions as order_actions
from server.orders import queries
from server.web import auth
from server.orders import dashboard
from server.core import fields
from server.orders import states
from server.core.db import get_db, parse_int
from server.fleet.devices import list_devices
from shared import wire

bp = Blueprint("api", __name__, url_prefix="/api")


def order_json(db, order_id):
    d = queries.order_detail(db, order_id)
    o = d["order"]
    status = o["status"]
    for pick in d["picks"]:
        pick["reason_text"] = wire.reason_text(pick["reason"]) \
            if pick["reason"] else None
    return {
        "order": dict(o, status_label=states.STATUS_LABELS[status],
                      code=wire.order_code(o["id"]),
                      pickable=states.awaiting_fulfilment(status)),
        "client": d["client"],
        "lines": d["lines"],
        "fully_picked": d["fully_picked"],
        "picks": d["picks"],
        "notes": d["notes"],
        "history": d["history"],
        "refund": d["refund"],
        # not_ready: what an allowed action still waits for ("Add an item
        # first"), None when it can be done now.
        "actions": [{"name": a.name, "label": a.label, "confirm": a.confirm,
                     "not_ready": d["not_ready"].get(a.name)}
                    for a in states.order_actions(o)],
    }


def _body():
    """The JSON object sent, {} for an empty body; 400 for anything else."""
    if not request.get_data():
        return {}
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise errors.BadInput("The request body must be a JSON object")
    return body


def _actor(body):
    # The signed-in staff member acts; a body field cannot say otherwise.
    return auth.actor()


@bp.errorhandler(errors.BadInput)
def bad_input(e):
    return jsonify(error=str(e)), 400


@bp.errorhandler(403)
def forbidden(e):
    return jsonify(error=e.description), 403


@bp.errorhandler(errors.OrderNotFound)
@bp.errorhandler(records.RecordNotFound)
def not_found(e):
    return jsonify(error=str(e)), 404


@bp.errorhandler(states.IllegalAction)
@bp.errorhandler(errors.ActionRefused)
def conflict(e):
    return jsonify(error=str(e)), 409


API_PAGE_MAX = 500


@bp.get("/orders")
def list_orders():
    """A page of orders: ?status, ?q, ?sort (created|id|status), ?dir,
    ?show (active|unverified|archived|any), ?limit (default 100, at most
    500), ?after (the "next" cursor of the previous page)."""
    args = request.args
    status = args.get("status") or None
    if status is not None and status not in states.STATUSES:
        raise errors.BadInput("Unknown status %s" % fields.shown(status))
    show = args.get("show", "any")
    if show not in ("any",) + tuple(dashboard.SHOWS):
        raise errors.BadInput("show must be any, " + ", ".join(
            dashboard.SHOWS))
    sort = args.get("sort", "created")
    if sort not in dashboard.SORTS:
        raise errors.BadInput("sort must be one of " + ", ".join(
            dashboard.SORTS))
    limit = parse_int(args.get("limit", "100"), 1, API_PAGE_MAX)
    if limit is None:
        raise errors.BadInput("limit must be 1..%d" % API_PAGE_MAX)
    query = dashboard.parse({"show": "" if show == "any" else show,
                             "status": status or "", "q": args.get("q", ""),
                             "sort": sort, "dir": args.get("dir", ""),
                             "after": args.get("after", "")})
    if args.get("after") and query.after is None:
        raise errors.BadInput("after must be the \"next\" cursor of a "
                              "previous page in the same sort")
    if show == "any":
        query.show = None
    query.limit = limit
    page = dashboard.fetch(get_db(), query)
    return jsonify(orders=page.rows, next=page.next_cursor,
                   count=page.count)


@bp.get("/orders/<id:order_id>")
def get_order(order_id):
    return jsonify(order_json(get_db(), order_id))


@bp.post("/orders/<id:order_id>/actions/<name>")
def post_action(order_id, name):
    body = _body()
    params = {k: v for k, v in body.items() if k != "actor"}
    auth.require(name)
    db = get_db()
    result = order_actions.apply_action(db, order_id, name, _actor(body),
                                        params)
    detail = None if result["deleted"] else order_json(db, order_id)
    return jsonify(result=result, **(detail or {"order": None}))


@bp.post("/orders/<id:order_id>/notes")
def post_note(order_id):
    body = _body()
    auth.require("add_note")
    db = get_db()
    note_id = order_actions.add_note(db, order_id, body.get("text"),
                                     _actor(body), body.get("severity"))
    note = db.execute("SELECT id, order_id, text, author, severity, "
                      "created_at FROM notes WHERE id = ?",
                      [note_id]).fetchone()
    return jsonify(note=dict(note)), 201


@bp.get("/devices")
def devices():
    return jsonify(devices=list_devices(get_db()))


# ------------------------------------------------ after-shipping records
@bp.get("/orders/<id:order_id>/notes")
def list_notes(order_id):
    auth.require("view")
    db = get_db()
    queries.require_order(db, order_id)
    return jsonify(notes=records.order_notes(db, order_id),
                   severities=records.NOTE_SEVERITIES)


@bp.get("/orders/<id:order_id>/complaints")
def list_complaints(order_id):
    auth.require("view")
    return jsonify(complaints=record_complaints.list_complaints(get_db(),
                                                                order_id),
                   categories=record_complaints.COMPLAINT_CATEGORIES)


@bp.post("/orders/<id:order_id>/complaints")
def post_complaint(order_id):
    auth.require("add_complaint")
    complaint = record_complaints.add_complaint(get_db(), order_id, _body(),
                                      auth.actor())
    return jsonify(complaint=complaint), 201


@bp.post("/orders/<id:order_id>/complaints/<id:complaint_id>/resolve")
def post_resolve_complaint(order_id, complaint_id):
    auth.require("add_complaint")
    complaint = record_complaints.resolve_complaint(
        get_db(), order_id, complaint_id, _body().get("resolution"),
        auth.actor())
    return jsonify(complaint=complaint)


@bp.get("/orders/<id:order_id>/destructions")
def list_destructions(order_id):
    auth.require("view")
    db = get_db()
    order = queries.require_order(db, order_id)
    return jsonify(
        destructions=record_destruction.list_destructions(db, order_id),
        bottles=record_destruction.order_bottles(db, order_id),
        destructible=[b["serial"]
                      for b in record_destruction.destructible_bottles(
                          db, order_id, order["status"])],
        methods=record_destruction.DESTRUCTION_METHODS)


@bp.post("/orders/<id:order_id>/destructions/<id:destruction_id>/undo")
def post_undo_destruction(order_id, destruction_id):
    auth.require("record_destruction")
    destruction = record_destruction.undo_destruction(
        get_db(), order_id, destruction_id, _body().get("reason"),
        auth.actor())
    return jsonify(destruction=destruction)


@bp.post("/orders/<id:order_id>/destructions")
def post_destruction(order_id):
    auth.require("record_destruction")
    destruction = record_destruction.record_destruction(
        get_db(), order_id, _body(), auth.actor())
    return jsonify(destruction=destruction), 201


@bp.get("/orders/<id:order_id>/returned-grams")
def list_returned_grams(order_id):
    auth.require("view")
    return jsonify(dict(returned_grams.list_returned_grams(get_db(), order_id),
                        reasons=returned_grams.RETURN_REASONS))


@bp.post("/orders/<id:order_id>/returned-grams")
def post_returned_grams(order_id):
    auth.require("return_grams")
    db = get_db()
    credit = returned_grams.return_grams(db, order_id, _body(), auth.actor())
    return jsonify(dict(returned_grams.grams_summary(db, order_id),
                        credit=credit)), 201
