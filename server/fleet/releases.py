"""Firmware releases and their roll-out to the guns, over the air.

A release is a ROMFS image of the gun's modules (tools/romfs.py, what
`pickgun flash` installs by USB), its size and SHA-256, and an RSA
signature over those (`release_text`).  `pickgun release` builds,
signs and publishes one: the image goes into the instance folder's
releases/ (RELEASES), its row into the `releases` table, and the
roll-out (one row, `rollout`) targets it.  The worker retains the
roll-out on wire.FW_TOPIC for every gun (`offer`); guns download the
image from the web server (server.web.firmware), check it, install it
and report how it goes in their status (`ota`: server.fleet.presence),
which the fleet page sums up (`progress`).  Pausing the roll-out stops
guns from starting, or going on with, a download or an install.

The signing key: RSA-2048, made with the `openssl` command (as the
broker's CA is, server.gunlink.tls: Pickgun needs no crypto package)
the first time `pickgun release` or `pickgun provision` needs it, kept in
releases/release.key (0600, its folder 0700), never put in a release nor
in the firmware.  Guns hold only the public modulus, put in their
config.json by `pickgun provision` (`public_key`, config "ota_key"):
a release can change the firmware, never which key the gun trusts (a
USB flash cannot either); only provisioning sets it.  The signature is
RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017, 8.2), e = 65537: a few lines of
big-integer arithmetic on the gun (firmware/gun/ota.py `verify`)."""
import base64
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from server.core import db as dbm

RELEASES = "releases"             # beside the database
KEY = "release.key"
KEY_BITS = 2048
VERSION_MAX = 40
# Release versions name a file and a URL on the gun's side.
VERSION_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyz"
                          "ABCDEFGHIJKLMNOPQRSTUVWXYZ.+-_")
# RFC 8017, 9.2, note 1: the DER prefix of a SHA-256 DigestInfo.
SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")
# What a gun reports of its update (docs/protocol.md, Status `ota`), and
# what the fleet page says of it; "offered": nothing reported yet.
STATES = {
    "offered": "Offered",
    "dl": "Downloading",
    "wait": "Downloaded, waiting",
    "trial": "Installed, on trial",
    "ok": "Confirmed",
    "back": "Rolled back",
    "bad": "Refused",
    "kept": "Kept, trial failed",
}


class ReleaseError(ValueError):
    pass


def folder(db_path):
    """The releases folder of the instance whose database is db_path."""
    return Path(os.path.abspath(db_path)).parent / RELEASES


def _openssl(*args, data=None):
    exe = shutil.which("openssl")
    if exe is None:
        raise ReleaseError("openssl is not installed: run tools/bootstrap.sh")
    proc = subprocess.run([exe, *args], input=data, capture_output=True)
    if proc.returncode:
        raise ReleaseError("openssl %s failed: %s"
                           % (args[0], proc.stderr.decode(errors="replace")))
    return proc.stdout


def ensure_key(where):
    """The release key's path in `where`, made if it is missing."""
    where = Path(where)
    where.mkdir(parents=True, exist_ok=True)
    os.chmod(where, 0o700)
    key = where / KEY
    if not key.exists():
        with tempfile.TemporaryDirectory(dir=where) as tmp:
            made = Path(tmp) / KEY
            _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt",
                     "rsa_keygen_bits:%d" % KEY_BITS, "-out", str(made))
            os.chmod(made, 0o600)
            os.replace(made, key)
    return key


def modulus(where):
    """The release key's modulus (bytes, big-endian), made if need be."""
    out = _openssl("rsa", "-in", str(ensure_key(where)), "-noout",
                   "-modulus").decode().strip()
    return bytes.fromhex(out.split("=", 1)[1])


def public_key(where):
    """What a gun's config.json holds as "ota_key": the modulus, base64."""
    return base64.b64encode(modulus(where)).decode()


def release_text(version, size, sha256):
    """The bytes a release's signature covers (docs/protocol.md)."""
    return ("PGFW1 %s %d %s" % (version, size, sha256)).encode()


def sign(where, data):
    """The signature of data with the release key, base64."""
    sig = _openssl("dgst", "-sha256", "-sign", str(ensure_key(where)),
                   data=data)
    return base64.b64encode(sig).decode()


def verify(key, data, signature):
    """What a gun checks (firmware/gun/ota.py verify): signature (base64)
    is key's (the modulus, bytes) RSASSA-PKCS1-v1_5 SHA-256 signature of
    data."""
    k = len(key)
    n = int.from_bytes(key, "big")
    s = int.from_bytes(base64.b64decode(signature), "big")
    if s >= n:
        return False
    m = pow(s, 65537, n).to_bytes(k, "big")
    return m == (b"\x00\x01" + b"\xff" * (k - 54) + b"\x00" +
                 SHA256_PREFIX + hashlib.sha256(data).digest())


def check_version(version):
    if not isinstance(version, str) or not 0 < len(version) <= VERSION_MAX \
            or not set(version) <= VERSION_CHARS:
        raise ReleaseError(
            "A release's version is 1-%d characters of letters, digits and "
            ". + - _: %r" % (VERSION_MAX, version))
    return version


