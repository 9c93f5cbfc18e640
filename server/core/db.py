"""SQLite access.  One writer at a time (BEGIN IMMEDIATE, so a writer
waits for the lock up front instead of failing half way), any number of
readers (WAL).  The web app opens one connection per request; the MQTT
worker keeps its own.  Both get foreign keys and WAL on every connection.
`transaction` is the one way to write."""
import contextlib
import os
import re
import sqlite3

import click
import sqlite_utils
from flask import Flask, current_app, g
from werkzeug.routing import BaseConverter, ValidationError

from server.core.schema import migrations
from server.core.wording import timestamp

DB_FILENAME = "pickgun.db"

BUSY_TIMEOUT_MS = 10_000
# SQLite's INTEGER is 64-bit signed: a larger number cannot even be asked
# for (the driver raises OverflowError), so ids and counts from requests
# are checked against it before any query.
INT_MAX = 2 ** 63 - 1
_WHOLE = re.compile(r"[+-]?[0-9]{1,19}\Z")      # ASCII digits only


def parse_int(value, low=-INT_MAX, high=INT_MAX):
    """A whole number in low..high from JSON (an int, not a bool) or
    text (ASCII digits, optional sign, spaces around); None otherwise."""
    if isinstance(value, str):
        text = value.strip()
        if not _WHOLE.match(text):
            return None
        value = int(text)
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return value if low <= value <= high else None


def parse_id(value):
    """A row id (1..INT_MAX) from JSON or text, None otherwise."""
    return parse_int(value, 1, INT_MAX)


def _digits_up_to(bound):
    """A regular expression of the numbers 1..bound in plain digits (no
    sign, no leading zero)."""
    text = str(bound)
    shorter = r"[1-9][0-9]{0,%d}" % (len(text) - 2) if len(text) > 1 else ""
    same = []
    for i, digit in enumerate(text):
        low = "1" if i == 0 else "0"
        if digit > low:
            same.append("%s[%s-%d][0-9]{%d}" % (
                text[:i], low, int(digit) - 1, len(text) - i - 1))
    same.append(text)
    return "(?:%s)" % "|".join(filter(None, [shorter] + same))


class IdConverter(BaseConverter):
    """URL rule part <id:name>: a row id, 1 to INT_MAX in plain digits.
    Anything else (0, a sign, leading zeros, a number SQLite cannot
    hold) matches no route, so it is a 404 like an unknown id.  The
    range is in the pattern itself: a value refused only after matching
    would let Werkzeug answer 405 when a sibling rule takes another
    method."""
    regex = _digits_up_to(INT_MAX)
    part_isolating = True

    def to_python(self, value):
        number = parse_id(value)
        if number is None:
            raise ValidationError()
        return number

    def to_url(self, value):
        return str(int(value))


def connect(path):
    """A sqlite-utils Database on `path` with Pickgun's connection rules."""
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000,
                           isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    db = sqlite_utils.Database(conn)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = %d" % BUSY_TIMEOUT_MS)
    if path != ":memory:":
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    return db


@contextlib.contextmanager
def transaction(db):
    """A write transaction: BEGIN IMMEDIATE ... COMMIT, ROLLBACK on error;
    or the caller's own if it already opened one, so services compose (the
    worker and the demo data call them inside theirs)."""
    if db.conn.in_transaction:
        yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")


def migrate(db):
    migrations.apply(db)


def now():
    """UTC timestamp text, the one format every table stores."""
    return timestamp()


def prepare_database(path):
    """Create the database's folder and apply pending migrations, so every
    process (pages, worker, tools) can rely on the current tables."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    conn = connect(path)
    try:
        migrate(conn)
    finally:
        conn.conn.close()


def default_database():
    """Where `create_app()` keeps the database unless configured otherwise:
    $PICKGUN_DATABASE, else pickgun.db in the app's instance folder."""
    env = os.environ.get("PICKGUN_DATABASE")
    if env:
        return env
    app = Flask("server", instance_relative_config=True)
    return os.path.join(app.instance_path, DB_FILENAME)


def get_db():
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"])
    return g.db


def close_db(e=None):
    db = g.pop("db", None)
    if db is not None:
        db.conn.close()


@click.command("init-db")
def init_db_command():
    """Create or upgrade the database tables."""
    migrate(get_db())
    click.echo("Database ready: %s" % current_app.config["DATABASE"])


def init_app(app):
    # Before any blueprint adds its rules: they use <id:...>.
    app.url_map.converters["id"] = IdConverter
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
