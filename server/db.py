"""SQLite access.  One writer at a time (BEGIN IMMEDIATE, so a writer
waits for the lock up front instead of failing half way), any number of
readers (WAL).  The web app opens one connection per request; the MQTT
worker keeps its own.  Both get foreign keys and WAL on every connection."""
import contextlib
import sqlite3
import time

import click
import sqlite_utils
from flask import current_app, g

from server.schema import migrations

BUSY_TIMEOUT_MS = 10_000


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
def write(db):
    """A write transaction: BEGIN IMMEDIATE ... COMMIT, ROLLBACK on error."""
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
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())


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
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
