"""The Orders dashboard's search: which orders match what a CSR typed.

Search goes through order_search_fts (FTS5): client name, order id and
tracking number, kept current by triggers; bottle serials through the
picks table's serial index (so a pick costs the worker nothing more).
Matches are capped at SEARCH_CAP orders (the most recent order ids); the
page says so when the cap is reached."""
import json
import re

SEARCH_CAP = 2000
SEARCH_TOKENS = 8       # more words than this in a search are ignored


def match_expression(text):
    """The FTS5 query for what a CSR typed, or None if nothing is left.

    Every word must match (AND), as a prefix: "marg" finds Margaret,
    "B0001" a serial.  "#1004" is order 1004 only.  A bare number is an
    order id (whole: "1004" is not order 10040) or, from 6 digits, the
    start of a tracking number or serial.  A number typed in groups
    ("7023 4411 9870 2214") is also tried as one tracking number.  One
    letter matches only a one-letter word."""
    words = [w for w in re.findall(r"#?\w+", text.lower())[:SEARCH_TOKENS]
             if not SERIAL_LIKE.fullmatch(w)]
    return _fts_expression(text, words)


# A word that may be (the start of) a bottle serial: letters then digits.
SERIAL_LIKE = re.compile(r"[a-z]{1,3}\d{3,}\w*")


def _fts_expression(text, words):
    terms = []
    for word in words:
        if word.startswith("#"):
            if word[1:].isdigit():
                terms.append('ref : "%s"' % word[1:])
                continue
            word = word[1:]
        quoted = '"%s"' % word
        if word.isdigit():
            if len(word) >= 6:
                terms.append("(ref : %s OR tracking : %s *)"
                             % (quoted, quoted))
            else:
                terms.append("(ref : %s OR tracking : %s)"
                             % (quoted, quoted))
        elif len(word) == 1:
            terms.append(quoted)
        else:
            terms.append(quoted + " *")
    if not terms:
        return None
    compact = re.sub(r"[\s-]", "", text)
    if len(words) > 1 and compact.isdigit() and len(compact) >= 8:
        return '(%s) OR tracking : "%s" *' % (" AND ".join(terms), compact)
    return " AND ".join(terms)


def search_ids(db, text, cap=None):
    """(order ids matching `text`, most recent first, at most `cap`;
    whether more matched).  None when the text has nothing to search.
    A serial-like word ("B000123", "b0001") matches orders holding a
    bottle whose serial starts with it, or a tracking number starting
    with it; every other word goes to the full-text index."""
    cap = SEARCH_CAP if cap is None else cap
    words = re.findall(r"#?\w+", text.lower())[:SEARCH_TOKENS]
    serial_words = [w for w in words if SERIAL_LIKE.fullmatch(w)]
    expression = _fts_expression(text, [w for w in words
                                         if w not in serial_words])
    if expression is None and not serial_words:
        return None
    allowed = None              # order ids every serial word matched
    for word in serial_words:
        found = _serial_or_tracking_ids(db, word, cap)
        allowed = found if allowed is None else allowed & found
    if allowed is None:         # no serial words: the text has words
        ids = [r[0] for r in db.execute(
            "SELECT rowid FROM order_search_fts WHERE order_search_fts "
            "MATCH ? ORDER BY rowid DESC LIMIT ?", [expression, cap + 1])]
    elif expression is None:
        ids = sorted(allowed, reverse=True)[:cap + 1]
    else:
        ids = [r[0] for r in db.execute(
            "SELECT rowid FROM order_search_fts WHERE order_search_fts "
            "MATCH ? AND rowid IN (SELECT value FROM json_each(?)) "
            "ORDER BY rowid DESC LIMIT ?",
            [expression, json.dumps(sorted(allowed)), cap + 1])]
    return ids[:cap], len(ids) > cap


def _serial_or_tracking_ids(db, word, cap):
    prefix = word.upper()
    # A range scan of the accepted-picks serial index: a prefix match.
    ids = {r[0] for r in db.execute(
        "SELECT order_id FROM picks WHERE status = 'accepted' "
        "AND serial >= ? AND serial < ? LIMIT ?",
        [prefix, prefix + "\uffff", cap + 1])}
    ids.update(r[0] for r in db.execute(
        "SELECT rowid FROM order_search_fts WHERE order_search_fts "
        "MATCH ? ORDER BY rowid DESC LIMIT ?",
        ['tracking : "%s" *' % word, cap + 1]))
    return ids
