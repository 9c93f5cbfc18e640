"""JSON API: orders with their lines, picks, notes and allowed actions.

Errors are JSON too: {"error": "..."} with 400 (bad input), 404 (no such
order) or 409 (the order's status or state does not allow the action)."""
from flask import Blueprint, jsonify, request

from server import auth
from server import order_states as states
from server import orders
from server.db import get_db
from server.views.devices import list_devices
from shared import wire

bp = Blueprint("api", __name__, url_prefix="/api")


def order_json(db, order_id):
    d = orders.order_detail(db, order_id)
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
        "actions": [{"name": a.name, "label": a.label, "confirm": a.confirm}
                    for a in states.allowed_actions(status)],
    }


def _body():
    """The JSON object sent, {} for an empty body; 400 for anything else."""
    if not request.get_data():
        return {}
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise orders.BadInput("The request body must be a JSON object")
    return body


def _actor(body):
    # The signed-in staff member acts; a body field cannot say otherwise.
    return auth.actor()


@bp.errorhandler(orders.BadInput)
def bad_input(e):
    return jsonify(error=str(e)), 400


@bp.errorhandler(403)
def forbidden(e):
    return jsonify(error=e.description), 403


@bp.errorhandler(orders.OrderNotFound)
def not_found(e):
    return jsonify(error=str(e)), 404


@bp.errorhandler(states.IllegalAction)
@bp.errorhandler(orders.ActionRefused)
def conflict(e):
    return jsonify(error=str(e)), 409


@bp.get("/orders")
def list_orders():
    status = request.args.get("status") or None
    if status is not None and status not in states.STATUSES:
        raise orders.BadInput("Unknown status %r" % status)
    rows = orders.list_orders(get_db(), status=status,
                              search=request.args.get("q") or None,
                              sort=request.args.get("sort", "created"),
                              archived=None)
    return jsonify(orders=rows)


@bp.get("/orders/<int:order_id>")
def get_order(order_id):
    return jsonify(order_json(get_db(), order_id))


@bp.post("/orders/<int:order_id>/actions/<name>")
def post_action(order_id, name):
    body = _body()
    params = {k: v for k, v in body.items() if k != "actor"}
    auth.require(name)
    db = get_db()
    result = orders.apply_action(db, order_id, name, _actor(body), params)
    detail = None if result["deleted"] else order_json(db, order_id)
    return jsonify(result=result, **(detail or {"order": None}))


@bp.post("/orders/<int:order_id>/notes")
def post_note(order_id):
    body = _body()
    auth.require("add_note")
    db = get_db()
    note_id = orders.add_note(db, order_id, body.get("text"), _actor(body),
                              body.get("severity"))
    note = db.execute("SELECT id, order_id, text, author, severity, "
                      "created_at FROM notes WHERE id = ?",
                      [note_id]).fetchone()
    return jsonify(note=dict(note)), 201


@bp.get("/devices")
def devices():
    return jsonify(devices=list_devices(get_db()))
