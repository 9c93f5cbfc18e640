"""Pickgun web server: the Flask application factory, where every
blueprint is registered.

Configuration, lowest to highest precedence: the defaults below,
config.py in the instance folder, PICKGUN_* environment variables
(PICKGUN_DATABASE, PICKGUN_SECRET_KEY, PICKGUN_MQTT_HOST...), then the
command line's `settings`.  `test_config` replaces the file and the
environment (tests)."""
import datetime
import os
import secrets

from flask import Flask, redirect, url_for

from server import seed
from server.web import auth
from server.core import db
from server.core.db import DB_FILENAME, prepare_database
from server.web import (api, devices, firmware, fulfilment, json_body,
                        orders, staff)
from server.web import clients as client_views
from server.web import lots as lot_views
from server.web import documents as document_views
from server.web import portal as portal_views
from server.web import records as record_views
from server.web import recurring as recurring_views


def create_app(test_config=None, instance_path=None, settings=None):
    """instance_path: the folder of config.py and secret_key (Flask's
    default instance folder when None)."""
    # Named "server", so the app's logger and instance folder keep the
    # names they always had; templates/ and static/ are the web wing's.
    app = Flask("server", instance_path=instance_path,
                root_path=os.path.join(os.path.dirname(__file__), "web"),
                instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY=None,
        DATABASE=os.path.join(app.instance_path, DB_FILENAME),
        MQTT_HOST="127.0.0.1",   # used by the MQTT worker, not by the pages
        MQTT_PORT=1883,
        # Staff sessions: cookie not readable by scripts, not sent on
        # cross-site posts, and over after a shift (server.web.auth).
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=datetime.timedelta(
            hours=auth.SESSION_HOURS),
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("PICKGUN")
    else:
        app.config.from_mapping(test_config)
    app.config.from_mapping(settings or {})
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)

    db.init_app(app)
    json_body.init_app(app)
    prepare_database(app.config["DATABASE"])
    auth.init_app(app)

    app.register_blueprint(orders.bp)
    app.register_blueprint(fulfilment.bp)
    app.register_blueprint(devices.bp)
    app.register_blueprint(firmware.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(record_views.bp)
    app.register_blueprint(document_views.bp)
    app.register_blueprint(client_views.bp)
    app.register_blueprint(recurring_views.bp)
    app.register_blueprint(lot_views.bp)
    app.register_blueprint(portal_views.bp)
    app.cli.add_command(seed.seed_demo_app_command)
    app.cli.add_command(auth.add_staff_command)
    # Top-bar links of blueprints that may be registered (label per page).
    app.jinja_env.globals.update(
        nav_extra=[("clients.index", "Clients", "view"),
                   ("staff.index", "Staff", "manage_staff")],
        has_endpoint=lambda name: name in app.view_functions)

    @app.route("/")
    def index():
        return redirect(url_for("orders.index"))

    return app


def _instance_secret(instance_path):
    # Flash messages live in a signed cookie: keep one random key per
    # installation so sessions survive restarts without a shipped default.
    path = os.path.join(instance_path, "secret_key")
    try:
        with open(path) as f:
            key = f.read().strip()
        if key:
            return key
    except FileNotFoundError:
        pass
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key

