# Pickgun wire contract: topics, payloads and QR code grammars.
#
# One module for both sides: the server (CPython) and the scanner gun
# (MicroPython) import it as `shared.wire`.  Keep it to what both
# interpreters have: no typing, no dataclasses, no regular expressions,
# no CPython-only imports.  docs/protocol.md is the human-readable
# specification of everything defined here.

import binascii
import hashlib
import json

# On the gun, micropython.const; CPython has no such module (so the checker
# of the server's side finds none) and takes the stand-in, whose signature
# is not the stub's.
try:
    from micropython import const  # pyright: ignore[reportMissingImports, reportAssignmentType]
except ImportError:  # CPython
    def const(value):
        return value

VERSION = 1          # "v" field of every JSON payload
ROOT = "pickgun"

# ---------------------------------------------------------------- topics
# pickgun/dev/<device>/evt      gun -> server  QoS 1  journal events
# pickgun/dev/<device>/ack      server -> gun  QoS 1  cumulative acks
# pickgun/dev/<device>/status   gun -> server  QoS 1  retained, last will
# pickgun/order/<order>         server -> guns QoS 1  retained snapshots
# pickgun/fw                    server -> guns QoS 1  retained roll-out
#                                                     (firmware/gun/ota.py)
# pickgun/dev/<device>/get      gun -> server  QoS 1  an order it lacks
# pickgun/dev/<device>/order    server -> gun  QoS 1  the answer to a get
# pickgun/dev/<device>/hold     server -> gun  QoS 1  retained: the orders
#                                                     it holds offline
# pickgun/roster                server -> guns QoS 1  retained: badges
# pickgun/lots                  server -> guns QoS 1  retained: lots a gun
#                                                     must refuse

EVT = "evt"
ACK = "ack"
STATUS = "status"
GET = "get"
ANSWER = "order"
HOLD = "hold"
_DEV_KINDS = (EVT, ACK, STATUS, GET, ANSWER, HOLD)

EVT_FILTER = ROOT + "/dev/+/evt"
STATUS_FILTER = ROOT + "/dev/+/status"
GET_FILTER = ROOT + "/dev/+/get"
ORDER_FILTER = ROOT + "/order/+"
FW_TOPIC = ROOT + "/fw"
ROSTER_TOPIC = ROOT + "/roster"
LOTS_TOPIC = ROOT + "/lots"


class WireError(ValueError):
    """A topic or payload that does not follow the contract."""


def dev_topic(device, kind):
    return ROOT + "/dev/" + device + "/" + kind


def order_topic(order_id):
    return ROOT + "/order/" + str(order_id)


def parse_topic(topic):
    """Split a topic into (kind, ident): ("evt", "G01"), ("order", 1042)..."""
    if isinstance(topic, bytes):
        topic = topic.decode()
    parts = topic.split("/")
    if len(parts) == 4 and parts[0] == ROOT and parts[1] == "dev" \
            and parts[3] in _DEV_KINDS and is_device_id(parts[2]):
        return parts[3], parts[2]
    if len(parts) == 3 and parts[0] == ROOT and parts[1] == "order" \
            and _is_digits(parts[2]):
        return "order", int(parts[2])
    raise WireError("unknown topic " + topic)


# ------------------------------------------------------------ identifiers
DIGITS = "0123456789"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# The QR alphanumeric character set, in the order the QR standard numbers it.
ALNUM = DIGITS + LETTERS + " $%*+-./:"
# A code's body holds CODE_CHARS, valued by position (0-9, A-Z, '-', ':'
# are 0..37).  The check is computed mod 41, a prime above every value, so
# no two characters count alike; its 41 symbols are all QR alphanumeric.
CODE_CHARS = DIGITS + LETTERS + "-:"
CHECK_SYMBOLS = DIGITS + LETTERS + "*$%+/"
CHECK_MOD = 41

DEVICE_ID_MAX = 16


# Character classes by ASCII code, so checks walk a string's bytes as small
# integers: iterating a str would make a one-character string per step,
# which the gun's heap pays for on every scan.
_DIGIT, _LETTER, _DASH = 1, 2, 4
_CLASS = bytearray(128)
for _i in range(48, 58):
    _CLASS[_i] = _DIGIT
for _i in range(65, 91):
    _CLASS[_i] = _LETTER
_CLASS[45] = _DASH
_FIELD_CLASSES = _DIGIT | _LETTER | _DASH


