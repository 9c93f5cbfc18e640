"""Where each gun is, as its own status messages say: the fleet page's
online, last seen, firmware, board, scans waiting vitals (battery,
WiFi signal, memory, uptime, orders held
offline) and update over the air.  The worker's ingest
(server.gunlink.ingest) calls these inside its batch's transaction; the
sync ledger beside them (devices.ep and upto: what the gun was last told)
is the ack protocol's, kept by server.gunlink.ingest_acks."""

# The board a simulated gun reports (firmware/boards/host.py NAME): the
# MicroPython unix port under `pickgun simulate` or `pickgun up --demo`.
SIMULATED_BOARD = "simulated"

# devices' column for each of a status's vitals (shared.wire.VITALS).
VITAL_COLUMNS = {"bat": "bat_mv", "rssi": "rssi", "mem": "mem_free",
                 "blk": "mem_block", "up": "uptime", "held": "held"}


def ensure_device(sql, device, at):
    """A row for a gun heard from for the first time (provisioned or
    not: the fleet page shows unknown guns too).  `sql` is the batch's
    connection's execute."""
    sql("INSERT OR IGNORE INTO devices (id, created_at) VALUES (?, ?)",
        [device, at])


def record_status(sql, device, status, at):
    """A gun's retained status (server.gunlink.gun_payloads checked it):
    online with what it reports, or offline by its last will."""
    if status["online"]:
        # A gun that does not say its board (firmware before the field)
        # keeps the one its provisioning recorded.  A vital it does not
        # say is unknown now: NULL, not the last value it sent.
        sql("UPDATE devices SET online = 1, fw = ?, pending = ?, "
            "last_seen = ?, board = coalesce(nullif(?, ''), board), "
            + ", ".join("%s = ?" % c for c in VITAL_COLUMNS.values())
            + " WHERE id = ?",
            [status.get("fw") or "", status["pending"], at,
             status.get("board") or ""]
            + [status.get(k) for k in VITAL_COLUMNS] + [device])
        ota = status.get("ota")
        if ota:
            # How its update over the air stands (server.fleet.releases):
            # kept until it says something else.
            sql("UPDATE devices SET ota_version = ?, ota_state = ?, "
                "ota_detail = ?, ota_at = ? WHERE id = ?",
                [ota[0], ota[1], str(ota[2]), at, device])
    else:
        # The gun's last will: the broker lost it just now.
        sql("UPDATE devices SET online = 0, last_seen = ? WHERE id = ?",
            [at, device])
