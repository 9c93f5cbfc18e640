"""A fleet of guns against the real stack: steady scanning, a reconnect
storm, a note fanned out to the guns holding an order, and a real
firmware gun catching up with the retained snapshots.

    python bench/fleet.py [--guns N] [--orders M] [--quick]

Starts Mosquitto as Pickgun configures it (TLS listener for the guns,
plain one on 127.0.0.1 for the worker) and the worker (`python -m
server.gunlink.worker`: its MQTT process and its ingest process) on a
temporary database of M placed orders and enough bottles for every scan
to be accepted, and waits for the worker to publish the M retained
snapshots.  The guns are bench/light_gun.py's, written from
docs/protocol.md: each its own credentials, TLS checked against
Pickgun's CA, persistent session, at most four unacked events.

1. steady: N guns, one scan each every 2 s (jittered): ack latency
   (publish -> the ack covering it), the worker's CPU per event (its two
   processes, /proc).
2. reconnect storm: every gun's link drops, it records 50 scans offline,
   and all reconnect at once: time until every scan is acked, the
   database checked (50 events per gun and epoch, each pick once), peak
   RSS of the broker and the worker's processes (sampled every 100 ms).
3. fan-out: 100 guns subscribed to one order's snapshot, as to an order
   on their hold list; the bench adds a note through the web app's domain
   function (server.orders.actions.add_note), which bumps the order's
   revision: time until each gun has the new snapshot.
4. a real firmware gun (tools/simulate.py's SimulatedGun: the MicroPython
   unix port, an ESP32's data heap, TLS, its clock set by a bench SNTP
   server) connecting to this broker and its retained snapshots, through
   a byte-counting TCP relay: time until it is ready.  Ready: the
   connection's opening exchange is over, i.e. the last byte either way
   before the link stays quiet for QUIET seconds: the gun's status, its
   subscriptions, every retained snapshot the broker sends it and the
   gun's PUBACK of each.  Measured on its first connection (new
   session) and again after a WiFi drop (resumed session); then the
   smallest data heap it gets ready in (the high-water of its heap, as
   bench/gun_memory.py measures one: bisection over -X heapsize).

Beside them, in the same run: the raw broker pipe (bench/ingest.py's: K
paho publishers -> Mosquitto -> one subscriber, QoS 1, plain port).
Prints figures and the goals next to them; asserts no timings."""
import argparse
import asyncio
import base64
import json
import os
import random
import resource
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import ingest                                   # noqa: E402
from bench.light_gun import LightGun                       # noqa: E402
from server.core import db as dbm                          # noqa: E402
from server.gunlink.broker import Broker                   # noqa: E402
from shared import wire                                    # noqa: E402

SKU, LOT = "CBD-OIL-30", "L2311A"
PERIOD = 2.0             # seconds between a gun's scans, steady
STORM_SCANS = 50         # scans each gun records offline before the storm
PER_GUN = 200            # bottles set aside for each gun
FANOUT_GUNS = 100
FANOUT_NOTES = 5         # notes added one after the other: samples
QUIET = 1.5              # seconds of silence that end an opening exchange
FW_GUNS = ["F%02d" % (i + 1) for i in range(10)]   # firmware runs, one each
GOALS = {"storm": 60.0, "steady_p99": 0.250, "ready": 2.0}


