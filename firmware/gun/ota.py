# Over-the-air updates, the running firmware's half: boot.py is the other
# (docs/firmware.md, Over-the-air updates).
#
# The server retains the roll-out on wire.FW_TOPIC: a release's version,
# size, SHA-256 and RSA signature, and whether it is paused
# (docs/protocol.md, Firmware).  A gun running from a ROMFS image (only
# then does main.py build an Ota) that runs another version:
#   1. checks the signature against its config's ota_key, so a forged
#      offer costs no download;
#   2. downloads the image over HTTP(S) from cfg fw_url into fw/dl on the
#      data flash, in the background, hashing as it writes; a download
#      cut short goes on from where the file ends (an HTTP Range request);
#   3. checks its size and SHA-256 against the signed ones;
#   4. waits until the journal is empty and nobody has scanned or pressed
#      a key for ota_idle_s (60 s);
#   5. moves it into the free slot (fw/a or fw/b: the other one keeps the
#      version it runs) and asks boot.py, through fw/st, to copy it into
#      the romfs partition and to boot it on trial; then resets.
# On trial, the new version confirms itself (fw/st trial 0) once it has
# reached the broker, drawn its screen and opened the decoder; if it has
# not within ota_trial_s (600 s), or its start-up stops on an error
# screen (stopped()), it asks boot.py for the previous image back and
# resets.  boot.py rolls back by itself a version that keeps restarting.
# A release refused (signature, size, SHA-256) or rolled back is not
# tried again: fw/st "no" holds it until another is offered.
#
# fw/st is replaced whole (fw/st.tmp, then a rename: atomic on littlefs),
# so a power cut leaves the old state or the new one; boot.py's header
# says what each field means.
#
# What the gun reports (the status's "ota", `state`): [version, what,
# detail], what being "dl" (detail: percent), "wait" (the image is
# ready: unsent events), "trial", "ok", "back" or "bad" (detail: why).
import asyncio
import gc
import hashlib
import json
import os
import sys
from binascii import a2b_base64, b2a_base64
from time import ticks_ms, ticks_diff
from micropython import const

from gun import VERSION
from shared import wire

_E = const(65537)           # the release key's public exponent
_CHUNK = const(2048)        # download buffer: the headers fit
_SYNC = const(8192)         # bytes between two flushes of fw/dl
_RETRY_MS = const(30000)
_RESET = const(75)          # the unix port's exit status for a reset:
                            # tools/simulate.py starts the gun again
# RFC 8017, 9.2, note 1: the DER prefix of a SHA-256 DigestInfo.
_SHA256 = b"\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01" \
    b"\x05\x00\x04\x20"


def reset():
    try:
        from machine import reset
    except ImportError:     # the unix port
        sys.exit(_RESET)
    reset()


def text(fw, size, sha):
    """What a release's signature covers (docs/protocol.md)."""
    return ("PGFW1 %s %d %s" % (fw, size, sha)).encode()


def verify(key, data, sig):
    """Whether sig (base64) is the RSASSA-PKCS1-v1_5 SHA-256 signature of
    data by key (the modulus, base64; e = 65537)."""
    n = a2b_base64(key)
    k = len(n)
    m = pow(int.from_bytes(a2b_base64(sig), "big"), _E,
            int.from_bytes(n, "big"))
    return k > 62 and m < (1 << 8 * k) and m.to_bytes(k, "big") == \
        b"\x00\x01" + b"\xff" * (k - 54) + b"\x00" + _SHA256 + \
        hashlib.sha256(data).digest()


def check(o):
    """A roll-out offer's fields, as docs/protocol.md gives them; returns
    it, or raises ValueError."""
    fw = o.get("fw")
    sha = o.get("sha")
    ok = isinstance(fw, str) and 0 < len(fw) <= 40 and \
        type(o.get("size")) is int and 0 < o["size"] < 0x1000000 and \
        isinstance(sha, str) and len(sha) == 64 and \
        isinstance(o.get("sig"), str) and \
        type(o.get("pause", False)) is bool
    if ok:
        for b in fw.encode():           # names a file and a URL
            if not (48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122
                    or b in b".+-_"):
                ok = False
        for b in sha.encode():          # lower-case hex
            if not (48 <= b <= 57 or 97 <= b <= 102):
                ok = False
    if not ok:
        raise ValueError("bad offer")
    return o


