"""An update over the air on this host: its figures.

    python bench/ota.py

(a) the gun's code heap from its ROMFS image, without and with the
    update task (gun/ota.py, which a gun running from the image
    imports), and the images' sizes against the romfs partition;
(b) the steps on the gun, timed inside MicroPython: checking the
    release's signature (RSA-2048, e = 65537), hashing the image
    (SHA-256), and boot.py's copy of it into a file-backed partition;
(c) one update end to end: a simulated gun on version A, a real
    Mosquitto (TLS), the worker and the web server (HTTPS with the
    broker's certificate); release B published, then the time until the
    gun downloads and checks it and resets to install it, until boot.py
    has copied it into the partition and reset again, and until B has
    reached the broker, passed its checks and confirmed itself.

Figures are this host's (a 64-bit unix port; a real ESP32's flash, radio,
CPU and TLS are slower): they size the host's part of the work.  Nothing
here asserts a speed.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tools.mpy_build import build_firmware  # noqa: E402
from tools.romfs import PARTITION_BYTES, build_image  # noqa: E402
from tools.simulate import ROMFS_CODE_ALLOWANCE_K, default_micropython  # noqa: E402,E501

MICROPYTHON = default_micropython()
HOST_BOOT = REPO / "firmware" / "boards" / "host_boot.py"

CODE = """
import gc
gc.collect()
base = gc.mem_alloc()
import asyncio, boards
boards.load()
from gun import picks, app, scanner, journal, store, config, sync, mqtt
from gun import screens
from shared import wire
from gun import sntp
from drivers import png, gm65
%s
gc.collect()
print("CODE", gc.mem_alloc() - base)
"""

# The gun's steps, each timed: argv: a JSON file {"key", "sig", "text",
# "image"} (the key is too long for an argument on the unix port).
STEPS = """
import json, sys, time, hashlib
from gun import ota
import boot
sys.path.insert(0, %r)
import host_rom
with open(sys.argv[1]) as f:
    a = json.load(f)
t = time.ticks_us()
ok = ota.verify(a["key"], a["text"].encode(), a["sig"])
print("VERIFY", time.ticks_diff(time.ticks_us(), t), ok)
buf = bytearray(1024)
t = time.ticks_us()
h = hashlib.sha256()
with open(a["image"], "rb") as f:
    while True:
        n = f.readinto(buf)
        if not n:
            break
        h.update(memoryview(buf)[:n])
