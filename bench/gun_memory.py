"""The gun firmware's memory and per-scan cost, measured by running its real
modules in the MicroPython unix port.

    python bench/gun_memory.py [--scans N]

(a) heap taken by the code once imported: from .py sources, from the
    mpy-cross build loaded into the heap (tools/mpy_build.py, `pickgun
    flash --mpy`), and executed in place from the ROMFS image `pickgun
    flash` installs (tools/romfs.py, mounted at /rom by
    boards/host_boot.py as a gun does: bytecode outside the heap,
    function/class objects and names still in it; with gun/ota.py, which
    such a gun imports to update over the air); with the smallest
    heap each import fits in; the image's size; the headroom each
    SimulatedGun allowance leaves; and the interned names the import
    leaves, with how many more fit before the pool grows by another
    block.
(b) data heap over a realistic day (see WORKLOAD): live bytes after every
    step (gc.collect(), then gc.mem_alloc()) minus the code, the largest
    free block at the end, and the smallest heap the whole run fits in
    (.mpy build), and whether the day runs from the ROMFS image.
(c) per-scan cost on littlefs over a file-backed block device.
(d) the sign-in roster and the lots message at their limits (100
    associates, 200 lots): what they keep in the heap once read back at
    boot, and what taking each from the receive buffer allocates.

Figures are this host's: a 64-bit unix port, where pointers and GC blocks
(32 bytes) are twice an ESP32's, so most objects take more room here.
Prints figures only; nothing here asserts speed.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tools.mpy_build import (DEFAULT_OUT, SCRIPTS,  # noqa: E402
                             build_firmware)
from tools.romfs import PARTITION_BYTES, build_image          # noqa: E402
from tools.simulate import (CODE_ALLOWANCE_K, MPY_CODE_ALLOWANCE_K,  # noqa
                            ROMFS_CODE_ALLOWANCE_K, default_micropython,
                            image_heap_k)

MICROPYTHON = default_micropython()
BUDGET_K = 110          # an ESP32-WROOM's GC heap
MARGIN_K = 16           # kept free: fragmentation, a TLS session's Python
                        # objects, WiFi reconnects, what grows later

IMPORTS = """
import asyncio, boards
boards.load()
from gun import picks, app, scanner, journal, store, config, sync, mqtt
from gun import sntp
from gun import screens
from shared import wire
from drivers import png, gm65
"""

CODE = """
import gc
gc.collect()
base = gc.mem_alloc()
""" + IMPORTS + """
gc.collect()
print("CODE", gc.mem_alloc() - base)
"""
# A gun running from its ROMFS image imports its update task too
# (main.py: only such a gun can be updated over the air, gun/ota.py).
ROMFS_CODE = CODE.replace("from drivers import png\n",
                          "from drivers import png\nfrom gun import ota\n")

# Interned names after CODE's import (.mpy build), then one new name at a
# time: micropython.qstr_info() before each says when the pool grows.
# (Names the script itself uses are interned when it is compiled: these
# are built-in ones, and the format string is too long to be interned.)
NAMES_PROBE = 1500      # names interned to find where the next block starts
NAMES = CODE + """
import micropython
for i in range(""" + str(NAMES_PROBE) + """):
    micropython.qstr_info()
    setattr(wire, "bench_probe_%d" % i, 0)
"""

# The day of a gun, step by step, through the real modules: main.py's
# boot, snapshots arriving in the MQTT receive buffer, scans through
# App.on_scan into the journal until it is full, a reboot that replays
# it, then the server's acks (with rejections) and compaction.
WORKLOAD = """
import gc, sys, micropython, framebuf
gc.collect()
base = gc.mem_alloc()
""" + IMPORTS + """
gc.collect()
code = gc.mem_alloc() - base
print("CODE", code)
peak = [0, ""]

def sample(step):
    gc.collect()
    live = gc.mem_alloc() - base - code
    if live > peak[0]:
        peak[0] = live
        peak[1] = step
    print("STEP", step, live)

import main                               # PickSet(400) first, as on boot
from shared import wire
host = boards.load("host")

