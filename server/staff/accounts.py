"""Staff accounts: who signs in to the back office, and with which role.

Each field's rule is here, once, and every way an account is made or
changed goes through it: the Staff page, `pickgun add-staff`, the demo
data.  A refused value raises fields.BadInput naming the field, and
nothing is written.  Accounts are deactivated, never deleted, so the
order history keeps naming real people; deactivating one ends its
sessions (a new password ends them by itself: server.sessions)."""
import string

from werkzeug.security import generate_password_hash

from server.staff import sessions
from server.staff import sign_in
from server.core import fields
from server.core.db import now, transaction

ROLES = {
    "associate": "Fulfilment associate",
    "csr": "Customer service",
    "supervisor": "Supervisor",
    "admin": "Administrator",
}
USERNAME_MAX = 40
NAME_MAX = 80
# Plain ASCII only: names that look alike (a Cyrillic "а" in "admin")
# cannot pose as one another in the order history.
_USERNAME_CHARS = frozenset(string.ascii_lowercase + string.digits + "._-")


class StaffNotFound(LookupError):
    def __init__(self, staff_id):
        super().__init__("No staff account %s" % staff_id)


# ------------------------------------------------------------------ rules
def username(value):
    """A username as stored: trimmed, lower case, 1 to USERNAME_MAX of
    a-z, 0-9, '.', '_' and '-'."""
    name = (value if isinstance(value, str) else "").strip().lower()
    if not name or len(name) > USERNAME_MAX or \
            not set(name) <= _USERNAME_CHARS:
        raise fields.BadInput(
            "Username: 1 to %d characters of a-z, 0-9, '.', '_' or '-'"
            % USERNAME_MAX)
    return name


def full_name(value):
    """The name pages show, or None when not given (the username then)."""
    return fields.optional_text(value, "Full name", NAME_MAX)


def role(value):
    return fields.choice(value, ROLES, "Role")


def password(value):
    return fields.password(value, "Password")


# ------------------------------------------------------------------ reads
def list_accounts(db):
    """Every account, active first, as the Staff page shows it: never
    the password hash, nor the badge's (has_badge: whether it holds one;
    server.staff.badges says what that badge's state is)."""
    return [dict(r) for r in db.execute(
        "SELECT id, username, name, role, active, created_at, last_login, "
        " badge_hash IS NOT NULL AS has_badge, badge_issued_at, "
        " badge_revoked_at "
        "FROM staff ORDER BY active DESC, username")]


# ----------------------------------------------------------------- writes
def create(db, name, secret, role_name, display_name=None):
    """A new active account; returns its id.  BadInput (nothing written)
    for a bad field or a username already taken."""
    name = username(name)
    role_name = role(role_name)
    secret = password(secret)
    display_name = full_name(display_name) or name
    with transaction(db):
        if db.execute("SELECT 1 FROM staff WHERE username = ?",
                      [name]).fetchone():
            raise fields.BadInput("Username %r is taken" % name)
        return db["staff"].insert({
            "username": name, "name": display_name, "role": role_name,
            "password_hash": generate_password_hash(secret), "active": 1,
            "created_at": now()}).last_pk


def change(db, staff_id, by_id, new_role=None, active=None, secret=None):
    """Change an account's role, active flag and/or password, as staff
    member `by_id`.  Every change is checked first: one refused refuses
    them all (BadInput naming each).  Returns the account's username."""
    row = db.execute("SELECT id, username FROM staff WHERE id = ?",
                     [staff_id]).fetchone()
    if row is None:
        raise StaffNotFound(staff_id)
    me = staff_id == by_id
    changes, errors = {}, []
    if new_role is not None:
        try:
            changes["role"] = role(new_role)
        except fields.BadInput as e:
            errors.append(str(e) + ".")
        if me and changes.get("role", "admin") != "admin":
            errors.append("You cannot take the administrator role from "
                          "yourself.")
    if active is not None:
        if me:
            errors.append("You cannot deactivate your own account.")
        changes["active"] = 1 if active else 0
    if secret is not None:
        try:
            changes["password_hash"] = generate_password_hash(
                password(secret))
        except fields.BadInput as e:
            errors.append(str(e) + ".")
    if errors:
        raise fields.BadInput(" ".join(errors))
    if changes:
        with transaction(db):
            db["staff"].update(staff_id, changes)
            if changes.get("active") == 0:
                sessions.end_all(db, sign_in.STAFF, staff_id)
    return row["username"]


