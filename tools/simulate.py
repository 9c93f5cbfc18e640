"""Run the real gun firmware under the MicroPython unix port, with its
hardware simulated (boards/host.py): a decoder UART and a panel, each a TCP
connection to this harness.  On the UART the harness shows the gun's
decoder module (boards/host_gm65.py) labels, one a line; the module scans
them as the gun set it up at boot.

    gun = SimulatedGun(workdir, "G01", "secret", "127.0.0.1", 1883)
    gun.scan("PGO:1042:Q")               # as the decoder would send it
    gun.wait_for(lambda s: s["screen"] == "order")
    gun.press("OK"); gun.wifi(False); gun.battery(3400)
    gun.power_cut(); gun.power_on()
    gun.stop()

A camera gun (camera={"trigger": "hold"}: config.json "camera") reads
codes from the frames the harness shows its camera
(boards/host_camera.py), with the firmware's own QR decoder:

    gun.aim(frame, ...)                  # show, hold OK until a code
    gun.show(frame, ...); gun.hold(); gun.release()
    gun.scan("PGO:1042:Q")               # its label, photographed

`pickgun simulate` (simulate_command) drives one from the terminal.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import click

REPO = Path(__file__).resolve().parent.parent
FIRMWARE = REPO / "firmware"


def default_micropython():
    local = Path(sys.executable).with_name("micropython")
    if local.exists():
        return str(local)
    local = REPO / ".venv" / "bin" / "micropython"
    return str(local) if local.exists() else "micropython"


class GunTimeout(AssertionError):
    pass


# How the firmware's process ends when the gun restarts: reset() exits
# with RESET_EXIT (firmware/boards/host_wdt.py, boot.py and gun/ota.py
# alike), which the harness answers by starting it again, as the device
# restarts; the watchdog kills it with SIGALRM.
RESET = "reset"
WATCHDOG = "watchdog"


class _Reset(Exception):
    """The firmware reset itself (RESET_EXIT) while it started."""


# A gun runs its modules from flash: executed in place from a ROMFS image
# (what `pickgun flash` installs) or frozen into the MicroPython build;
# then their bytecode costs no heap, but their function, class and module
# objects and interned names still do.  The unix port loads a .mpy or a
# .py into the heap whole.  The harness adds the code's heap to
# `heapsize`, so that heapsize stays the device's budget for data: from
# source, room for the loaded code and the compiler's garbage
# (CODE_ALLOWANCE_K); from the mpy-cross build copied as files
# (precompiled=True, `pickgun flash --mpy`) the loaded code, about 85 KiB
# (MPY_CODE_ALLOWANCE_K); from the ROMFS image (romfs=True) what importing
# from it still takes, about 48 KiB (ROMFS_CODE_ALLOWANCE_K), plus the
# image itself, which the unix port can only hold in the heap
# (boards/host_boot.py).  bench/gun_memory.py measures each;
# tests/firmware/test_simulated_gun.py, test_mpy_build.py and
# test_romfs.py check the figures.
CODE_ALLOWANCE_K = 116
MPY_CODE_ALLOWANCE_K = 120
ROMFS_CODE_ALLOWANCE_K = 72
# A camera gun's board has PSRAM (boards/esp32_s3_cam.py): the camera's
# frame buffer is there, outside the heap, and MicroPython's heap grows
# into PSRAM too.  The harness keeps `heapsize` for the gun's data as on
# any gun, and adds the stand-in's frame buffer (twice: it is made by
# copying) and what the camera's code and the QR decoder's buffers take
# (CAMERA_ALLOWANCE_K; tests/firmware/test_camera_gun.py checks it).
CAMERA_ALLOWANCE_K = 96
# The firmware's exit status on the unix port for a reset (an update
# installed or rolled back: firmware/boot.py, gun/ota.py): the harness
# starts it again, as the device restarts.
RESET_EXIT = 75


def _send(conn, data):
    """Send to the firmware's UART or panel socket, which a stopped gun has
    not."""
    if conn is None:
        raise RuntimeError("the simulated gun is not running: start() it")
    conn.sendall(data)


def _kib(size):
    size = str(size).lower()
    return int(size[:-1]) if size.endswith("k") else int(size) // 1024


def image_heap_k(image_bytes):
    """KiB of heap the unix port needs to hold a ROMFS image
    (boards/host_boot.py): the buffer and its object in 32-byte blocks,
    and the allocation table that much more heap brings, rounded up."""
    return (image_bytes + 64 + 1023) // 1024 + 1


def camera_heap_k(camera):
    """KiB the harness adds to a camera gun's heap (CAMERA_ALLOWANCE_K):
    its frame buffer, twice, and the camera's code and decoder."""
    from tools.camframes import SIZES
    w, h = SIZES[(camera or {}).get("size", "QVGA")]
    return 2 * (w * h + 1023) // 1024 + CAMERA_ALLOWANCE_K