# ---------------------------------------------------------------- data
def make_data(db, orders, bottles):
    """Placed orders of one line each (room for every bottle dealt to
    them) and `bottles` bottles in stock."""
    at = dbm.now()
    qty = 2 * (-(-bottles // orders)) + 2
    with dbm.transaction(db):
        db["clients"].insert({"id": 1, "name": "Bench Client",
                              "created_at": at})
        db["products"].insert({"sku": SKU, "name": "CBD Oil 30 mL"})
        db["lots"].insert({"id": LOT, "sku": SKU})
        db["orders"].insert_all({"id": 1 + i, "client_id": 1,
                                 "status": "placed", "created_at": at,
                                 "placed_at": at} for i in range(orders))
        db["order_lines"].insert_all({"order_id": 1 + i, "sku": SKU,
                                      "qty": qty} for i in range(orders))
        db["bottles"].insert_all({"serial": "B%07d" % i, "sku": SKU,
                                  "lot_id": LOT} for i in range(bottles))


def bottle_scan(gun_index, k, orders):
    """(order, code) of gun `gun_index`'s k-th scan: a bottle of its own."""
    i = gun_index * PER_GUN + k
    return i % orders + 1, wire.bottle_code("B%07d" % i, SKU, LOT)


def query(db_path, sql, args=()):
    conn = dbm.connect(db_path)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.conn.close()


def wait_published(db_path, worker, timeout=300):
    """Until the worker has every order's snapshot on the broker."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise SystemExit("worker exited with %s" % worker.returncode)
        if not query(db_path, "SELECT count(*) FROM orders "
                     "WHERE rev != published_rev")[0][0]:
            return
        time.sleep(0.1)
    raise SystemExit("the worker did not publish the snapshots")


# ------------------------------------------------------------ processes
def worker_pids(pid):
    """The worker and its children (the ingest process)."""
    out = [pid]
    try:
        for task in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, task)) as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class RSSPeaks:
    """Peak RSS of the broker and of the worker's processes together,
    sampled every 100 ms while running."""

    def __init__(self, broker_pid, worker_pid):
        self.broker_pid, self.worker_pid = broker_pid, worker_pid
        self.peak = {"broker": 0, "worker": 0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self):
        while not self._stop.is_set():
            b = rss_kb(self.broker_pid)
            w = sum(rss_kb(p) for p in worker_pids(self.worker_pid))
            self.peak["broker"] = max(self.peak["broker"], b)
            self.peak["worker"] = max(self.peak["worker"], w)
            self._stop.wait(0.1)


def own_cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def pct(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(p / 100 * len(s)))]


def ms(x):
    return "%.0f ms" % (x * 1000)


def goal(ok):
    return "met" if ok else "MISSED"


# ------------------------------------------------------------- guns
async def connect_all(guns, tries=20):
    """Every gun at once; a refused or timed-out one tries again after a
    jittered back-off, as a gun does."""
    async def one(g):
        delay = 0.25
        for _ in range(tries):
            try:
                return await g.connect()
            except (OSError, asyncio.TimeoutError, ConnectionError):
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))
                delay = min(delay * 2, 5.0)
        raise SystemExit("%s could not connect" % g.device)
    return await asyncio.gather(*(one(g) for g in guns))


async def all_caught_up(guns, timeout):
    await asyncio.wait_for(asyncio.gather(
        *(g.caught_up.wait() for g in guns)), timeout)


async def steady(guns, seconds, orders, worker_pid, broker_pid):
    lat = []
    for g in guns:
        g.latencies = lat
    counts = [0] * len(guns)

    async def scanner(i, g, until):
        await asyncio.sleep(random.uniform(0, PERIOD))
        while time.monotonic() < until:
            g.scan(*bottle_scan(i, counts[i], orders))
            counts[i] += 1
            await asyncio.sleep(PERIOD * random.uniform(0.75, 1.25))

    cpu0, own0 = ingest.process_tree_cpu(worker_pid), own_cpu()
    b0 = ingest.process_tree_cpu(broker_pid)
    until = time.monotonic() + seconds
    await asyncio.gather(*(scanner(i, g, until)
                           for i, g in enumerate(guns)))
    await all_caught_up(guns, 120)
    cpu = ingest.process_tree_cpu(worker_pid) - cpu0
    return {"events": sum(counts), "lat": lat, "cpu": cpu,
            "broker_cpu": ingest.process_tree_cpu(broker_pid) - b0,
            "own_cpu": own_cpu() - own0, "counts": counts}


async def storm(guns, orders, first, broker_pid, worker_pid):
    for g in guns:
        g.drop()
    await asyncio.sleep(1.0)                 # the broker sees them go
    for i, g in enumerate(guns):
        for k in range(first[i], first[i] + STORM_SCANS):
            g.scan(*bottle_scan(i, k, orders))
    lat = []
    for g in guns:
        g.latencies = lat
    cpu0, own0 = ingest.process_tree_cpu(worker_pid), own_cpu()
    b0 = ingest.process_tree_cpu(broker_pid)
    with RSSPeaks(broker_pid, worker_pid) as peaks:
        start = time.monotonic()
        connacks = await connect_all(guns)
        await all_caught_up(guns, 600)
        elapsed = time.monotonic() - start
    return {"elapsed": elapsed, "connected": max(connacks) - start,
            "peaks": peaks.peak, "lat": lat,
            "cpu": ingest.process_tree_cpu(worker_pid) - cpu0,
            "broker_cpu": ingest.process_tree_cpu(broker_pid) - b0,
            "own_cpu": own_cpu() - own0}


def check_database(db_path, guns, ep, expected):
    """Each gun's events of the epoch recorded once each, every pick
    accepted once: problems as text, [] when none."""
    problems = []
    rows = dict(query(db_path, "SELECT device_id, count(*) FROM "
                      "device_events WHERE ep = ? GROUP BY device_id",
                      [ep]))
    for g, n in zip(guns, expected, strict=True):
        if rows.get(g.device, 0) != n:
            problems.append("%s: %d events, expected %d"
                            % (g.device, rows.get(g.device, 0), n))
    (dup,), = query(db_path, "SELECT count(*) FROM (SELECT serial FROM "
                    "picks GROUP BY serial HAVING count(*) > 1)")
    (bad,), = query(db_path, "SELECT count(*) FROM picks "
                    "WHERE status != 'accepted'")
    (picks,), = query(db_path, "SELECT count(*) FROM picks")
    if dup:
        problems.append("%d bottles picked more than once" % dup)
    if bad:
        problems.append("%d picks not accepted" % bad)
    if picks != sum(expected):
        problems.append("%d picks, expected %d" % (picks, sum(expected)))
    return problems


async def fanout(guns, db_path, order_id):
    """FANOUT_NOTES notes, one after the other, on an order the guns
    watch: for each, the time until each gun has the new revision."""
    seen = {}                                # gun -> (rev, time)

    def on_snapshot(gun, o, payload, at):
        if o == order_id and payload:
            rev = json.loads(payload)["rev"]
            if rev > seen.get(gun.device, (0, 0))[0]:
                seen[gun.device] = (rev, at)
    for g in guns:
        g.on_snapshot = on_snapshot
        g.watch(order_id)
    deadline = time.monotonic() + 30
    while len(seen) < len(guns) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    delays, missing = [], 0
    for n in range(FANOUT_NOTES):
        rev = max(r for r, _ in seen.values())
        start = time.monotonic()
        await asyncio.to_thread(_add_note, db_path, order_id,
                                "Bench note %d: fragile, pack with care"
                                % (n + 1))
        deadline = start + 30
        while time.monotonic() < deadline and any(
                seen.get(g.device, (0, 0))[0] <= rev for g in guns):
            await asyncio.sleep(0.01)
        for g in guns:
            r, at = seen.get(g.device, (0, 0))
            if r > rev:
                delays.append(at - start)
            else:
                missing += 1
        await asyncio.sleep(0.5)
    return delays, missing


def _add_note(db_path, order_id, text):
    from server.orders import actions
    db = dbm.connect(db_path)
    try:
        actions.add_note(db, order_id, text, "bench-csr")
    finally:
        db.conn.close()


# ------------------------------------------------------- firmware gun
class Relay:
    """TCP relay between the firmware gun and the broker's TLS port: it
    sees only ciphertext, but when bytes go either way."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.conns = []          # [accepted at, last byte at, bytes in, out]
        self.server = None
        self.port = 0

    async def start(self):
        self.server = await asyncio.start_server(self._conn, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _conn(self, reader, writer):
        rec = [time.monotonic(), time.monotonic(), 0, 0]
        self.conns.append(rec)
        try:
            br, bw = await asyncio.open_connection("127.0.0.1",
                                                   self.target_port)
        except OSError:
            writer.close()
            return

        async def pipe(r, w, slot):
            try:
                while data := await r.read(65536):
                    rec[1] = time.monotonic()
                    rec[slot] += len(data)
                    w.write(data)
                    await w.drain()
            except OSError:
                pass
            finally:
                w.close()
        await asyncio.gather(pipe(reader, bw, 2), pipe(br, writer, 3))

    async def opening(self, index, timeout):
        """(accepted, ready, bytes to the gun) of connection `index` once
        QUIET seconds pass with nothing either way."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.conns) > index and \
                    time.monotonic() - self.conns[index][1] > QUIET:
                c = self.conns[index]
                return c[0], c[1], c[3]
            await asyncio.sleep(0.05)
        raise SystemExit("firmware gun: no quiet link in %d s" % timeout)

    def close(self):
        if self.server is not None:
            self.server.close()


async def firmware_gun(broker, workdir, device, password, heapsize,
                       reconnect=True, timeout=180):
    """Start the firmware, measure its openings; None if it does not get
    ready (a reset, a memory error, no link) in `heapsize`."""
    from server.gunlink.sntp import SNTPServer
    from tools.simulate import GunTimeout, SimulatedGun
    relay = Relay(broker.tls_port)
    await relay.start()
    sntp = SNTPServer("127.0.0.1", 0).start()
    cfg = {"tls": True, "port": relay.port, "ntp": "127.0.0.1",
           "ntp_port": sntp.port, "backoff_ms": 200, "backoff_max_ms": 400,
           "ca": base64.b64encode(broker.ca_der_path.read_bytes()).decode()}
    shutil.rmtree(workdir, ignore_errors=True)
    gun = None
    out = {}
    try:
        t0 = time.monotonic()
        gun = await asyncio.to_thread(
            SimulatedGun, workdir, device, password, "127.0.0.1", 0,
            heapsize=heapsize, extra_config=cfg, boot_timeout=60)
        await asyncio.to_thread(gun.wait_for,
                                lambda s: s["link"] == "online", 60)
        acc, ready, nbytes = await relay.opening(0, timeout)
        out["first"] = (ready - t0, ready - acc, nbytes)
        if reconnect:
            gun.wifi(False)
            await asyncio.to_thread(gun.wait_for,
                                    lambda s: s["link"] != "online", 30)
            await asyncio.sleep(QUIET)
            gun.wifi(True)
            acc, ready, nbytes = await relay.opening(1, timeout)
            out["again"] = (ready - acc, nbytes)
        log = gun.log_path.read_text(errors="replace")
        if gun.resets or "MemoryError" in log or not gun.alive:
            return None
        out["log"] = log
        return out
    except (GunTimeout, RuntimeError, SystemExit):
        return None
    finally:
        if gun is not None:
            await asyncio.to_thread(gun.stop)
        sntp.stop()
        relay.close()


async def smallest_heap(broker, workdir, devices, passwords, lo, hi, step):
    """Smallest data heap (KiB, to `step`) the gun gets ready in, known
    to get ready in `hi` and not in `lo`.  Each try is a gun never seen
    before (`devices`, one each): a new session, so the broker sends it
    every retained snapshot, as on the first connection measured."""
    fresh = iter(devices)
    while hi - lo > step:
        mid = (lo + hi) // 2
        device = next(fresh)
        got = await firmware_gun(broker, workdir, device, passwords[device],
                                 "%dk" % mid, reconnect=False)
        print("    heap %dk: %s" % (mid, "did not get ready" if got is None
                                    else "ready in %.1f s, %.0f KB received"
                                    % (got["first"][1],
                                       got["first"][2] / 1024)), flush=True)
        if got is None:
            lo = mid
        else:
            hi = mid
    return hi


# ----------------------------------------------------------------- run
async def scenarios(args, broker, db_path, worker, tmp, passwords, ep):
    ctx = ssl.create_default_context(cafile=str(broker.ca_pem_path))
    names = ["L%03d" % (i + 1) for i in range(args.guns)]
    guns = [LightGun(n, passwords[n], ep, "127.0.0.1", broker.tls_port, ctx)
            for n in names]
    res = {}
    start = time.monotonic()
    await connect_all(guns)
    res["connect"] = time.monotonic() - start
    print("  %d guns connected over TLS in %.1f s" % (len(guns),
                                                      res["connect"]),
          flush=True)

    res["steady"] = await steady(guns, args.seconds, args.orders,
                                 worker.pid, broker.proc.pid)
    print("  steady: done", flush=True)
    first = res["steady"]["counts"]
    res["storm"] = await storm(guns, args.orders, first, broker.proc.pid,
                               worker.pid)
    print("  storm: done", flush=True)
    res["check"] = check_database(
        db_path, guns, ep, [n + STORM_SCANS for n in first])
    res["storm"]["lost"] = sum(g.stats["dropped"] for g in guns)

    watchers = guns[:min(FANOUT_GUNS, len(guns))]
    order_id = args.orders // 2 + 1
    res["fanout"] = await fanout(watchers, db_path, order_id)
    res["fanout_guns"] = len(watchers)
    print("  fan-out: done", flush=True)
    await asyncio.gather(*(g.close() for g in guns))

    fw = FW_GUNS[0]
    res["fw"] = await firmware_gun(broker, tmp / "fw-gun", fw, passwords[fw],
                                   "110k")
    print("  firmware gun: done", flush=True)
    if not args.no_heap and res["fw"] is not None:
        res["fw_heap"] = await smallest_heap(
            broker, tmp / "fw-gun", FW_GUNS[1:], passwords, 16, 110,
            args.heap_step)
    return res


def report(args, res, raw, raw_events, raw_guns, published):
    print("\n%d light guns, %d placed orders (%d retained snapshots "
          "published by the worker in %.1f s before measuring)"
          % (args.guns, args.orders, args.orders, published))
    s = res["steady"]
    p50, p99 = pct(s["lat"], 50), pct(s["lat"], 99)
    print("\n1. steady: one scan per gun every %.0f s (jittered) for %d s"
          % (PERIOD, args.seconds))
    print("   events acked:       %d (%.0f/s)" % (
        len(s["lat"]), s["events"] / args.seconds))
    print("   ack latency:        p50 %s  p99 %s  max %s   (goal p99 < %s:"
          " %s)" % (ms(p50), ms(p99), ms(max(s["lat"])),
                    ms(GOALS["steady_p99"]),
                    goal(p99 < GOALS["steady_p99"])))
    print("   CPU per event:      worker %.0f us (both processes), broker "
          "%.0f us, bench clients %.0f us" % (
              s["cpu"] / s["events"] * 1e6, s["broker_cpu"] / s["events"]
              * 1e6, s["own_cpu"] / s["events"] * 1e6))
    st = res["storm"]
    n = args.guns * STORM_SCANS
    print("\n2. reconnect storm: %d guns reconnect at once, %d offline "
          "scans each (%d events)" % (args.guns, STORM_SCANS, n))
    print("   all connected:      %.1f s (last CONNACK)" % st["connected"])
    print("   all acked:          %.1f s = %.0f events/s   (goal < %.0f s:"
          " %s)" % (st["elapsed"], n / st["elapsed"], GOALS["storm"],
                    goal(st["elapsed"] < GOALS["storm"])))
    print("   ack latency:        p50 %s  p99 %s (window 4 per gun)"
          % (ms(pct(st["lat"], 50)), ms(pct(st["lat"], 99))))
    print("   CPU per event:      worker %.0f us, broker %.0f us (logins "
          "and TLS handshakes too), bench clients %.0f us" % (
              st["cpu"] / n * 1e6, st["broker_cpu"] / n * 1e6,
              st["own_cpu"] / n * 1e6))
    print("   peak RSS:           broker %.1f MB, worker %.1f MB (both "
          "processes)" % (st["peaks"]["broker"] / 1024,
                          st["peaks"]["worker"] / 1024))
    print("   database:           %s" % ("; ".join(res["check"]) or
                                        "every event once, every pick "
                                        "accepted once: nothing lost or "
                                        "doubled"))
    print("   raw broker pipe:    %.0f events/s (%d paho publishers -> "
          "Mosquitto -> 1 subscriber, QoS 1, %d events, same run)"
          % (raw, raw_guns, raw_events))
    delays, missing = res["fanout"]
    print("\n3. fan-out: a note on an order watched by %d guns, %d times"
          % (res["fanout_guns"], FANOUT_NOTES))
    print("   note -> snapshot:   p50 %s  p99 %s  max %s%s" % (
        ms(pct(delays, 50)), ms(pct(delays, 99)),
        ms(max(delays) if delays else float("nan")),
        ("   %d never arrived" % missing) if missing else ""))
    print("\n4. a firmware gun (MicroPython unix port, 110k data heap, TLS)"
          " and %d retained snapshots" % args.orders)
    fw = res["fw"]
    if fw is None:
        print("   did not get ready (reset, memory error or no link)")
    else:
        t_power, t_conn, nbytes = fw["first"]
        print("   first connection:   ready %.2f s after TCP connect (%.2f s"
              " from power-on, clock by SNTP first), %.0f KB to the gun"
              % (t_conn, t_power, nbytes / 1024))
        t_again, nbytes = fw["again"]
        print("   after a WiFi drop:  ready %.2f s after TCP connect, "
              "%.0f KB to the gun   (goal < %.0f s: %s)"
              % (t_again, nbytes / 1024, GOALS["ready"],
                 goal(t_again < GOALS["ready"])))
    if "fw_heap" in res:
        h = res["fw_heap"]
        print("   smallest data heap it gets ready in: %dk (to %dk, "
              "bisection; 110k is an ESP32-WROOM's)" % (h, args.heap_step))


def main():
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--guns", type=int, default=500)
    p.add_argument("--orders", type=int, default=5000)
    p.add_argument("--seconds", type=int, default=30,
                   help="length of the steady phase")
    p.add_argument("--raw-guns", type=int, default=8,
                   help="paho publishers of the raw pipe")
    p.add_argument("--no-heap", action="store_true",
                   help="skip the firmware gun's heap bisection")
    p.add_argument("--heap-step", type=int, default=16,
                   help="resolution of the heap bisection, KiB")
    p.add_argument("--quick", action="store_true",
                   help="50 guns, 500 orders, 10 s steady, no bisection")
    args = p.parse_args()
    if args.quick:
        args.guns, args.orders, args.seconds, args.no_heap = 50, 500, 10, True
    limit = raise_fd_limit()
    if limit < args.guns + 100:
        raise SystemExit("open file limit %d: too low for %d guns"
                         % (limit, args.guns))
    tmp = Path(tempfile.mkdtemp(prefix="pickgun-fleet-"))
    names = ["L%03d" % (i + 1) for i in range(args.guns)] + FW_GUNS
    passwords = {g: "fleet-%s-password-%06d" % (g, random.randrange(10**6))
                 for g in names}
    t = time.monotonic()
    broker = Broker(tmp / "broker", devices=passwords, tls=True)
    broker.start()
    print("broker up with %d gun users (%.1f s hashing passwords)"
          % (len(names), time.monotonic() - t), flush=True)
    password_file = str(tmp / "worker-password")
    Path(password_file).write_text(broker.worker_password)
    db_path = str(tmp / "bench.db")
    db = dbm.connect(db_path)
    dbm.migrate(db)
    make_data(db, args.orders, args.guns * PER_GUN)
    db.conn.close()
    worker = None
    try:
        # Raw pipe first: its subscriber logs in as the worker's user.
        raw_guns = names[:args.raw_guns]
        raw_events = args.guns * STORM_SCANS
        payloads = [ingest.gun_events(i, len(raw_guns), raw_events, 7)
                    for i in range(len(raw_guns))]
        raw = ingest.raw_pipe(broker, password_file, raw_guns, passwords,
                              payloads)
        print("raw pipe: %.0f events/s" % raw, flush=True)
        t = time.monotonic()
        worker = subprocess.Popen(
            [sys.executable, "-m", "server.gunlink.worker", "--db", db_path,
             "--broker-host", "127.0.0.1", "--broker-port",
             str(broker.port), "--password-file", password_file,
             "--log-level", "WARNING"], cwd=str(REPO))
        wait_published(db_path, worker)
        published = time.monotonic() - t
        print("worker up, %d snapshots retained (%.1f s)"
              % (args.orders, published), flush=True)
        ep = 1 + random.randrange(2**31 - 1)
        res = asyncio.run(scenarios(args, broker, db_path, worker, tmp,
                                    passwords, ep))
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(20)
        broker.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    report(args, res, raw, raw_events, len(raw_guns), published)
    return 1 if res["check"] else 0


if __name__ == "__main__":
    sys.exit(main())
