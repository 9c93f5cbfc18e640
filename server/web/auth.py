"""Staff sign-in, roles, CSRF protection, security headers, error pages.

Every page needs a signed-in staff member except the login page, static
files, the Client Portal (every URL under /portal/, known or not: it
signs clients in on its own) and the firmware guns download (they sign
in with their own credentials: server.web.firmware).  An unknown URL is
a 404 for everyone, signed in or not.  Who is signed in, and when that ends, is
server.staff.sessions; checking a password is server.staff.sign_in; the
accounts themselves are server.staff.accounts.

The JSON API (/api/...) also takes HTTP Basic credentials, for scripts;
nothing else does.  Forms posted with the session cookie must carry the
session's CSRF token (hidden field `csrf_token` or header
`X-CSRF-Token`).  API writes must send a JSON body (415 otherwise): a
browser cannot send one cross-site without the API's consent (CORS), so
a remembered Basic password cannot be used to forge one.

Roles, lowest to highest: associate < csr < supervisor < admin.  ROLE_FOR
says the least role each guarded action needs: the one place for it."""
import functools
import hmac
import secrets

import click
from flask import (Blueprint, abort, current_app, flash, g, redirect,
                   render_template, request, session, url_for)
from werkzeug.exceptions import NotFound

from server.staff import sessions
from server.staff import sign_in
from server.staff import accounts as staff
from server.orders import states as order_states
from server.core import fields
from server.core.db import (connect, default_database, get_db, now,
                            prepare_database, transaction)
from server.web import pages
from server.web.firmware import GUN_ENDPOINTS

ROLES = staff.ROLES
_RANK = {role: i for i, role in enumerate(ROLES)}

# Least role for each guarded action: order-menu actions (names from
# server.orders.states) and page-level ones.  Anything not listed needs a
# CSR; viewing needs any signed-in staff member.
ROLE_FOR = {
    "view": "associate",
    "print_labels": "associate",
    "pick": "associate",
    "print_shipping_label": "associate",
    "refund": "supervisor",
    "delete": "supervisor",
    "record_destruction": "supervisor",
    "return_grams": "supervisor",
    "archive_all": "supervisor",
    "manage_staff": "admin",
    "manage_devices": "admin",
    "set_offline_share": "supervisor",
    "set_signin": "supervisor",
    "manage_lots": "supervisor",        # hold, recall, release a lot
}
DEFAULT_ROLE = "csr"

SESSION_HOURS = 10      # a shift; then sign in again
# Where the Client Portal lives (server.web.portal): staff sign-in
# never applies there.
PORTAL_PREFIX = "/portal"

bp = Blueprint("auth", __name__)


def check_login(db, username, password):
    """The staff row for these credentials, or None (sign_in.LockedOut
    while the name is locked)."""
    return sign_in.check(db, sign_in.STAFF, username, password)


def role_allows(role, action):
    need = ROLE_FOR.get(action, DEFAULT_ROLE)
    return role in _RANK and _RANK[role] >= _RANK[need]


# ------------------------------------------------------- request helpers
def current_staff():
    return g.get("staff")


def actor():
    """Who is acting, as order history records it."""
    staff = current_staff()
    return staff["username"] if staff else "system"


def can(action):
    staff = current_staff()
    return bool(staff) and role_allows(staff["role"], action)


# What a page says beside an action the status allows but the role does
# not: the back office shows such an action disabled, never hides it.
NEEDS_TEXT = {
    "associate": "Needs a signed-in staff member",
    "csr": "Needs a CSR",
    "supervisor": "Needs a supervisor",
    "admin": "Needs an administrator",
}


def needs(action):
    """"" when the signed-in staff member may do `action`, else what it
    needs ("Needs a supervisor"), for a disabled button's title."""
    if can(action):
        return ""
    return NEEDS_TEXT[ROLE_FOR.get(action, DEFAULT_ROLE)]


def require(action):
    """Abort with 403 unless the signed-in staff member may do `action`."""
    if not can(action):
        role = (current_staff() or {}).get("role")
        abort(403, "Your role (%s) may not do this: %s needs %s or above."
              % (ROLES.get(role, "none") if role else "none",
                 order_states.label(action),
                 ROLES[ROLE_FOR.get(action, DEFAULT_ROLE)]))


def csrf_token():
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def _portal_request():
    """A Client Portal URL, known or not."""
    return request.path == PORTAL_PREFIX or request.path.startswith(
        PORTAL_PREFIX + "/")


def _api_request():
    return request.path.startswith("/api/")


def _json_request():
    """The API, or a page's .json twin (server.web.pages): answered in
    JSON, errors too."""
    return _api_request() or pages.is_twin(request.path)


def _load_staff():
    g.staff = sessions.current(sign_in.STAFF)
    if g.staff is not None or not _api_request():
        return
    basic = request.authorization
    if basic and basic.type == "basic":
        try:
            row = check_login(get_db(), basic.username, basic.password)
        except sign_in.LockedOut:
            row = None
        if row:
            g.staff = {k: row[k] for k in ("id", "username", "name", "role")}
            g.basic_auth = True


