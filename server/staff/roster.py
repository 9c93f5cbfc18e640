"""The roster the guns check badges against offline (docs/protocol.md,
Roster): each active associate with a valid badge, by staff number, short
name and the badge's hash (never its token), with the sign-in settings.
The worker publishes it retained on wire.ROSTER_TOPIC whenever it
changes (server.gunlink.ingest_process)."""
import logging

from server.core import settings
from server.core.wording import short_name
from server.staff.badges import VALID_SQL
from shared import wire

log = logging.getLogger(__name__)

_HEX = frozenset("0123456789abcdef")


def roster_payload(db):
    """wire.roster(...) as the database has it now: at most
    wire.ROSTER_MAX associates, the most recently issued badges kept
    should there be more (and the log says so)."""
    rows = db.execute(
        "SELECT id, name, username, badge_hash FROM staff WHERE "
        + VALID_SQL + " ORDER BY badge_issued_at DESC, id DESC").fetchall()
    entries = []
    for r in rows:
        h = r["badge_hash"]
        if not (isinstance(h, str) and len(h) == wire.HASH_HEX
                and set(h) <= _HEX) or not 0 < r["id"] < \
                10 ** wire.STAFF_MAX_DIGITS:
            # Not what badges.py writes: left out rather than making the
            # whole roster one every gun ignores.
            log.error("staff %s: badge hash unusable on the roster", r["id"])
            continue
        entries.append({"id": r["id"],
                        "n": short_name(r["name"] or r["username"],
                                        wire.NAME_MAX) or str(r["id"]),
                        "h": h})
    if len(entries) > wire.ROSTER_MAX:
        log.warning("%d associates hold a badge; the roster carries the "
                    "%d most recently issued", len(entries), wire.ROSTER_MAX)
        entries = entries[:wire.ROSTER_MAX]
    entries.sort(key=lambda e: e["id"])
    return wire.roster(entries, required=_required(db), idle=_idle(db))


def _required(db):
    return settings.get(db, settings.SIGNIN_REQUIRED) == "1"


def _idle(db):
    try:
        idle = int(settings.get(db, settings.SIGNIN_IDLE) or 0)
    except ValueError:
        idle = int(settings.DEFAULTS[settings.SIGNIN_IDLE])
    return min(max(idle, 0), wire.SMALL_MAX)