def _only(text, classes):
    for b in text.encode():
        if b > 127 or not _CLASS[b] & classes:
            return False
    return True


def _is_digits(text):
    return len(text) > 0 and _only(text, _DIGIT)


def is_device_id(text):
    """Device ids are MQTT user names and topic levels: A-Z, 0-9, '-'."""
    return 0 < len(text) <= DEVICE_ID_MAX and text[0] in LETTERS \
        and _only(text, _FIELD_CLASSES)


# ---------------------------------------------------------------- QR codes
# Order code:  PGO:<order number>:<check>
# Bottle code: PGB:<serial>:<sku>:<lot>:<check>
# Badge code:  PGS:<staff number>:<token>:<check>   (an associate's badge)
#
# Every character is in the QR alphanumeric set, so a bottle code fits a
# version 2 symbol.  The check character follows the ISO 7064 pure-system
# recipe (radix 2) with modulus 41, over everything before the last ':'
# (values: see CODE_CHARS), so any single misread character and any swap of
# two neighbours is caught.

ORDER_PREFIX = "PGO"
BOTTLE_PREFIX = "PGB"
BADGE_PREFIX = "PGS"
TOKEN_LEN = 12           # a badge token: 12 of A-Z 0-9 (about 62 bits)
STAFF_MAX_DIGITS = 9
ORDER_ID_MAX_DIGITS = 9
SERIAL_MAX = 12
SKU_MAX = 16
LOT_MAX = 12


