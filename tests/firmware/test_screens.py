"""Screen layouts (16 x 8 text rows) and the PNG writer (scripts:
tests/firmware/mp/screens_*.py)."""
from PIL import Image

from mp import check, script



def test_rows_fit_the_panel():
    check(script("screens_rows_fit_the_panel"))


def test_png_matches_framebuffer(tmp_path):
    png = tmp_path / "f.png"
    out = check(script("screens_png_matches_framebuffer"), args=[png])
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
    check(script("screens_png_paper_mode_inverts"), args=[png])
    img = Image.open(png)
    assert img.getpixel((0, 0)) == 0 and img.getpixel((1, 0)) != 0


def test_stop_screen_and_idle_reason_rows():
    check(script("screens_stop_screen_and_idle_reason_rows"))
