"""Ingest throughput, end to end, against the raw broker pipe.

    python bench/ingest.py [--events N] [--guns K] [--window W]

Starts a real Mosquitto and the worker (`python -m server.gunlink.worker`: its
MQTT process and its ingest process, as in production) on a temporary
database with enough orders and bottles, then:

1. raw pipe: K paho publishers -> Mosquitto -> one paho subscriber in its
   own process, N messages of pick-event size, QoS 1;
2. end to end: K simulated guns, each with its own credentials, publish
   N pick events QoS 1, at most W unacked per gun; an event counts once
   the worker's ack covering it is back at the gun (publish -> worker
   commit -> ack).

Prints both rates in events/second, their ratio, and the CPU time the
worker's processes spent per event during the end-to-end rounds (Linux),
which moves less than the rates when other programs load the machine."""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from server.core import db as dbm
from server.gunlink.broker import Broker
from shared import wire

ORDER_SIZE = 100             # bottles per order line
SKU, LOT = "CBD-OIL-30", "L2311A"


def client(user, password, client_id=None, clean=True):
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id or user,
                    clean_session=clean, protocol=mqtt.MQTTv311)
    c.username_pw_set(user, password)
    return c


def connect(c, broker):
    ready = threading.Event()
    c.on_connect = lambda *a: ready.set()
    c.connect(broker.host, broker.port, keepalive=30)
    c.loop_start()
    if not ready.wait(10):
        raise SystemExit("could not connect to the broker")


