"""A bad config.json stops the gun with a clear message on its screen,
never a crash loop (gun/config.py, main.py)."""
import sys

from mp import REPO, check

sys.path.insert(0, str(REPO))
from server.broker import free_port  # noqa: E402
from tools.simulate import SimulatedGun  # noqa: E402


def test_problems_named_inside_micropython():
    out = check("""
from gun import config
good = {"id": "G01", "password": "pw", "broker": "10.0.0.2", "port": 1883}
assert config.problems(good) == []
cases = [
    ([], "not a JSON object"),
    (dict(good, id="g01"), "bad gun id"),
    (dict(good, id="A-VERY-LONG-GUN-ID-X"), "bad gun id"),
    (dict(good, password=""), "no password"),
    (dict(good, broker=None), "no broker address"),
    (dict(good, port="1883"), "bad broker port"),
    (dict(good, port=70000), "bad broker port"),
    (dict(good, ssid=5), "bad ssid"),
]
for cfg, want in cases:
    got = config.problems(cfg)
    assert want in got[0], (cfg, got)
print("ok")
""")
    assert out.strip() == "ok"


def test_gun_with_bad_config_shows_why(tmp_path):
    with SimulatedGun(tmp_path / "g", "G01", "", "127.0.0.1", free_port(),
                      extra_config={"port": "eighteen"}) as gun:
        st = gun.wait_for(lambda s: s["screen"] == "config_error")
        assert "no password" in st["msg"] and "bad broker port" in st["msg"]
        assert gun.beeps[-1] == "err"
        text = gun.screen_text()
        assert "Config error" in text and "no password" in text
        assert gun.alive


def test_gun_reprovisioned_badly_shows_why_after_restart(tmp_path):
    with SimulatedGun(tmp_path / "g", "G01", "pw", "127.0.0.1",
                      free_port()) as gun:
        gun.wait_for(lambda s: s["screen"] == "idle")
        gun.power_cut()
        cfg = gun.workdir / "config.json"
        cfg.write_text(cfg.read_text().replace('"password": "pw"',
                                               '"password": 5'))
        gun.power_on()
        st = gun.wait_for(lambda s: s["screen"] == "config_error")
        assert "no password" in st["msg"]