def _before_request():
    if request.endpoint == "static" or _portal_request():
        return None         # the portal checks its own (views.portal)
    if request.endpoint in GUN_ENDPOINTS:
        return None         # guns sign in on their own (web.firmware)
    if isinstance(request.routing_exception, NotFound):
        # No such page, for anyone: nothing to sign in to.  (A session
        # still shows who is signed in on the 404 page.)
        g.staff = sessions.current(sign_in.STAFF)
        return None
    if request.endpoint == "auth.login":
        return None
    _load_staff()
    if g.staff is None:
        if _api_request():
            return ({"error": "Sign in first (session or HTTP Basic)"}, 401,
                    {"WWW-Authenticate": 'Basic realm="Pickgun"'})
        if _json_request():
            return {"error": "Sign in first"}, 401
        return redirect(url_for("auth.login", next=request.full_path
                                if request.query_string else request.path))
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    if _api_request() and not request.is_json:
        return ({"error": "API writes take a JSON body: send "
                 "Content-Type: application/json"}, 415)
    if not g.get("basic_auth"):
        check_csrf()
    return None


def check_csrf():
    """Abort 400 unless the request carries this session's CSRF token."""
    if not current_app.config.get("CSRF_ENABLED", True):
        return
    sent = request.form.get("csrf_token") or request.headers.get(
        "X-CSRF-Token", "")
    token = session.get("csrf", "")
    if not token or not hmac.compare_digest(sent, token):
        abort(400, "The form expired or did not come from this site "
              "(missing or wrong CSRF token). Reload the page and try again.")


def _security_headers(response):
    h = response.headers
    h.setdefault("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' data:; "
                 "object-src 'none'; frame-ancestors 'none'; "
                 "base-uri 'self'; form-action 'self'")
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Referrer-Policy", "same-origin")
    h.setdefault("Permissions-Policy", "camera=(), microphone=(), "
                 "geolocation=()")
    if "Cache-Control" not in h and request.endpoint != "static":
        h["Cache-Control"] = "no-store"     # patient data: keep out of caches
    if request.is_secure:
        # Reached over HTTPS: the browser should never try plain HTTP.
        h.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


# ------------------------------------------------------------------ pages
@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        check_csrf()
        db = get_db()
        try:
            staff = check_login(db, request.form.get("username"),
                                request.form.get("password"))
        except sign_in.LockedOut as e:
            flash(str(e), "error")
            return render_template("auth/login.html"), 429
        if staff is None:
            flash("Wrong username or password.", "error")
            return render_template("auth/login.html"), 401
        sessions.begin(sign_in.STAFF, staff["id"])
        csrf_token()
        with transaction(db):
            db.table("staff").update(staff["id"], {"last_login": now()})
        return redirect(sign_in.local_path(request.args.get("next"),
                                           url_for("index")))
    return render_template("auth/login.html")


@bp.post("/logout")
def logout():
    """Sign out here and everywhere else this account is signed in."""
    sessions.end_all(get_db(), sign_in.STAFF, current_staff()["id"])
    session.clear()
    flash("Signed out.", "success")
    return redirect(url_for("auth.login"))


# --------------------------------------------------------------- commands
@click.command("add-staff")
@click.argument("username")
@click.option("--role", type=click.Choice(list(ROLES)), default="csr",
              show_default=True)
@click.option("--name", default=None, help="Full name shown on pages.")
@click.option("--password", prompt=True, hide_input=True,
              confirmation_prompt=True, help="Prompted when not given.")
@click.option("--db", "db_path", type=click.Path(dir_okay=False),
              default=None, help="SQLite file (default: the app's).")
def add_staff_command(username, role, name, password, db_path):
    """Create a staff account that can sign in to the web pages."""
    path = db_path or default_database()
    prepare_database(path)
    db = connect(path)
    try:
        staff.create(db, username, password, role, name)
    except fields.BadInput as e:
        raise click.ClickException(str(e)) from e
    finally:
        db.conn.close()
    click.echo("Staff account %s (%s) created." % (
        staff.username(username), ROLES[role]))


def staff_required(action="view"):
    """Decorator form of require() for views."""
    def wrap(view):
        @functools.wraps(view)
        def inner(*args, **kwargs):
            require(action)
            return view(*args, **kwargs)
        return inner
    return wrap


def _error_page(e):
    # Friendly pages for refusals, in the Client Portal's own look under
    # /portal/ (its links lead back to the portal, never to staff pages);
    # the JSON API and the pages' .json twins answer JSON.
    if _json_request():
        return {"error": e.description}, e.code
    template = "portal/error.html" if _portal_request() else "error.html"
    return render_template(template, error=e), e.code


def init_app(app):
    app.config.setdefault("CSRF_ENABLED", True)
    sessions.init_app(app)
    sign_in.prepare()
    app.before_request(_before_request)
    app.after_request(_security_headers)
    app.jinja_env.globals.update(csrf_token=csrf_token, can=can, needs=needs,
                                 current_staff=current_staff, ROLES=ROLES)
    app.register_blueprint(bp)
    for code in (400, 403, 404, 405, 413):
        app.register_error_handler(code, _error_page)
