"""Screen layouts (16 x 8 text rows) and the PNG writer."""
from PIL import Image

from mp import check


def test_rows_fit_the_panel():
    check("""
from gun import screens as S
snap = {"o": 1042, "cl": "Jane Doe-Longname-Client", "pick": True, "notes": [],
        "lines": [{"sku": "SKU-%d" % i, "name": "N", "qty": 3, "got": 1} for i in range(7)]}
line = snap["lines"][0]
views = [S.idle("online", 0), S.idle("offline", 12, "Order 1042 done and a long message"),
         S.order("connecting", 3, snap, [1] * 7, 2),
         S.note("online", 0, 0, 2, "x" * 200, 0),
         S.note("online", 0, 1, 2, "Client prefers morning pickup", 0, True),
         S.picking("offline", 400, 1042, line, 2, "OK B000123", 5),
         S.picking("offline", 1, 1042, None, 0, "", 0),
         S.refused("online", 1, "Bottle on other order", "B000123", "Take it out of the order"),
         S.complete("online", 0, 1042, 12)]
for rows, big in views:
    assert len(rows) == 8, rows
    for r in rows:
        assert len(r) <= 16, (r, rows)
    if big >= 0:
        assert len(rows[big]) <= 8 and rows[big + 1] == "", rows
rows = S.order("connecting", 3, snap, [1] * 7, 2)[0]
assert rows[3] == "1/3 SKU-0" and rows[6] == "+4 more lines" and rows[7] == "OK: read 2 notes", rows
assert S.status("online", 0) == "Online    synced"
assert S.status("offline", 3) == "Offline   3 wait"
assert S.status("connecting", 12) == "Linking  12 wait"
assert S.idle("offline", 2)[0][4].strip() == "2 waiting"
assert S.wrap("Fragile: handle with care please") == ["Fragile: handle", "with care please"]
assert S.wrap("ABCDEFGHIJKLMNOPQRS") == ["ABCDEFGHIJKLMNOP", "QRS"]
assert len(S.note_pages("word " * 40)) == 4   # 3 words a row, 4 rows a page
# information notes: INFO header; OK or a scan goes on, nothing to confirm
rows, big = S.note("offline", 2, 0, 2, "Client prefers morning pickup", 0, True)
assert big == 1 and rows[1] == "INFO 1/2" and rows[2] == "", rows
assert rows[3:5] == ["Client prefers", "morning pickup"], rows
assert rows[7] == "OK: more", rows
assert S.note("offline", 2, 1, 2, "Blue box", 0, True)[0][7] == "OK/scan to go on"
assert S.note("offline", 2, 0, 1, "word " * 40, 0, True)[0][7] == "OK: more"
assert S.note("offline", 2, 0, 1, "Blue box")[0][1] == "NOTE 1/1"
assert S.note("offline", 2, 0, 1, "Blue box")[0][7] == "OK to confirm"
""")


def test_png_matches_framebuffer(tmp_path):
    png = tmp_path / "f.png"
    out = check("""
import framebuf, binascii
from drivers import png
from gun import screens as S
buf = bytearray(1024)
fb = framebuf.FrameBuffer(buf, 128, 64, framebuf.MONO_HLSB)
rows, big = S.refused("offline", 3, "Wrong product", "GUMMY-10", "Put it back")
S.paint(fb, rows, big)
with open(%r, "wb") as f:
    png.encode(f, buf, 128, 64)
print(binascii.hexlify(buf).decode())
""" % str(png))
    data = bytes.fromhex(out.strip())
    img = Image.open(png)
    img.load()
    assert img.size == (128, 64) and img.mode == "1"
    for y in range(64):
        for x in range(128):
            bit = (data[y * 16 + x // 8] >> (7 - x % 8)) & 1
            assert (img.getpixel((x, y)) != 0) == bool(bit), (x, y)
    # status bar lit, something drawn in the body
    assert img.getpixel((127, 7)) != 0
    assert sum(1 for y in range(8, 64) for x in range(128)
               if img.getpixel((x, y))) > 200


def test_png_paper_mode_inverts(tmp_path):
    png = tmp_path / "p.png"
    check("""
from drivers import png
buf = bytearray(1024)
buf[0] = 0x80
with open(%r, "wb") as f:
    png.encode(f, buf, 128, 64, paper=True)
""" % str(png))
    img = Image.open(png)
    assert img.getpixel((0, 0)) == 0 and img.getpixel((1, 0)) != 0


def test_stop_screen_and_idle_reason_rows():
    check("""
from gun import screens as S
rows = S.config_error(["no password"])
assert rows == ["Config error", "STOP", "", "no password", "", "", "",
                "Re-provision gun"], rows
rows = S.config_error(["a long problem with the config file here",
                       "and another long one that wraps over"],
                      "Flash error", "If again: a lead")
assert len(rows) == 8 and rows[0] == "Flash error" and rows[7] == "If again: a lead"
assert rows.count("If again: a lead") == 1, rows
rows, big = S.idle("offline", 3, "", "TLS: not trusted")
assert rows[7] == "TLS: not trusted" and rows[4].strip() == "3 waiting", rows
assert S.idle("offline", 0, "", "A reason longer than the screen")[0][7] == \\
    "A reason longer "
assert S.idle("online", 0)[0][7] == ""
""")