def romfs_heap_k(heapsize, image_bytes):
    """The -X heapsize (KiB) of a gun with `heapsize` for data running from
    a ROMFS image of image_bytes: the data, what the code still takes,
    and the image, which on a gun is in flash."""
    return _kib(heapsize) + ROMFS_CODE_ALLOWANCE_K + image_heap_k(image_bytes)


def install_romfs(workdir, firmware=None):
    """Put the firmware on a simulated gun's folder as `pickgun flash`
    puts it on a gun: the ROMFS image of its mpy-cross build (with the
    host-only modules) as the folder's romfs partition, romfs.bin, and
    main.py and boot.py as files.  Returns the image's size in bytes."""
    from tools.mpy_build import SCRIPTS, build_firmware
    from tools.romfs import build_image
    workdir = Path(workdir)
    firmware = Path(firmware or FIRMWARE).resolve()
    # The project's own firmware shares one cached build; another tree (a
    # test's copy) gets its own, next to the gun.
    own = firmware == FIRMWARE.resolve()
    tree = build_firmware(None if own else workdir / "firmware-mpy", REPO,
                          firmware)
    image = build_image(tree, None if own else workdir / "host.romfs",
                        host=True)
    for name in SCRIPTS:
        shutil.copyfile(tree / name, workdir / name)
    shutil.copyfile(image, workdir / "romfs.bin")
    return image.stat().st_size


def installed_image_size(workdir):
    """The length of the ROMFS image in a simulated gun's romfs.bin (the
    partition may hold more: an update's copy), 0 if it holds none."""
    from tools.romfs import image_size
    try:
        with open(Path(workdir) / "romfs.bin", "rb") as f:
            return image_size(f.read(16))
    except OSError:
        return 0


