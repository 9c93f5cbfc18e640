"""The scanner guns as devices: the fleet page's and the API's list, with
each gun's presence (written by the worker, server.gunlink.ingest) and
whether its credentials need renewing (the broker's password format,
server.gunlink.broker); and taking a gun out of service and back
(devices.retired_at: a retired gun is dealt no orders, server.fleet.holds).

Devices have no history table of their own: who retired a gun, or put it
back, goes to the log."""
import json
import logging

from server.core.db import now, transaction
from server.fleet.credentials import HASH_ROUNDS, hash_rounds
from server.fleet.presence import SIMULATED_BOARD

# Below this a gun's 1-cell Li-ion battery (3.0-4.2 V) has little left
# under WiFi's load: the fleet page warns.
LOW_BATTERY_MV = 3500

log = logging.getLogger(__name__)


class DeviceNotFound(LookupError):
    pass


class ServiceError(ValueError):
    """A gun already retired retired again, or one in service put back:
    nothing changes."""


def uptime_text(seconds):
    """"3 d 4 h", "5 h 12 min", "12 min", "40 s"; None for None."""
    if seconds is None:
        return None
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return "%d d %d h" % (days, hours)
    if hours:
        return "%d h %d min" % (hours, minutes)
    return "%d min" % minutes if minutes else "%d s" % rest


def list_devices(db):
    """Guns with their presence and how much each has recorded today, the
    firmware version and board each last reported (`simulated`: a
    simulated gun), the vitals of its last status (battery `bat_mv`,
    `rssi`, `mem_free`, `mem_block`, `uptime`: None where it did not
    say; `low_battery` below LOW_BATTERY_MV), and how its last update
    over the air stood (`ota_*`, server.fleet.releases), the orders it
    holds offline (`hold`: the hold list last sent to it, most needed
    first; `held`: how many placed orders it says it can open;
    `offline_share`; `retired_at`: None while in service,
    server.fleet.holds).  Never their
    password hash: only whether it is weaker than new ones
    (`credentials_outdated`: provision the gun again to strengthen it)."""
    devices = []
    for r in db.execute(
            "SELECT d.id, d.name, d.board, d.created_at, d.last_seen, "
            " d.online, d.fw, d.pending, d.ep, d.upto, d.bat_mv, d.rssi, "
            " d.mem_free, d.mem_block, d.uptime, d.ota_version, "
            " d.ota_state, d.ota_detail, d.ota_at, d.held, "
            " d.offline_share, d.retired_at, d.hold_sent, "
            " d.password_hash AS secret, "
            " (SELECT count(*) FROM picks k WHERE k.device_id = d.id "
            " AND k.status = 'accepted' AND k.recorded_at >= date('now')) "
            " AS picks_today, (SELECT max(received_at) FROM device_events e "
            " WHERE e.device_id = d.id) AS last_event "
            "FROM devices d ORDER BY d.id"):
        device = {k: r[k] for k in r.keys()
                  if k not in ("secret", "hold_sent")}
        device["hold"] = json.loads(r["hold_sent"]) \
            if r["hold_sent"] is not None else []
        device["credentials_outdated"] = bool(r["secret"]) and \
            hash_rounds(r["secret"]) < HASH_ROUNDS
        device["simulated"] = r["board"] == SIMULATED_BOARD
        device["low_battery"] = r["bat_mv"] is not None and \
            r["bat_mv"] < LOW_BATTERY_MV
        device["uptime_text"] = uptime_text(r["uptime"])
        devices.append(device)
    return devices


# ------------------------------------------------------- in and out of service
def retire(db, device_id, actor="system"):
    """Take a gun out of service: from now on it is dealt no orders, and
    the worker clears its hold list at its next recomputation (its share
    goes to the guns in service).  It may still connect and sync the
    scans it recorded.  Returns when it was retired (retired_at)."""
    with transaction(db):
        retired_at = _retired_at(db, device_id)
        if retired_at is not None:
            raise ServiceError("%s has been retired since %s: nothing "
                               "changed." % (device_id, retired_at))
        at = now()
        db.execute("UPDATE devices SET retired_at = ? WHERE id = ?",
                   [at, device_id])
    log.info("%s retired gun %s", actor, device_id)
    return at


def return_to_service(db, device_id, actor="system"):
    """Put a retired gun back in service: it is dealt its share of the
    orders again at the worker's next recomputation."""
    with transaction(db):
        if _retired_at(db, device_id) is None:
            raise ServiceError("%s is already in service: nothing changed."
                               % device_id)
        db.execute("UPDATE devices SET retired_at = NULL WHERE id = ?",
                   [device_id])
    log.info("%s returned gun %s to service", actor, device_id)


def _retired_at(db, device_id):
    row = db.execute("SELECT retired_at FROM devices WHERE id = ?",
                     [device_id]).fetchone()
    if row is None:
        raise DeviceNotFound(device_id)
    return row[0]
