"""The scanner gun fleet page, with the firmware roll-out's progress and
its Pause and Resume (administrators)."""
from pathlib import Path

from flask import (Blueprint, abort, current_app, flash, redirect, request,
                   send_file, url_for)

from server.core.db import get_db
from server.fleet import releases
from server.fleet.devices import LOW_BATTERY_MV, list_devices
from server.web import auth
from server.web.pages import View, page
from shared import wire

bp = Blueprint("devices", __name__, url_prefix="/devices")


@page(bp, "/", "devices.html")
def index():
    """The fleet: every gun, its presence, sync backlog and credentials
    (never the secret itself), and the firmware roll-out: its release,
    whether it is paused, how many guns stand where, and each gun's
    `ota` (server.fleet.releases.progress)."""
    db = get_db()
    devices = list_devices(db)
    rollout = releases.progress(db, devices)
    return View({"devices": devices, "rollout": rollout},
                {"screens": bool(current_app.config.get("GUN_SCREENS")),
                 "low_battery_mv": LOW_BATTERY_MV,
                 "states": releases.STATES})


@bp.post("/rollout")
def rollout():
    """Pause (pause=1) or resume (pause=0) the firmware roll-out."""
    auth.require("manage_devices")
    pause = request.form.get("pause")
    if pause not in ("0", "1"):
        abort(400, "pause must be 0 or 1")
    try:
        r = releases.set_paused(get_db(), pause == "1", auth.actor())
    except releases.ReleaseError as e:
        flash(str(e), "error")
        return redirect(url_for(".index"))
    flash("Roll-out of firmware %s %s." % (
        r["version"], "paused: no gun starts or goes on with a download or "
        "an install" if r["paused"] else "resumed"), "success")
    return redirect(url_for(".index"))


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
