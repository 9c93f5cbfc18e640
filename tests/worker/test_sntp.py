"""The guns' time: the server's SNTP responder (server/gunlink/sntp.py),
which `pickgun up` runs, and the scan time the ingest stores from each
event's `at` (the gun's clock, 0 while it was not set)."""
import socket
import struct
import time

from server.gunlink.ingest import ingest_batch
from server.gunlink.sntp import NTP_1970, SNTPServer, answer
from shared import wire
from worker_support import code

REQUEST = b"\x1b" + bytes(39) + b"\x01\x02\x03\x04\x05\x06\x07\x08"


def fields(packet):
    (first, stratum, poll, precision, _delay, _disp, ref, _refts, orig,
     recv, xmit) = struct.unpack("!BBBbII4sQ8sQQ", packet)
    return first, stratum, ref, orig, recv >> 32, xmit >> 32


def test_answer_to_ntptimes_request():
    out = answer(REQUEST, 1700000000.5, now=lambda: 1700000001.25)
    assert len(out) == 48
    first, stratum, ref, orig, recv, xmit = fields(out)
    assert (first & 7, first >> 3 & 7, first >> 6) == (4, 3, 0)
    assert (stratum, ref) == (10, b"LOCL")
    assert orig == REQUEST[40:48]            # the client's transmit time
    assert (recv, xmit) == (1700000000 + NTP_1970, 1700000001 + NTP_1970)
    v4 = bytes([0x23]) + REQUEST[1:]
    assert answer(v4, 0.0)[0] == 0x24        # the client's version kept


def test_anything_but_a_client_request_is_not_answered():
    for packet in (b"", REQUEST[:47], b"\x1c" + REQUEST[1:],      # mode 4
                   b"\x1d" + REQUEST[1:], b"\x1e" + REQUEST[1:]):
        assert answer(packet, 0.0) is None, packet


def test_server_answers_over_udp_and_ignores_the_rest():
    with SNTPServer("127.0.0.1", 0) as server:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(2)
            s.sendto(b"\x1c" + bytes(47), ("127.0.0.1", server.port))
            s.sendto(REQUEST, ("127.0.0.1", server.port))
            packet = s.recv(512)
            s.settimeout(0.3)
            try:
                extra = s.recv(512)
            except TimeoutError:
                extra = None
    assert extra is None and server.answered == 1
    assert abs(fields(packet)[5] - NTP_1970 - time.time()) < 2


def test_scan_time_is_stored_from_at_and_none_when_the_clock_was_unset(
        demo):
    timed = wire.event(7, 1, wire.PICK, 1001, 1790000000, code("B0001"))
    untimed = wire.event(7, 2, wire.PICK, 1001, 0, code("B0002"))
    ingest_batch(demo, [(wire.dev_topic("G01", wire.EVT), wire.encode(e))
                        for e in (timed, untimed)])
    rows = {r[0]: tuple(r[1:]) for r in demo.execute(
        "SELECT e.seq, e.gun_at, k.scanned_at, k.recorded_at FROM "
        "device_events e JOIN picks k ON k.event_id = e.id")}
    assert rows[1][:2] == (1790000000, "2026-09-21 14:13:20")
    assert rows[2][:2] == (0, None) and rows[2][2]   # received time kept
