"""Reading one MQTT message from a gun, for server.gunlink.ingest: its
topic, size and JSON, against the wire contract
(server.gunlink.gun_payloads).

A message with no identity to ack (a bad topic, unreadable JSON, no
ep/seq) raises Malformed; an event with one becomes an Event, with what
breaks the contract, if anything, in its `problem` (it is then recorded
as a bad_event and acked)."""
import functools

from server.gunlink import gun_payloads as payloads
from server.core.wording import timestamp
from shared import wire

MAX_PAYLOAD = payloads.EVENT_BYTES_MAX   # a pick event is about 120 bytes
READ_MAX = 65536       # larger payloads are not read at all
GET_MAX = 256          # a get is about 20 bytes


class Malformed(Exception):
    """A message that breaks the wire contract (the text says how)."""


class Event:
    """An event message with a readable identity, waiting to be judged.
    problem: why it breaks the contract (then it is a bad_event), or None."""
    __slots__ = ("device", "obj", "text", "key", "ep", "seq", "problem",
                 "kind", "order", "code", "at", "bottle", "code_reason", "by")

    def __init__(self, device, obj, payload, problem):
        self.device, self.obj, self.problem = device, obj, problem
        # What is stored of it: as received, cut to the contract's size.
        self.text = bytes(payload[:MAX_PAYLOAD]).decode("utf-8", "replace")
        self.ep, self.seq = payloads.event_identity(obj)
        self.key = (device, self.ep, self.seq)
        kind, order, code = obj.get("k"), obj.get("o"), obj.get("c")
        self.kind = kind if kind in payloads.EVENT_KINDS else "unknown"
        self.order = order if payloads.is_int(order) and \
            0 < order <= payloads.ORDER_MAX else None
        self.code = code if isinstance(code, str) and \
            len(code) <= payloads.CODE_MAX else None
        at = obj.get("at")
        self.at = at if payloads.is_int(at) and \
            0 <= at <= payloads.U32_MAX else 0
        # Who was signed in on the gun (wire "by"), None if nobody, or if
        # what it sent is no staff number.
        by = obj.get("by")
        self.by = by if payloads.is_int(by) and \
            0 < by <= payloads.STAFF_MAX else None
        self.bottle = self.code_reason = None
        if problem is None and kind in payloads.BOTTLE_KINDS:
            try:
                parsed = wire.parse_code(code)
            except wire.CodeError as e:
                self.code_reason = e.reason
            else:
                if parsed[0] == "bottle":
                    self.bottle = parsed[1:]          # serial, sku, lot
                else:
                    self.code_reason = "wrong_product"  # an order code


def parse(topic, payload):
    """(STATUS, device, payload dict), (GET, device, order id) or (EVT,
    device, Event); raises Malformed for a message with nothing to record,
    answer or ack."""
    if isinstance(topic, bytes):
        topic = topic.decode("utf-8", "replace")
    try:
        kind, device = wire.parse_topic(topic)
    except wire.WireError as e:
        raise Malformed(str(e)) from e
    if kind not in (wire.EVT, wire.STATUS, wire.GET):
        raise Malformed("the worker does not read %s topics" % kind)
    limit = READ_MAX if kind == wire.EVT else \
        GET_MAX if kind == wire.GET else MAX_PAYLOAD
    if len(payload) > limit:
        raise Malformed("payload too large: %d bytes (limit %d)"
                        % (len(payload), limit))
    try:
        obj = wire.decode(payload)
        if kind == wire.STATUS:
            return kind, device, payloads.check_status(obj)
        if kind == wire.GET:
            return kind, device, wire.check_get(obj)
        payloads.event_identity(obj)
    except wire.WireError as e:
        raise Malformed(str(e)) from e
    # From here on the event has an identity: whatever else is wrong with
    # it, the gun is told so in an ack.
    problem = None
    if len(payload) > MAX_PAYLOAD:
        problem = "payload of %d bytes (limit %d)" % (len(payload),
                                                      MAX_PAYLOAD)
    else:
        try:
            payloads.check_event(obj)
        except wire.WireError as e:
            problem = str(e)
    return kind, device, Event(device, obj, payload, problem)


@functools.lru_cache(maxsize=1024)
def gun_time(at):
    """The gun's clock as stored text, or None if it was never set.
    (Cached: a backlog holds many events of the same second.)"""
    try:
        return timestamp(at) \
            if at else None
    except (OverflowError, OSError, ValueError):
        return None            # a clock far outside any real date

