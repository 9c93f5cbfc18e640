"""The scanner gun fleet page."""
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, send_file

from server.broker import HASH_ROUNDS, hash_rounds
from server.core.db import get_db
from server.gun_payloads import SIMULATED_BOARD
from shared import wire

bp = Blueprint("devices", __name__, url_prefix="/devices")


def list_devices(db):
    """Guns with their presence and how much each has recorded today, the
    firmware version and board each last reported (`simulated`: a
    simulated gun).  Never their password hash: only whether it is weaker
    than new ones (`credentials_outdated`: provision the gun again to
    strengthen it)."""
    devices = []
    for r in db.execute(
            "SELECT d.id, d.name, d.board, d.created_at, d.last_seen, "
            " d.online, d.fw, d.pending, d.ep, d.upto, "
            " d.password_hash AS secret, "
            " (SELECT count(*) FROM picks k WHERE k.device_id = d.id "
            " AND k.status = 'accepted' AND k.recorded_at >= date('now')) "
            " AS picks_today, (SELECT max(received_at) FROM device_events e "
            " WHERE e.device_id = d.id) AS last_event "
            "FROM devices d ORDER BY d.id"):
        device = {k: r[k] for k in r.keys() if k != "secret"}
        device["credentials_outdated"] = bool(r["secret"]) and \
            hash_rounds(r["secret"]) < HASH_ROUNDS
        device["simulated"] = r["board"] == SIMULATED_BOARD
        devices.append(device)
    return devices


@bp.get("/")
def index():
    return render_template("devices.html", devices=list_devices(get_db()),
                           screens=bool(current_app.config.get("GUN_SCREENS")))


@bp.get("/<device_id>/screen.png")
def screen(device_id):
    """The live panel of a simulated gun (`pickgun up --demo`), which writes
    each frame to <GUN_SCREENS>/<id>/screen.png.  Real guns have none."""
    root = current_app.config.get("GUN_SCREENS")
    if not root or not wire.is_device_id(device_id):
        abort(404)
    path = Path(root) / device_id / "screen.png"
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype="image/png",
                         max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response
