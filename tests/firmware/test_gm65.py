"""The GM65 decoder module: the gun sets it up at boot over its serial
command protocol (firmware/drivers/gm65.py), against the host board's
module (firmware/boards/host_gm65.py), which starts in its factory
settings and answers as its manual says (scripts:
tests/firmware/mp/gm65_*.py; the frames' bytes against the manual's own
examples: test_gm65_frames.py)."""
import sys

from mp import REPO, check, script

sys.path.insert(0, str(REPO))
from server.gunlink.broker import free_port  # noqa: E402
from tools.simulate import SimulatedGun  # noqa: E402


def run(name, tmp_path):
    check(script(name), args=[tmp_path / "gm65-flash.bin"])


def test_standin_answers_and_scans_as_the_manual_says(tmp_path):
    run("gm65_standin_follows_the_manual", tmp_path)


def test_boot_sets_up_a_factory_module_and_codes_come_with_cr(tmp_path):
    run("gm65_boot_sets_up_a_factory_module", tmp_path)


def test_second_boot_reads_only_and_leaves_its_flash(tmp_path):
    run("gm65_second_boot_writes_nothing", tmp_path)


def test_setup_keeps_the_bits_the_gun_does_not_need(tmp_path):
    run("gm65_setup_keeps_the_other_bits", tmp_path)


def test_a_reply_nobody_awaits_is_no_code(tmp_path):
    run("gm65_late_reply_is_no_code", tmp_path)


def test_silent_garbled_or_forgetful_module_is_named(tmp_path):
    run("gm65_silent_or_garbled_module", tmp_path)


def _flash(work):
    data = (work / "gm65-flash.bin").read_bytes()
    return data[:256], int.from_bytes(data[256:], "little")


def test_gun_sets_its_decoder_up_once_and_scans(tmp_path):
    """A new gun's decoder, in its factory settings, is set up at boot
    before the gun takes scans; the next boot finds it set up and writes
    nothing to its flash."""
    work = tmp_path / "g"
    with SimulatedGun(work, "G01", "pw", "127.0.0.1", free_port()) as gun:
        assert gun.state()["decoder"] == ""
        zone, saves = _flash(work)
        assert (zone[0x00], zone[0x03], zone[0x0D], zone[0x60]) == \
            (0x96, 0x03, 0x00, 0x01) and saves == 1
        st = gun.scan("https://example.com/not-ours")
        assert st["reason"] == "foreign" and gun.beeps[-1] == "err"
        gun.power_cut()
        gun.power_on()
        assert gun.state()["decoder"] == ""
        assert _flash(work) == (zone, 1)
        st = gun.scan("PGO:1042")
        assert st["screen"] == "refused" and st["scans"] == 1
        assert "Traceback" not in gun.log_path.read_text()


def test_gun_whose_decoder_does_not_answer_says_so_and_scans(tmp_path):
    """No GM65 on the line (or one that hears nothing): the idle screen
    names the problem, the log too, and codes that arrive are handled."""
    work = tmp_path / "g"
    with SimulatedGun(work, "G01", "pw", "127.0.0.1", free_port(),
                      decoder=False) as gun:
        st = gun.wait_for(lambda s: s["screen"] == "idle")
        assert st["decoder"] == "No decoder reply"
        assert "No decoder reply" in gun.screen_text()
        st = gun.scan("https://example.com/not-ours")
        assert st["reason"] == "foreign" and gun.alive
        assert not (work / "gm65-flash.bin").exists()
        log = gun.log_path.read_text()
        assert "pickgun: decoder failed: No decoder reply" in log
        assert "Traceback" not in log
