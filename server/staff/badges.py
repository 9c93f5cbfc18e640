"""Badges: the QR code an associate scans on a gun to sign in
(docs/protocol.md §1, wire.badge_code: PGS:<staff number>:<token>:<check>).

Issuing one draws a fresh token (TOKEN_LEN of A-Z 0-9, from `secrets`)
and keeps only wire.badge_hash of the code's body in staff.badge_hash,
with badge_issued_at, and clears badge_revoked_at.  The token is handed
back once, for the card to be printed (like a password reset), and never
stored: a lost card is not reprinted, a new badge is issued, and the old
code stops working.  Issuing again (reissue) is the same: the new hash
replaces the old one.  Revoking sets badge_revoked_at and clears the
hash, so nothing is left that matches the old code.  A badge is never
the associate's password, and knowing the hash does not make one.

Which badges are valid: the one rule, VALID_SQL (the roster the guns get,
server/staff/roster.py, lists exactly these accounts, and check() below
reads the same):

    staff.active = 1 AND staff.badge_hash IS NOT NULL
    AND staff.badge_revoked_at IS NULL

So a deactivated account's badge stops working at once (the roster drops
it) without being touched, and comes back if the account is reactivated
(revoke it, or issue a new one, if the card is not to come back too).
Only an active account is issued a badge.

Every issue and revocation is logged (logger "server.staff.badges") with
who did it: the Staff page has no audit table of its own."""
import hmac
import logging
import secrets
import string

from server.core import fields
from server.core.db import now, transaction
from server.staff.accounts import StaffNotFound
from shared import wire

log = logging.getLogger(__name__)

TOKEN_CHARS = string.ascii_uppercase + string.digits
# The one rule of a valid badge (see the docstring), on table `staff`.
VALID_SQL = ("active = 1 AND badge_hash IS NOT NULL "
             "AND badge_revoked_at IS NULL")

# A badge's state as the Staff page shows it (state()).
NONE, VALID, REVOKED, SUSPENDED = "none", "valid", "revoked", "suspended"
STATE_LABELS = {
    NONE: "No badge",
    VALID: "Badge valid",
    REVOKED: "Badge revoked",
    SUSPENDED: "Badge not valid: account deactivated",
}


class BadgeRefused(fields.BadInput):
    """Nothing to revoke, or an account that may not hold a badge."""


def new_token():
    """TOKEN_LEN random characters of A-Z 0-9 (about 62 bits)."""
    return "".join(secrets.choice(TOKEN_CHARS)
                   for _ in range(wire.TOKEN_LEN))


def state(row):
    """NONE, VALID, REVOKED or SUSPENDED for a staff row with active,
    badge_hash (or has_badge), badge_issued_at and badge_revoked_at."""
    if row.get("badge_revoked_at"):
        return REVOKED
    if not (row.get("badge_hash") or row.get("has_badge")):
        return NONE
    return VALID if row.get("active") else SUSPENDED


def _account(db, staff_id):
    row = db.execute(
        "SELECT id, username, name, role, active, badge_hash, "
        "badge_issued_at, badge_revoked_at FROM staff WHERE id = ?",
        [staff_id]).fetchone()
    if row is None:
        raise StaffNotFound(staff_id)
    return dict(row)


def issue(db, staff_id, by="system"):
    """Issue a badge to an active account, replacing any it had (reissue):
    returns {"code": the badge code, to print now and never again,
    "account": the account as it is now (without its hash)}.
    StaffNotFound, or BadgeRefused for a deactivated account; nothing is
    written then."""
    with transaction(db):
        account = _account(db, staff_id)
        if not account["active"]:
            raise BadgeRefused(
                "%s's account is deactivated: reactivate it before issuing "
                "a badge." % account["username"])
        replaced = bool(account["badge_hash"])
        code = wire.badge_code(staff_id, new_token())
        body = code[:code.rfind(":")]   # what parse_code calls the body
        account.update(badge_hash=wire.badge_hash(body),
                       badge_issued_at=now(), badge_revoked_at=None)
        db["staff"].update(staff_id, {
            k: account[k] for k in ("badge_hash", "badge_issued_at",
                                    "badge_revoked_at")})
    log.info("Badge %s for %s (staff %d) by %s",
             "reissued" if replaced else "issued",
             account["username"], staff_id, by)
    account.pop("badge_hash")
    return {"code": code, "account": account}


def revoke(db, staff_id, by="system"):
    """Revoke the account's badge: its code stops working (the roster
    drops it).  StaffNotFound, or BadgeRefused when it has no badge to
    revoke; nothing is written then.  Returns the account (no hash)."""
    with transaction(db):
        account = _account(db, staff_id)
        if not account["badge_hash"] or account["badge_revoked_at"]:
            raise BadgeRefused("%s has no badge to revoke."
                               % account["username"])
        account.update(badge_hash=None, badge_revoked_at=now())
        db["staff"].update(staff_id, {"badge_hash": None,
                                      "badge_revoked_at":
                                      account["badge_revoked_at"]})
    log.info("Badge revoked for %s (staff %d) by %s", account["username"],
             staff_id, by)
    account.pop("badge_hash")
    return account


def check(db, code):
    """The staff id a scanned badge code signs in, or None: the code
    parses, and its hash is the valid badge's (VALID_SQL) of that
    account."""
    if not isinstance(code, str):
        return None
    try:
        parsed = wire.parse_code(code)
    except wire.CodeError:
        return None
    if parsed[0] != "badge":
        return None
    _, staff_id, body = parsed
    row = db.execute("SELECT badge_hash FROM staff WHERE id = ? AND "
                     + VALID_SQL, [staff_id]).fetchone()
    if row is None or not hmac.compare_digest(row[0],
                                              wire.badge_hash(body)):
        return None
    return staff_id