def image_path(where, version):
    return Path(where) / ("%s.romfs" % check_version(version))


def publish(db, where, image, version, actor="system", paused=False):
    """Sign and store the release `version` of the ROMFS image (bytes) and
    make it the roll-out's target (paused if asked).  Publishing a version
    again with the same image targets it again; with another image it is
    refused: a gun tells releases apart by their version.  Returns the
    release's row."""
    check_version(version)
    image = bytes(image)
    if not image.startswith(b"\xd2\xcd\x31"):
        raise ReleaseError("not a ROMFS image")
    sha = hashlib.sha256(image).hexdigest()
    old = db.execute("SELECT * FROM releases WHERE version = ?",
                     [version]).fetchone()
    if old is not None and old["sha256"] != sha:
        raise ReleaseError(
            "Version %s was released with another image (SHA-256 %s...): "
            "give this one its own version (firmware/gun/__init__.py "
            "VERSION)" % (version, old["sha256"][:12]))
    where = Path(where)
    if old is None:
        signature = sign(where, release_text(version, len(image), sha))
        if not verify(modulus(where), release_text(version, len(image),
                                                   sha), signature):
            raise ReleaseError("the signature does not verify")
        path = image_path(where, version)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(image)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    with dbm.transaction(db):
        if old is None:
            db["releases"].insert({
                "version": version, "size": len(image), "sha256": sha,
                "signature": signature,  # pyright: ignore[reportPossiblyUnbound]
                "created_at": dbm.now(), "created_by": actor})
        _target(db, version, paused, actor)
    return dict(db.execute("SELECT * FROM releases WHERE version = ?",
                           [version]).fetchone())


def _target(db, version, paused, actor):
    now = dbm.now()
    db.execute(
        "INSERT INTO rollout (id, version, paused, rev, started_at, "
        " changed_at, changed_by) VALUES (1, ?, ?, 1, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET version = excluded.version, "
        " paused = excluded.paused, rev = rev + 1, "
        " started_at = excluded.started_at, "
        " changed_at = excluded.changed_at, "
        " changed_by = excluded.changed_by",
        [version, int(bool(paused)), now, now, actor])


def rollout(db):
    """The roll-out with its release's fields, or None before the first
    release."""
    row = db.execute(
        "SELECT r.version, r.paused, r.rev, r.started_at, r.changed_at, "
        " r.changed_by, l.size, l.sha256, l.signature FROM rollout r "
        "JOIN releases l ON l.version = r.version WHERE r.id = 1"
    ).fetchone()
    return dict(row) if row is not None else None


def set_paused(db, paused, actor="system"):
    """Pause or resume the roll-out; returns it.  ReleaseError if there is
    none."""
    with dbm.transaction(db):
        cur = db.execute("UPDATE rollout SET paused = ?, rev = rev + 1, "
                         "changed_at = ?, changed_by = ? WHERE id = 1",
                         [int(bool(paused)), dbm.now(), actor])
        if not cur.rowcount:
            raise ReleaseError("No release has been published yet: "
                               "nothing to pause or resume")
    out = rollout(db)
    assert out is not None       # the row updated just now
    return out


def offer(db):
    """(rev, payload) of the retained roll-out message (docs/protocol.md,
    Firmware), or None before the first release."""
    r = rollout(db)
    if r is None:
        return None
    return r["rev"], json.dumps({
        "v": 1, "fw": r["version"], "size": r["size"], "sha": r["sha256"],
        "sig": r["signature"], "pause": bool(r["paused"])},
        separators=(",", ":")).encode()


def gun_state(device, target):
    """(state, detail) of one gun (a devices row) in the roll-out of
    version `target`: its own report if it is about that version, else
    "ok" if it runs it, else "offered"."""
    if device.get("ota_version") == target and device.get("ota_state"):
        return device["ota_state"], device.get("ota_detail") or ""
    if device.get("fw") == target:
        return "ok", ""
    return "offered", ""


def describe(state, detail):
    """What the fleet page says of a gun's update."""
    text = STATES.get(state, state)
    if state == "dl" and detail:
        return "%s %s %%" % (text, detail)
    if state == "wait" and detail not in ("", "0"):
        return "%s for %s unsent scans" % (text, detail)
    if state in ("back", "bad", "kept") and detail:
        return "%s: %s" % (text, detail)
    return text


def progress(db, devices):
    """The roll-out and how far each gun (devices: server.fleet.devices'
    list, each given its "ota": state, detail and text) has got; None
    before the first release."""
    r = rollout(db)
    if r is None:
        for device in devices:
            device["ota"] = None
        return None
    counts = dict.fromkeys(STATES, 0)
    for device in devices:
        state, detail = gun_state(device, r["version"])
        counts[state] = counts.get(state, 0) + 1
        device["ota"] = {"state": state, "detail": detail,
                            "text": describe(state, detail)}
    return {"version": r["version"], "paused": bool(r["paused"]),
            "size": r["size"], "sha256": r["sha256"],
            "started_at": r["started_at"], "changed_at": r["changed_at"],
            "changed_by": r["changed_by"], "counts": counts,
            "guns": len(devices)}
