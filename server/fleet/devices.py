"""The scanner guns as devices: the fleet page's and the API's list, with
each gun's presence (written by the worker, server.gunlink.ingest) and
whether its credentials need renewing (the broker's password format,
server.gunlink.broker)."""
from server.fleet.credentials import HASH_ROUNDS, hash_rounds
from server.fleet.presence import SIMULATED_BOARD


def list_devices(db):
    """Guns with their presence and how much each has recorded today, the
    firmware version and board each last reported (`simulated`: a
    simulated gun), and how its last update over the air stood (`ota_*`,
    server.fleet.releases).  Never their password hash: only whether it
    is weaker than new ones (`credentials_outdated`: provision the gun
    again to strengthen it)."""
    devices = []
    for r in db.execute(
            "SELECT d.id, d.name, d.board, d.created_at, d.last_seen, "
            " d.online, d.fw, d.pending, d.ep, d.upto, d.ota_version, "
            " d.ota_state, d.ota_detail, d.ota_at, "
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
