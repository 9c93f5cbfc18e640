"""Returns mode on the whole firmware (main.py under MicroPython, 110 KB
heap): bottles of a Shipped order scanned back in offline survive a power
cut and reach the server once through the real broker, whose ack clears
them (docs/firmware.md, Returns mode)."""
import sys
import time

from mp import REPO
from test_simulated_gun import prestore

sys.path.insert(0, str(REPO))
from server.gunlink.broker import free_port  # noqa: E402
from shared import wire  # noqa: E402
from tools.simulate import FIRMWARE, SimulatedGun  # noqa: E402


def test_returns_scanned_offline_survive_a_power_cut_and_sync_once(
        tmp_path, env):
    broker, server = env
    work = tmp_path / "g"
    work.mkdir()
    prestore(work, FIRMWARE, wire.snapshot(
        1042, 5, "shipped", "Jane R.",
        [{"sku": "CBD-OIL-30", "qty": 2, "got": 2}], [],
        ["B000101", "B000102"]))
    codes = [wire.bottle_code(s, "CBD-OIL-30", "L2311A")
             for s in ("B000101", "B000102", "B000999")]
    # No broker where this gun looks: offline.
    with SimulatedGun(work, "G01", "pw-g01", "127.0.0.1",
                      free_port()) as gun:
        gun.wait_for(lambda s: s["screen"] == "idle")
        st = gun.scan(wire.order_code(1042))
        assert st["screen"] == "order" and "OK: scan returns" in \
            gun.screen_text()
        st = gun.press("OK")
        assert st["screen"] == "returns" and "RETURNS" in gun.screen_text()
        st = gun.scan(codes[0])
        assert st["screen"] == "returns" and st["pending"] == 1
        assert gun.beeps[-1] == "ok" and "1 returned" in gun.screen_text()
        st = gun.scan(codes[2])
        assert st["reason"] == "not_on_order" and st["pending"] == 1
        assert "from this order" in gun.screen_text()
        gun.press("OK")
        time.sleep(0.9)             # past the decoder's repeat window
        st = gun.scan(codes[0])
        assert st["reason"] == "duplicate" and st["pending"] == 1
        gun.press("OK")
        st = gun.scan(codes[1])
        assert st["pending"] == 2 and "2 returned" in gun.screen_text()
        gun.power_cut()
    assert not server.arrivals
    # Power back, and the broker within reach: sent, acked, once.
    with SimulatedGun(work, "G01", "pw-g01", "127.0.0.1",
                      broker.port) as gun:
        gun.wait_for(lambda s: s["link"] == "online", 20)
        gun.wait_for(lambda s: s["pending"] == 0, 20)
        st = gun.scan(wire.order_code(1042))
        gun.press("OK")
        st = gun.scan(codes[1])     # remembered from the journal at boot
        assert st["reason"] == "duplicate" and st["pending"] == 0
        gun.power_cut()
        gun.power_on()
        st = gun.wait_for(lambda s: s["link"] == "online", 20)
        assert st["pending"] == 0
        time.sleep(0.5)
    events = [ev for done in server.committed.values()
              for ev in done.values()]
    assert [(ev["k"], ev["o"], ev["c"]) for ev in events] == [
        (wire.RETURN, 1042, codes[0]), (wire.RETURN, 1042, codes[1])]
    seqs = [a[2] for a in server.arrivals]
    assert sorted(seqs) == [1, 2], server.arrivals