def load(d):
    try:
        with open(d + "st") as f:
            st = json.load(f)
        if isinstance(st, dict):
            return st
    except (OSError, ValueError):
        pass
    return {}


def save(d, st):
    with open(d + "st.tmp", "w") as f:
        json.dump(st, f)
    os.rename(d + "st.tmp", d + "st")


def _rm(path):
    try:
        os.remove(path)
    except OSError:
        pass


def back(d, st, why):
    """Ask boot.py for the previous image and reset; with none to go
    back to, keep this one (no longer on trial)."""
    cur = st.get("rom")
    old = "a" if cur == "b" else "b"
    img = st.get("img") or {}
    meta = img.get(cur) or [VERSION, 0, ""]
    print("pickgun: ota: version", meta[0], "failed its trial:", why)
    st["trial"] = 0
    st["no"] = [meta[0], meta[2], "back", why]
    if img.get(old):
        st["rom"] = old
        st["copy"] = 1
        save(d, st)
        reset()
    st["no"][2] = "kept"
    save(d, st)


def stage(d, st):
    """Make the complete, checked download in fw/dl (st "dl") the image
    boot.py installs on trial at the next boot."""
    cur = st.get("rom")
    new = "a" if cur == "b" else "b"
    img = st.get("img") or {}
    # The slot is freed before its file is replaced, so the state never
    # names a file that is not what it says.
    img[new] = None
    st["img"] = img
    save(d, st)
    os.rename(d + "dl", d + new)
    img[new] = st.pop("dl")
    if cur is None:
        # The image `pickgun flash` installed: boot.py saves it into the
        # other slot before it overwrites the partition.
        img["a"] = [VERSION, 0, ""]
        st["save"] = "a"
    st.pop("no", None)
    st["rom"] = new
    st["copy"] = st["trial"] = 1
    st["boots"] = 0
    save(d, st)


def confirm(d, st):
    """The version on trial passed its checks: it stays."""
    st["trial"] = st["boots"] = 0
    save(d, st)


def stopped(board, why):
    """A version on trial whose start-up stops on an error screen goes
    back to the one before at once (main.py)."""
    board.mount()
    d = board.DATA_DIR + "/fw/"
    st = load(d)
    if st.get("trial"):
        back(d, st, why)