class Board:                              # host flash; no harness
    NAME = "bench"
    DATA_DIR = host.DATA_DIR
    def mount(self):
        host.mount()
    def beep(self, p):
        pass
    def report(self, rows, state):
        pass
    def clock(self):
        return 1767225600
    def wifi_up(self):
        return False

class FB(framebuf.FrameBuffer):           # the SSD1306's 1 KB buffer
    def __init__(self):
        self.buf = bytearray(1024)
        super().__init__(self.buf, 128, 64, framebuf.MONO_VLSB)
    def show(self):
        pass

CFG = {"id": "G01", "password": "pw", "broker": "127.0.0.1"}
board = Board()
fb = FB()

def boot():                               # as main.run() starts the gun
    journal, store, app, sync = main.start(board, CFG)
    app.refresh(fb)
    return journal, store, app, sync

journal, store, app, sync = boot()
sample("boot: main.py, storage, app, sync (8 KB MQTT buffer)")

seed = [20240611]
def rnd(n):
    seed[0] = (seed[0] * 1103515245 + 12345) & 0x7FFFFFFF
    return seed[0] % n

WORDS = ("call the patient before delivery prefers morning pickup fragile "
         "glass keep upright check the prescription card at the door leave "
         "with pharmacy staff only discreet packaging no logo on the box "
         "replacement for a damaged bottle include the dosage leaflet").split()
SKUS = ("CBD-OIL-30", "THC-OIL-10", "CBD-CAPS-60", "BALM-50", "FLOWER-5G",
        "SPRAY-20", "TINCT-15", "GUMMY-30", "CBD-OIL-10", "THC-CAPS-30")

def text(n):
    out = ""
    while len(out) < n:
        out += WORDS[rnd(len(WORDS))] + " "
    return out.strip()

PICKED = 10        # orders 1001..1010 are picked offline by this gun
def snapshot(oid):
    big = oid in (1047, 1048)
    if oid < 1001 + PICKED:
        nl, qty = 4, 10
    else:
        nl, qty = (10 if big else 1 + rnd(6)), 0
    lines = []
    bot = []
    for i in range(nl):
        q = qty or 1 + rnd(12)
        g = 0 if qty else rnd(q + 1)
        sku = SKUS[i % len(SKUS)]
        lines.append({"sku": sku, "name": sku.replace("-", " ") + " batch",
                      "qty": q, "got": g})
        bot.extend(["B%d%02d%03d" % (oid, i, k) for k in range(g)])
    # every other note is information (shown, not acknowledged)
    notes = [wire.note(oid * 10 + k, text(60 + rnd(240)), k % 2 == 1)
             for k in range((2 if qty else rnd(3)) + (3 if big else 0))]
    return wire.snapshot(oid, 1, "placed", "Client %d %s" % (oid, text(12)),
                         lines, notes, bot)

sizes = [0] * 48                          # (no list growth in the bench)
rb = sync.client._rbuf                    # as the MQTT client receives it
for oid in range(1001, 1049):
    p = wire.encode(snapshot(oid))
    sizes[oid - 1001] = len(p)
    rb[0:len(p)] = p
    sync._on_message(wire.order_topic(oid), memoryview(rb)[0:len(p)], True)
    p = None
