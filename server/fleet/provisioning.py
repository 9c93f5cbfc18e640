"""Provisioning a gun: its own broker password, of which the server keeps
only the Mosquitto hash (devices.password_hash); the clear text goes once
into the gun's config.json (`pickgun provision`, tools/provision.py).
Provisioning a gun again replaces its password, and puts a retired gun
back in service (server.fleet.devices.retire).  The broker learns the
guns it lets in from `device_hashes`; the web server checks a gun's
password with `gun_login` when it downloads a firmware release."""
import secrets

from server.core import db as dbm
from server.fleet.credentials import password_hash, password_matches
from shared import wire

PASSWORD_BYTES = 18            # 24 URL-safe characters


class ProvisionError(ValueError):
    pass


def provision_device(db, device_id: str, name: str | None = None,
                     board: str | None = None) -> str:
    """Create or update the device row with a new password, in service
    (a gun provisioned again is back); return the clear-text password
    (not stored anywhere)."""
    if not isinstance(device_id, str) or not wire.is_device_id(device_id):
        raise ProvisionError(
            "Invalid device id %r: use 1-%d characters A-Z, 0-9 or '-', "
            "starting with a letter (e.g. G03)"
            % (device_id, wire.DEVICE_ID_MAX))
    password = secrets.token_urlsafe(PASSWORD_BYTES)
    hashed = password_hash(password)
    with dbm.transaction(db):
        db.execute("INSERT OR IGNORE INTO devices (id, created_at) "
                   "VALUES (?, ?)", [device_id, dbm.now()])
        changes = {"password_hash": hashed, "retired_at": None}
        if name is not None:
            changes["name"] = name
        if board is not None:
            changes["board"] = board
        db["devices"].update(device_id, changes)
    return password


def device_hashes(db) -> dict[str, str]:
    """{device id: password hash} of every provisioned gun, for
    Broker(device_hashes=...)."""
    return {r["id"]: r["password_hash"] for r in db.execute(
        "SELECT id, password_hash FROM devices "
        "WHERE password_hash IS NOT NULL AND password_hash != ''")}


def gun_login(db, device_id, password) -> bool:
    """Whether a gun's credentials (its broker user name and password, as
    in its config.json) are right: how a gun signs in to download a
    firmware release (server.web.firmware)."""
    if not isinstance(device_id, str) or not wire.is_device_id(device_id):
        return False
    row = db.execute("SELECT password_hash FROM devices WHERE id = ?",
                     [device_id]).fetchone()
    return row is not None and password_matches(password,
                                                row["password_hash"])
