"""Server fixtures, flaskr style: an app on a temporary database, its test
client and CLI runner, the demo data and a live HTTP server."""
import threading

import pytest
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from server import create_app
from server.db import connect
from server.seed import seed_demo


TEST_PASSWORD = "test-password"


@pytest.fixture(scope="session")
def password_hash():
    # Hashing is slow on purpose: once per session, not once per test.
    return generate_password_hash(TEST_PASSWORD)


@pytest.fixture
def app(tmp_path):
    # CSRF_ENABLED off for the test client's posts; test_auth turns it on.
    app = create_app({
        "TESTING": True,
        "DATABASE": str(tmp_path / "pickgun.db"),
        "SECRET_KEY": "test",
        "CSRF_ENABLED": False,
    })
    yield app


@pytest.fixture
def login(app, password_hash):
    """login(client, role) signs `client` in as a staff member of `role`
    (username = role), creating the account on first use."""
    def sign_in(client, role="admin"):
        db = connect(app.config["DATABASE"])
        try:
            row = db.execute("SELECT id FROM staff WHERE username = ?",
                             ["t-" + role]).fetchone()
            staff_id = row["id"] if row else db["staff"].insert({
                "username": "t-" + role, "name": "Test " + role.title(),
                "role": role, "password_hash": password_hash,
                "active": 1}).last_pk
        finally:
            db.conn.close()
        with client.session_transaction() as session:
            session["staff_id"] = staff_id
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
def demo(db):
    """The demo data set; returns the connection."""
    assert seed_demo(db) is not None
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
