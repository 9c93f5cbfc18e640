"""The gun's ack rule (gun.sync) in the real MicroPython (110 KB heap):
hostile acks change nothing and crash nothing, an ack never covers an
event the gun has not sent, rejections reach the screen before the ack is
recorded, and a reboot after all that carries on where it was.  Through a
real Mosquitto, a gun fed hostile acks is then power-cut and rebooted and
still delivers every scan exactly once."""
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mp import check  # noqa: E402
from mp_run import MPProcess, mp_run  # noqa: E402

from server.gunlink.broker import mosquitto_binary  # noqa: E402
from shared import wire  # noqa: E402
from test_sync import GUN, RUN_DRIVER, _state, _touch, _wait  # noqa: E402
from test_sync import env  # noqa: E402,F401 (the fixture)
from tools.simulate import MPY_CODE_ALLOWANCE_K  # noqa: E402

mosquitto_binary()

U32 = 2 ** 32 - 1


def hostile_acks(ep):
    """Payloads a gun of epoch ep holding seqs 1..4 unacked must shrug off,
    whether it has sent them or not."""
    good = {"v": 1, "ep": ep, "since": 0, "upto": 2,
            "rej": [{"seq": 2, "why": "unknown_bottle", "o": 1042,
                     "c": "PGB:FORGED:X:Y:Z"}]}

    def with_(**kw):
        d = dict(good)
        d.update(kw)
        return json.dumps(d).encode()

    def rej(**kw):
        r = dict(good["rej"][0])
        r.update(kw)
        return with_(rej=[r])
    return [
        b"", b"\x00", b"\x00" * 64, b"not json", b"[1, 2]", b"null", b"7",
        b'"text"', b"{", b"[" * 2000 + b"]" * 2000, b'{"v": 1}',
        b"\xff\xfe\xfd", ("x" * 8000).encode(),
        with_(v=True), with_(v=1.0), with_(v=2),
        with_(ep=True), with_(ep=float(ep)), with_(ep=str(ep)),
        with_(ep=ep + 2 ** 32), with_(ep=2 ** 64), with_(ep=0),
        with_(upto=True), with_(upto=2.0), with_(upto="2"), with_(upto=-1),
        with_(upto=2 ** 32 + 2), with_(upto=2 ** 64 + 2), with_(upto=None),
        with_(since=None), with_(since=True), with_(since=3),
        with_(since=-1), with_(since=1.0),
        with_(rej=None), with_(rej="x"), with_(rej=[2]), with_(rej={}),
        with_(rej=[{}] * 40),
        rej(seq=True), rej(seq=2.0), rej(seq=0), rej(seq=3), rej(seq="2"),
        rej(why=None), rej(why=""), rej(why=7), rej(why="a\x00b"),
        rej(why="x" * 8000), rej(why="Bad Reason"), rej(o=True),
        rej(o=2 ** 70), rej(c=7), rej(c="\x00" * 1000),
        with_(rej=[good["rej"][0], good["rej"][0]]),
        with_(upto=4, rej=[dict(good["rej"][0], seq=3),
                           dict(good["rej"][0], seq=2)]),
        json.dumps({"v": 1, "ep": ep, "since": 0, "upto": 4,
                    "rej": [{"seq": i, "why": "x"} for i in range(1, 5)] +
                    [{"seq": 4, "why": "x"}] * 40}).encode(),
        # well formed, but beyond anything this gun wrote
        with_(upto=5, rej=[]), with_(upto=U32, rej=[]),
        # another epoch, and stale ones
        with_(ep=ep + 1, upto=4), with_(upto=0, rej=[]),
    ]


