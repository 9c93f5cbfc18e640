"""The scanner gun fleet page, with the firmware roll-out's progress and
its Pause and Resume (administrators), each gun's hold list with its
offline share (supervisors and administrators set it), signing in at the
guns with a badge (required or not, idle sign-out: supervisors and
administrators; server.fleet.signin), and Retire and
Return to service (administrators: which guns make up the fleet is
theirs, as provisioning is; a supervisor with a broken gun in hand can
set its share to 0 meanwhile)."""
from pathlib import Path

from flask import (Blueprint, abort, current_app, flash, redirect,
                   render_template, request, send_file, url_for)

from server.core import fields
from server.core.db import get_db, transaction
from server.fleet import holds, releases, signin
from server.fleet import devices as fleet
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
    return _fleet()


def _fleet():
    db = get_db()
    devices = list_devices(db)
    rollout = releases.progress(db, devices)
    return View({"devices": devices, "rollout": rollout,
                 "signin": signin.current(db)},
                {"screens": bool(current_app.config.get("GUN_SCREENS")),
                 "idle_max": signin.IDLE_MAX,
                 "low_battery_mv": LOW_BATTERY_MV,
                 "share_max": holds.SHARE_MAX,
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


@bp.post("/<device_id>/offline-share")
def offline_share(device_id):
    """Set how many orders of the picking list a gun holds offline
    (0 to holds.SHARE_MAX, besides the ones it touched)."""
    auth.require("set_offline_share")
    db = get_db()
    if not wire.is_device_id(device_id) or db.execute(
            "SELECT 1 FROM devices WHERE id = ?", [device_id]).fetchone() \
            is None:
        abort(404)
    text = (request.form.get("share") or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 2
            and int(text) <= holds.SHARE_MAX):
        flash("Offline share of %s: a whole number of orders from 0 to %d, "
              "not \"%s\"." % (device_id, holds.SHARE_MAX, text[:20]),
              "error")
        return _fleet_again(400)
    with transaction(db):
        holds.set_share(db, device_id, int(text))
    flash("%s now holds up to %d orders of the picking list offline, "
          "besides the ones it scanned lately." % (device_id, int(text)),
          "success")
    return redirect(url_for(".index"))


@bp.post("/signin")
def signin_settings():
    """Whether the guns refuse scans until an associate signs in with a
    badge (required=0/1), and after how many idle seconds they sign out
    (idle, 0 to signin.IDLE_MAX; 0: never).  The guns get both with the
    next roster."""
    auth.require("set_signin")
    form = request.form
    try:
        now = signin.change(get_db(), form.get("required"),
                            form.get("idle"))
    except fields.BadInput as e:
        flash("Sign-in at the guns not changed. %s" % e, "error")
        return _fleet_again(400)
    flash("Sign-in at the guns: %s; idle sign-out %s. The guns get it "
          "with the next roster." % (
              "required" if now["required"] else "not required",
              "after %d seconds" % now["idle"] if now["idle"] else "never"),
          "success")
    return redirect(url_for(".index"))


def _fleet_again(status):
    """The fleet page shown again after a refused form."""
    view = _fleet()
    return render_template("devices.html", **view.data,
                           **view.display), status


@bp.post("/<device_id>/retire")
def retire(device_id):
    """Take a gun out of service: its orders are dealt to the others."""
    auth.require("manage_devices")
    return _service_change(device_id, fleet.retire, (
        "%s is retired: it holds no orders now, and its share goes to the "
        "guns in service. It can still connect and sync its scans."))


@bp.post("/<device_id>/return")
def return_to_service(device_id):
    """Put a retired gun back in service."""
    auth.require("manage_devices")
    return _service_change(device_id, fleet.return_to_service, (
        "%s is back in service: it is dealt its share of the orders "
        "again."))


def _service_change(device_id, change, done):
    if not wire.is_device_id(device_id):
        abort(404)
    try:
        change(get_db(), device_id, auth.actor())
    except fleet.DeviceNotFound:
        abort(404)
    except fleet.ServiceError as e:
        flash(str(e), "error")
    else:
        flash(done % device_id, "success")
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
