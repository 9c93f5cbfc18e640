"""The whole firmware (main.py) under MicroPython with a 110 KB heap, driven
through tools/simulate.py's SimulatedGun, with no broker reachable."""
import shutil
import sys
import time

import pytest
from PIL import Image

from mp import CODE_HEAP_SCRIPT, FIRMWARE, MPLIB, REPO, SOURCE_PATH, check

sys.path.insert(0, str(REPO))
from server.gunlink.broker import free_port  # noqa: E402
from shared import wire  # noqa: E402
from tools.simulate import CODE_ALLOWANCE_K, SimulatedGun  # noqa: E402


@pytest.fixture
def firmware(tmp_path):
    """The firmware tree; while gun/sync.py is not written yet, a copy with
    an offline-only stand-in."""
    if (FIRMWARE / "gun" / "sync.py").exists():
        return FIRMWARE
    fw = tmp_path / "fw"
    shutil.copytree(FIRMWARE, fw, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(MPLIB / "standin_sync.py", fw / "gun" / "sync.py")
    return fw


def prestore(workdir, firmware, snap):
    """Put an order snapshot in the gun's flash store, as a sync would."""
    check("""
import boards, main
from shared import wire
b = boards.load()
journal, store = main.storage(b)
assert store.offer(wire.encode(%r)) == %d
""" % (snap, snap["o"]), heapsize="512k", env={
        "PICKGUN_BOARD": "host", "PICKGUN_HOST_DIR": str(workdir),
        "MICROPYPATH": "%s:%s:.frozen" % (firmware, REPO)})


def test_boots_idle_and_refuses_foreign_code(tmp_path, firmware):
    with SimulatedGun(tmp_path / "g", "G01", "pw", "127.0.0.1", free_port(),
                      firmware=firmware) as gun:
        st = gun.wait_for(lambda s: s["screen"] == "idle")
        assert st["pending"] == 0 and st["link"] in ("offline", "connecting")
        assert "Scan an order" in gun.screen_text()
        st = gun.scan("https://example.com/not-ours")
        assert st["screen"] == "refused" and st["reason"] == "foreign"
        assert gun.beeps[-1] == "err" and st["pending"] == 0
        assert "Not a Pickgun" in gun.screen_text()
        gun.wait_for(lambda s: True)
        deadline = time.time() + 5
        while time.time() < deadline:
            try:
                img = Image.open(gun.screen_png)
                img.load()
                break
            except OSError:
                time.sleep(0.1)
        assert img.size == (128, 64)


def test_offline_pick_survives_power_cut(tmp_path, firmware):
    work = tmp_path / "g"
    work.mkdir()
    snap = wire.snapshot(1042, 3, "placed", "Jane Doe",
                         [{"sku": "CBD-OIL-30", "name": "CBD Oil 30 mL",
                           "qty": 2, "got": 0}],
                         [{"id": 3, "text": "Fragile"}], [])
    prestore(work, firmware, snap)
    b1 = wire.bottle_code("B000101", "CBD-OIL-30", "L2311A")
    b2 = wire.bottle_code("B000102", "CBD-OIL-30", "L2311A")
    with SimulatedGun(work, "G01", "pw", "127.0.0.1", free_port(),
                      firmware=firmware) as gun:
        gun.wait_for(lambda s: s["screen"] == "idle")
        st = gun.scan(wire.order_code(1042))
        # its note at once
        assert st["screen"] == "note" and st["order"] == 1042
        assert "Fragile" in gun.screen_text() and gun.beeps[-1] == "note"
        st = gun.scan(b1)
        assert st["reason"] == "notes_pending" and st["pending"] == 0
        st = gun.press("OK")                      # dismiss the refusal
        assert st["screen"] == "note" and "Fragile" in gun.screen_text()
        st = gun.press("OK")
        assert st["screen"] == "order" and st["pending"] == 1
        assert "Jane Doe" in gun.screen_text()
        st = gun.scan(b1)
        assert st["screen"] == "picking" and st["pending"] == 2
        assert gun.beeps[-1] == "ok"
        assert "1 wait" not in gun.screen_text()
        assert "2 wait" in gun.screen_text()

        gun.power_cut()
        gun.power_on()
        st = gun.wait_for(lambda s: s["screen"] == "idle")
        assert st["pending"] == 2
        assert "2 waiting" in gun.screen_text()
        st = gun.scan(wire.order_code(1042))
        assert st["screen"] == "order" and st["notes"] == 0
        assert "1/2 CBD-OIL-30" in gun.screen_text()
        st = gun.scan(b1)
        assert st["reason"] == "duplicate" and st["pending"] == 2
        st = gun.scan(b2)
        assert st["screen"] == "complete" and st["pending"] == 3
        assert gun.beeps[-1] == "done"
        gun.wifi(False)
        gun.wifi(True)
        time.sleep(0.3)
        assert gun.alive


def test_code_allowance_covers_the_firmware_code():
    """The heap the firmware's own modules take on the unix port (frozen in
    flash on the ESP32) fits the allowance SimulatedGun adds to the heap."""
    out = check(CODE_HEAP_SCRIPT, heapsize="512k",
                env={"PICKGUN_BOARD": "host", "MICROPYPATH": SOURCE_PATH})
    used = int(out.split()[-1])
    assert used < CODE_ALLOWANCE_K * 1024, used


def painted(rows, big):
    """The 128x64 bitmap screens.paint() draws for rows, as rows of bits."""
    out = check("""
import framebuf, binascii
from gun import screens
buf = bytearray(1024)
fb = framebuf.FrameBuffer(buf, 128, 64, framebuf.MONO_HLSB)
screens.paint(fb, %r, %d)
print(binascii.hexlify(buf).decode())
""" % (rows, big))
    data = bytes.fromhex(out.strip())
    return [[(data[y * 16 + x // 8] >> (7 - x % 8)) & 1 for x in range(128)]
            for y in range(64)]


def png_body_matches(gun, rows, big, timeout=5):
    """screen.png, below the status bar, is rows as the panel draws them."""
    want = painted(rows, big)
    deadline = time.time() + timeout
    while True:
        try:
            img = Image.open(gun.screen_png)
            img.load()
            got = [[1 if img.getpixel((x, y)) else 0 for x in range(128)]
                   for y in range(64)]
            if got[8:] == want[8:]:
                return True
        except OSError:
            pass
        if time.time() > deadline:
            return False
        time.sleep(0.1)


def test_info_note_on_the_panel_does_not_stop_picking(tmp_path, firmware):
    """Mixed notes: OK confirms the must-acknowledge one (journalled), the
    information one shows on the panel (screen.png) and a scan goes past."""
    work = tmp_path / "g"
    work.mkdir()
    snap = wire.snapshot(1042, 3, "placed", "Jane Doe",
                         [{"sku": "CBD-OIL-30", "name": "CBD Oil 30 mL",
                           "qty": 2, "got": 0}],
                         [wire.note(3, "Fragile"),
                          wire.note(4, "Client prefers morning pickup",
                                    True)], [])
    prestore(work, firmware, snap)
    b1 = wire.bottle_code("B000101", "CBD-OIL-30", "L2311A")
    with SimulatedGun(work, "G01", "pw", "127.0.0.1", free_port(),
                      firmware=firmware) as gun:
        gun.wait_for(lambda s: s["screen"] == "idle")
        st = gun.scan(wire.order_code(1042))
        assert st["screen"] == "note" and st["notes"] == 1
        assert gun.beeps[-1] == "note" and "Fragile" in gun.screen_text()
        st = gun.press("OK")
        # the must-acknowledge note is on flash; the info note is shown
        assert st["screen"] == "info" and st["pending"] == 1, st
        assert st["notes"] == 0 and st["info"] == 1
        rows = list(gun.rows)
        assert rows[1] == "INFO 1/1" and rows[3:5] == ["Client prefers",
                                                       "morning pickup"], rows
        assert png_body_matches(gun, rows, 1)
        assert not png_body_matches(gun, rows[:4] + ["afternoon"] + rows[5:],
                                    1, timeout=0)
        # a bottle scan goes past it: no OK for information
        st = gun.scan(b1)
        assert st["screen"] == "picking" and st["pending"] == 2, st
        assert gun.beeps[-1] == "ok"
        # reopened after a power cut: the info note shows again at once
        gun.power_cut()
        gun.power_on()
        gun.wait_for(lambda s: s["screen"] == "idle")
        st = gun.scan(wire.order_code(1042))
        assert st["screen"] == "info" and st["notes"] == 0, st
        assert gun.beeps[-1] == "info"
        assert "morning pickup" in gun.screen_text()
        assert png_body_matches(gun, list(gun.rows), 1)


def test_hostile_decoder_bytes_record_nothing(tmp_path, firmware):
    """Garbage on the decoder's UART (the host board's stand-in): refused,
    never a pick, and the gun goes on scanning."""
    work = tmp_path / "g"
    work.mkdir()
    snap = wire.snapshot(1042, 3, "placed", "Jane Doe",
                         [{"sku": "CBD-OIL-30", "name": "CBD Oil 30 mL",
                           "qty": 2, "got": 0}], [], [])
    prestore(work, firmware, snap)
    good = wire.bottle_code("B000101", "CBD-OIL-30", "L2311A").encode()
    hostile = [b"X" * 5000, b"\r\n", b"\x00" * 40 + b"\n",
               bytes(range(128, 256)) + b"\r", b"\xc3\x28\xa0\xa1\n",
               b"\r\n" * 2000, bytes((i * 7) % 256 for i in range(10240)),
               b"\n", good[:-1] + b"\x00\n", good[:6] + b"\xff" + good[7:]
               + b"\n", good[:12], good + b"\n", good[:-2] + b"\n"]
    with SimulatedGun(work, "G01", "pw", "127.0.0.1", free_port(),
                      firmware=firmware) as gun:
        gun.wait_for(lambda s: s["screen"] == "idle")
        st = gun.scan(wire.order_code(1042))
        assert st["screen"] == "order"
        for data in hostile:
            gun._uart.sendall(data)     # raw bytes, as a decoder might
        # a last, known line: once it is handled, all of the above is
        gun.scan(wire.order_code(555), wait=False)
        st = gun.wait_for(lambda s: s["reason"] == "unknown_order")
        assert st["scans"] > 10 and gun.beeps[-1] == "err", st
        assert st["pending"] == 0 and st["picks"] == 0, st
        assert gun.alive and "Traceback" not in gun.log_path.read_text()
        st = gun.press("OK")
        assert st["screen"] == "order", st
        n = st["scans"]
        gun._uart.sendall(good[:9])     # a code in two reads
        time.sleep(0.2)
        gun._uart.sendall(good[9:] + b"\r\n")
        st = gun.wait_for(lambda s: s["scans"] > n)
        assert st["screen"] == "picking" and st["pending"] == 1, st
        assert gun.beeps[-1] == "ok"


def test_sign_in_and_a_held_lot_from_flash_long_back_signs_out(tmp_path,
                                                               firmware):
    """The roster and lots message kept on flash (as the sync session
    keeps them), the whole firmware offline: the gate, the badge, the
    name on the screens, a held lot refused, a long press of BACK."""
    work = tmp_path / "g"
    work.mkdir()
    body = "PGS:42:K3J9XQ2M7PLA"
    snap = wire.snapshot(1042, 3, "placed", "Jane Doe",
                         [{"sku": "CBD-OIL-30", "name": "CBD Oil 30 mL",
                           "qty": 2, "got": 0}], [], [])
    prestore(work, firmware, snap)
    roster = wire.roster([{"id": 42, "n": "Ana P.",
                           "h": wire.badge_hash(body)}], required=True,
                         idle=600)
    check("""
import boards, main
from gun.staff import Staff
b = boards.load()
main.storage(b)
s = Staff(b.DATA_DIR)
s.take(%r, %r, 0)
s.take(%r, %r, 1)
""" % (roster, wire.encode(roster),
       wire.lots([["L2311A", "lot_on_hold"]]),
       wire.encode(wire.lots([["L2311A", "lot_on_hold"]]))),
          heapsize="512k", env={
        "PICKGUN_BOARD": "host", "PICKGUN_HOST_DIR": str(work),
        "MICROPYPATH": "%s:%s:.frozen" % (firmware, REPO)})
    badge = body + ":" + wire.check_char(body)
    with SimulatedGun(work, "G01", "pw", "127.0.0.1", free_port(),
                      firmware=firmware) as gun:
        gun.wait_for(lambda s: s["screen"] == "idle")
        assert "Scan your badge" in gun.screen_text()
        st = gun.scan(wire.order_code(1042))
        assert st["reason"] == "sign_in" and gun.beeps[-1] == "err"
        st = gun.scan(badge)
        assert st["screen"] == "staff" and st["by"] == 42
        assert "HELLO" in gun.screen_text() and "Ana P." in \
            gun.screen_text() and gun.beeps[-1] == "ok"
        st = gun.scan(wire.order_code(1042))
        assert st["screen"] == "order" and "1042 Ana P." in gun.screen_text()
        st = gun.scan(wire.bottle_code("B1", "CBD-OIL-30", "L2311A"))
        assert st["reason"] == "lot_on_hold" and st["pending"] == 0
        assert "Lot on hold" in gun.screen_text()
        st = gun.scan(wire.bottle_code("B1", "CBD-OIL-30", "L2400B"))
        assert st["screen"] == "picking" and st["pending"] == 1
        st = gun.press("BACK", long=True)
        assert st["screen"] == "staff" and st["reason"] == "signed_out"
        assert st["by"] == 0 and "BYE" in gun.screen_text()
        assert gun.beeps[-1] == "info"
        gun.power_cut()
        gun.power_on()
        st = gun.wait_for(lambda s: s["screen"] == "idle")
        assert st["by"] == 0 and "Scan your badge" in gun.screen_text()
        st = gun.scan(badge)
        assert st["by"] == 42
