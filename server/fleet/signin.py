"""Signing in at the guns, fleet-wide (docs/protocol.md, Roster): whether
a gun refuses order and bottle scans until an associate signs in with a
badge, and after how many idle seconds it signs them out.  Kept in the
settings table (server.core.settings); the worker publishes them with
the roster whenever they change.  Sites have no row in the database yet,
so this is one setting for the whole fleet."""
from server.core import fields
from server.core import settings
from server.core.db import parse_int, transaction

IDLE_MAX = 86400            # a day: longer than any shift
REQUIRED_CHOICES = {"0": "Not required", "1": "Required"}


def current(db):
    """{"required": bool, "idle": seconds (0: never)}."""
    idle = parse_int(settings.get(db, settings.SIGNIN_IDLE), 0,
                            IDLE_MAX)
    return {"required": settings.get(db, settings.SIGNIN_REQUIRED) == "1",
            "idle": int(settings.DEFAULTS[settings.SIGNIN_IDLE])
            if idle is None else idle}


def change(db, required, idle):
    """Set both from a form's text: required "0" or "1", idle a whole
    number of seconds from 0 to IDLE_MAX.  BadInput naming each refused
    value; nothing is written then.  Returns current(db)."""
    errors = []
    try:
        required = fields.choice(required, REQUIRED_CHOICES,
                                 "Sign-in required")
    except fields.BadInput as e:
        errors.append(str(e) + " (0: not required, 1: required).")
    try:
        idle = fields.whole(idle, "Idle sign-out", 0, IDLE_MAX)
    except fields.BadInput as e:
        errors.append(str(e) + " seconds (0: never).")
    if errors:
        raise fields.BadInput(" ".join(errors))
    with transaction(db):
        settings.put(db, settings.SIGNIN_REQUIRED, required)
        settings.put(db, settings.SIGNIN_IDLE, idle)
    return current(db)
