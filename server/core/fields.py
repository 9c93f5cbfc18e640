"""Field values from forms (text) and the JSON API (typed values): one
parser per kind of field, each refusing anything else with BadInput and
a message naming the field.  Services call these before they write, so a
refused request changes nothing.  Money has its own rule in
server.orders.pricing.parse_money."""
import datetime
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from server.core.db import parse_int
from server.core.errors import BadInput
from server.core.wording import grams as fmt_grams




def shown(value, limit=40):
    """A value someone sent, quoted and short enough for a message."""
    quoted = repr(value)
    return quoted if len(quoted) <= limit else quoted[:limit - 1] + "…"


# ------------------------------------------------------------------ text
# Tab, newline and carriage return are the only control characters a
# typed text may hold; NUL and the rest would end up in records, PDFs and
# on the guns' screens.
_ALLOWED_CONTROLS = frozenset("\t\n\r")


def text(value, what, limit):
    """A required text field: stripped, not empty, at most `limit`
    characters, no control characters."""
    if value is not None and not isinstance(value, str):
        raise BadInput("%s must be text" % what)
    if not value or not value.strip():
        raise BadInput("%s must not be empty" % what)
    value = value.strip()
    if len(value) > limit:
        raise BadInput("%s is too long (at most %d characters)"
                       % (what, limit))
    for ch in value:
        if ch not in _ALLOWED_CONTROLS and \
                unicodedata.category(ch) in ("Cc", "Cs"):
            raise BadInput("%s must not contain control characters"
                           % what)
    return value


def optional_text(value, what, limit):
    """An optional text field: None when missing or blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return text(value, what, limit)


# Passwords (staff and Client Portal): long enough to resist guessing,
# short enough that hashing one is no burden (a megabyte "password"
# would make every check slow).
PASSWORD_MIN = 8
PASSWORD_MAX = 200


def password(value, what):
    """A new password: PASSWORD_MIN to PASSWORD_MAX characters, kept as
    typed (no stripping), without control characters."""
    if not isinstance(value, str) or \
            not PASSWORD_MIN <= len(value) <= PASSWORD_MAX:
        raise BadInput("%s must be %d to %d characters"
                       % (what, PASSWORD_MIN, PASSWORD_MAX))
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value):
        raise BadInput("%s must not contain control characters" % what)
    return value


def choice(value, choices, what):
    """One of `choices` (its keys), exactly as given."""
    if not isinstance(value, str) or value not in choices:
        raise BadInput("%s must be one of: %s" % (what, ", ".join(choices)))
    return value


# --------------------------------------------------------------- numbers
def whole(value, what, low, high):
    """A whole number in low..high: a JSON integer or a form's digits."""
    number = parse_int(value, low, high)
    if number is None:
        raise BadInput("%s must be a whole number from %d to %d"
                       % (what, low, high))
    return number


GRAM_DECIMALS = 3           # milligrams: what scales and labels show
_GRAM_STEP = Decimal(1).scaleb(-GRAM_DECIMALS)
_NUMBER_TEXT_MAX = 40


def grams(value, what, maximum, allow_zero=False):
    """A weight in grams: more than 0 (or 0 with allow_zero), at most
    `maximum`, at most GRAM_DECIMALS decimals; from a JSON number or a
    form's text ("12.5", "12,5").  Returns a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise BadInput("%s must be a number of grams" % what)
    amount = _decimal(value)
    if amount is None:
        raise BadInput("%s must be a number of grams" % what)
    if not amount.is_finite() or amount < 0 or (
            amount == 0 and not allow_zero):
        raise BadInput("%s must be %s 0 g" % (
            what, "at least" if allow_zero else "more than"))
    if 0 < amount < _GRAM_STEP:
        raise BadInput("%s must be at least %s g (it would round to 0 g)"
                       % (what, _GRAM_STEP))
    if amount > Decimal(repr(float(maximum))):
        raise BadInput("%s must be at most %s g" % (what, fmt_grams(maximum)))
    if amount != amount.quantize(_GRAM_STEP):
        raise BadInput("%s: at most %d decimals (milligrams)"
                       % (what, GRAM_DECIMALS))
    return float(amount)


def _decimal(value):
    """The exact Decimal of a JSON number or of a number typed in a form
    (a comma for the decimal point accepted); None if it is not one."""
    if isinstance(value, int):
        return Decimal(value)
    raw = value.strip().replace(",", ".") if isinstance(value, str) \
        else repr(value)
    if not raw or len(raw) > _NUMBER_TEXT_MAX or not raw.isascii():
        return None
    try:
        return Decimal(raw)
    except InvalidOperation:
        return None


# ----------------------------------------------------------------- dates
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
# No record of this business is dated outside these years.
EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2199, 12, 31)


def date(value, what, earliest=None, latest=None):
    """A real calendar date as YYYY-MM-DD (what a date field sends),
    between `earliest` and `latest` (dates; default EARLIEST..LATEST)."""
    if not isinstance(value, str) or not _DATE.match(value.strip()):
        raise BadInput("%s must be a date (YYYY-MM-DD)" % what)
    try:
        day = datetime.date.fromisoformat(value.strip())
    except ValueError:
        raise BadInput("%s is not a valid date" % what) from None
    low = earliest or EARLIEST
    high = latest or LATEST
    if day < low:
        raise BadInput("%s cannot be before %s" % (what, low.isoformat()))
    if day > high:
        raise BadInput("%s cannot be after %s" % (what, high.isoformat()))
    return day
