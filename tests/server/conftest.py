"""Server fixtures, flaskr style: an app on a temporary database, its test
client and CLI runner, the demo data and a live HTTP server."""
import shutil
import sqlite3
import threading

import pytest
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from server.web import auth
from server.staff import sessions
from server.app import create_app
from server.core.db import prepare_database
from server.core.db import connect
from server.staff.sign_in import STAFF
from server.seed import seed_demo
from sign_in_helpers import TEST_PASSWORD


@pytest.fixture(scope="session")
def db_templates(tmp_path_factory):
    """Two database files built once per session: migrated and empty, and
    with the demo data.  Tests start from copies (migrations and password
    hashing are slow on purpose, not worth paying per test)."""
    folder = tmp_path_factory.mktemp("db-templates")
    empty, demo = folder / "empty.db", folder / "demo.db"
    prepare_database(str(empty))
    # One test account per role (t-admin, t-csr...), the same ids in both
    # files, so a client signed in before `demo` stays signed in.
    conn = connect(str(empty))
    hashed = generate_password_hash(TEST_PASSWORD)
    for role in auth.ROLES:
        conn["staff"].insert({"username": "t-" + role,
                              "name": "Test " + role.title(), "role": role,
                              "password_hash": hashed, "active": 1})
    conn.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.conn.close()
    shutil.copyfile(empty, demo)
    conn = connect(str(demo))
    assert seed_demo(conn) is not None
    conn.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.conn.close()
    return {"empty": empty, "demo": demo}


@pytest.fixture
def app(tmp_path, db_templates):
    # CSRF_ENABLED off for the test client's posts; test_auth turns it on.
    shutil.copyfile(db_templates["empty"], tmp_path / "pickgun.db")
    app = create_app({
        "TESTING": True,
        "DATABASE": str(tmp_path / "pickgun.db"),
        "SECRET_KEY": "test",
        "CSRF_ENABLED": False,
    })
    yield app


@pytest.fixture
def login(app):
    """login(client, role) signs `client` in as the test account of
    `role` (username t-<role>, password TEST_PASSWORD)."""
    def sign_in(client, role="admin"):
        db = connect(app.config["DATABASE"])
        try:
            row = db.execute(STAFF.by_name, ["t-" + role]).fetchone()
        finally:
            db.conn.close()
        with client.session_transaction() as session:
            session.update(sessions.values(app.secret_key, STAFF, row))
        return client
    return sign_in


@pytest.fixture
def client(app, login):
    """A test client signed in as an administrator."""
    return login(app.test_client(), "admin")


@pytest.fixture
def anon_client(app):
    """A test client nobody signed in to."""
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    """A connection of our own to the app's database."""
    conn = connect(app.config["DATABASE"])
    yield conn
    conn.conn.close()


@pytest.fixture
def demo(db, db_templates):
    """The demo data set; returns the connection."""
    # The session's seeded copy, written into this test's database.
    source = sqlite3.connect(str(db_templates["demo"]))
    try:
        source.backup(db.conn)
    finally:
        source.close()
    return db


@pytest.fixture
def live_server(app):
    """The app served over HTTP on a free port, for the browser."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % server.server_port
    server.shutdown()
    thread.join(5)
