"""Server fixtures, flaskr style: an app on a temporary database, its test
client and CLI runner, the demo data and a live HTTP server."""
import threading

import pytest
from werkzeug.serving import make_server

from server import create_app
from server.db import connect
from server.seed import seed_demo


@pytest.fixture
def app(tmp_path):
    app = create_app({
        "TESTING": True,
        "DATABASE": str(tmp_path / "pickgun.db"),
        "SECRET_KEY": "test",
    })
    yield app


@pytest.fixture
def client(app):
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
