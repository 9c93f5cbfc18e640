"""The scanner gun fleet page."""
from flask import Blueprint, render_template

from server.db import get_db

bp = Blueprint("devices", __name__, url_prefix="/devices")


def list_devices(db):
    """Guns with their presence and how much each has recorded today."""
    return [dict(r) for r in db.execute(
        "SELECT d.*, (SELECT count(*) FROM picks k WHERE k.device_id = d.id "
        " AND k.status = 'accepted' AND k.recorded_at >= date('now')) "
        " AS picks_today, (SELECT max(received_at) FROM device_events e "
        " WHERE e.device_id = d.id) AS last_event "
        "FROM devices d ORDER BY d.id")]


@bp.get("/")
def index():
    return render_template("devices.html", devices=list_devices(get_db()))
