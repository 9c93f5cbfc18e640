"""The scanner gun fleet page."""
from pathlib import Path

from flask import Blueprint, abort, current_app, send_file

from server.core.db import get_db
from server.fleet.devices import LOW_BATTERY_MV, list_devices
from server.web.pages import View, page
from shared import wire

bp = Blueprint("devices", __name__, url_prefix="/devices")


@page(bp, "/", "devices.html")
def index():
    """The fleet: every gun, its presence, sync backlog and credentials
    (never the secret itself)."""
    return View({"devices": list_devices(get_db())},
                {"screens": bool(current_app.config.get("GUN_SCREENS")),
                 "low_battery_mv": LOW_BATTERY_MV})


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
