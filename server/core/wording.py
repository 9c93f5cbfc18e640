"""How pages, flash messages, history rows and documents write numbers
and times: "1 bottle", "2 bottles", "0 bottles" — never "1 bottles" or
"bottle(s)"; money as "$1,234.50"; grams as "12.5"; timestamps in the one
format every table stores."""
import time

# Nouns whose plural is not noun + "s".
_PLURALS = {"unit": "units", "bottle": "bottles", "order": "orders",
            "serial": "serials", "day": "days", "note": "notes"}


def plural(noun):
    return _PLURALS.get(noun) or noun + "s"


def counted(n, noun, plural_form=None):
    """`n` `noun`, in the plural unless n is exactly 1 ("1 bottle")."""
    if n == 1:
        return "%d %s" % (n, noun)
    return "%s %s" % (format(n, ",d"), plural_form or plural(noun))


def money(cents):
    """Cents as dollars: "$1,234.50", "-$5.00"; None reads as $0.00."""
    cents = cents or 0
    sign = "-" if cents < 0 else ""
    return "%s$%s" % (sign, format(abs(cents) / 100, ",.2f"))


def grams(value, decimals=3):
    """Grams as short text, to `decimals` places: 12, 12.5, 0.125."""
    return ("%.*f" % (decimals, value)).rstrip("0").rstrip(".")


TIMESTAMP = "%Y-%m-%d %H:%M:%S"     # UTC, what every table stores


def timestamp(seconds=None):
    """UTC time text for `seconds` since 1970 (now when None)."""
    return time.strftime(TIMESTAMP, time.gmtime(seconds))


def short_name(name, limit):
    """"Jane R." for Jane Roy, in at most `limit` characters: how a gun
    names a client (order snapshots) and an associate (the roster), on
    one row of its screen."""
    words = (name or "").split()
    if not words:
        return ""
    if len(words) == 1:
        return words[0][:limit]
    initial = " " + words[-1][0] + "."
    return words[0][:limit - len(initial)].rstrip("-'.") + initial
