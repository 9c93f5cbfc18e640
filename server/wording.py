"""How pages, flash messages, history rows and documents say a number of
things: "1 bottle", "2 bottles", "0 bottles" — never "1 bottles" or
"bottle(s)"."""

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