class SimulatedGun:
    """One simulated gun.  Attributes: workdir, beeps (patterns, in order),
    frames (PNG frames written), panel (the panel's contrast as it
    changes: 255 full, 16 dimmed, 0 off), screen_png (path), proc (the
    firmware process), log_path (its stdout/stderr), resets (how often
    the firmware reset itself: the harness then starts it again)."""

    def __init__(self, workdir, device_id, password, broker_host, broker_port,
                 micropython=None, heapsize="110k", firmware=None,
                 extra_config=None, boot_timeout=15,
                 code_allowance_k=None, precompiled=False, romfs=False,
                 decoder=True, camera=None):
        """precompiled: run the mpy-cross build of `firmware` (as `pickgun
        flash --mpy` installs it) instead of its sources; romfs: its ROMFS
        image, as `pickgun flash` installs it (install_romfs).  decoder:
        False for a gun with no GM65 module on its UART (nothing answers
        its commands; the labels reach it as sent).  camera: a camera
        gun, config.json "camera" ({} for the defaults: trigger "hold",
        QVGA frames), which reads codes from what show() and aim() put
        before its camera."""
        self.workdir = Path(workdir).resolve()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.micropython = micropython or default_micropython()
        self.heapsize = heapsize
        if code_allowance_k is None:
            code_allowance_k = (ROMFS_CODE_ALLOWANCE_K if romfs else
                                MPY_CODE_ALLOWANCE_K if precompiled
                                else CODE_ALLOWANCE_K)
        self.code_allowance_k = code_allowance_k
        self.firmware = Path(firmware or FIRMWARE).resolve()
        self.precompiled = precompiled
        self.romfs = romfs
        self.camera = None if camera is None else dict(camera)
        if self.camera is not None:
            self.code_allowance_k += camera_heap_k(self.camera)
        self._scenes = 0
        # Heap holding the ROMFS image (romfs=True): on a gun, flash.
        self.image_k = 0
        if romfs:
            self.image_k = image_heap_k(install_romfs(self.workdir,
                                                      self.firmware))
        elif precompiled:
            from tools.mpy_build import build_firmware
            # The project's own firmware shares one cached build; another
            # tree (a test's copy) gets its own, next to the gun.
            out = None if self.firmware == FIRMWARE.resolve() \
                else self.workdir / "firmware-mpy"
            self.firmware = build_firmware(out, REPO, self.firmware)
        self.boot_timeout = boot_timeout
        self.screen_png = self.workdir / "screen.png"
        self.log_path = self.workdir / "gun.log"
        self.beeps = []
        self.frames = 0
        self.panel = []
        self.rows = []
        self._state = {}
        self._cond = threading.Condition()
        self.proc = None
        self.resets = 0
        self._off = False           # stopped or cut: no restart
        self._restarting = False
        self._uart = self._panel = None
        self._reader = None
        self._lsn = {}
        for kind in ("uart", "panel"):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", 0))
            s.listen(2)
            self._lsn[kind] = s
        host = {k: s.getsockname()[1] for k, s in self._lsn.items()}
        cfg = {"id": device_id, "password": password, "broker": broker_host,
               "port": broker_port, "ssid": "simulated",
               "wifi_password": "", "board": "host", "host": host}
        if not decoder:
            host["gm65"] = False
        extra = dict(extra_config or {})
        host.update(extra.pop("host", {}))  # e.g. "display": False
        if self.camera is not None:
            cfg["camera"] = self.camera
        cfg.update(extra)
        (self.workdir / "config.json").write_text(json.dumps(cfg, indent=1))
        self.power_on()

    # ------------------------------------------------------------ power
    def power_on(self):
        """Start the firmware (again) on the same flash.bin."""
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError("gun is already on")
        while True:
            self._off = False
            try:
                return self._boot()
            except _Reset:          # before it reached the harness (boot.py
                self.resets += 1    # installing an update): again

    def _boot(self):
        if self.romfs:
            # The image now in the partition (an update may have changed
            # it): the heap the unix port needs to hold it.
            self.image_k = image_heap_k(installed_image_size(self.workdir))
        env = dict(os.environ)
        env.update({"PICKGUN_BOARD": "host",
                    "PICKGUN_HOST_DIR": str(self.workdir),
                    # a built tree holds shared/ itself: nothing from REPO
                    "MICROPYPATH": ("%s:.frozen" % self.firmware)
                    if self.precompiled else ".frozen" if self.romfs else
                    "%s:%s:.frozen" % (self.firmware, REPO)})
        args = [self.micropython]
        if self.heapsize:
            args += ["-X", "heapsize=%dk" % (_kib(self.heapsize)
                                              + self.code_allowance_k
                                              + self.image_k)]
        # From ROMFS, the gun's start-up: the image mounted at /rom, then
        # boot.py and main.py from the folder, its filesystem.
        args.append(str(self.firmware / "boards" / "host_boot.py")
                    if self.romfs else str(self.firmware / "main.py"))
        with self._cond:
            self._state = {}
            self.rows = []
        log = open(self.log_path, "ab")
        try:
            # Its own process group: Ctrl-C is for the harness, which
            # stops the gun itself (stop()), not for the firmware.
            proc = subprocess.Popen(args, env=env, cwd=self.workdir,
                                    stdout=log, stderr=subprocess.STDOUT,
                                    process_group=0)
            self.proc = proc
        finally:
            log.close()
        try:
            if self.camera is None:     # a camera gun has no decoder UART
                self._uart = self._accept(proc, "uart")
            self._panel = self._accept(proc, "panel")
            self._reader = threading.Thread(target=self._read_panel,
                                            args=(self._panel,), daemon=True)
            self._reader.start()
            threading.Thread(target=self._watch, args=(proc,),
                             daemon=True).start()
            # Up once its decoder is set up (or known not to answer):
            # before that, a label shown would find it in its factory
            # settings, which scan nothing.
            self.wait_for(lambda s: "screen" in s and
                          s.get("decoder", "") is not None,
                          self.boot_timeout)
        except _Reset:
            self._close_conns()
            raise
        except BaseException:
            self.power_cut()            # never leave a half-booted gun behind
            raise

    def _watch(self, proc):
        """A firmware that resets itself (RESET_EXIT) is started again."""
        proc.wait()
        with self._cond:
            if proc.returncode != RESET_EXIT or self._off or \
                    self.proc is not proc:
                return
            self._restarting = True
            self.resets += 1
        try:
            self._close_conns()
            self.power_on()
        except Exception as e:      # seen by whoever waits for it
            with open(self.log_path, "a") as log:
                log.write("harness: restart failed: %r\n" % e)
        finally:
            with self._cond:
                self._restarting = False
                self._cond.notify_all()

    def _accept(self, proc, kind):
        lsn = self._lsn[kind]
        lsn.settimeout(0.2)
        deadline = time.monotonic() + self.boot_timeout
        while True:
            try:
                conn, _ = lsn.accept()
                conn.settimeout(None)
                return conn
            except socket.timeout:
                if proc.poll() == RESET_EXIT:
                    raise _Reset() from None
                if proc.poll() is not None:
                    raise RuntimeError("firmware exited %s:\n%s" % (
                        proc.returncode, self.log_tail())) from None
                if time.monotonic() > deadline:
                    raise GunTimeout("firmware never connected its %s\n%s"
                                     % (kind, self.log_tail())) from None

    def power_cut(self):
        """Pull the battery: SIGKILL, no chance to flush anything."""
        self._off = True
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self._close_conns()

    def stop(self):
        self._off = True
        if self.proc is not None and self.proc.poll() is None:
            self._close_conns()     # the firmware exits when its panel goes
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._close_conns()
        for s in self._lsn.values():
            s.close()
        self._lsn = {}

    def _close_conns(self):
        for c in (self._uart, self._panel):
            if c is not None:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                c.close()
        self._uart = self._panel = None
        if self._reader is not None:
            self._reader.join(2)
            self._reader = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    @property
    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    # ----------------------------------------------------------- inputs
    def scan(self, text, wait=True, timeout=10):
        """Show the decoder a label with this text (a line: text + CR LF;
        without a decoder module, the gun gets those bytes as they are).
        wait: until the app has handled it; returns the state.  (An
        identical code within 0.8 s is dropped by the firmware, as
        decoders repeat: don't wait for those.)  A camera gun is shown
        the code's label (as server.documents prints it; a text the
        labels cannot carry, as the web pages show it), photographed,
        and aims at it (aim())."""
        if self.camera is not None:
            from tools.camframes import label_qr, page_qr, photograph
            try:
                qr = label_qr(text)
            except Exception:       # not alphanumeric: a foreign code
                qr = page_qr(text)
            frame = photograph(qr, self.camera.get("size", "QVGA"))
            if wait:
                return self.aim(frame, timeout=timeout)
            self.show(frame)
            return None
        n = self._state.get("scans", 0)
        _send(self._uart, text.encode() + b"\r\n")
        if wait:
            return self.wait_for(lambda s: s.get("scans", 0) > n, timeout)

    # ---------------------------------------------------- camera gun
    def show(self, *frames):
        """Put frames before a camera gun's camera: "L" images (made the
        camera's frame size: tools/camframes.py to_frame), a sequence
        taken one a frame time (80 ms), the last held; none: an empty
        scene.  Written as PGM files in the gun's folder (scene/N/), then
        FRAMES tells the camera."""
        from tools.camframes import SIZES, to_frame, write_pgm
        size = (self.camera or {}).get("size", "QVGA")
        scene = self.workdir / "scene"
        if self._scenes:        # the last scene goes
            shutil.rmtree(scene / str(self._scenes), ignore_errors=True)
        self._scenes += 1
        folder = scene / str(self._scenes)
        folder.mkdir(parents=True)
        for n, frame in enumerate(frames):
            if frame.size != SIZES[size] or frame.mode != "L":
                frame = to_frame(frame, size)
            write_pgm(folder / ("%03d.pgm" % n), frame)
        _send(self._panel, b"FRAMES %s\n" % str(folder).encode()
              if frames else b"FRAMES\n")

    def hold(self):
        """Press OK and keep it pressed (a camera gun's trigger)."""
        _send(self._panel, b"KEY OK DOWN\n")

    def release(self):
        _send(self._panel, b"KEY OK UP\n")

    def aim(self, *frames, timeout=10):
        """Show a camera gun frames and hold OK until it has read a code
        (or timeout: GunTimeout), then let go; returns the state."""
        n = self._state.get("scans", 0)
        self.show(*frames)
        self.hold()
        try:
            return self.wait_for(lambda s: s.get("scans", 0) > n, timeout)
        finally:
            self.release()

    def press(self, key, wait=True, timeout=10, long=False):
        """Press OK or BACK; long: BACK held 1.5 s, as a board tells it
        (its press, then BACK_LONG: a sign-out)."""
        key = key.upper()
        if key not in ("OK", "BACK") or long and key != "BACK":
            raise ValueError("key must be OK or BACK (long: BACK)")
        n = self._state.get("keys", 0) + long
        _send(self._panel, ("KEY %s\n" % key).encode() +
              (b"KEY BACK LONG\n" if long else b""))
        if wait:
            return self.wait_for(lambda s: s.get("keys", 0) > n, timeout)

    def wifi(self, on):
        _send(self._panel, b"WIFI ON\n" if on else b"WIFI OFF\n")

    def battery(self, mv):
        """Set the stand-in battery's voltage (mV; 0: no battery)."""
        _send(self._panel, b"BAT %d\n" % int(mv))

    def internal_block(self, size):
        """Set the largest free block of internal RAM the board reports
        (bytes, as an ESP32's esp32.idf_heap_info; 0: none, the host's
        own)."""
        _send(self._panel, b"BLK %d\n" % int(size))

    def hang(self):
        """Make the firmware block its event loop for good (as a driver
        stuck in a blocking call would): its watchdog should reset it."""
        _send(self._panel, b"HANG\n")

    def wait_exit(self, timeout=10):
        """Wait for the firmware's process to end; returns RESET (it reset
        itself), WATCHDOG (its watchdog reset it) or the exit status."""
        if self.proc is None:
            raise RuntimeError("the simulated gun was never started")
        code = self.proc.wait(timeout)
        self._close_conns()
        return {RESET_EXIT: RESET, -signal.SIGALRM: WATCHDOG}.get(code, code)

    # ---------------------------------------------------------- outputs
    def _read_panel(self, conn):
        buf = b""
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                with self._cond:
                    self._cond.notify_all()
                return
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                self._line(line.decode("utf-8", "replace"))

    def _line(self, line):
        kind, _, rest = line.partition(" ")
        with self._cond:
            if kind == "SCREEN":
                self.rows = json.loads(rest)
            elif kind == "STATE":
                self._state = json.loads(rest)
            elif kind == "BEEP":
                self.beeps.append(rest)
            elif kind == "FRAME":
                self.frames = int(rest)
            elif kind == "PANEL":
                self.panel.append(int(rest))
            self._cond.notify_all()

    def state(self):
        with self._cond:
            return dict(self._state)

    def screen_text(self):
        with self._cond:
            return "\n".join(self.rows)

    def wait_for(self, predicate, timeout=10):
        """Wait until predicate(state) is true; returns the state."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if self._state and predicate(dict(self._state)):
                    return dict(self._state)
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                if self.proc is not None and self.proc.poll() is not None \
                        and not self._restarting and (
                            self.proc.returncode != RESET_EXIT or self._off):
                    break
                self._cond.wait(min(left, 0.5))
        raise GunTimeout("gun state %r\nscreen:\n%s\nlog:\n%s" % (
            self._state, "\n".join(self.rows), self.log_tail()))

    def log_tail(self, n=30):
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])


# ----------------------------------------------------------------- CLI
def draw(gun):
    """The panel as text: a 16 x 8 box, then the sync line and beeps."""
    rows = gun.rows or [""] * 8
    out = ["+" + "-" * 16 + "+"]
    out += ["|" + r[:16].ljust(16) + "|" for r in rows]
    out.append("+" + "-" * 16 + "+")
    st = gun.state()
    out.append("screen=%s order=%s waiting=%s link=%s" % (
        st.get("screen"), st.get("order"), st.get("pending"), st.get("link")))
    return "\n".join(out)


LINK_WAIT = 15      # seconds to wait for the broker before taking input
HELP = ("Type or pipe scanned codes, one per line.  Commands: :ok  :back  "
        ":wifi off  :wifi on  :bat MV (battery)  :cut (power cut)  "
        ":on (power on)  :quit")
CAMERA_HELP = ("A camera gun: type an image file or a folder of them (a "
               "sequence, one a frame) to aim at it, or a code to aim at "
               "its label; :hold and :release press and let go of OK "
               "(screen.png shows the viewfinder), :empty shows nothing.")
AIM_WAIT = 5        # seconds a camera gun aims at what it is shown


def camera_line(gun, cmd):
    """A camera gun's line: an image file or folder (aimed at: held OK
    until a code is read, or shown to a continuous gun), :hold,
    :release, :empty; None if it is none of those."""
    from tools.camframes import frames_from
    low = cmd.strip().lower()
    if low == ":hold":
        gun.hold()
    elif low == ":release":
        gun.release()
    elif low == ":empty":
        gun.show()
    elif Path(cmd.strip()).expanduser().exists():
        try:
            frames = frames_from(Path(cmd.strip()).expanduser(),
                                 gun.camera.get("size", "QVGA"))
        except (OSError, ValueError) as e:
            click.echo("Not a picture: %s" % e)
            return True
        if gun.camera.get("trigger") == "continuous":
            n = gun.state().get("scans", 0)
            gun.show(*frames)
            gun.wait_for(lambda s: s.get("scans", 0) > n, AIM_WAIT)
        else:
            gun.aim(*frames, timeout=AIM_WAIT)
    else:
        return None
    return True


def apply_console_line(gun, cmd):
    """Carry out one typed line: a scanned code or a :command (on a
    camera gun, an image too: camera_line).  Returns False for an
    unknown command."""
    low = cmd.strip().lower()
    try:
        if gun.camera is not None and camera_line(gun, cmd):
            pass
        elif low == ":ok":
            gun.press("OK")
        elif low == ":back":
            gun.press("BACK")
        elif low in (":wifi off", ":wifi on"):
            gun.wifi(low.endswith("on"))
            time.sleep(0.3)
        elif low.startswith(":bat ") and low[5:].strip().isdigit():
            gun.battery(int(low[5:]))
        elif low == ":cut":
            gun.power_cut()
        elif low == ":on":
            gun.power_on()
        elif low.startswith(":"):
            return False
        else:
            gun.scan(cmd.strip(), timeout=2)
    except GunTimeout:
        pass                    # e.g. a repeat the decoder debounced
    return True


@click.command("simulate")
@click.option("--config", "config_path", type=click.Path(dir_okay=False,
                                                       exists=True),
              help="A gun's config.json from `pickgun provision` (id, "
                   "password, broker, TLS): the usual way to start one.")
@click.option("--device", help="Gun id, e.g. G01 (without --config).")
@click.option("--password", help="The gun's MQTT password (without "
                                 "--config).")
@click.option("--broker", help="Broker address [127.0.0.1].")
@click.option("--port", type=int, help="Broker port [1883].")
@click.option("--workdir", type=click.Path(file_okay=False),
              help="Where flash.bin and screen.png live "
                   "(default var/sim/<device>).")
@click.option("--heapsize", default="110k", show_default=True)
@click.option("--precompiled", is_flag=True,
              help="Run the mpy-cross build, as `pickgun flash --mpy` "
              "copies it to a gun.")
@click.option("--romfs", is_flag=True,
              help="Run the ROMFS image, as `pickgun flash` installs it.")
@click.option("--camera", "trigger", flag_value="hold", default=None,
              help="A camera gun (its QR codes read from pictures by the "
                   "firmware's own decoder): give it image files or "
                   "folders to aim at; OK is its trigger, held.")
@click.option("--camera-continuous", "trigger", flag_value="continuous",
              help="A camera gun that reads all the time.")
def simulate_command(config_path, device, password, broker, port, workdir,
                     heapsize, precompiled, romfs, trigger):
    """Run a simulated scanner gun in this terminal."""
    extra = {}
    if config_path:
        try:
            cfg = json.loads(Path(config_path).read_text())
        except ValueError as e:
            raise click.BadParameter("not JSON: %s" % e,
                                     param_hint="--config") from e
        if not isinstance(cfg, dict):
            raise click.BadParameter("not a JSON object",
                                     param_hint="--config")
        device = device or cfg.get("id")
        password = password or cfg.get("password")
        broker = broker or cfg.get("broker")
        port = port or cfg.get("port")
        extra = {k: cfg[k] for k in ("tls", "ca", "ntp", "ntp_port")
                 if k in cfg}
    if not device or not password:
        raise click.UsageError("give --config FILE, or --device and "
                               "--password")
    broker = broker or "127.0.0.1"
    port = port or 1883
    workdir = Path(workdir or Path("var") / "sim" / device)
    interactive = sys.stdin.isatty()
    gun = SimulatedGun(workdir, device, password, broker, port,
                       heapsize=heapsize, precompiled=precompiled,
                       romfs=romfs, extra_config=extra,
                       camera={"trigger": trigger} if trigger else None)
    beeps = 0
    try:
        click.echo(HELP)
        if trigger:
            click.echo(CAMERA_HELP)
        try:
            # Codes piped in at once should meet a gun that has its orders.
            gun.wait_for(lambda s: s.get("link") == "online", LINK_WAIT)
            time.sleep(0.5)
        except GunTimeout:
            click.echo("Broker not reached yet: the gun works offline and "
                       "syncs when it can.")
        click.echo(draw(gun))
        while True:
            if interactive:
                click.echo("scan> ", nl=False)
            line = sys.stdin.readline()
            if not line:
                break
            cmd = line.strip()
            if not cmd:
                continue
            if cmd.lower() in (":q", ":quit", ":exit"):
                break
            if not apply_console_line(gun, cmd):
                click.echo(HELP)
                continue
            time.sleep(0.05)
            if len(gun.beeps) > beeps:
                click.echo("beep: " + " ".join(gun.beeps[beeps:]))
                beeps = len(gun.beeps)
            click.echo(draw(gun))
    finally:
        gun.stop()


if __name__ == "__main__":
    simulate_command()
