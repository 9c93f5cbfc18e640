"""The server's checks of what guns send (server.gunlink.gun_payloads): every
integer field is a real integer, never a bool or a float, within the
limits of docs/protocol.md; an event's identity is read on its own."""
import pytest

from server.fleet.presence import SIMULATED_BOARD
from server.gunlink import gun_payloads as payloads
from shared import wire

CODE = wire.bottle_code("B000123", "CBD-OIL-30", "L2311A")
EVENT = wire.event(5, 1, wire.PICK, 1042, 1700000000, CODE)
STATUS = wire.status(True, "1.0", 2, 5, 3)
U32 = 2 ** 32 - 1


def test_good_payloads_pass():
    assert payloads.check_event(EVENT) == EVENT
    assert payloads.check_status(STATUS) == STATUS
    assert payloads.check_status(wire.status(False)) == wire.status(False)
    assert payloads.event_identity(EVENT) == (5, 1)
    notes = wire.event(5, 2, wire.NOTES_ACK, 1042, U32, notes=[1, 2 ** 63 - 1])
    assert payloads.check_event(notes) == notes
    top = wire.event(U32, U32, wire.PICK, 999999999, 0, "x" * 80)
    assert payloads.check_event(top) == top


def _bad_events():
    for key, values in {
            "ep": [True, 5.0, 0, -1, U32 + 1, "5", None],
            "seq": [True, 1.0, 0, U32 + 1, "1", None],
            "o": [True, 1042.0, 0, 10 ** 9, "1042", None],
            "at": [True, 0.5, -1, U32 + 1, None],
            "k": ["teleport", 5, None],
            "c": ["", "x" * (payloads.CODE_MAX + 1), 5, None]}.items():
        for value in values:
            yield dict(EVENT, **{key: value})
    base = wire.event(5, 1, wire.NOTES_ACK, 1042, 0, notes=[1])
    for n in ([], [0], [True], [1.0], [2 ** 63], "1", None, [[1]],
              list(range(1, payloads.NOTES_MAX + 2))):
        yield dict(base, n=n)


@pytest.mark.parametrize("obj", list(_bad_events()))
def test_events_outside_the_limits_are_refused(obj):
    with pytest.raises(wire.WireError):
        payloads.check_event(obj)


@pytest.mark.parametrize("obj", [
    dict(EVENT, ep=True), dict(EVENT, seq=1.0), dict(EVENT, ep=U32 + 1),
    {k: v for k, v in EVENT.items() if k != "seq"}])
def test_identity_needs_integer_ep_and_seq_in_range(obj):
    with pytest.raises(wire.WireError):
        payloads.event_identity(obj)


def test_identity_survives_a_bad_body():
    assert payloads.event_identity(dict(EVENT, k="teleport", c=5)) == (5, 1)


@pytest.mark.parametrize("obj", [
    dict(STATUS, online=1), dict(STATUS, pending=True),
    dict(STATUS, pending=2.0), dict(STATUS, ep=U32 + 1),
    dict(STATUS, upto=-1), dict(STATUS, fw=5), dict(STATUS, fw="x" * 41),
    dict(STATUS, board=None), dict(STATUS, board=["esp32_gm65"]),
    dict(STATUS, board="x" * (payloads.BOARD_MAX + 1))])
def test_status_outside_the_limits_is_refused(obj):
    with pytest.raises(wire.WireError):
        payloads.check_status(obj)


@pytest.mark.parametrize("obj", [
    wire.status(True, "0.1.0", 3, 7, 2, "esp32_gm65"),
    wire.status(True, "0.1.0", 3, 7, 2, SIMULATED_BOARD),
    # a gun from before the board field, and one that had no version
    wire.status(True, "0.1.0", 3, 7, 2), wire.status(True, "", 0, 7, 0),
    wire.status(False)])
def test_status_with_or_without_board_is_accepted(obj):
    assert payloads.check_status(obj) is obj


VITALS = wire.status(True, "0.1.0", 3, 7, 2, "esp32_gm65",
                     (3712, -61, 41000, 12288, 3600, 22))


def test_status_with_vitals_is_accepted_and_each_may_be_left_out():
    assert {k: VITALS[k] for k in wire.VITALS} == {
        "bat": 3712, "rssi": -61, "mem": 41000, "blk": 12288, "up": 3600,
        "held": 22}
    assert payloads.check_status(VITALS) is VITALS
    some = wire.status(True, "0.1.0", 3, 7, 2, "simulated",
                       (None, -61, 41000, None, 0))
    assert "bat" not in some and "blk" not in some
    assert payloads.check_status(some) is some
    assert set(payloads.VITAL_LIMITS) == set(wire.VITALS)


def _hostile_vitals():
    for key, (low, high) in payloads.VITAL_LIMITS.items():
        for value in (low - 1, high + 1, 2 ** 64, -2 ** 70, 3.5, 1e308,
                      True, False, None, "3700", [3700], {"mV": 1}):
            yield key, value


@pytest.mark.parametrize("key,value", list(_hostile_vitals()))
def test_hostile_vitals_are_refused_naming_the_field(key, value):
    with pytest.raises(wire.WireError, match="field %s must be an integer"
                       % key):
        payloads.check_status(dict(VITALS, **{key: value}))


def test_limits_the_gun_checks_are_the_same_numbers():
    assert (payloads.U32_MAX, payloads.ORDER_MAX, payloads.CODE_MAX,
            payloads.ACK_REJ_MAX) == (U32, 10 ** wire.ORDER_ID_MAX_DIGITS - 1,
                                      80, 32)
