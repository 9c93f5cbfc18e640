# Screens for the 128x64 panel with the 8x8 font: 16 characters x 8 rows.
# Each screen function returns (rows, big): 8 text rows and the index of
# a row drawn at double size (it takes that row and the next; -1: none).
# Row 0 is always the status bar: link state and scans waiting to sync.
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


def _fit(rows):
    rows = [r[:COLS] for r in rows[:ROWS]]
    while len(rows) < ROWS:
        rows.append("")
    return rows


def center(text):
    text = text[:COLS]
    return " " * ((COLS - len(text)) // 2) + text


def line_text(line, count):
    """'2/3 CBD-OIL-30' for an order line with count bottles picked."""
    return str(count) + "/" + str(line["qty"]) + " " + line["sku"]


# ---------------------------------------------------------------- screens
def idle(link, pending, msg="", why=None):
    """why: why the link is down ("TLS: not trusted"), on the last row."""
    rows = [status(link, pending), "", center("Scan an order"), ""]
    rows.append(center(str(pending) + " waiting") if pending else "")
    rows.extend(wrap(msg)[:2])
    rows = _fit(rows)
    if why:
        rows[7] = why[:COLS]
    return rows, -1


def order(link, pending, snap, counts, notes_left, hint=None):
    """counts: bottles per line (server-accepted + this gun's picks)."""
    rows = [status(link, pending), "Order " + str(snap["o"]),
            snap.get("cl", "")]
    lines = snap["lines"]
    room = 4
    for i in range(len(lines)):
        if i == room - 1 and len(lines) > room:
            rows.append("+" + str(len(lines) - i) + " more lines")
            break
        rows.append(line_text(lines[i], counts[i]))
    while len(rows) < 7:
        rows.append("")
    if hint is None:
        if not snap.get("pick"):
            hint = "Not pickable"
        elif notes_left:
            hint = "OK: read " + str(notes_left) + " note" + \
                ("s" if notes_left > 1 else "")
        else:
            hint = "Scan bottles"
    rows.append(hint)
    return _fit(rows), -1


NOTE_ROWS = 4


def note_pages(text):
    lines = wrap(text) or [""]
    return [lines[i:i + NOTE_ROWS] for i in range(0, len(lines), NOTE_ROWS)]


def note(link, pending, index, total, text, page=0, info=False):
    """A must-acknowledge note ("NOTE 1/2", OK confirms) or, info=True, an
    information note ("INFO 1/2": OK or a scan goes on, nothing to
    confirm)."""
    pages = note_pages(text)
    page = min(page, len(pages) - 1)
    rows = [status(link, pending), ("INFO " if info else "NOTE ") +
            str(index + 1) + "/" + str(total), ""]
    rows.extend(pages[page])
    while len(rows) < 7:
        rows.append("")
    if page < len(pages) - 1 or info and index + 1 < total:
        rows.append("OK: more")
    else:
        rows.append("OK/scan to go on" if info else "OK to confirm")
    return _fit(rows), 1


def picking(link, pending, order_id, line, count, last, left):
    rows = [status(link, pending), "Order " + str(order_id)]
    if line is None:
        rows.extend(["", "", "", ""])
    else:
        rows.extend([str(count) + "/" + str(line["qty"]), "",
                     line["sku"], line.get("name", "")])
    rows.append(last or "")
    rows.append(str(left) + " bottle" + ("" if left == 1 else "s") + " left")
    return _fit(rows), 2 if line is not None else -1


def refused(link, pending, message, detail="", todo=""):
    rows = [status(link, pending), "REFUSED", ""]
    rows.extend(wrap(message)[:2])
    while len(rows) < 5:
        rows.append("")
    rows.append(detail or "")
    rows.extend(wrap(todo)[:2])
    return _fit(rows), 1


def config_error(errors, message="Config error", todo="Re-provision gun"):
    """The gun cannot start: message, STOP (big), the errors, what to do."""
    rows = [message, "STOP", ""]
    for e in errors[:2]:
        rows.extend(wrap(e))
    rows = _fit(rows[:7])
    rows[7] = todo
    return rows


def complete(link, pending, order_id, bottles):
    rows = [status(link, pending), "DONE", "",
            center("Order complete"), center("Order " + str(order_id)),
            center(str(bottles) + (" bottle" if bottles == 1 else " bottles")), "", "Scan next order"]
    return _fit(rows), 1


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
