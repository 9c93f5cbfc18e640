"""The gun's ack rule (gun.sync) in the real MicroPython (110 KB heap):
hostile acks change nothing and crash nothing, an ack never covers an
event the gun has not sent, rejections reach the screen before the ack is
recorded, and a reboot after all that carries on where it was.  Through a
real Mosquitto, a gun fed hostile acks is then power-cut and rebooted and
still delivers every scan exactly once.  Scripts:
tests/firmware/mp/sync_acks_*.py and sync_rig."""
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mp import check, script  # noqa: E402
from mp_run import MPProcess, mp_run  # noqa: E402

from server.gunlink.broker import mosquitto_binary  # noqa: E402
from shared import wire  # noqa: E402
from test_sync import _state, _touch, _wait  # noqa: E402
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


def test_hostile_acks_change_nothing_then_reboot(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    # The epoch is random: the cases are built for it after a first run
    # reports it, so "another epoch" and "right epoch" both mean something.
    probe = mp_run(tmp_path, script("sync_acks_epoch"),
                   args=[str(data / "journal")])
    ep = int(probe.stdout.split()[-1])
    cases = hostile_acks(ep)
    assert all(len(p) <= 8192 for p in cases)   # the gun's receive buffer
    (tmp_path / "cases.bin").write_bytes(b"".join(
        len(p).to_bytes(2, "little") + p for p in cases))
    out = mp_run(tmp_path, script("sync_acks_direct"),
                 args=[str(data), "fresh"]).stdout
    assert "EP %d" % ep in out
    assert "HOSTILE_OK" in out, out
    assert "STATE %d 3 5 1" % ep in out, out
    # Power cut and reboot: the state on flash is the one reached, not a
    # truncated hostile upto.
    out = mp_run(tmp_path, script("sync_acks_direct"),
                 args=[str(data), "reboot"]).stdout
    assert "STATE %d 3 5 1" % ep in out, out
    assert "AFTER %d 4 6 1" % ep in out, out


def test_hostile_acks_over_mqtt_then_power_cut(tmp_path, env):
    broker, server = env
    server.hold_orders([52])
    args = [str(tmp_path / "data"), str(broker.port), str(tmp_path)]
    server.hold = True                       # commits, but acks nothing
    gun = MPProcess(tmp_path, script("sync_acks_reboot"),
                    args=args + ["first"])
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
    gun = MPProcess(tmp_path, script("sync_acks_reboot"),
                    args=args + ["second"])
    try:
        gun.expect("ONLINE")
        assert _state(gun.expect("DRAINED", timeout=40)) == (ep, 6, 7, 0)
        assert gun.expect("REJECTED") == "REJECTED [3]"
        assert gun.wait() == 0
    finally:
        gun.kill()
    assert sorted(server.committed[("G01", ep)]) == list(range(1, 7))
    assert {a[2] for a in server.arrivals} == set(range(1, 7))


def test_refused_note_acknowledgement_reaches_the_screen(tmp_path):
    # the firmware's modules, with the code allowance a gun keeps in flash
    out = check(script("sync_acks_notes_refused"), cwd=str(tmp_path),
                heapsize="%dk" % (110 + MPY_CODE_ALLOWANCE_K))
    assert out.strip().endswith("OK"), out