DIRECT = r"""
RX = bytearray(8192)        # as main.py: the big buffers first
BUF = bytearray(8192)       # what the MQTT client hands over, at most
import sys, json
from gun.journal import Journal
from gun.store import OrderStore
from gun.sync import Sync

DATA = sys.argv[1]
MODE = sys.argv[2]

def check(cond, msg):
    if not cond:
        print("FAIL", msg)
        sys.exit(1)

class Board:
    def wifi_up(self):
        return False

class Listener:
    def __init__(self):
        self.shown = []
        self.calls = 0
    def on_acked(self, rejected):
        self.calls += 1
        for r in rejected:
            # what the gun knows when it shows it: the journal still holds
            # the event (the ack is recorded after this call)
            check(j.read(r["seq"]) is not None, "shown after the drop")
            self.shown.append((r["seq"], r["why"], r["o"], r["c"]))
    def on_link(self, state):
        pass
    def on_snapshot(self, order_id):
        pass

cfg = {"id": "G01", "password": "pw", "broker": "127.0.0.1"}
topic = "pickgun/dev/G01/ack"

def deliver(payload):
    BUF[0:len(payload)] = payload
    sync._on_message(topic, memoryview(BUF)[0:len(payload)], False)

def state():
    return (j.ep, j.upto, j.next_seq, j.pending_count())

j = Journal(DATA + "/journal", capacity=20)
listener = Listener()
if MODE == "fresh":
    sync = Sync(Board(), cfg, j, OrderStore(DATA), listener, rxbuf=RX)
    # Written after the session started and never published: no ack may
    # cover them.
    for i in range(4):
        j.append("pick", 1042, 0, code="PGB:B%d:CBD-OIL-30:L1:Q" % i)
    print("EP", j.ep)
    before = state()
    # Each case twice: with none of the events sent on this boot, and
    # with all of them sent (then only its own fault can refuse it).
    n = 0
    size = bytearray(2)
    for hi in (0, 4):
        sync._hi = hi
        with open(DATA + "/../cases.bin", "rb") as cases:
            while cases.readinto(size) == 2:
                ln = size[0] | size[1] << 8
                cases.readinto(memoryview(BUF)[0:ln])
                sync._on_message(topic, memoryview(BUF)[0:ln], False)
                n += 1
                check(state() == before, "changed by case %d: %r"
                      % (n, state()))
    check(listener.shown == [], "shown %r" % listener.shown)
    check(sync.ignored >= n - 6, "ignored %d of %d" % (sync.ignored, n))
    print("HOSTILE_OK", sync.ignored)
    # The events now go out: an ack up to what was sent applies.
    sync._hi = 3                 # seqs 1..3 published (what _session does)
    deliver(json.dumps({"v": 1, "ep": j.ep, "since": 0, "upto": 4,
                        "rej": []}).encode())
    check(state() == before, "ack beyond the published seq applied")
    deliver(json.dumps({"v": 1, "ep": j.ep, "since": 0, "upto": 3,
                        "rej": [{"seq": 2, "why": "unknown_bottle",
                                 "o": 999, "c": "PGB:FORGED"}]}).encode())
    check(state() == (j.ep, 3, 5, 1), "applied %r" % (state(),))
    # order and code as the gun wrote them, not as the ack claims
    check(listener.shown == [(2, "unknown_bottle", 1042,
                              "PGB:B1:CBD-OIL-30:L1:Q")], repr(listener.shown))
    # the same ack again, an older one, one about dropped events: nothing
    deliver(json.dumps({"v": 1, "ep": j.ep, "since": 0, "upto": 3,
                        "rej": [{"seq": 2, "why": "unknown_bottle"}]}).encode())
    deliver(json.dumps({"v": 1, "ep": j.ep, "since": 1, "upto": 2,
                        "rej": [{"seq": 2, "why": "unknown_bottle"}]}).encode())
    check(len(listener.shown) == 1, "told twice")
    # an ack whose since is above the gun's upto: an earlier ack was lost
    sync._hi = 4
    deliver(json.dumps({"v": 1, "ep": j.ep, "since": 4, "upto": 4,
                        "rej": []}).encode())
    check(state() == (j.ep, 3, 5, 1), "since above upto applied")
    from time import ticks_ms, ticks_diff
    check(ticks_diff(ticks_ms(), sync._mark) > sync.resend_ms,
          "no resend asked for")
    print("STATE", *state())
else:
    # After a reboot: everything written may have been sent before.
    sync = Sync(Board(), cfg, j, OrderStore(DATA), listener, rxbuf=RX)
    print("STATE", *state())
    deliver(json.dumps({"v": 1, "ep": j.ep, "since": 3, "upto": 5,
                        "rej": []}).encode())
    check(state()[1] == 3, "beyond the written seq applied")
    deliver(json.dumps({"v": 1, "ep": j.ep, "since": 3, "upto": 4,
                        "rej": [{"seq": 4, "why": "over_pick"}]}).encode())
    check(listener.shown == [(4, "over_pick", 1042,
                              "PGB:B3:CBD-OIL-30:L1:Q")], repr(listener.shown))
    check(j.append("pick", 1042, 0, code="PGB:B9:CBD-OIL-30:L1:Q") == 5,
          "next seq")
    print("AFTER", *state())
"""


