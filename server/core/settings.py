"""Settings kept in the database, one row per key (table settings):
what the guns get with the roster (docs/protocol.md, Roster)."""

SIGNIN_REQUIRED = "signin_required"   # "1": guns refuse scans until
                                      # someone signs in
SIGNIN_IDLE = "signin_idle"           # seconds before an idle gun signs
                                      # out; "0": never
DEFAULTS = {SIGNIN_REQUIRED: "0", SIGNIN_IDLE: "900"}


def get(db, key):
    row = db.execute("SELECT value FROM settings WHERE key = ?",
                     [key]).fetchone()
    return row[0] if row is not None else DEFAULTS.get(key)


def put(db, key, value):
    """Inside the caller's transaction."""
    db.execute("INSERT INTO settings (key, value) VALUES (?, ?) "
               "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
               [key, str(value)])
