"""Who the session cookie signs in, and when that ends.

The cookie is Flask's signed cookie.  Beside the account id it carries a
proof: an HMAC, under the app's secret key, of the account id, its
session epoch and its password hash.  Every request recomputes it from
the database, so a session (and every copy of its cookie) ends when:

- its account signs out: the epoch goes up, ending all its sessions;
- its password changes or is reset: the hash changes;
- its account is deactivated: the row no longer signs in, and the epoch
  goes up so that reactivating it brings no old session back;
- a shift is over: the cookie is refused after PERMANENT_SESSION_LIFETIME.

Signing in starts a fresh session: nothing from before (a planted cookie,
its CSRF token) survives it.

The cookie is Secure when the request came over HTTPS: directly, or
through the reverse proxy the web server trusts (`pickgun web
--trusted-proxy`, which alone believes X-Forwarded-Proto).
SESSION_COOKIE_SECURE forces it whatever the request says."""
import hashlib
import hmac

from flask import current_app, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface

from server.core.db import get_db, transaction

PROOF_SUFFIX = "_proof"


def proof(secret_key, realm, row):
    """The HMAC binding a session to `row` as it is now (id,
    session_epoch, secret: the password hash)."""
    key = secret_key.encode() if isinstance(secret_key, str) else secret_key
    message = "%s\0%s\0%s\0%s" % (realm.name, row["id"],
                                  row["session_epoch"], row["secret"])
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def values(secret_key, realm, row):
    """The session keys that sign `row` in (tests set them directly)."""
    return {realm.session_key: row["id"],
            realm.session_key + PROOF_SUFFIX: proof(secret_key, realm, row)}


def begin(realm, account_id):
    """Start a fresh session signed in as this account."""
    row = get_db().execute(realm.by_id, [account_id]).fetchone()
    session.clear()
    session.permanent = True        # over after PERMANENT_SESSION_LIFETIME
    session.update(values(current_app.secret_key, realm, row))


def current(realm):
    """The signed-in account's row (a dict without its secret) or None;
    a session whose proof no longer holds is signed out."""
    account_id = session.get(realm.session_key)
    if account_id is None:
        return None
    row = get_db().execute(realm.by_id, [account_id]).fetchone()
    sent = session.get(realm.session_key + PROOF_SUFFIX)
    if row is None or not isinstance(sent, str) or not hmac.compare_digest(
            sent, proof(current_app.secret_key, realm, row)):
        _forget(realm)
        return None
    return {k: row[k] for k in row.keys() if k != "secret"}


def _forget(realm):
    """Sign this browser out of `realm` (its other sessions go on)."""
    session.pop(realm.session_key, None)
    session.pop(realm.session_key + PROOF_SUFFIX, None)


def end_all(db, realm, account_id):
    """End every session of the account, wherever its cookie is (within
    the caller's transaction if there is one)."""
    sql = ("UPDATE %s SET session_epoch = session_epoch + 1 WHERE id = ?"
           % realm.table)
    with transaction(db):
        db.execute(sql, [account_id])


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, Secure whenever served over HTTPS."""

    def get_cookie_secure(self, app):
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (
            has_request_context() and request.is_secure)


def init_app(app):
    app.session_interface = CookieSessions()
