# The 128x64 panel with the 8x8 font: 16 characters x 8 rows.  A screen
# is (rows, big): 8 text rows and the index of a row drawn at double size
# (it takes that row and the next; -1: none).  Row 0 is always the status
# bar: link state and scans waiting to sync.  What each of the app's
# screens shows is built in gun/ui.py from the helpers here; the STOP
# screen (config_error) is here, as main.py shows it without an app.
# paint() draws rows onto any framebuf.FrameBuffer; the rows themselves
# are the screen's text for the simulator and tests.
import framebuf

COLS = 16
ROWS = 8

LINK_WORDS = {"online": "Online", "connecting": "Linking",
              "offline": "Offline"}

# A small glyph buffer for double-size text (at most 8 characters).
_gbuf = bytearray(64)
_glyphs = framebuf.FrameBuffer(_gbuf, 64, 8, framebuf.MONO_HLSB)


def status(link, pending):
    word = LINK_WORDS.get(link, link or "")[:8]
    right = "synced" if not pending else str(min(pending, 999)) + " wait"
    return word + " " * (COLS - len(word) - len(right)) + right


def wrap(text, width=COLS):
    """Word-wrap text into lines of at most width characters."""
    out = []
    for para in str(text).split("\n"):
        line = ""
        for word in para.split():
            while len(word) > width:
                if line:
                    out.append(line)
                    line = ""
                out.append(word[:width])
                word = word[width:]
            if not word:
                continue
            if not line:
                line = word
            elif len(line) + 1 + len(word) <= width:
                line += " " + word
            else:
                out.append(line)
                line = word
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return out


def fit(rows):
    """rows cut or padded to the panel: 8 rows of at most 16 characters."""
    rows = [r[:COLS] for r in rows[:ROWS]]
    while len(rows) < ROWS:
        rows.append("")
    return rows


def center(text):
    text = text[:COLS]
    return " " * ((COLS - len(text)) // 2) + text


NOTE_ROWS = 4


def note_pages(text):
    lines = wrap(text) or [""]
    return [lines[i:i + NOTE_ROWS] for i in range(0, len(lines), NOTE_ROWS)]


def config_error(errors, message="Config error", todo="Re-provision gun"):
    """The gun cannot start: message, STOP (big), the errors, what to do."""
    rows = [message, "STOP", ""]
    for e in errors[:2]:
        rows.extend(wrap(e))
    rows = fit(rows[:7])
    rows[7] = todo
    return rows


# ------------------------------------------------------------------ paint
def big_text(fb, text, y, c=1):
    """Draw text at double size, centred, rows y..y+15."""
    text = text[:8]
    _glyphs.fill(0)
    _glyphs.text(text, 0, 0, 1)
    w = len(text) * 8
    x0 = (128 - 2 * w) // 2
    for gy in range(8):
        for gx in range(w):
            if _glyphs.pixel(gx, gy):
                fb.fill_rect(x0 + 2 * gx, y + 2 * gy, 2, 2, c)


def paint(fb, rows, big=-1):
    fb.fill(0)
    fb.fill_rect(0, 0, 128, 8, 1)
    fb.text(rows[0], 0, 0, 0)
    y = 1
    while y < ROWS:
        if y == big:
            big_text(fb, rows[y], y * 8)
            y += 2
            continue
        if rows[y]:
            fb.text(rows[y], 0, y * 8, 1)
        y += 1
