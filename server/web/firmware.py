"""Firmware releases for the guns to download (server.fleet.releases):
`GET /firmware/<version>.romfs`, the image a gun installs over the air.

Guns are not staff: they sign in with HTTP Basic, their broker user name
and password (config.json's id and password; server.web.auth lets this
one endpoint through without a staff session).  A Range request resumes
a download cut short (206; 416 past the image's end).  The image is
signed, so plain HTTP cannot slip a gun another one; guns reach this over
HTTPS through the reverse proxy in front of Pickgun all the same
(docs/firmware.md, Over-the-air updates)."""
from flask import Blueprint, abort, current_app, request, send_file

from server.core.db import get_db
from server.fleet import releases
from server.fleet.provisioning import gun_login

bp = Blueprint("firmware", __name__, url_prefix="/firmware")

# What server.web.auth lets through without a staff session.
GUN_ENDPOINTS = frozenset({"firmware.download"})


@bp.get("/<version>.romfs")
def download(version):
    """A release's ROMFS image, to a gun that signs in."""
    creds = request.authorization
    db = get_db()
    if creds is None or creds.type != "basic" or not gun_login(
            db, creds.username, creds.password):
        return ("A gun's id and password (HTTP Basic) are needed\n", 401,
                {"WWW-Authenticate": 'Basic realm="Pickgun firmware"',
                 "Content-Type": "text/plain; charset=utf-8"})
    row = db.execute("SELECT sha256 FROM releases WHERE version = ?",
                     [version]).fetchone()
    try:
        path = releases.image_path(
            releases.folder(current_app.config["DATABASE"]), version)
    except releases.ReleaseError:
        abort(404)
    if row is None or not path.is_file():
        abort(404)
    return send_file(path, mimetype="application/octet-stream",
                     conditional=True, etag=row["sha256"], max_age=0)