sizes.sort()
print("SNAPS", len(store), sizes[0], sizes[len(sizes) // 2], sizes[-1])
sample("48 order snapshots cached")

accepted = 0
for oid in range(1001, 1001 + PICKED):
    app.on_scan(wire.order_code(oid))
    app.refresh(fb)
    for _ in range(20):                   # confirm the notes, read info
        if app.screen not in ("order", "note", "info"):
            break
        app.on_key("OK")
        app.refresh(fb)
    if oid == 1001:
        sample("order open, notes confirmed, info read")
    lines = app.snap["lines"]
    for i in range(len(lines)):
        line = lines[i]
        for k in range(line["qty"]):
            bc = wire.bottle_code("S%d%02d%02d" % (oid, i, k), line["sku"],
                                  "L2406A")
            if app.on_scan(bc) == "accepted":
                accepted += 1
            app.refresh(fb)
    sample("scan burst: order %d picked" % oid)
print("JOURNAL", journal.pending_count(), "full" if journal.full() else "",
      "PICKS", len(app.picks))

app = sync = journal = store = None       # power cut, boot on a full journal
main._picks.n = 0
main._picks.skus = []
sample("power cut")
journal, store, app, sync = boot()
print("REPLAYED", len(app.picks))
sample("reboot: 400-event journal replayed")
app.on_scan(wire.order_code(1047))        # the order with most notes
app.refresh(fb)
app.on_key("OK")
app.refresh(fb)
sample("open order 1047 with notes")

rb = sync.client._rbuf
topic = wire.dev_topic("G01", wire.ACK)
upto = 0
while upto < journal.next_seq - 1:
    for s in range(upto + 1, upto + 5):   # the window sync would publish
        journal.read(s)
    upto += 4
    rej = []
    if upto % 100 == 0:                   # now and then a bottle is refused
        ev = wire.decode(journal.read(upto))
        rej = [{"seq": upto, "why": "bottle_taken", "o": ev["o"],
                "c": ev.get("c", "")}]
    p = wire.encode(wire.ack(journal.ep, upto, rej))
    rb[0:len(p)] = p
    sync._on_message(topic, memoryview(rb)[0:len(p)], False)
    app.refresh(fb)
    if upto % 100 == 0:
        sample("acks up to %d, compacted" % upto)
journal.compact()
app.on_key("BACK")
app.refresh(fb)
sample("all acked, journal compacted")
print("PEAK", peak[0], peak[1])
gc.collect()
print("FREE", gc.mem_free())
micropython.mem_info()
"""

# One order of 400 bottles; each scan goes through App.on_scan (parse,
# checks, journal append, close = flush to littlefs, pick table).
PERSCAN = """
import gc, sys, time
""" + IMPORTS + """
import main
from gun.app import App
from shared import wire
N = int(sys.argv[1])
class Board:
    DATA_DIR = "/flash"
    def mount(self):
        boards.load("host").mount()
    def beep(self, p):
        pass
    def report(self, rows, state):
        pass
    def clock(self):
        return 1767225600
board = Board()
journal, store = main.storage(board)
journal.capacity = 2 * N + 8
snap = wire.snapshot(7001, 1, "placed", "Bench", [{"sku": "CBD-OIL-30",
                     "name": "CBD Oil", "qty": N, "got": 0}], [], [])
store.offer(wire.encode(snap))
app = App(board, journal, store, picks=main._picks)
app.on_scan(wire.order_code(7001))
codes = [wire.bottle_code("B%06d" % i, "CBD-OIL-30", "L2406A")
         for i in range(N)]
t_us = []
a_b = []
for i in range(N):
    c = codes[i]
    gc.collect()
    gc.disable()
    a0 = gc.mem_alloc()
    t0 = time.ticks_us()
    r = app.on_scan(c)
    t1 = time.ticks_us()
    a1 = gc.mem_alloc()
    gc.enable()
    assert r == "accepted", r
    t_us.append(time.ticks_diff(t1, t0))
    a_b.append(a1 - a0)
raw = []
for i in range(N):
    t0 = time.ticks_us()
    journal.append(wire.PICK, 7001, 1767225600, code=codes[i])
    raw.append(time.ticks_diff(time.ticks_us(), t0))
t_us.sort(); a_b.sort(); raw.sort()
print("SCAN", t_us[N // 2], t_us[N * 9 // 10], a_b[N // 2], a_b[-1],
      raw[N // 2])
"""


HOST_BOOT = REPO / "firmware" / "boards" / "host_boot.py"


# (d): a roster and a lots message at their limits, taken as the sync
# session hands them over, then read back as at a boot.
STAFF = """
import gc, os
from shared import wire
from gun.staff import Staff
from gun.store import parse
rx = bytearray(8192)
os.mkdir("data")
r = wire.roster([{"id": i + 1, "n": "Associate %d" % i, "h": wire.badge_hash(
    "PGS:%d:AAAABBBBCCCC" % (i + 1))} for i in range(100)], True, 900)
m = wire.lots([["L%010d" % i, wire.LOT_REASONS[i % 3]] for i in range(200)])
r = wire.encode(r)
m = wire.encode(m)
s = Staff("data")
for lots, p in ((0, r), (1, m)):
    rx[:len(p)] = p
    mv = memoryview(rx)[:len(p)]
    gc.collect()
    b = gc.mem_alloc()
    gc.disable()
    s.take(parse(mv), mv, lots)
    print("TAKE", len(p), gc.mem_alloc() - b)
    gc.enable()
s = r = m = None
gc.collect()
b = gc.mem_alloc()
s = Staff("data")
gc.collect()
print("KEPT", gc.mem_alloc() - b)
"""


def run(script, path, heap_k, args=(), timeout=120, rom=None):
    """Run script at -X heapsize=heap_k; rom: a ROMFS image, then as a gun
    starts (boards/host_boot.py, the image mounted at /rom before the
    script; main.py beside it) and path is ignored."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "s.py").write_text(script)
        env = dict(os.environ, PICKGUN_BOARD="host", PICKGUN_HOST_DIR=tmp,
                   MICROPYPATH=path)
        cmd = [MICROPYTHON, "-X", "heapsize=%dk" % heap_k, "s.py", *args]
        if rom:
            shutil.copyfile(rom, Path(tmp) / "romfs.bin")
            for name in SCRIPTS:
                shutil.copyfile(DEFAULT_OUT / name, Path(tmp) / name)
            cmd[3:3] = [str(HOST_BOOT)]
        return subprocess.run(cmd, cwd=tmp, env=env, capture_output=True,
                              text=True, timeout=timeout)


def find_value(out, key):
    """The fields of the output's `KEY ...` line, or None without one."""
    m = re.search(r"^%s (.*)$" % key, out, re.M)
    return m.group(1).split() if m else None


def value(out, key):
    """The fields of the output's `KEY ...` line, which the run prints."""
    found = find_value(out, key)
    if found is None:
        raise SystemExit("no %s line in the run's output:\n%s"
                         % (key, out[-2000:]))
    return found


def smallest_heap(script, path, lo, hi, args=(), rom=None):
    """Smallest -X heapsize (KiB) at which the script exits 0."""
    if run(script, path, hi, args, rom=rom).returncode != 0:
        return None
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if run(script, path, mid, args, rom=rom).returncode == 0:
            hi = mid
        else:
            lo = mid
    return hi


def kb(n):
    return "%.1f KB" % (int(n) / 1024)


def main():
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--scans", type=int, default=300)
    opts = ap.parse_args()
    t_start = time.monotonic()
    src_path = "%s:%s:.frozen" % (REPO / "firmware", REPO)
    tree = build_firmware()
    mpy_path = "%s:.frozen" % tree
    ver = subprocess.run([MICROPYTHON, "-c", "import sys; print('%d.%d.%d' % "
                          "sys.implementation.version[:3], "
                          "sys.maxsize > 2**32)"],
                         capture_output=True, text=True).stdout.split()
    print("MicroPython unix port %s (%s), this host; GC block %d bytes"
          % (ver[0], "64-bit" if ver[-1] == "True" else "32-bit",
             32 if ver[-1] == "True" else 16))

    print("\n(a) heap taken by the firmware's code (host board set)")
    print("  %-34s %10s %14s" % ("loaded from", "resident", "import needs"))
    code = {}
    for name, path in (("source .py", src_path),
                       (".mpy (mpy-cross), into the heap", mpy_path)):
        out = run(CODE, path, 512).stdout
        code[name] = int(value(out, "CODE")[0])
        need = smallest_heap(CODE, path, 32, 256)
        print("  %-34s %10s %11s heap" % (name, kb(code[name]),
                                          "%dk" % need))
    # The simulator's image (it imports the host board); a gun's lacks
    # the host-only modules.
    rom = build_image(tree, host=True)
    gun_image = build_image(tree).stat().st_size
    rom_k = image_heap_k(rom.stat().st_size)
    code["romfs"] = int(value(run(ROMFS_CODE, ".frozen", 512,
                                  rom=rom).stdout, "CODE")[0])
    need = smallest_heap(ROMFS_CODE, ".frozen", 32 + rom_k, 256 + rom_k,
                         rom=rom)
    print("  %-34s %10s %11s heap (+ the image, in flash on a gun)"
          % ("ROMFS image, executed in place", kb(code["romfs"]),
             "%dk" % (need - rom_k) if need else "?"))
    before = code[".mpy (mpy-cross), into the heap"]
    print("  code heap: %s with the .mpy build in the heap, %s from ROMFS "
          "(%s less)" % (kb(before), kb(code["romfs"]),
                         kb(before - code["romfs"])))
    print("  ROMFS image: %s for a gun (%s with the host-only modules); "
          "the ESP32's romfs\n  partition (partitions-4MiB-romfs.csv): %s"
          % (kb(gun_image), kb(rom.stat().st_size), kb(PARTITION_BYTES)))
    print("  SimulatedGun's code allowances and their headroom:")
    for label, allowance, used in (
            ("source", CODE_ALLOWANCE_K, code["source .py"]),
            ("precompiled (.mpy files)", MPY_CODE_ALLOWANCE_K, before),
            ("romfs (+ %dk for the image)" % rom_k, ROMFS_CODE_ALLOWANCE_K,
             code["romfs"])):
        print("    %-30s %4dk  headroom %s" % (
            label, allowance, kb(allowance * 1024 - used)))
    pools = [tuple(int(x) for x in m) for m in re.findall(
        r"n_pool=(\d+), n_qstr=(\d+), n_str_data_bytes=\d+, "
        r"n_total_bytes=(\d+)", run(NAMES, mpy_path, 512).stdout)]
    grows = next((i for i, p in enumerate(pools) if p[0] > pools[0][0]),
                 None)
    if grows is None:           # a block just begun: room beyond the probe
        print("  interned names after the .mpy import: %d in %d pool "
              "blocks; over %d more fit" % (pools[0][1], pools[0][0],
                                            len(pools) - 1))
    else:
        print("  interned names after the .mpy import: %d in %d pool "
              "blocks; %d more fit,\n  the next one starts block %d (%s)"
              % (pools[0][1], pools[0][0], grows - 1, pools[0][0] + 1,
                 kb(pools[grows][2] - pools[grows - 1][2])))

    print("\n(b) data heap during a day's workload (.mpy build)")
    proc = run(WORKLOAD, mpy_path, 1024)
    if proc.returncode != 0:
        print(proc.stdout[-2000:], proc.stderr[-2000:])
        raise SystemExit("workload failed")
    out = proc.stdout
    wcode = int(value(out, "CODE")[0])
    print("  %-52s %10s" % ("live data after each step (code excluded)", ""))
    for m in re.finditer(r"^STEP (.*) (\d+)$", out, re.M):
        print("  %-52s %10s" % (m.group(1), kb(m.group(2))))
    print("  snapshots: %s cached, JSON %s / %s / %s bytes (min/median/max)"
          % tuple(value(out, "SNAPS")))
    j = value(out, "JOURNAL")
    print("  journal after the burst: %s events (%s), own picks %s; "
          "replayed at boot %s" % (j[0], j[1], j[-1],
                                   value(out, "REPLAYED")[0]))
    peak = int(value(out, "PEAK")[0])
    fits_k = BUDGET_K - MARGIN_K
    print("  peak live data: %s (%s): %s %dk budget - %dk margin = %dk"
          % (kb(peak), " ".join(value(out, "PEAK")[1:]),
             "FITS" if peak <= fits_k * 1024 else "EXCEEDS",
             BUDGET_K, MARGIN_K, fits_k))
    block = 32 if ver[-1] == "True" else 16
    need = smallest_heap(WORKLOAD, mpy_path, 96, 400)
    if need is None:
        print("  the day does not run even in a 400k heap")
    else:
        end = run(WORKLOAD, mpy_path, need).stdout
        print("  bisection's smallest heap for the whole day: %dk (code %s,"
              " %s for data and fragmentation; fragmentation makes\n"
              "  pass/fail not monotonic in the heap size, see below)" % (
                  need, kb(wcode), kb(need * 1024 - wcode)))
        largest = re.search(r"max free sz: (\d+)", end)
        if largest is None:
            raise SystemExit("no mem_info in the run's output:\n%s"
                             % end[-2000:])
        print("  there, at the end: %s free, largest free block %s"
              % (kb(value(end, "FREE")[0]),
                 kb(block * int(largest.group(1)))))
    # Fragmentation depends on each run's exact sizes (the journal's
    # random epoch, for one), so the edge is fuzzy: try each heap 3 times.
    print("  runs of the whole day by heap (3 each; %dk = SimulatedGun("
          "precompiled=True), %dk = from source,\n  %dk + the image = "
          "SimulatedGun(romfs=True)):" % (
              BUDGET_K + MPY_CODE_ALLOWANCE_K, BUDGET_K + CODE_ALLOWANCE_K,
              BUDGET_K + ROMFS_CODE_ALLOWANCE_K))
    runs = [(".mpy", mpy_path, heap, None) for heap in sorted(
        {160, 170, 180, BUDGET_K + MPY_CODE_ALLOWANCE_K,
         BUDGET_K + CODE_ALLOWANCE_K, 230, 260})]
    runs.append(("source", src_path, BUDGET_K + CODE_ALLOWANCE_K, None))
    runs += [("romfs", ".frozen", heap, rom) for heap in (
        BUDGET_K + ROMFS_CODE_ALLOWANCE_K - 30,
        BUDGET_K + ROMFS_CODE_ALLOWANCE_K - 15,
        BUDGET_K + ROMFS_CODE_ALLOWANCE_K)]
    for name, path, heap, image in runs:
        oks, why = 0, ""
        for _ in range(3):
            proc = run(WORKLOAD, path, heap + (rom_k if image else 0),
                       rom=image)
            if proc.returncode == 0:
                oks += 1
                continue
            steps = re.findall(r"^STEP (.*) \d+$", proc.stdout, re.M)
            err = [ln for ln in (proc.stdout + proc.stderr).splitlines()
                   if "Error" in ln]
            why = "last fail after '%s': %s" % (
                steps[-1] if steps else "start", err[-1] if err else "?")
        print("    %-6s %4dk%s  %d/3 ok  %s" % (
            name, heap, " + image" if image else "", oks, why))

    print("\n(c) per accepted scan, littlefs on a file-backed block device "
          "(%d scans)" % opts.scans)
    proc = run(PERSCAN, mpy_path, 2048, [str(opts.scans)])
    if proc.returncode != 0:
        print(proc.stdout[-2000:], proc.stderr[-2000:])
        raise SystemExit("per-scan run failed")
    med, p90, alloc, amax, raw = value(proc.stdout, "SCAN")
    print("  App.on_scan (checks + journal append + flush): median %s us,"
          " p90 %s us" % (med, p90))
    print("  Journal.append alone: median %s us" % raw)
    print("  heap allocated per scan (gc disabled): median %s bytes, "
          "max %s" % (alloc, amax))

    print("\n(d) sign-in roster (100 associates) and lots message (200 lots)")
    proc = run(STAFF, mpy_path, 512)
    if proc.returncode != 0:
        print(proc.stdout[-2000:], proc.stderr[-2000:])
        raise SystemExit("roster run failed")
    lines = [x.split() for x in proc.stdout.splitlines()]
    takes = [x for x in lines if x[0] == "TAKE"]
    for what, (_, size, alloc) in zip(("roster", "lots message"), takes,
                                      strict=True):
        print("  taking the %-12s (%s bytes of JSON): %s allocated (gc "
              "disabled), garbage once kept" % (what, size, kb(alloc)))
    print("  both read back at boot, kept: %s" % kb(value(proc.stdout,
                                                         "KEPT")[0]))
    print("\n(%.1f s)" % (time.monotonic() - t_start))


if __name__ == "__main__":
    main()
