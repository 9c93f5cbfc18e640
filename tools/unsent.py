"""Scans read off a gun over USB, for the server: the file `pickgun flash
--force` writes before it erases a gun whose journal holds scans the
server has not acknowledged, and `pickgun import-events`, which records
them.

The file is JSON lines: a header, then each unacknowledged journal event
exactly as the gun publishes it (shared/wire.py event(), the payload of
pickgun/dev/<id>/evt):

    {"export": "pickgun-unsent-events", "dev": "G03", "fw": "0.1.0",
     "ep": 1234, "upto": 40, "count": 2, "exported_at": "..."}
    {"v": 1, "ep": 1234, "seq": 41, "k": "pick", "o": 1042, "at": 0, ...}
    {"v": 1, "ep": 1234, "seq": 42, ...}

Importing goes through the worker's own ingest (server/gunlink/ingest.py)
with the topic the gun would have used, so every event is judged and
recorded as if it had arrived over MQTT, once: events already recorded
(by an earlier import, or sent by the gun after all) are left alone, and
importing a file again changes nothing.
"""
import json
import os

import click

from shared import wire

KIND = "pickgun-unsent-events"


def default_name(device, now=None):
    import time
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    return "unsent-%s-%s.jsonl" % (device or "gun", stamp)


def write_export(path, device, state, payloads):
    """Write the header and the payloads (str, as the gun printed them)
    to path, whole or not at all."""
    from server.core.db import now
    journal = state.get("journal") or {}
    header = {"export": KIND, "dev": device, "fw": state.get("fw"),
              "ep": journal.get("ep"), "upto": journal.get("upto"),
              "count": len(payloads), "exported_at": now()}
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(json.dumps(header) + "\n")
        for payload in payloads:
            f.write(payload.rstrip("\n") + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_export(path):
    """(header, [(ep, seq, payload bytes)]); ValueError if the file is not
    an export or an event in it is not a gun event."""
    with open(path, "rb") as f:
        lines = [line.rstrip(b"\r\n") for line in f if line.strip()]
    if not lines:
        raise ValueError("the file is empty")
    try:
        header = json.loads(lines[0])
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("export") != KIND:
        raise ValueError("not an export of unsent events (its first line "
                         "is not a %s header)" % KIND)
    dev = header.get("dev")
    if not isinstance(dev, str) or not wire.is_device_id(dev):
        raise ValueError("the header names no valid gun id")
    events = []
    for number, line in enumerate(lines[1:], 2):
        try:
            obj = wire.decode(line)
            ep, seq = obj["ep"], obj["seq"]
        except (wire.WireError, KeyError) as e:
            raise ValueError("line %d is not a gun event: %s"
                             % (number, e)) from e
        if type(ep) is not int or type(seq) is not int:
            raise ValueError("line %d has no integer ep and seq" % number)
        events.append((ep, seq, bytes(line)))
    return header, events


def import_events(db, device, events):
    """Ingest the events of `device` not recorded yet, as the worker
    does.  Returns (recorded now, already recorded)."""
    from server.gunlink.ingest import ingest_batch
    known = set()
    for ep, seq, _ in events:
        if db.conn.execute(
                "SELECT 1 FROM device_events WHERE device_id = ? AND ep = ? "
                "AND seq = ?", [device, ep, seq]).fetchone():
            known.add((ep, seq))
    fresh, seen = [], set()
    for ep, seq, payload in events:
        if (ep, seq) not in known and (ep, seq) not in seen:
            seen.add((ep, seq))
            fresh.append((wire.dev_topic(device, wire.EVT), payload))
    if fresh:
        ingest_batch(db, fresh)
    return len(fresh), len(events) - len(fresh)


@click.command("import-events")
@click.argument("path", type=click.Path(dir_okay=False, exists=True))
@click.option("--db", "db_path", type=click.Path(dir_okay=False),
              default=None, help="SQLite file (default: the web app's).")
def import_events_command(path, db_path):
    """Record the scans `pickgun flash --force` exported from a gun (PATH),
    as if the gun had sent them: each is judged like any scan, and one
    already recorded is left alone (importing twice changes nothing)."""
    from server.core import db as dbm
    try:
        header, events = read_export(path)
    except (OSError, ValueError) as e:
        raise click.ClickException("%s: %s" % (path, e)) from e
    device = header["dev"]
    db_path = db_path or dbm.default_database()
    dbm.prepare_database(db_path)
    db = dbm.connect(db_path)
    try:
        recorded, known = import_events(db, device, events)
        rows = db.conn.execute(
            "SELECT outcome, count(*) FROM device_events WHERE device_id = ? "
            "GROUP BY outcome", [device]).fetchall()
    finally:
        db.conn.close()
    click.echo("%s: %d events from gun %s: %d recorded now, %d already "
               "recorded." % (path, len(events), device, recorded, known))
    click.echo("Gun %s on the server: %s." % (device, ", ".join(
        "%d %s" % (r[1], r[0]) for r in rows) or "no events"))
