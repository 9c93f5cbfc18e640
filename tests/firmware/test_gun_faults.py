"""One device error or one bad value must not reset or freeze the gun: the
display, scan and key tasks, a buzzer that fails, and a flash that is full
(OSError 28) or failing (OSError 5), inside the real MicroPython.

The flash tests run the real journal and order store on littlefs over a
small simulated flash held in RAM (mplib/sim_flash.py); that image is not
part of a gun's heap, so those scripts get 160k instead of 110k."""
from mp import check

PRELUDE = """
import asyncio, framebuf, os, vfs
import fakes
from gun import screens
from gun.app import App
from shared import wire


def make(*snaps, board=None, journal=None, store=None):
    b = board or fakes.Board()
    j = journal if journal is not None else fakes.Journal()
    s = store if store is not None else fakes.Store()
    for sn in snaps:
        s.put(sn)
    return App(b, j, s, fakes.Sync()), b, j, s


def frame(rows, big):
    # the bitmap paint() draws for rows (an SSD1306's layout)
    buf = bytearray(1024)
    screens.paint(framebuf.FrameBuffer(buf, 128, 64, framebuf.MONO_VLSB),
                  rows, big)
    return bytes(buf)


async def until(cond, ms=10000):
    # polls; the limit only stops a broken run from hanging
    while not cond():
        ms -= 10
        assert ms > 0, "timed out"
        await asyncio.sleep_ms(10)
"""

FLASH = """
from sim_flash import Flash, blank, fill
BS = 512
dev = Flash(blank(64 * BS), BS)
vfs.VfsLfs2.mkfs(dev)
vfs.mount(vfs.VfsLfs2(dev), "/fl")
from gun.journal import Journal
from gun.store import OrderStore


def on_flash(j):
    # what a reboot would find: (ep, upto, next_seq, [(seq, event)])
    r = Journal("/fl", capacity=40)
    return (r.ep, r.upto, r.next_seq,
            [(q, wire.decode(p)) for q, p in r.pending()])
"""


def run(body, heapsize="110k"):
    return check(PRELUDE + body, heapsize=heapsize)


def test_display_task_survives_panel_errors_and_bad_fields():
    run("""
class Panel(framebuf.FrameBuffer):
    # an SSD1306 whose I2C bus fails `fail` times on show(), then recovers
    def __init__(self):
        self.buf = bytearray(1024)
        super().__init__(self.buf, 128, 64, framebuf.MONO_VLSB)
        self.fail = 0
        self.frames = []
    def show(self):
        if self.fail:
            self.fail -= 1
            raise OSError(116)          # ETIMEDOUT on the bus
        self.frames.append(bytes(self.buf))

panel = Panel()
odd = fakes.snapshot(order=7, lines=[{"sku": 5, "name": None, "qty": "2",
                                      "got": 0}])
a, b, j, s = make(fakes.snapshot(), odd)

def shows_app():
    rows, big = a.view()
    return panel.frames and panel.frames[-1] == frame(rows, big)

async def main():
    t = asyncio.create_task(a.display_task(lambda: panel))
    await until(lambda: len(panel.frames) == 1)
    panel.fail = 3
    assert a.on_scan(fakes.order()) == "order"      # the screen changes
    await asyncio.sleep_ms(30)
    assert len(panel.frames) == 1 and not t.done()
    # scans go on while the panel is failing
    assert a.on_scan(fakes.bottle("B000001")) == "accepted"
    await until(shows_app)                          # painted again, whole
    assert panel.fail == 0 and not t.done()
    assert "1/2" in a.rows
    # an order whose fields the screen cannot draw: logged, retried
    a.on_key("BACK")
    assert a.on_scan(fakes.order(7)) == "order"
    await asyncio.sleep_ms(300)
    assert not t.done()
    n = len(panel.frames)
    a.on_key("BACK")                                # a screen it can draw
    await until(lambda: len(panel.frames) > n and shows_app())
    assert "Scan an order" in " ".join(a.rows)
    t.cancel()

asyncio.run(main())
print("OK")
""")


def test_display_task_waits_for_a_panel_that_fails_to_start():
    run("""
class Panel(framebuf.FrameBuffer):
    def __init__(self):
        self.buf = bytearray(1024)
        super().__init__(self.buf, 128, 64, framebuf.MONO_VLSB)
        self.shown = 0
    def show(self):
        self.shown += 1

tries = [0]
panel = Panel()

def display():
    # the I2C panel does not answer at boot, twice (ENODEV)
    tries[0] += 1
    if tries[0] < 3:
        raise OSError(19)
    return panel

a, b, j, s = make(fakes.snapshot())

async def main():
    t = asyncio.create_task(a.display_task(display))
    assert a.on_scan(fakes.order()) == "order"
    await until(lambda: panel.shown)
    assert tries[0] == 3 and not t.done()
    assert panel.buf == frame(*a.view())
    t.cancel()

asyncio.run(main())
print("OK")
""")