def make_data(db, events, guns):
    """Placed orders of ORDER_SIZE bottles each, and `events` bottles."""
    orders = -(-events // ORDER_SIZE)
    at = dbm.now()
    with dbm.transaction(db):
        db["clients"].insert({"id": 1, "name": "Bench Client",
                              "created_at": at})
        db["products"].insert({"sku": SKU, "name": "CBD Oil 30 mL"})
        db["lots"].insert({"id": LOT, "sku": SKU})
        db["orders"].insert_all({"id": 1 + i, "client_id": 1,
                                 "status": "placed", "created_at": at}
                                for i in range(orders))
        db["order_lines"].insert_all({"order_id": 1 + i, "sku": SKU,
                                      "qty": ORDER_SIZE}
                                     for i in range(orders))
        db["bottles"].insert_all({"serial": "B%07d" % i, "sku": SKU,
                                  "lot_id": LOT} for i in range(events))


def gun_events(gun_index, guns, events, ep, first=0):
    """Payloads for one gun, events first .. first+events-1 of the fleet:
    bottle i goes to order i // ORDER_SIZE + 1; seqs continue across
    rounds as a gun's journal would."""
    out = []
    start_seq = first // guns + 1
    for seq, i in enumerate(range(first + gun_index, first + events, guns),
                            start=start_seq):
        out.append(wire.encode(wire.event(
            ep, seq, wire.PICK, i // ORDER_SIZE + 1, int(time.time()),
            wire.bottle_code("B%07d" % i, SKU, LOT))))
    return out


# ------------------------------------------------------------ raw pipe
def raw_subscriber_main(args):
    """Child process: count gun events, print first/last times."""
    password = Path(args.password_file).read_text().strip()
    c = client(args.user, password, client_id="bench-raw-sub")
    got = {"n": 0, "first": None, "last": None}
    done = threading.Event()

    def on_message(cl, u, msg):
        now = time.time()
        got["first"] = got["first"] or now
        got["n"] += 1
        if got["n"] >= args.count:
            got["last"] = now
            done.set()

    def on_connect(cl, u, f, rc, p):
        cl.subscribe(wire.EVT_FILTER, 1)

    def on_subscribe(*a):
        print("ready", flush=True)
    c.on_message, c.on_connect, c.on_subscribe = on_message, on_connect, \
        on_subscribe
    c.connect(args.host, args.port)
    c.loop_start()
    done.wait(600)
    print(json.dumps(got), flush=True)
    c.disconnect()


def raw_pipe(broker, password_file, guns, passwords, payloads_by_gun):
    """The same first hop as the guns' events (same users, topics and
    payloads), received by one subscriber as the worker user."""
    total = sum(len(p) for p in payloads_by_gun)
    sub = subprocess.Popen(
        [sys.executable, __file__, "--raw-subscriber", "--host", broker.host,
         "--port", str(broker.port), "--user", broker.worker_user,
         "--password-file", password_file, "--count", str(total)],
        stdout=subprocess.PIPE, text=True)
    out = sub.stdout
    assert out is not None              # stdout=PIPE
    assert out.readline().strip() == "ready"
    pubs = []
    for g in guns:
        c = client(g, passwords[g])
        connect(c, broker)
        pubs.append(c)
    start = time.time()
    threads = [threading.Thread(target=_publish_all,
                                args=(c, wire.dev_topic(g, wire.EVT), p))
               for c, g, p in zip(pubs, guns, payloads_by_gun,
                                      strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = json.loads(out.readline())
    sub.wait(10)
    for c in pubs:
        c.disconnect()
        c.loop_stop()
    return total / (result["last"] - start)


def _publish_all(c, topic, payloads):
    for p in payloads:
        info = c.publish(topic, p, qos=1)
        if info.rc == mqtt.MQTT_ERR_QUEUE_SIZE:
            raise SystemExit("publish queue full")


# ---------------------------------------------------------- end to end
class BenchGun:
    def __init__(self, broker, device, password, payloads, window, ep):
        self.device, self.payloads, self.window, self.ep = \
            device, payloads, window, ep
        self.upto = 0
        self.cond = threading.Condition()
        self.c = client(device, password, clean=False)
        self.c.on_message = self._on_message
        self.c.on_subscribe = lambda *a: self.subscribed.set()
        self.subscribed = threading.Event()
        connect(self.c, broker)
        self.c.subscribe(wire.dev_topic(device, wire.ACK), 1)
        self.subscribed.wait(10)

    def _on_message(self, c, u, msg):
        ack = wire.decode(msg.payload)
        if ack["ep"] == self.ep:
            with self.cond:
                self.upto = max(self.upto, ack["upto"])
                self.cond.notify()

    def run(self):
        topic = wire.dev_topic(self.device, wire.EVT)
        first = json.loads(self.payloads[0])["seq"]
        self.upto = first - 1
        n = first - 1 + len(self.payloads)
        for seq, payload in enumerate(self.payloads, start=first):
            with self.cond:
                while seq - self.upto > self.window:
                    if not self.cond.wait(30):
                        raise SystemExit("%s: no ack for 30 s" % self.device)
            self.c.publish(topic, payload, qos=1)
        with self.cond:
            while self.upto < n:
                if not self.cond.wait(30):
                    raise SystemExit("%s: no ack for 30 s" % self.device)


def end_to_end(broker, guns, payloads_by_gun, passwords, window, ep):
    bench_guns = [BenchGun(broker, dev, passwords[dev], p, window, ep)
                  for dev, p in zip(guns, payloads_by_gun, strict=True)]
    threads = [threading.Thread(target=g.run) for g in bench_guns]
    start = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - start
    for g in bench_guns:
        g.c.disconnect()
        g.c.loop_stop()
    return sum(len(p) for p in payloads_by_gun) / elapsed


def wait_for_worker(db_path, proc, timeout=20):
    """The worker is up once it has recorded the guns' status messages."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("worker exited with %s" % proc.returncode)
        conn = dbm.connect(db_path)
        try:
            if conn.execute("SELECT count(*) FROM devices WHERE online = 1"
                            ).fetchone()[0]:
                return
        finally:
            conn.conn.close()
        time.sleep(0.05)
    raise SystemExit("worker did not start")


def main():
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--events", type=int, default=20000)
    p.add_argument("--guns", type=int, default=4)
    p.add_argument("--window", type=int, default=1000,
                   help="unacked events allowed per gun")
    p.add_argument("--batch", type=int, default=500,
                   help="worker: messages per transaction")
    p.add_argument("--rounds", type=int, default=3,
                   help="measure each pipe this many times (median)")
    p.add_argument("--raw-subscriber", action="store_true",
                   help=argparse.SUPPRESS)
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--user")
    p.add_argument("--password-file")
    p.add_argument("--count", type=int)
    args = p.parse_args()
    if args.raw_subscriber:
        return raw_subscriber_main(args)

    tmp = Path(tempfile.mkdtemp(prefix="pickgun-bench-"))
    guns = ["G%02d" % (i + 1) for i in range(args.guns)]
    passwords = {g: "bench-%s-password" % g for g in guns}
    broker = Broker(tmp / "broker", devices=passwords)
    broker.start()
    password_file = str(tmp / "worker-password")
    Path(password_file).write_text(broker.worker_password)
    db_path = str(tmp / "bench.db")
    db = dbm.connect(db_path)
    dbm.migrate(db)
    make_data(db, args.events * args.rounds, args.guns)
    db.conn.close()
    ep = 1 + int(time.time()) % 100000
    rounds = [[gun_events(i, args.guns, args.events, ep, r * args.events)
               for i in range(args.guns)] for r in range(args.rounds)]
    size = sum(len(x) for x in rounds[0][0]) / len(rounds[0][0])
    worker = None
    raw, e2e = [], []
    try:
        # The raw subscriber logs in as the worker user, so the raw rounds
        # run before the worker starts.
        for payloads in rounds:
            raw.append(raw_pipe(broker, password_file, guns, passwords,
                                payloads))
        worker = start_worker(broker, db_path, password_file, args.batch,
                              guns, passwords)
        cpu_before = process_tree_cpu(worker.pid)
        for payloads in rounds:
            e2e.append(end_to_end(broker, guns, payloads, passwords,
                                  args.window, ep))
        cpu = process_tree_cpu(worker.pid) - cpu_before
        check = dbm.connect(db_path)
        accepted = check.execute("SELECT count(*) FROM picks WHERE status = "
                                 "'accepted'").fetchone()[0]
        check.conn.close()
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(20)
        broker.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d rounds of %d pick events from %d guns, %.0f bytes each, "
          "window %d per gun, worker batches up to %d"
          % (args.rounds, args.events, args.guns, size, args.window,
             args.batch))
    print("raw broker pipe:      %s events/s" % _figures(raw))
    print("end to end (acked):   %s events/s" % _figures(e2e))
    ratio = statistics.median(e2e) / statistics.median(raw)
    print("ratio of medians:     %.2f  (goal >= 0.80)" % ratio)
    if cpu:
        print("worker CPU:           %.1f us per event (all its processes)"
              % (cpu / (args.events * args.rounds) * 1e6))
    expected = args.events * args.rounds
    if accepted != expected:
        print("ERROR: %d picks accepted, expected %d" % (accepted, expected))
        return 1
    print("picks accepted:       %d (all)" % accepted)
    return 0


def _figures(values):
    return "median %6.0f   (rounds: %s)" % (
        statistics.median(values), ", ".join("%.0f" % v for v in values))


def process_tree_cpu(pid):
    """CPU seconds used so far by pid and its children (Linux /proc;
    0.0 elsewhere)."""
    try:
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        pids = [pid]
        while pids:
            p = pids.pop()
            with open("/proc/%d/stat" % p) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in os.listdir("/proc/%d/task" % p):
                try:
                    with open("/proc/%d/task/%s/children" % (p, task)) as f:
                        pids += [int(c) for c in f.read().split()]
                except OSError:
                    pass
        return total
    except (OSError, ValueError, AttributeError):
        return 0.0


def start_worker(broker, db_path, password_file, batch, guns, passwords):
    worker = subprocess.Popen(
        [sys.executable, "-m", "server.gunlink.worker", "--db", db_path,
         "--broker-host", broker.host, "--broker-port", str(broker.port),
         "--password-file", password_file, "--batch-max", str(batch),
         "--log-level", "WARNING"],
        cwd=str(Path(__file__).resolve().parent.parent))
    for g in guns:            # retained status: recorded once the worker is up
        c = client(g, passwords[g])
        connect(c, broker)
        c.publish(wire.dev_topic(g, wire.STATUS),
                  wire.encode(wire.status(True, "bench")),
                  qos=1, retain=True).wait_for_publish(10)
        c.disconnect()
        c.loop_stop()
    wait_for_worker(db_path, worker)
    return worker

if __name__ == "__main__":
    sys.exit(main())
