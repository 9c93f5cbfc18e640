"""Checking a name and password, for staff (the back office and the JSON
API) and for clients (the Client Portal), and where the browser may go
afterwards.

Nothing in the answer tells whether a name belongs to an account: an
unknown name costs one password hash like a known one (checked against
a hash of a random password), and wrong passwords are counted per name
as typed, known or not, so an unknown name locks out exactly like a real
one.  After LOCK_AFTER wrong passwords in a row a name refuses every
password, the right one included, for LOCK_MINUTES."""
import collections
import functools
import secrets
import string
import time

from werkzeug.security import check_password_hash, generate_password_hash

from server.core.db import now, transaction
from server.core.wording import timestamp

LOCK_AFTER = 5          # wrong passwords in a row...
LOCK_MINUTES = 15       # ...lock the name this long
FORGET_HOURS = 24       # counts of names not tried for this long go
NAME_MAX = 254          # longest name counted (an email address)

# An account kind that signs in.  by_name and by_id select at least id,
# session_epoch and the password hash (as `secret`), and only accounts
# that may sign in.
Realm = collections.namedtuple("Realm", "name table session_key by_name "
                               "by_id")

STAFF = Realm(
    "staff", "staff", "staff_id",
    "SELECT id, username, name, role, session_epoch, "
    "password_hash AS secret FROM staff WHERE username = ? AND active = 1",
    "SELECT id, username, name, role, session_epoch, "
    "password_hash AS secret FROM staff WHERE id = ? AND active = 1")
PORTAL = Realm(
    "portal", "clients", "portal_client_id",
    "SELECT id, session_epoch, portal_password_hash AS secret FROM clients "
    "WHERE lower(email) = ? AND portal_password_hash != '' "
    "ORDER BY id LIMIT 1",
    "SELECT id, session_epoch, portal_password_hash AS secret FROM clients "
    "WHERE id = ? AND portal_password_hash != ''")


class LockedOut(Exception):
    """Too many wrong passwords for this name: wait, then try again."""


def normal_name(name):
    """A name as accounts store it: trimmed, lower case."""
    return (name if isinstance(name, str) else "").strip().lower()


def check(db, realm, name, password):
    """The account row (a dict, `secret` left out) for these credentials,
    or None.  LockedOut while the name is locked."""
    key = normal_name(name)[:NAME_MAX]
    password = password if isinstance(password, str) else ""
    count = db.execute("SELECT failed, locked_until FROM sign_in_failures "
                       "WHERE realm = ? AND name = ?",
                       [realm.name, key]).fetchone()
    if count is not None and (count["locked_until"] or "") > now():
        raise LockedOut("Too many wrong passwords: sign-in with this name "
                        "is locked until %s UTC."
                        % count["locked_until"][11:16])
    row = db.execute(realm.by_name, [key]).fetchone() if key else None
    if row is not None and check_password_hash(row["secret"], password):
        if count is not None:
            with transaction(db):
                db.execute("DELETE FROM sign_in_failures WHERE realm = ? "
                           "AND name = ?", [realm.name, key])
        return {k: row[k] for k in row.keys() if k != "secret"}
    if row is None:
        # The same work as a wrong password for a real account.
        check_password_hash(_unknown_account_hash(), password)
    _count_failure(db, realm, key, count)
    return None


def _count_failure(db, realm, key, count):
    failed = (count["failed"] if count is not None else 0) + 1
    locked_until = None
    if failed >= LOCK_AFTER:
        failed, locked_until = 0, _utc(time.time() + LOCK_MINUTES * 60)
    with transaction(db):
        db.execute(
            "INSERT INTO sign_in_failures (realm, name, failed, "
            " locked_until, last_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (realm, name) DO UPDATE SET failed = "
            " excluded.failed, locked_until = excluded.locked_until, "
            " last_at = excluded.last_at",
            [realm.name, key, failed, locked_until, now()])
        # Names nobody tried for a day are forgotten, so guessing many
        # names cannot grow the table without end.
        db.execute("DELETE FROM sign_in_failures WHERE last_at < ? AND "
                   "(locked_until IS NULL OR locked_until < ?)",
                   [_utc(time.time() - FORGET_HOURS * 3600), now()])


_utc = timestamp


def prepare():
    """Make the unknown-account hash now, so that no sign-in pays for
    making it (a first slow answer would stand out)."""
    _unknown_account_hash()


@functools.cache
def _unknown_account_hash():
    # Made like every stored hash (Werkzeug's default method), so checking
    # it costs the same.
    return generate_password_hash(secrets.token_urlsafe(32))


# ------------------------------------------------------------- redirects
# What a browser accepts in a path it will keep on this site; anything
# else (control characters and spaces, which browsers strip or mangle;
# backslashes, which they read as slashes; non-ASCII) is refused.
_PATH_CHARS = frozenset(string.ascii_letters + string.digits +
                        "-._~!$&'()*+,;=:@/?#%[]")


def local_path(target, default="/"):
    """`target` if it is a path on this site ("/orders/1004?tab=notes"),
    else `default`: never another host ("//evil.example", "/\\evil",
    "/\\t/evil", "https://..."), never a scheme ("javascript:...")."""
    if not isinstance(target, str) or not target.startswith("/") or \
            target.startswith("//") or not set(target) <= _PATH_CHARS:
        return default
    return target
