"""Screen layouts (16 x 8 text rows) and the PNG writer."""
from PIL import Image

from mp import check


# The app's screens are built by gun/ui.py's table from the app's state;
# SHOW draws one of them for a real App whose fields are set as given.
SHOW = """
import fakes
from gun import screens as S
from gun.app import App
from gun.ui import SCREENS

class Waiting(fakes.Journal):           # n events waiting to sync
    n = 0
    def pending_count(self):
        return self.n

def show(screen, link="online", pending=0, why=None, **fields):
    j = Waiting()
    j.n = pending
    sync = fakes.Sync()
    sync.why = why
    a = App(fakes.Board(), j, fakes.Store(), sync)
    a.link = link
    for name in fields:
        setattr(a, name, fields[name])
    a.screen = screen
    return SCREENS[screen](a, False)

def notes(*texts):
    return [{"id": i, "text": t} for i, t in enumerate(texts)]
"""


def test_rows_fit_the_panel():
    check(SHOW + """
snap = {"o": 1042, "cl": "Jane Doe-Longname-Client", "pick": True, "notes": [],
        "lines": [{"sku": "SKU-%d" % i, "name": "N", "qty": 3, "got": 1} for i in range(7)]}
full = {"o": 1042, "cl": "", "pick": True, "notes": [],
        "lines": [{"sku": "SKU-0", "name": "N", "qty": 3, "got": 3}]}
two = notes("x" * 200, "Client prefers morning pickup")
views = [show("idle"), show("idle", "offline", 12, msg="Order 1042 done and a long message"),
         show("order", "connecting", 3, snap=snap, oid=1042, todo_notes=two),
         show("note", todo_notes=two),
         show("info", items=two, note_i=1),
         show("picking", "offline", 400, snap=snap, oid=1042, cur_sku="SKU-0",
              last="OK B000123"),
         show("picking", "offline", 1, snap=full, oid=1042),
         show("refused", "online", 1, message="Bottle on other order",
              detail="B000123", todo="Take it out of the order"),
         show("complete", snap=snap, oid=1042)]
for rows, big in views:
    assert len(rows) == 8, rows
    for r in rows:
        assert len(r) <= 16, (r, rows)
    if big >= 0:
        assert len(rows[big]) <= 8 and rows[big + 1] == "", rows
rows = views[2][0]
assert rows[3] == "1/3 SKU-0" and rows[6] == "+4 more lines" and rows[7] == "OK: read 2 notes", rows
assert views[6] == (["Offline   1 wait", "Order 1042", "", "", "", "", "",
                     "0 bottles left"], -1), views[6]
assert views[8][0][5].strip() == "7 bottles", views[8]
assert S.status("online", 0) == "Online    synced"
assert S.status("offline", 3) == "Offline   3 wait"
assert S.status("connecting", 12) == "Linking  12 wait"
assert show("idle", "offline", 2)[0][4].strip() == "2 waiting"
assert S.wrap("Fragile: handle with care please") == ["Fragile: handle", "with care please"]
assert S.wrap("ABCDEFGHIJKLMNOPQRS") == ["ABCDEFGHIJKLMNOP", "QRS"]
assert len(S.note_pages("word " * 40)) == 4   # 3 words a row, 4 rows a page
# information notes: INFO header; OK or a scan goes on, nothing to confirm
info = notes("Client prefers morning pickup", "Blue box")
rows, big = show("info", "offline", 2, items=info)
assert big == 1 and rows[1] == "INFO 1/2" and rows[2] == "", rows
assert rows[3:5] == ["Client prefers", "morning pickup"], rows
assert rows[7] == "OK: more", rows
assert show("info", items=info, note_i=1)[0][7] == "OK/scan to go on"
assert show("info", items=notes("word " * 40))[0][7] == "OK: more"
assert show("note", todo_notes=notes("Blue box"))[0][1] == "NOTE 1/1"
assert show("note", todo_notes=notes("Blue box"))[0][7] == "OK to confirm"
""")


def test_png_matches_framebuffer(tmp_path):
    png = tmp_path / "f.png"
    out = check(SHOW + """
import framebuf, binascii
from drivers import png
buf = bytearray(1024)
fb = framebuf.FrameBuffer(buf, 128, 64, framebuf.MONO_HLSB)
rows, big = show("refused", "offline", 3, message="Wrong product",
                 detail="GUMMY-10", todo="Put it back")
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
    check(SHOW + """
rows = S.config_error(["no password"])
assert rows == ["Config error", "STOP", "", "no password", "", "", "",
                "Re-provision gun"], rows
rows = S.config_error(["a long problem with the config file here",
                       "and another long one that wraps over"],
                      "Flash error", "If again: a lead")
assert len(rows) == 8 and rows[0] == "Flash error" and rows[7] == "If again: a lead"
assert rows.count("If again: a lead") == 1, rows
rows, big = show("idle", "offline", 3, why="TLS: not trusted")
assert rows[7] == "TLS: not trusted" and rows[4].strip() == "3 waiting", rows
assert show("idle", "offline", why="A reason longer than the screen")[0][7] == \\
    "A reason longer "
assert show("idle", "online", why="TLS: not trusted")[0][7] == ""
""")
