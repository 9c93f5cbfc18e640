"""The web pages are served by waitress, a production WSGI server, in
`pickgun web` and in the `pickgun up` stack; it logs its address, stops
cleanly on SIGTERM and SIGINT, and believes X-Forwarded-* headers only
from a proxy it was told to trust."""
import json
import os
import signal
import socket

import pytest

from up_support import (RUNNING, Running, free_port, get, pickgun,
                        processes_using, serving)

from tools.ports import can_listen


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "instance" / "pickgun.db"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_pickgun_web_is_waitress_and_stops_cleanly(db_path, sig):
    port = free_port()
    web = Running(pickgun("web", "--db", db_path, "--port", port))
    try:
        web.wait_for(r"waitress Serving on http://127\.0\.0\.1:%d$" % port,
                     30)
        status, headers, body = get("http://127.0.0.1:%d/login" % port)
        assert status == 200 and b"Sign in" in body
        assert headers["Server"] == "waitress"
        assert "Werkzeug" not in str(headers)
        assert web.stop(sig, timeout=15) == 0, web.output
    finally:
        web.kill()
    assert web.output.rstrip().endswith("pickgun.web Stopped.")
    assert "Traceback" not in web.output and "Aborted" not in web.output
    assert can_listen(port)


def test_pickgun_up_serves_its_pages_with_waitress(tmp_path):
    instance = tmp_path / "instance"
    up = Running(pickgun("up", "--instance", instance, "--port", free_port(),
                         "--mqtt-port", free_port(), "--tls-port",
                         free_port()))
    try:
        url = up.wait_for(RUNNING, 60).group(1)
        status, headers, _ = get(url + "login")
        assert status == 200 and headers["Server"] == "waitress"
        assert up.stop() == 0, up.output
    finally:
        up.kill()
    log = (instance / "web.log").read_text()
    assert "waitress Serving on %s" % url.rstrip("/") in log
    assert "development server" not in log
    assert processes_using(instance) == {}


def test_pickgun_web_reads_its_instance_configuration(db_path):
    """The database's folder is the instance: its config.py is read,
    PICKGUN_* variables override it, and the secret key is kept there."""
    db_path.parent.mkdir(parents=True)
    (db_path.parent / "config.py").write_text(
        "SESSION_COOKIE_NAME = 'pickgun_session'\n")
    port = free_port()
    env = dict(os.environ, PICKGUN_SESSION_COOKIE_SECURE="true")
    web = Running(pickgun("web", "--db", db_path, "--port", port), env=env)
    try:
        web.wait_for(r"Serving on http://127\.0\.0\.1:%d$" % port, 30)
        status, headers, _ = get("http://127.0.0.1:%d/login" % port)
        assert web.stop(timeout=15) == 0, web.output
    finally:
        web.kill()
    assert status == 200
    [cookie] = headers.get_all("Set-Cookie")
    assert cookie.startswith("pickgun_session=") and "Secure" in cookie
    assert (db_path.parent / "secret_key").stat().st_size > 0


def test_pickgun_web_on_a_held_port_names_the_holder(db_path):
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        web = Running(pickgun("web", "--db", db_path, "--port", port))
        try:
            code = web.proc.wait(30)
        finally:
            web.kill()
    assert code == 1
    assert "Error: Web port %d is held by pid %d" % (port, os.getpid()) \
        in web.output


# ------------------------------------------------------ proxy headers
def environ_echo(environ, start_response):
    """What a page would see of the client and the address it used."""
    seen = {k: environ.get(k) for k in (
        "REMOTE_ADDR", "wsgi.url_scheme", "HTTP_HOST", "HTTP_X_FORWARDED_FOR",
        "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST")}
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(seen).encode()]


FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https",
             "X-Forwarded-Host": "pickgun.example"}


def seen_through(**options):
    with serving(environ_echo, **options) as port:
        status, headers, body = get("http://127.0.0.1:%d/" % port,
                                    headers=FORWARDED)
    assert status == 200 and headers["Server"] == "waitress"
    return json.loads(body), port


def test_forwarded_headers_are_not_trusted_by_default():
    seen, port = seen_through()
    assert seen == {"REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
                    "HTTP_HOST": "127.0.0.1:%d" % port,
                    "HTTP_X_FORWARDED_FOR": None,
                    "HTTP_X_FORWARDED_PROTO": None,
                    "HTTP_X_FORWARDED_HOST": None}


def test_a_trusted_proxy_s_forwarded_headers_are_believed():
    seen, _ = seen_through(trusted_proxy="127.0.0.1")
    assert (seen["REMOTE_ADDR"], seen["wsgi.url_scheme"],
            seen["HTTP_HOST"]) == ("203.0.113.9", "https", "pickgun.example")


def test_a_proxy_at_another_address_is_not_believed():
    seen, _ = seen_through(trusted_proxy="192.0.2.7")
    assert (seen["REMOTE_ADDR"], seen["wsgi.url_scheme"],
            seen["HTTP_X_FORWARDED_FOR"]) == ("127.0.0.1", "http", None)