class Ota:
    """The update task of a gun running from a ROMFS image.  `state`: what
    the status reports (None: nothing yet); `dirty`: not yet reported."""

    def __init__(self, board, cfg, journal, app, sync):
        self.board = board
        self.cfg = cfg
        self.journal = journal
        self.app = app
        self.sync = sync
        self.d = d = board.DATA_DIR + "/fw/"
        try:
            os.mkdir(d[:-1])
        except OSError:
            pass                # there already
        self.st = st = load(d)
        self.o = None           # the offer, checked
        self.state = None
        self.dirty = False
        self._wake = asyncio.Event()
        self._t0 = self._idle = ticks_ms()
        self._act = -1
        no = st.get("no")
        if st.get("trial"):
            self._say(VERSION, "trial", 0)
        elif no:
            self._say(no[0], no[2], no[3])

    def _say(self, fw, what, detail):
        if self.state != [fw, what, detail]:
            self.state = [fw, what, detail]
            self.dirty = True
            self.sync.kick()

    def offer(self, payload):
        """The retained roll-out (wire.FW_TOPIC): empty when there is
        none.  Raises ValueError for a malformed one (the session logs and
        drops it)."""
        if not len(payload):
            self.o = None
        else:
            self.o = check(wire.decode(payload))
        self._wake.set()

    # ---------------------------------------------------------- the task
    async def task(self):
        if self.st.get("trial"):
            try:
                await self._trial()
            except Exception as e:
                # (the flash): boot.py's count of boots decides then
                print("pickgun: ota trial failed:", repr(e))
        while True:
            try:
                await self._step()
            except MemoryError:
                gc.collect()
            except Exception as e:      # the link, the server, the flash
                print("pickgun: ota failed:", repr(e))
            self._wake.clear()
            try:
                await asyncio.wait_for_ms(self._wake.wait(), _RETRY_MS)
            except asyncio.TimeoutError:
                pass

    async def _trial(self):
        """Confirm this version once its checks pass, or go back."""
        self._say(VERSION, "trial", 0)
        limit = self.cfg.get("ota_trial_s", 600) * 1000
        online = False
        while True:
            app = self.app
            online = online or self.sync.link == "online"
            why = "no broker" if not online else \
                "no display" if app.rows is None else \
                "no decoder" if app.scanner is None else None
            if why is None:
                confirm(self.d, self.st)
                print("pickgun: ota: version", VERSION, "confirmed")
                self._say(VERSION, "ok", 0)
                return
            if ticks_diff(ticks_ms(), self._t0) > limit:
                back(self.d, self.st, why)
                return          # nothing to go back to: kept
            await asyncio.sleep_ms(500)

    def _refuse(self, o, why, keep=True):
        """Refuse the offer; keep: for good (its content is wrong)."""
        print("pickgun: ota: release", o["fw"], "refused:", why)
        if keep:
            self.st["no"] = [o["fw"], o["sha"], "bad", why]
            self.st.pop("dl", None)
            save(self.d, self.st)
            _rm(self.d + "dl")
        self._say(o["fw"], "bad", why)

    async def _step(self):
        o = self.o
        if o is None:
            return
        fw = o["fw"]
        if fw == VERSION:
            self._say(fw, "ok", 0)
            return
        no = self.st.get("no")
        if no and no[1] == o["sha"]:
            self._say(no[0], no[2], no[3])
            return
        if o.get("pause"):
            return
        cfg = self.cfg
        for key in ("ota_key", "fw_url"):
            if not isinstance(cfg.get(key), str):
                return self._refuse(o, "no " + key, False)
        try:
            good = verify(cfg["ota_key"], text(fw, o["size"], o["sha"]),
                          o["sig"])
        except (ValueError, OverflowError):
            good = False
        if not good:
            return self._refuse(o, "bad signature")
        s = os.statvfs(self.d)
        if s[0] * s[3] < o["size"] + 16 * s[0]:
            return self._refuse(o, "flash full", False)
        if await self._fetch(o):
            await self._install(o)

    # ---------------------------------------------------------- download
    async def _fetch(self, o):
        """Download into fw/dl, from where it ends; True once it holds the
        whole image and its SHA-256 is right."""
        d = self.d
        size = o["size"]
        meta = [o["fw"], size, o["sha"]]
        st = self.st
        if st.get("dl") != meta:        # another release's, or none
            _rm(d + "dl")
            st["dl"] = meta
            save(d, st)
        h = hashlib.sha256()
        buf = bytearray(_CHUNK)
        mv = memoryview(buf)
        got = 0
        try:
            with open(d + "dl", "rb") as f:
                while True:
                    n = f.readinto(buf)
                    if not n:
                        break
                    h.update(mv[:n])
                    got += n
        except OSError:
            pass                        # nothing yet
        if got > size:
            _rm(d + "dl")
            got = 0
            h = hashlib.sha256()
        if got < size:
            self._say(o["fw"], "dl", got * 100 // size)
            got, h = await self._get(o, got, mv, h)
            if h is None:
                return False            # refused
        if got < size:
            raise OSError("download cut at %d of %d" % (got, size))
        if h.digest().hex() != o["sha"]:
            self._refuse(o, "wrong sha256")
            return False
        return True

    async def _get(self, o, off, mv, h):
        """GET the image from `off` on, appending to fw/dl and hashing
        into h (the SHA-256 of what fw/dl holds); returns (how much fw/dl
        holds, its SHA-256), with None for a refused download."""
        cfg = self.cfg
        url = cfg["fw_url"]
        tls = url.startswith("https://")
        host = url[8 if tls else 7:]
        i = host.find("/")
        path = (host[i:] if i >= 0 else "").rstrip("/") + \
            "/firmware/" + o["fw"] + ".romfs"
        host = host[:i] if i >= 0 else host
        port = 443 if tls else 80
        if ":" in host:
            host, port = host.split(":")
            port = int(port)
        ctx = None
        if tls:
            ctx = self.sync._tls        # the broker's: the same CA
            if ctx is None:
                from gun import tls as t
                ctx, e = t.context(cfg.get("ca"))
                if e is not None:
                    self._refuse(o, "https: no ca", False)
                    return off, None
        size = o["size"]
        r, w = await asyncio.wait_for_ms(
            self.board.open_connection(host, port, ssl=ctx), 10000)
        try:
            auth = b2a_base64((cfg["id"] + ":" + cfg["password"]).encode())
            w.write(("GET %s HTTP/1.1\r\nHost: %s\r\nRange: bytes=%d-\r\n"
                     "Authorization: Basic %s\r\nConnection: close\r\n\r\n"
                     % (path, host, off, auth.decode().strip())).encode())
            await w.drain()
            # The status line and headers, read into the buffer in bulk
            # (the body's first bytes may follow them there).
            n = 0
            while True:
                k = await r.readinto(mv[n:])
                if not k:
                    raise OSError("download: no answer")
                n += k
                end = bytes(mv[:n]).find(b"\r\n\r\n")
                if end >= 0:
                    break
                if n == len(mv):
                    raise OSError("download: headers too long")
            head = bytes(mv[:end]).split(b"\r\n")
            code = int(head[0].split()[1])
            start = 0
            total = -1
            for line in head[1:]:
                k, _, v = line.partition(b":")
                k = k.strip().lower()
                if k == b"content-length" and code == 200:
                    total = int(v)
                elif k == b"content-range":  # a-b/total, */total
                    v = v.strip()[6:]
                    start = int(v[:v.find(b"-")]) if b"-" in v else -1
                    total = int(v[v.find(b"/") + 1:])
            end += 4
            n -= end
            mv[:n] = bytes(mv[end:end + n])     # what came of the body
            if code == 200:
                off = start = 0         # the server sent it whole
                h = hashlib.sha256()
            elif code != 206 and code != 416:
                raise OSError("download: HTTP %d" % code)
            if total != size:           # (416: its file ends before off)
                self._refuse(o, "size %d, not %d" % (total, size))
                return off, None
            if start != off:
                raise OSError("download: HTTP %d from %d" % (code, start))
            last = off * 100 // size
            with open(self.d + "dl", "ab" if off else "wb") as f:
                mark = off
                while off < size:
                    now = self.o
                    if now is None or now.get("pause") or \
                            now["sha"] != o["sha"]:
                        break           # paused or replaced: stop here
                    if not n:
                        n = await r.readinto(mv[:min(size - off, len(mv))])
                        if not n:
                            break       # cut: resumed next time
                    n = min(n, size - off)
                    f.write(mv[:n])
                    h.update(mv[:n])
                    off += n
                    n = 0
                    if off - mark >= _SYNC:
                        f.flush()       # kept if the power goes now
                        mark = off
                    if off * 100 // size >= last + 10:
                        last = off * 100 // size
                        self._say(o["fw"], "dl", last)
            return off, h
        finally:
            w.close()

    # ----------------------------------------------------------- install
    async def _install(self, o):
        """Once the journal is empty and the gun idle: stage the image for
        boot.py and reset."""
        while True:
            now = self.o
            if now is None or now.get("pause") or now["sha"] != o["sha"]:
                return
            app = self.app
            n = self.journal.pending_count()
            act = app.scans + app.keys
            if act != self._act:
                self._act = act
                self._idle = ticks_ms()
            if not n and ticks_diff(ticks_ms(), self._idle) >= \
                    self.cfg.get("ota_idle_s", 60) * 1000:
                break
            self._say(o["fw"], "wait", n)
            await asyncio.sleep_ms(1000)
        stage(self.d, self.st)
        print("pickgun: ota: installing", o["fw"])
        reset()