class CodeError(ValueError):
    """A scanned code that must be refused.  .reason is one of
    'foreign' (not a Pickgun code), 'check' (misread: check character
    wrong), 'format' (Pickgun prefix but malformed)."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason
        self.message = message


# The value of each ASCII character in CODE_CHARS (digits 0-9, letters
# 10-35, '-' 36, ':' 37); 255: not allowed in a code.
_VALUE = bytearray(b"\xff" * 128)
for _i in range(len(CODE_CHARS)):
    _VALUE[ord(CODE_CHARS[_i])] = _i


def check_char(body):
    p = 0
    for b in body.encode():
        v = _VALUE[b] if b < 128 else 255
        if v == 255:
            raise CodeError("format", "character not allowed")
        p = ((p + v) * 2) % CHECK_MOD
    return CHECK_SYMBOLS[(CHECK_MOD + 1 - p) % CHECK_MOD]


def order_code(order_id):
    body = ORDER_PREFIX + ":" + str(int(order_id))
    if not 0 < int(order_id) < 10 ** ORDER_ID_MAX_DIGITS:
        raise CodeError("format", "order number out of range")
    return body + ":" + check_char(body)


def bottle_code(serial, sku, lot):
    _check_field("serial", serial, SERIAL_MAX)
    _check_field("sku", sku, SKU_MAX)
    _check_field("lot", lot, LOT_MAX)
    body = BOTTLE_PREFIX + ":" + serial + ":" + sku + ":" + lot
    return body + ":" + check_char(body)


def badge_code(staff_id, token):
    if not 0 < int(staff_id) < 10 ** STAFF_MAX_DIGITS:
        raise CodeError("format", "staff number out of range")
    if len(token) != TOKEN_LEN or not _only(token, _DIGIT | _LETTER):
        raise CodeError("format", "bad badge token")
    body = BADGE_PREFIX + ":" + str(int(staff_id)) + ":" + token
    return body + ":" + check_char(body)


def _check_field(name, value, limit):
    if not (0 < len(value) <= limit and _only(value, _FIELD_CLASSES)):
        raise CodeError("format", "bad " + name + ": " + repr(value))


def parse_code(text):
    """Return ("order", order_id), ("bottle", serial, sku, lot) or
    ("badge", staff_id, body): body is the code without its check
    character, what roster entries hold the hash of (badge_hash).

    Raises CodeError for anything else, so a foreign or misread code is
    refused, never guessed at."""
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode()
        except Exception:
            raise CodeError("foreign", "not a Pickgun code") from None
    text = text.strip()
    parts = text.split(":")
    if parts[0] not in (ORDER_PREFIX, BOTTLE_PREFIX, BADGE_PREFIX) \
            or len(parts) < 3:
        raise CodeError("foreign", "not a Pickgun code")
    body = text[:text.rfind(":")]
    if len(parts[-1]) != 1:
        raise CodeError("format", "malformed Pickgun code")
    try:
        check = check_char(body)         # also refuses foreign characters
    except CodeError:
        raise CodeError("format", "malformed Pickgun code") from None
    if check != parts[-1]:
        raise CodeError("check", "misread code, scan again")
    if parts[0] == ORDER_PREFIX:
        if len(parts) != 3 or not _is_digits(parts[1]) \
                or len(parts[1]) > ORDER_ID_MAX_DIGITS or int(parts[1]) == 0:
            raise CodeError("format", "malformed order code")
        return ("order", int(parts[1]))
    if parts[0] == BADGE_PREFIX:
        if len(parts) != 4 or not _is_digits(parts[1]) \
                or len(parts[1]) > STAFF_MAX_DIGITS or int(parts[1]) == 0 \
                or len(parts[2]) != TOKEN_LEN \
                or not _only(parts[2], _DIGIT | _LETTER):
            raise CodeError("format", "malformed badge code")
        # The whole body: what the roster's hash is taken of.
        return ("badge", int(parts[1]), body)
    if len(parts) != 5:
        raise CodeError("format", "malformed bottle code")
    # The body's characters are checked already and fields hold no ':',
    # so only their lengths are left to check.
    if not (0 < len(parts[1]) <= SERIAL_MAX and 0 < len(parts[2]) <= SKU_MAX
            and 0 < len(parts[3]) <= LOT_MAX):
        raise CodeError("format", "malformed bottle code")
    return ("bottle", parts[1], parts[2], parts[3])


# ------------------------------------------------------------ rejections
# Why a scan was refused, by the gun at once or by the server after sync.
# Short: the gun shows "<serial>: <text>" over two 16-character lines.
REASONS = {
    "foreign": "Not a Pickgun code",
    "check": "Misread - rescan",
    "format": "Bad code format",
    "no_order": "Scan order first",
    "unknown_order": "Unknown order",
    "not_pickable": "Order not placed",
    "wrong_product": "Wrong product",
    "over_pick": "Line already full",
    "duplicate": "Already scanned",
    "unknown_bottle": "Unknown bottle",
    "not_in_stock": "Bottle not in stock",
    "lot_mismatch": "Label doesn't match",
    "bottle_taken": "Bottle on other order",
    "unknown_note": "Unknown note",
    "bad_event": "Bad event data",
    "journal_full": "Memory full - sync",
    "notes_pending": "Read notes first",
    "lot_on_hold": "Lot on hold",
    "lot_recalled": "Lot recalled",
    "expired": "Bottle expired",
    "not_on_order": "Not from this order",
    "not_returnable": "Order not shipped",
    "sign_in": "Scan your badge",
    "badge_unknown": "Badge not valid",
}


def reason_text(reason):
    return REASONS.get(reason, reason)


# ---------------------------------------------------------------- payloads
# Every payload is a JSON object with "v": VERSION.  Field names are short
# because the gun parses them on a 110 KB heap.  An integer field holds a
# JSON integer: type(x) is int is false for true, false and 1.0 in both
# CPython and MicroPython (where isinstance(True, int) is false, unlike
# CPython).  The server's checks of what guns send are in
# server/gunlink/gun_payloads.py, which the gun does not load.

PICK = "pick"            # a bottle scanned for an order
NOTES_ACK = "notes_ack"  # the associate acknowledged an order's notes
RETURN = "ret"           # a bottle of a shipped order scanned back in

STATUSES = ("open", "awaiting_payment", "placed", "shipped", "delivered",
            "refused", "refunded", "cancelled")

# Limits both sides check (docs/protocol.md, Limits).  const() and a
# leading underscore: MicroPython folds them into the code and keeps no
# global, so the gun pays nothing for their names;
# server/gunlink/gun_payloads.py gives the server public names for them.
_U32 = const(0xFFFFFFFF)           # ep, seq, upto: the gun's 32-bit fields
_ORDER_MAX = const(999999999)      # the order code's 9 digits
_CODE_MAX = const(80)              # characters of a scanned code
_REJ_MAX = const(32)               # rejections in one ack
_WHY_MAX = const(32)               # characters of a reason name


def encode(obj):
    return json.dumps(obj).encode()


def decode(payload):
    try:
        if isinstance(payload, (bytes, bytearray, memoryview)):
            payload = bytes(payload).decode()
        obj = json.loads(payload)
    except Exception:
        raise WireError("payload is not JSON") from None
    if not isinstance(obj, dict):
        raise WireError("payload is not a JSON object")
    v = obj.get("v")
    if type(v) is not int or v != VERSION:
        raise WireError("unsupported version ")
    return obj


def _int(obj, key, low=0):
    value = obj.get(key)
    if type(value) is not int or value < low:
        raise WireError("field " + key + " must be an integer >= " + str(low))
    return value


def _str(obj, key, limit=64):
    value = obj.get(key)
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        raise WireError("field " + key + " must be a string")
    return value


def event(ep, seq, kind, order, at, code=None, notes=None, by=None):
    """A journal event.  ep: the journal's epoch (random, fixed when the
    gun's journal is created); seq: 1, 2, 3... within the epoch; at: the
    gun's clock in seconds (0 when it has never been set); by: the staff
    number of the associate signed in on the gun (left out: nobody)."""
    obj = {"v": VERSION, "ep": ep, "seq": seq, "k": kind, "o": order,
           "at": at}
    if code is not None:
        obj["c"] = code
    if notes is not None:
        obj["n"] = notes
    if by is not None:
        obj["by"] = by
    return obj


def ack(ep, upto, rejected=(), since=0):
    """Cumulative ack: every event of epoch ep with seq <= upto is committed.
    rejected: [{"seq", "why", "o", "c"}], in seq order: every event with
    since < seq <= upto that the server recorded as rejected."""
    return {"v": VERSION, "ep": ep, "since": since, "upto": upto,
            "rej": list(rejected)}


def check_ack(obj):
    """Validate a decoded ack; return it.  Raises WireError.  Anything out
    of place makes the whole ack malformed: a gun ignores it and sends its
    events again, which loses nothing."""
    ep = _int(obj, "ep", 1)
    upto = _int(obj, "upto", 0)
    seq = _int(obj, "since", 0)
    if ep > _U32 or upto > _U32 or seq > upto:
        raise WireError("ack out of range")
    rej = obj.get("rej", [])
    if not isinstance(rej, list) or len(rej) > _REJ_MAX:
        raise WireError("field rej must be a list")
    for r in rej:
        if not isinstance(r, dict):
            raise WireError("rej entries must be objects")
        # In seq order, each once, each covered by this ack.
        seq = _int(r, "seq", seq + 1)
        if seq > upto or "o" in r and not 0 <= _int(r, "o") <= _ORDER_MAX \
                or "c" in r and not (isinstance(r["c"], str) and
                                     len(r["c"]) <= _CODE_MAX):
            raise WireError("ack out of range")
        for b in _str(r, "why", _WHY_MAX).encode():     # a-z 0-9 _
            if not (97 <= b <= 122 or 48 <= b <= 57 or b == 95):
                raise WireError("ack out of range")
    return obj


# A status's vitals, in the order status() takes them: battery (mV),
# WiFi signal (RSSI, dBm), free heap and the largest free block of the
# internal RAM TLS needs (bytes), uptime (s).  Each is optional.
# Then how many placed orders it can open offline (held).
VITALS = ("bat", "rssi", "mem", "blk", "up", "held")


def status(online, fw=None, pending=0, ep=0, upto=0, board=None, vitals=(),
           ota=None):
    """Gun presence.  Retained; the broker publishes the online=false
    version as the gun's last will.  fw: the firmware's version; board:
    the board it runs on ("simulated" on the unix port), left out when
    None (as guns before it did); vitals: values in VITALS' order, None
    for one the gun cannot tell (left out); ota: how its over-the-air
    update stands, [version, what, detail] (docs/protocol.md), left out
    when None."""
    obj = {"v": VERSION, "online": bool(online)}
    if online:
        obj.update({"fw": fw or "", "pending": pending, "ep": ep,
                    "upto": upto})
        if board is not None:
            obj["board"] = board
        for i in range(len(vitals)):
            if vitals[i] is not None:
                obj[VITALS[i]] = vitals[i]
        if ota is not None:
            obj["ota"] = ota
    return obj


# A note's severity, field "s" of a snapshot note: "a" must-acknowledge
# (stops picking until the associate presses OK), "i" information (shown,
# nothing to acknowledge).  Must-acknowledge notes leave "s" out (as every
# note did before severities), so only information notes carry it.  A gun
# treats a note as information only when "s" is exactly "i": "a", no "s",
# or a value this version does not know all mean must-acknowledge, so a
# gun never asks less than the server meant.  (Few names here: each one
# is an interned string on the gun.)


def note(i, text, info=False):
    """A snapshot note: {"id", "text"}, plus "s": "i" if information."""
    obj = {"id": i, "text": text}
    if info:
        obj["s"] = "i"
    return obj


def is_info(n):
    return n.get("s") == "i"


# What a snapshot may hold (docs/protocol.md, order snapshot).  A gun
# refuses anything beyond these limits as malformed and keeps what it had;
# the server shortens what it sends so that it never comes to that.
# ("cl" and a line's "name": strings of at most 64 characters, _text.)
SNAPSHOT_MAX = 6144      # bytes of the encoded payload
SMALL_MAX = 0x3FFFFFFF   # revisions, note ids, quantities: small ints on
                         # the gun (31-bit on the ESP32)
TEXT_MAX = 500           # characters of a note's text


def snapshot(order, rev, st, cl, lines, notes, bot):
    """Retained order snapshot.  lines: [{"sku","name","qty","got"}];
    notes: [note(...)]; bot: serials of bottles accepted so far.
    A gun keeps a snapshot only if its rev is higher than the one it has."""
    return {"v": VERSION, "o": order, "rev": rev, "st": st,
            "pick": st == "placed", "cl": cl, "lines": lines,
            "notes": notes, "bot": bot}


# The messages below are put together from strings the gun has already:
# every new string constant is one more interned string in its heap.

def _small(obj, key, low):
    value = obj.get(key)
    if not isinstance(value, int) or isinstance(value, bool) \
            or not low <= value <= SMALL_MAX:
        raise WireError("bad " + key)
    return value


def _text(obj, key, limit=64):
    value = obj.get(key)
    if not isinstance(value, str) or len(value) > limit:
        raise WireError("bad " + key)
    return value


def check_snapshot(obj):
    """Validate a decoded snapshot; return it.  Raises WireError.  Every
    field must have the type and range docs/protocol.md gives it: a gun
    never keeps a snapshot it could not show or check a pick against."""
    if _small(obj, "o", 1) >= 10 ** ORDER_ID_MAX_DIGITS:
        raise WireError("bad " + "o")
    _small(obj, "rev", 1)
    st = obj.get("st")
    if st not in STATUSES:
        raise WireError("unknown status " + repr(st))
    # true or false, nothing else; only a placed order may be picked
    pick = obj.get("pick")
    if pick is not False and (pick is not True or st != "placed"):
        raise WireError("bad " + "pick")
    _text(obj, "cl")
    for key in ("lines", "notes", "bot"):
        if not isinstance(obj.get(key), list):
            raise WireError("field " + key + " must be a list")
    for line in obj["lines"]:
        if not isinstance(line, dict):
            raise WireError("lines entries must be objects")
        if not _only(_str(line, "sku", SKU_MAX), _FIELD_CLASSES):
            raise WireError("bad " + "sku")
        if "name" in line:
            _text(line, "name")
        _small(line, "qty", 1)
        _small(line, "got", 0)
        if "lot" in line and not _only(_str(line, "lot", LOT_MAX),
                                       _FIELD_CLASSES):
            raise WireError("bad " + "lot")
    for n in obj["notes"]:
        # "s" of an unknown value is accepted (must-acknowledge, is_info);
        # a text or "s" that is not a string is malformed.
        if not isinstance(n, dict) or "s" in n and not isinstance(n["s"], str):
            raise WireError("bad note")
        _small(n, "id", 1)
        _text(n, "text", TEXT_MAX)
    for serial in obj["bot"]:
        if not isinstance(serial, str) or not 0 < len(serial) <= SERIAL_MAX \
                or not _only(serial, _FIELD_CLASSES):
            raise WireError("bad " + "serial")
    return obj


# ------------------------------------------------------- orders on demand
# A gun holds the snapshots of the orders its retained hold message names
# (subscribing to each one's topic), and asks for any other by a get; the
# server answers on the gun's answer topic with the snapshot, or with
# {"o", "no": reason} when no such order exists (docs/protocol.md).
HOLD_MAX = 40            # orders in a hold message


def get(order):
    return {"v": VERSION, "o": order}


def _order(obj):
    o = obj.get("o")
    if type(o) is not int or not 0 < o <= _ORDER_MAX:
        raise WireError("bad " + "o")
    return o


def check_get(obj):
    """Validate a decoded get; return the order number.  Raises WireError."""
    return _order(obj)


def hold(orders):
    """The orders a gun should hold offline, most needed first."""
    return {"v": VERSION, "o": list(orders)}


def check_hold(obj):
    """Validate a decoded hold message; return its list of order numbers
    (at most HOLD_MAX, each once).  Raises WireError."""
    orders = obj.get("o")
    if not isinstance(orders, list) or len(orders) > HOLD_MAX:
        raise WireError("bad " + "o")
    for i in range(len(orders)):
        o = orders[i]
        if type(o) is not int or not 0 < o <= _ORDER_MAX or o in orders[:i]:
            raise WireError("bad " + "o")
    return orders


def no_order(order, why="unknown_order"):
    """The answer to a get for an order the server does not have."""
    return {"v": VERSION, "o": order, "no": why}


def check_answer(obj):
    """Validate a decoded answer: a snapshot, or a no_order().  Returns
    the reason name for a no_order(), None for a snapshot (checked).
    Raises WireError."""
    if "no" not in obj:
        check_snapshot(obj)
        return None
    _order(obj)
    why = obj["no"]
    if not isinstance(why, str) or not 0 < len(why) <= _WHY_MAX:
        raise WireError("bad " + "no")
    for b in why.encode():                              # a-z 0-9 _
        if not (97 <= b <= 122 or 48 <= b <= 57 or b == 95):
            raise WireError("bad " + "no")
    return why


# ------------------------------------------------------- badges and lots
# The roster (retained on ROSTER_TOPIC) lets a gun check a badge offline
# without holding anything that makes one: each entry has the first
# HASH_HEX hex digits of the SHA-256 of the badge's body (parse_code), not
# its token.  The lots message (retained on LOTS_TOPIC) names the lots a
# gun refuses bottles of, each with its rejection reason.
ROSTER_MAX = 100         # entries in a roster
HASH_HEX = 16            # hex digits of a badge hash
NAME_MAX = 16            # characters of an associate's name on the gun
LOTS_MAX = 200           # lots in a lots message
LOT_REASONS = ("lot_on_hold", "lot_recalled", "expired")


def badge_hash(body):
    """The roster's hash of a badge body ("PGS:42:K3J9XQ2M7PLA")."""
    h = hashlib.sha256(body.encode()).digest()
    return binascii.hexlify(h).decode()[:HASH_HEX]