print("SHA", time.ticks_diff(time.ticks_us(), t), h.digest().hex())
rom = host_rom.Partition("part.bin", host_rom.PARTITION_BLOCKS)
buf = bytearray(4096)
meta = [0, a["size"], a["sha"]]
t = time.ticks_us()
ok = boot._copy(rom, buf, a["image"], meta)
print("COPY", time.ticks_diff(time.ticks_us(), t), ok)
"""


def mp(script, args=(), cwd=None, path=".frozen", heap="512k", rom=None):
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "s.py").write_text(script)
        cmd = [MICROPYTHON, "-X", "heapsize=" + heap]
        env = dict(os.environ, PICKGUN_BOARD="host", PICKGUN_HOST_DIR=tmp,
                   MICROPYPATH=path)
        if rom:
            shutil.copyfile(rom, Path(tmp) / "romfs.bin")
            cmd.append(str(HOST_BOOT))
        cmd += [str(Path(tmp) / "s.py"), *map(str, args)]
        out = subprocess.run(cmd, cwd=cwd or tmp, env=env,
                             capture_output=True, text=True, timeout=120)
    if out.returncode:
        raise SystemExit(out.stdout[-2000:] + out.stderr[-2000:])
    return {line.split()[0]: line.split()[1:]
            for line in out.stdout.splitlines() if line[:1].isupper()}


def kb(n):
    return "%.1f KB" % (n / 1024)


def code_heap(tree):
    rom = build_image(tree, host=True)
    without = int(mp(CODE % "", rom=rom)["CODE"][0])
    with_ota = int(mp(CODE % "from gun import ota", rom=rom)["CODE"][0])
    gun = build_image(tree).stat().st_size
    print("(a) code heap from the ROMFS image: %s without the update task, "
          "%s with it\n    (gun/ota.py: %s; the allowance %dk leaves %s)"
          % (kb(without), kb(with_ota), kb(with_ota - without),
             ROMFS_CODE_ALLOWANCE_K,
             kb(ROMFS_CODE_ALLOWANCE_K * 1024 - with_ota)))
    print("    ROMFS image: %s for a gun, %s with the host-only modules; "
          "the romfs partition: %s\n    (two images and a download on "
          "the data flash: %s)" % (
              kb(gun), kb(rom.stat().st_size), kb(PARTITION_BYTES),
              kb(3 * gun)))
    return rom


def steps(tree, image):
    from server.fleet import releases
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        releases.ensure_key(tmp / "k")
        sha = hashlib.sha256(image.read_bytes()).hexdigest()
        size = image.stat().st_size
        text = releases.release_text("B", size, sha)
        (tmp / "a.json").write_text(json.dumps({
            "key": releases.public_key(tmp / "k"), "text": text.decode(),
            "sig": releases.sign(tmp / "k", text), "image": str(image),
            "size": size, "sha": sha}))
        out = mp(STEPS % str(REPO / "firmware" / "boards"),
                 args=[tmp / "a.json"], cwd=tmp,
                 path="%s:%s:.frozen" % (tree, REPO / "firmware"),
                 heap="256k")
    assert out["VERIFY"][1] == "True" and out["SHA"][1] == sha and \
        out["COPY"][1] == "True", out
    print("(b) on the gun (MicroPython, this host): signature %.1f ms, "
          "SHA-256 of the %s image %.1f ms,\n    boot.py's copy into the "
          "partition, checked before and after %.1f ms" % (
              int(out["VERIFY"][0]) / 1000, kb(size),
              int(out["SHA"][0]) / 1000, int(out["COPY"][0]) / 1000))


def end_to_end(workdir):
    import logging

    from werkzeug.serving import make_server

    from server.app import create_app
    from server.core import db as dbm
    from server.fleet import releases
    from server.fleet.provisioning import device_hashes, provision_device
    from server.gunlink.broker import Broker
    from server.gunlink.sntp import SNTPServer
    from server.gunlink.worker import Worker
    from tools.provision import tls_config
    from tools.release import build
    from tools.simulate import SimulatedGun

    src = workdir / "src"
    shutil.copytree(REPO / "firmware", src / "firmware",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "shared", src / "shared",
                    ignore=shutil.ignore_patterns("__pycache__"))
    init = src / "firmware" / "gun" / "__init__.py"
    init.write_text(init.read_text().replace('VERSION = "',
                                             'VERSION = "bench-'))
    version, image = build(src, simulated=True)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # its requests
    db_path = str(workdir / "pickgun.db")
    dbm.prepare_database(db_path)
    db = dbm.connect(db_path)
    password = provision_device(db, "G01")
    broker = Broker(workdir / "broker", device_hashes=device_hashes(db),
                    tls=True).start()
    worker = web = gun = None
    # The gun's clock starts at 2000-01-01: TLS waits for SNTP.
    ntp = SNTPServer("127.0.0.1", 0).start()
    try:
        worker = Worker(db_path, "127.0.0.1", broker.port,
                        broker.worker_user, broker.worker_password,
                        poll_seconds=0.1).start()
        app = create_app(instance_path=str(workdir),
                         settings={"DATABASE": db_path})
        a = broker.authority
        web = make_server("127.0.0.1", 0, app, threaded=True,
                          ssl_context=(str(a.cert), str(a.key)))
        threading.Thread(target=web.serve_forever, daemon=True).start()
        cfg = dict(tls_config(broker.ca_der_path, broker.tls_port),
                   ota_key=releases.public_key(releases.folder(db_path)),
                   fw_url="https://127.0.0.1:%d" % web.server_port,
                   ota_idle_s=0, ntp="127.0.0.1", ntp_port=ntp.port)
        gun = SimulatedGun(workdir / "G01", "G01", password, "127.0.0.1",
                           broker.tls_port, romfs=True, extra_config=cfg)
        gun.wait_for(lambda s: s["link"] == "online", 30)
        t0 = time.monotonic()
        releases.publish(db, releases.folder(db_path), image, version)
        marks = {}
        while len(marks) < 4 and time.monotonic() - t0 < 120:
            row = db.table("devices").get("G01")
            now = time.monotonic() - t0
            if row["ota_state"] == "dl" and "dl" not in marks:
                marks["dl"] = now
            if gun.resets >= 1:
                marks.setdefault("staged", now)
            if gun.resets >= 2:
                marks.setdefault("copied", now)
            if row["fw"] == version and row["ota_state"] == "ok":
                marks.setdefault("ok", now)
            time.sleep(0.02)
    finally:
        if gun is not None:
            gun.stop()
        if web is not None:
            web.shutdown()
        if worker is not None:
            worker.stop()
        ntp.stop()
        broker.stop()
        db.conn.close()
    if "ok" not in marks:
        raise SystemExit("the update did not complete: %r\n%s"
                         % (marks, gun.log_tail() if gun else ""))
    print("(c) one update, end to end, on this host (%s, %s):"
          % (version, kb(len(image))))
    last = 0.0
    for key, what in (
            ("dl", "release published -> the gun has it and downloads "
             "(worker poll, retained offer, signature)"),
            ("staged", "-> downloaded over HTTPS, SHA-256 checked, "
             "staged, reset"),
            ("copied", "-> boot.py copied it into the partition, reset"),
            ("ok", "-> B booted, reached the broker, passed its checks, "
             "confirmed")):
        print("    %6.2f s  (+%.2f)  %s" % (marks[key], marks[key] - last,
                                           what))
        last = marks[key]
    print("    total %.1f s" % marks["ok"])


def main():
    t = time.monotonic()
    tree = build_firmware()
    rom = code_heap(tree)
    steps(tree, rom)
    with tempfile.TemporaryDirectory() as tmp:
        end_to_end(Path(tmp))
    print("(%.1f s)" % (time.monotonic() - t))


if __name__ == "__main__":
    main()
