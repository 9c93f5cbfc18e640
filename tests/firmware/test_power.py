"""The panel's power: dimmed, then off, after a while without input; a
scan wakes it and still counts and beeps, a key wakes it and does
nothing else (gun/app.py power_task, the SSD1306's contrast and display
off, the host board's PANEL lines)."""
import sys
import time

from mp import REPO, check, script
from test_simulated_gun import prestore

sys.path.insert(0, str(REPO))
from server.gunlink.broker import free_port  # noqa: E402
from shared import wire  # noqa: E402
from tools.simulate import SimulatedGun  # noqa: E402

DIM, FULL, OFF = 16, 255, 0


def until(predicate, what, timeout=10):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_panel_dims_blanks_and_wakes(tmp_path):
    work = tmp_path / "g"
    work.mkdir()
    snap = wire.snapshot(1042, 3, "placed", "Jane R.",
                         [{"sku": "CBD-OIL-30", "qty": 3, "got": 0}], [], [])
    prestore(work, REPO / "firmware", snap)
    with SimulatedGun(work, "G01", "pw", "127.0.0.1", free_port(),
                      extra_config={"dim_ms": 600, "blank_ms": 1500}) as gun:
        st = gun.wait_for(lambda s: s["screen"] == "idle")
        gun.scan(wire.order_code(1042))
        until(lambda: gun.panel[-1:] == [DIM], gun.panel)
        until(lambda: gun.panel[-1:] == [OFF], gun.panel)
        assert gun.panel[-2:] == [DIM, OFF]
        # A scan on the dark panel: lit at once, counted, beeped.
        beeps = len(gun.beeps)
        st = gun.scan(wire.bottle_code("B000101", "CBD-OIL-30", "L1"))
        assert st["pending"] == 1 and st["screen"] == "picking", st
        assert gun.beeps[beeps:] == ["ok"] and gun.panel[-1] == FULL
        until(lambda: gun.panel[-1:] == [OFF], gun.panel)
        # A key on the dark panel only wakes it: the order stays open.
        keys = gun.state()["keys"]
        gun.press("BACK", wait=False)
        until(lambda: gun.panel[-1:] == [FULL], gun.panel)
        time.sleep(0.3)
        st = gun.state()
        assert st["keys"] == keys and st["screen"] == "picking", st
        st = gun.press("BACK")              # lit: the key does its work
        assert st["screen"] == "idle"
        # An unlit panel shows nothing on the screen either.
        until(lambda: gun.panel[-1:] == [OFF], gun.panel)


def test_ssd1306_power_commands():
    out = check(script("board_ssd1306_power"))
    assert out.split() == ["81", "10", "ae", "af", "81", "ff"]