def test_input_tasks_and_buzzer_survive_device_errors():
    run("""
class Buzzer(fakes.Board):
    broken = False
    def beep(self, pattern):
        if self.broken:
            raise OSError(5)            # its driver fails
        super().beep(pattern)

class Decoder:
    # codes, or exceptions raised by read() as a UART might
    def __init__(self):
        self.q = []
    async def read(self):
        while not self.q:
            await asyncio.sleep_ms(5)
        x = self.q.pop(0)
        if isinstance(x, Exception):
            raise x
        return x
    def forget(self):
        pass

class Keys(Decoder):
    get = Decoder.read

b = Buzzer()
a, b, j, s = make(fakes.snapshot(), board=b)
dec, keys = Decoder(), Keys()

async def main():
    st = asyncio.create_task(a.input_task(dec))
    kt = asyncio.create_task(a.input_task(keys, True))
    dec.q.extend([OSError(5), UnicodeError("bad byte"), fakes.order()])
    await until(lambda: a.screen == "order")
    keys.q.extend([ValueError("bad line"), "OK"])
    await until(lambda: a.screen == "picking")
    b.broken = True
    dec.q.append("https://example.com")
    await until(lambda: a.scans == 2)
    # the refusal shows although the buzzer failed
    assert a.screen == "refused" and a.reason == "foreign", a.reason
    keys.q.append("OK")
    await until(lambda: a.screen == "picking")
    dec.q.append(fakes.bottle("B000001"))
    await until(lambda: a.scans == 3)
    assert a.screen == "picking" and j.pending_count() == 1
    assert not st.done() and not kt.done()
    # the decoder's stream ending (EOFError) still ends the task
    dec.q.append(EOFError())
    await until(lambda: st.done())
    assert not kt.done()
    kt.cancel()

asyncio.run(main())
print("OK")
""")


def test_unexpected_error_refuses_the_input_and_records_nothing():
    run("""
class Shaky(fakes.Store):
    def get(self, order_id):
        if order_id == 7:
            raise KeyError("o")         # a bug, say
        return super().get(order_id)

a, b, j, s = make(fakes.snapshot(), store=Shaky())
assert a.handle(a.on_scan, fakes.order(7)) == "error"
assert a.screen == "refused" and b.beeps[-1] == "err"
assert "Gun error" in " ".join(a.refresh())
assert j.pending_count() == 0
a.handle(a.on_key, "OK")
assert a.handle(a.on_scan, fakes.order()) == "order"
print("OK")
""")


def test_flash_full_refuses_the_scan_and_loses_nothing():
    out = run(FLASH + """
j = Journal("/fl", capacity=40)
st = OrderStore("/fl")
assert st.offer(wire.encode(fakes.snapshot(lines=[
    {"sku": "CBD-OIL-30", "name": "Oil", "qty": 3, "got": 0}]))) == 1042
a, b, j, s = make(journal=j, store=st)
assert a.handle(a.on_scan, fakes.order()) == "order"
assert a.handle(a.on_scan, fakes.bottle("B000001")) == "accepted"
before = on_flash(j)
print("FILLED", len(fill("/fl", BS)))

assert a.handle(a.on_scan, fakes.bottle("B000002")) == "flash_full"
assert b.beeps[-1] == "flash" and "flash" not in b.beeps[:-1]
rows = a.refresh()
assert rows[1] == "REFUSED" and rows[3] == "Flash full: sync", rows
assert "Get WiFi" in " ".join(rows), rows
# nothing recorded, nothing lost: memory and flash as before
assert j.pending_count() == 1 and j.next_seq == 2 and len(a.picks) == 1
assert "B000002" not in a.picks and on_flash(j) == before
# the snapshot cache is refused quietly, the cached one is kept
assert st.offer(wire.encode(fakes.snapshot(order=7))) is None
assert st.get(7) is None and st.get(1042)["o"] == 1042

# the server acks the pick: the gun takes note, then room is made
assert j.ack(j.ep, 1) == 1 and j.pending_count() == 0
for k in range(8):
    os.remove("/fl/fill%d" % k)
a.handle(a.on_key, "OK")
assert a.handle(a.on_scan, fakes.bottle("B000002")) == "accepted"
assert b.beeps[-1] == "ok"
ep, upto, nxt, events = on_flash(j)
assert (ep, upto, nxt) == (before[0], 1, 3), (upto, nxt)
assert [(q, e["c"].split(":")[1]) for q, e in events] == [(2, "B000002")]
print("OK")
""", heapsize="160k")
    assert int(out.split("FILLED")[1].split()[0]) > 8