def roster(entries, required=False, idle=0):
    """entries: [{"id": staff number, "n": name, "h": badge_hash}];
    required: the guns refuse order and bottle scans until someone signs
    in; idle: seconds without a scan or key before the gun signs out (0:
    never)."""
    return {"v": VERSION, "req": bool(required), "idle": idle,
            "s": list(entries)}


def check_roster(obj):
    """Validate a decoded roster; return it.  Raises WireError."""
    req = obj.get("req")
    if req is not True and req is not False:    # never 1 or 0
        raise WireError("bad " + "req")
    _small(obj, "idle", 0)
    entries = obj.get("s")
    if not isinstance(entries, list) or len(entries) > ROSTER_MAX:
        raise WireError("bad " + "s")
    for e in entries:
        if not isinstance(e, dict):
            raise WireError("bad " + "s")
        if _small(e, "id", 1) >= 10 ** STAFF_MAX_DIGITS:
            raise WireError("bad " + "id")
        _str(e, "n", NAME_MAX)
        h = e.get("h")
        if not isinstance(h, str) or len(h) != HASH_HEX:
            raise WireError("bad " + "h")
        for c in h:
            if c not in "0123456789abcdef":
                raise WireError("bad " + "h")
    return obj


def lots(held):
    """held: [[lot id, reason]], reason one of LOT_REASONS."""
    return {"v": VERSION, "lots": [list(x) for x in held]}


def check_lots(obj):
    """Validate a decoded lots message; return {lot id: reason}.  Raises
    WireError."""
    items = obj.get("lots")
    if not isinstance(items, list) or len(items) > LOTS_MAX:
        raise WireError("bad " + "lots")
    out = {}
    for x in items:
        if not isinstance(x, list) or len(x) != 2 or \
                not isinstance(x[0], str) or \
                not 0 < len(x[0]) <= LOT_MAX or \
                not _only(x[0], _FIELD_CLASSES) or \
                not isinstance(x[1], str) or not 0 < len(x[1]) <= _WHY_MAX:
            raise WireError("bad " + "lots")
        out[x[0]] = x[1]
    return out
