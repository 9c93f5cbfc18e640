"""What guns send, checked by the server: events and statuses, against the
limits of docs/protocol.md (Limits).

The server's half of the wire contract.  shared/wire.py holds only what
both sides run, because the gun's heap pays for every name it loads; the
limits the gun checks too (in acks) are private const()s there, named
here for the server."""
from shared import wire
from shared.wire import WireError

EVENT_KINDS = (wire.PICK, wire.NOTES_ACK, wire.RETURN)
BOTTLE_KINDS = (wire.PICK, wire.RETURN)   # events whose `c` is a bottle

U32_MAX = wire._U32            # ep, seq, at, upto, pending
ORDER_MAX = wire._ORDER_MAX    # the order code's 9 digits
STAFF_MAX = 10 ** wire.STAFF_MAX_DIGITS - 1   # `by`: a staff number
CODE_MAX = wire._CODE_MAX      # characters of a scanned code
ACK_REJ_MAX = wire._REJ_MAX    # rejections in one ack
NOTE_ID_MAX = 2 ** 63 - 1      # a note id is a database row id
NOTES_MAX = 100                # ids in one notes_ack
EVENT_BYTES_MAX = 4096         # an event payload (the gun's are under 480)
ACK_BYTES_MAX = 4096           # an ack payload (guns read up to 8192)
FW_MAX = 40                    # characters of a status's firmware version
BOARD_MAX = 40                 # characters of a status's board
# A status's vitals (wire.VITALS), each optional: the lowest and highest
# integer.  Beyond them a gun is broken or hostile, not reporting.
VITAL_LIMITS = {
    "bat": (0, 20000),         # mV: a 1-cell battery reads 3000-4200
    "rssi": (-127, 0),         # dBm
    "mem": (0, 1 << 30),       # bytes of free heap
    "blk": (0, 1 << 30),       # bytes: largest free internal block
    "up": (0, U32_MAX),        # seconds since boot
    "held": (0, 1000),         # placed orders it can open offline
}
OTA_WHAT_MAX = 16              # a status's `ota`: how the update stands
OTA_DETAIL_MAX = 40            # ... and its detail, when a text


def is_int(value):
    """A JSON integer: not a float, not true or false (bool is an int
    subclass in CPython)."""
    return type(value) is int


def int_field(obj, key, low, high):
    value = obj.get(key)
    if not is_int(value) or not low <= value <= high:
        raise WireError("field %s must be an integer from %d to %d"
                        % (key, low, high))
    return value


def _text_field(obj, key, low, high):
    value = obj.get(key)
    if not isinstance(value, str) or not low <= len(value) <= high:
        raise WireError("field %s must be a string of %d to %d characters"
                        % (key, low, high))
    return value


def event_identity(obj):
    """(ep, seq) of a decoded event, checked on their own: an event whose
    other fields break the contract still has an identity to ack."""
    return (int_field(obj, "ep", 1, U32_MAX),
            int_field(obj, "seq", 1, U32_MAX))


def check_event(obj):
    """Validate a decoded event; return it.  Raises WireError."""
    event_identity(obj)
    int_field(obj, "o", 1, ORDER_MAX)
    int_field(obj, "at", 0, U32_MAX)
    if "by" in obj:          # left out: nobody signed in (or an old gun)
        int_field(obj, "by", 1, STAFF_MAX)
    kind = obj.get("k")
    if kind in BOTTLE_KINDS:
        _text_field(obj, "c", 1, CODE_MAX)
    elif kind == wire.NOTES_ACK:
        notes = obj.get("n")
        if not isinstance(notes, list) or not 0 < len(notes) <= NOTES_MAX:
            raise WireError("field n must be a list of 1 to %d note ids"
                            % NOTES_MAX)
        for n in notes:
            if not is_int(n) or not 0 < n <= NOTE_ID_MAX:
                raise WireError("field n must hold note ids from 1 to %d"
                                % NOTE_ID_MAX)
    else:
        raise WireError("unknown event kind %r" % (kind,))
    return obj


def check_status(obj):
    """Validate a decoded status (or last will); return it."""
    if not isinstance(obj.get("online"), bool):
        raise WireError("field online must be true or false")
    if obj["online"]:
        for key in ("pending", "ep", "upto"):
            int_field(obj, key, 0, U32_MAX)
        if "fw" in obj:
            _text_field(obj, "fw", 0, FW_MAX)
        if "board" in obj:      # guns before it leave it out
            _text_field(obj, "board", 0, BOARD_MAX)
        for key, (low, high) in VITAL_LIMITS.items():
            if key in obj:      # each optional: a gun may not tell
                int_field(obj, key, low, high)
        if "ota" in obj:        # guns that update over the air
            check_ota(obj["ota"])
    return obj


def check_ota(ota):
    """A status's `ota`: [version, what, detail] (docs/protocol.md)."""
    if not (isinstance(ota, list) and len(ota) == 3
            and isinstance(ota[0], str) and 0 < len(ota[0]) <= FW_MAX
            and isinstance(ota[1], str)
            and 0 < len(ota[1]) <= OTA_WHAT_MAX
            and set(ota[1]) <= set("abcdefghijklmnopqrstuvwxyz_")
            and (is_int(ota[2]) and 0 <= ota[2] <= U32_MAX
                 or isinstance(ota[2], str)
                 and len(ota[2]) <= OTA_DETAIL_MAX)):
        raise WireError("field ota must be [version, what, detail]")
    return ota