def test_flash_full_while_confirming_notes():
    run(FLASH + """
j = Journal("/fl", capacity=40)
st = OrderStore("/fl")
st.offer(wire.encode(fakes.snapshot(notes=[wire.note(3, "Fragile")])))
a, b, j, s = make(journal=j, store=st)
assert a.handle(a.on_scan, fakes.order()) == "order"
assert a.screen == "note"
fill("/fl", BS)
assert a.handle(a.on_key, "OK") == "flash_full"
assert a.screen == "refused" and b.beeps[-1] == "flash"
assert j.pending_count() == 0 and a.todo_notes and a.acked.get(1042) == []
a.handle(a.on_key, "OK")                # dismissed: back to the note
assert a.screen == "note"
for k in range(4):
    os.remove("/fl/fill%d" % k)
a.handle(a.on_key, "OK")                # confirmed now
assert a.screen == "order" and not a.todo_notes
assert [e["n"] for q, e in on_flash(j)[3]] == [[3]]
print("OK")
""", heapsize="160k")


def test_failing_flash_refuses_the_scan_and_loses_nothing():
    run(FLASH + """
j = Journal("/fl", capacity=40)
st = OrderStore("/fl")
st.offer(wire.encode(fakes.snapshot()))
a, b, j, s = make(journal=j, store=st)
assert a.handle(a.on_scan, fakes.order()) == "order"
assert a.handle(a.on_scan, fakes.bottle("B000001")) == "accepted"
before = on_flash(j)

dev.broken = True
assert a.handle(a.on_scan, fakes.bottle("B000002")) == "flash_error"
assert b.beeps[-1] == "flash"
rows = a.refresh()
assert rows[3] == "Flash error" and "ask a lead" in " ".join(rows), rows
assert j.pending_count() == 1 and j.next_seq == 2 and len(a.picks) == 1
# an ack that cannot be written changes nothing (the broker sends it again)
try:
    j.ack(j.ep, 1)
    raise AssertionError("ack written on a failing flash")
except OSError as e:
    assert e.errno == 5
assert j.upto == 0 and j.pending_count() == 1
assert st.offer(wire.encode(fakes.snapshot(order=7))) is None
# keys and reopening the order still work: reads do
a.handle(a.on_key, "OK")
a.handle(a.on_key, "BACK")
assert a.handle(a.on_scan, fakes.order()) == "order"

dev.broken = False
assert on_flash(j) == before
assert a.handle(a.on_scan, fakes.bottle("B000002")) == "accepted"
assert [e["c"].split(":")[1] for q, e in on_flash(j)[3]] == \\
    ["B000001", "B000002"]
print("OK")
""", heapsize="160k")


def test_flash_that_cannot_be_read_back_refuses_scans_and_loses_nothing():
    # A write fails and so does the journal's re-read of itself: the
    # journal must not start over; it refuses scans until it reads again.
    run(FLASH + """
j = Journal("/fl", capacity=40)
st = OrderStore("/fl")
st.offer(wire.encode(fakes.snapshot()))
a, b, j, s = make(journal=j, store=st)
assert a.handle(a.on_scan, fakes.order()) == "order"
assert a.handle(a.on_scan, fakes.bottle("B000001")) == "accepted"
before = on_flash(j)

dev.broken = True
dev.bad = dev.reads + 1                 # and every read from now on
assert a.handle(a.on_scan, fakes.bottle("B000002")) == "flash_error"
dev.broken = False                      # writes would work, reads fail
for _ in range(2):
    a.handle(a.on_key, "OK")
    assert a.handle(a.on_scan, fakes.bottle("B000002")) == "flash_error"
    assert b.beeps[-1] == "flash"
    rows = a.refresh()
    assert rows[3] == "Flash error" and "ask a lead" in " ".join(rows), rows
    assert j.next_seq == 2 and len(a.picks) == 1 and "B000002" not in a.picks

dev.bad = 0
assert on_flash(j) == before            # nothing written meanwhile
a.handle(a.on_key, "OK")
assert a.handle(a.on_scan, fakes.bottle("B000002")) == "accepted"
ep, upto, nxt, events = on_flash(j)
assert (ep, upto, nxt) == (before[0], 0, 3), (ep, upto, nxt)
assert [e["c"].split(":")[1] for q, e in events] == ["B000001", "B000002"]
print("OK")
""", heapsize="160k")


def test_cached_snapshot_the_flash_fails_to_read_is_kept():
    # A read error at any point of reading a cached snapshot back: the
    # order does not open now, and opens once the flash reads again (the
    # file is only deleted when what was read is not a snapshot).
    run(FLASH + """
notes = [wire.note(i, "Handle with care, note %d " % i + "x" * 300)
         for i in range(1, 9)]
snap = fakes.snapshot(notes=notes)
assert len(wire.encode(snap)) > 4 * BS
st = OrderStore("/fl")
assert st.offer(wire.encode(snap)) == 1042
k = 0
while True:
    k += 1
    st = OrderStore("/fl")              # nothing parsed yet
    dev.bad = dev.reads + k
    got = st.get(1042)
    dev.bad = 0
    if got is not None:                 # read before the k-th read failed
        assert got == snap
        break
    assert st.rev(1042) == 1 and OrderStore("/fl").rev(1042) == 1, k
    assert st.get(1042) == snap, k
assert k > 4, k
print("OK")
""", heapsize="160k")