def test_hostile_acks_change_nothing_then_reboot(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    # The epoch is random: the cases are built for it after a first run
    # reports it, so "another epoch" and "right epoch" both mean something.
    probe = mp_run(tmp_path, "from gun.journal import Journal\n"
                   "import sys\nprint(Journal(sys.argv[1]).ep)\n",
                   args=[str(data / "journal")])
    ep = int(probe.stdout.split()[-1])
    cases = hostile_acks(ep)
    assert all(len(p) <= 8192 for p in cases)   # the gun's receive buffer
    (tmp_path / "cases.bin").write_bytes(b"".join(
        len(p).to_bytes(2, "little") + p for p in cases))
    out = mp_run(tmp_path, DIRECT, args=[str(data), "fresh"]).stdout
    assert "EP %d" % ep in out
    assert "HOSTILE_OK" in out, out
    assert "STATE %d 3 5 1" % ep in out, out
    # Power cut and reboot: the state on flash is the one reached, not a
    # truncated hostile upto.
    out = mp_run(tmp_path, DIRECT, args=[str(data), "reboot"]).stdout
    assert "STATE %d 3 5 1" % ep in out, out
    assert "AFTER %d 4 6 1" % ep in out, out


REBOOT_DRIVER = r"""
async def driver():
    mode = sys.argv[4]
    await until("online", lambda: sync.link == "online")
    print("ONLINE")
    if mode == "first":
        scan()
        scan()
        scan("PGB:BAD1:CBD-OIL-30:L1:Q")
        scan()                              # beyond the window of 3
        await until("sent", lambda: exists("committed"))
        state("SENT")
        await until("hostile", lambda: exists("hostile_sent"))
        await until("marker", lambda: store.get(52) is not None)
        state("AFTER_HOSTILE")
        print("IGNORED", sync.ignored)
        for _ in range(2):
            scan()                          # written, maybe not sent
        state("WRITTEN")
        await asyncio.sleep(60)             # the test cuts the power here
    await until("drained", lambda: j.pending_count() == 0)
    state("DRAINED")
    print("REJECTED", [r["seq"] for r in listener.rejected])
    await sync.stop()

""" + RUN_DRIVER


def test_hostile_acks_over_mqtt_then_power_cut(tmp_path, env):
    broker, server = env
    script = GUN[:GUN.index("async def driver")] + REBOOT_DRIVER
    args = [str(tmp_path / "data"), str(broker.port), str(tmp_path)]
    server.hold = True                       # commits, but acks nothing
    gun = MPProcess(tmp_path, script, args=args + ["first"])
    try:
        gun.expect("ONLINE")
        # the window of 3 is out: the 4th event is written, not sent
        _wait(lambda: [len(v) for v in server.committed.values()] == [3])
        _touch(tmp_path, "committed")
        ep, upto, nxt, pending = _state(gun.expect("SENT"))
        assert (upto, nxt, pending) == (0, 5, 4)
        for payload in hostile_acks(ep):
            server.publish("pickgun/dev/G01/ack", payload)
        # Acks beyond the 3 events sent: the 4th is written, not sent; the
        # others beyond anything written, one of them past 32 bits.
        for upto_ in (4, 6, 2 ** 32 + 3):
            server.publish("pickgun/dev/G01/ack", json.dumps(
                {"v": 1, "ep": ep, "since": 0, "upto": upto_, "rej": []}))
        server.publish("pickgun/order/52", json.dumps(
            wire.snapshot(52, 1, "placed", "C", [], [], [])), retain=True)
        _touch(tmp_path, "hostile_sent")
        assert _state(gun.expect("AFTER_HOSTILE")) == (ep, 0, 5, 4)
        assert int(gun.expect("IGNORED").split()[1]) > 30
        assert _state(gun.expect("WRITTEN")) == (ep, 0, 7, 6)
        time.sleep(0.3)
    finally:
        gun.kill()                           # power cut
    server.release()                         # the real acks go out now
    server.hold = False
    gun = MPProcess(tmp_path, script, args=args + ["second"],
                    name="gun2.py")
    try:
        gun.expect("ONLINE")
        assert _state(gun.expect("DRAINED", timeout=40)) == (ep, 6, 7, 0)
        assert gun.expect("REJECTED") == "REJECTED [3]"
        assert gun.wait() == 0
    finally:
        gun.kill()
    assert sorted(server.committed[("G01", ep)]) == list(range(1, 7))
    assert {a[2] for a in server.arrivals} == set(range(1, 7))


NOTES_REFUSED = r"""
RX = bytearray(8192)        # as main.py: the big buffers first
from gun.picks import PickSet
picks = PickSet(400)
import json
import fakes
from gun.journal import Journal
from gun.store import OrderStore
from gun.sync import Sync
from gun.app import App
from shared import wire

def deliver(topic, obj):
    payload = json.dumps(obj).encode()
    RX[0:len(payload)] = payload
    sync._on_message(topic, memoryview(RX)[0:len(payload)], False)

board = fakes.Board()
journal = Journal("data/journal")
store = OrderStore("data")
app = App(board, journal, store, picks=picks)
sync = Sync(board, {"id": "G01", "password": "pw", "broker": "127.0.0.1"},
            journal, store, app, rxbuf=RX)
app.sync = sync

deliver("pickgun/order/1042", fakes.snapshot(
    notes=[wire.note(3, "Fragile"), wire.note(9, "Call client first")]))
assert app.on_scan(fakes.order()) == "order"
for _ in range(3):
    app.on_key("OK")
assert app.screen == "picking"
assert app.on_scan(fakes.bottle("B000001")) == "accepted"
sync._hi = 2                 # both published (what _session does)
# The server refuses the acknowledgement (a note it no longer has) and
# accepts the pick; the ack's own o and c are not what the gun shows.
ack = {"v": 1, "ep": journal.ep, "since": 0, "upto": 2,
       "rej": [{"seq": 1, "why": "unknown_note", "o": 7, "c": "x"}]}
# The first time, the heap is full while the app takes the rejection in:
# the ack is not recorded (no PUBACK), and the broker delivers it again.
show = app.on_acked
def full(rej):
    raise MemoryError
app.on_acked = full
try:
    deliver("pickgun/dev/G01/ack", ack)
    raise AssertionError("ack taken while its rejection was not shown")
except MemoryError:
    pass
assert (journal.upto, journal.pending_count()) == (0, 2)
app.on_acked = show
deliver("pickgun/dev/G01/ack", ack)
assert (journal.upto, journal.pending_count()) == (2, 0)
rows = app.refresh()
assert app.screen == "refused" and board.beeps[-1] == "warn", rows
assert rows[3:6] == ["Notes refused:", "Unknown note", "Order 1042"], rows
app.on_key("OK")
rows = app.refresh()
assert app.screen == "note" and rows[1] == "NOTE 1/2", rows
assert app.on_scan(fakes.bottle("B000002")) == "notes_pending"
app.on_key("OK")
for _ in range(2):
    app.on_key("OK")
ev = wire.decode(journal.read(3))
assert ev["k"] == "notes_ack" and ev["n"] == [3, 9], ev
assert app.on_scan(fakes.bottle("B000002")) == "accepted"
print("OK")
"""


def test_refused_note_acknowledgement_reaches_the_screen(tmp_path):
    # the firmware's modules, with the code allowance a gun keeps in flash
    out = check(NOTES_REFUSED, cwd=str(tmp_path),
                heapsize="%dk" % (110 + MPY_CODE_ALLOWANCE_K))
    assert out.strip().endswith("OK"), out
