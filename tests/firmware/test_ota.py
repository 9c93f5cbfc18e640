"""Updates over the air, the gun's side (gun/ota.py, boot.py): checking a
release's signature with what the server signs, and the offer."""
import base64
import hashlib
import json
import shutil
import sys

import pytest

from mp import REPO, check, script

sys.path.insert(0, str(REPO))
from server.fleet import releases  # noqa: E402


@pytest.fixture(scope="session")
def keys(tmp_path_factory):
    """Two release key folders: the server's and another one."""
    folders = []
    for name in ("server", "other"):
        folder = tmp_path_factory.mktemp(name)
        releases.ensure_key(folder)
        folders.append(folder)
    return folders


def copy_key(keys, tmp_path):
    where = tmp_path / "releases"
    where.mkdir()
    shutil.copy(keys[0] / releases.KEY, where / releases.KEY)
    return where


def run_cases(tmp_path, cases):
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases))
    out = check(script("ota_verify"), args=[path])
    return dict(line.split(" ", 1) for line in out.splitlines())


def test_the_gun_checks_the_servers_signature(keys, tmp_path):
    server, other = keys
    key = releases.public_key(server)
    sha = "ab" * 32
    text = releases.release_text("0.2.0", 45312, sha)
    sig = releases.sign(server, text)
    forged = releases.sign(other, text)
    raw = bytearray(base64.b64decode(sig))
    raw[100] ^= 1
    flipped = base64.b64encode(bytes(raw)).decode()
    # The gun builds the same text from the offer's fields.
    out = run_cases(tmp_path, [
        ["good", key, text.decode(), sig],
        ["other_text", key, releases.release_text(
            "0.2.0", 45313, sha).decode(), sig],
        ["other_key", key, text.decode(), forged],
        ["flipped", key, text.decode(), flipped],
        ["short", key, text.decode(), base64.b64encode(b"\x01").decode()],
        ["not_base64", key, text.decode(), "***"],
    ])
    assert out["good"] == "True"
    for name in ("other_text", "other_key", "flipped", "short"):
        assert out[name] == "False", (name, out[name])
    assert out["not_base64"].startswith(("False", "error"))
    # The server's own check agrees (releases.verify, used on publishing).
    assert releases.verify(releases.modulus(server), text, sig)
    assert not releases.verify(releases.modulus(server), text, forged)


def test_the_gun_refuses_a_malformed_offer(tmp_path):
    good = {"v": 1, "fw": "0.2.0", "size": 45312, "sha": "ab" * 32,
            "sig": "AAAA", "pause": False}
    bad = {"no_fw": dict(good, fw=""),
           "fw_with_a_slash": dict(good, fw="../x"),
           "fw_with_a_space": dict(good, fw="0.2 0"),
           "size_text": dict(good, size="45312"),
           "size_zero": dict(good, size=0),
           "size_bool": dict(good, size=True),
           "sha_short": dict(good, sha="ab"),
           "sha_not_hex": dict(good, sha="zz" * 32),
           "sha_upper": dict(good, sha="AB" * 32),
           "pause_int": dict(good, pause=1),
           "no_sig": {k: v for k, v in good.items() if k != "sig"}}
    out = run_cases(tmp_path, [["good", good]] +
                    [[name, offer] for name, offer in bad.items()])
    assert out.pop("good") == "True"
    assert out == dict.fromkeys(bad, "refused")


def romfs_image(path, version, size):
    """A small ROMFS image: v.txt (its version) and `size` bytes more."""
    from tools.romfs import make_image
    folder = path.parent / ("src-" + version)
    folder.mkdir()
    (folder / "v.txt").write_text(version)
    (folder / "pad.bin").write_bytes(bytes((i * 7 + len(version)) % 251
                                           for i in range(size)))
    path.write_bytes(make_image([(folder / "v.txt", "v.txt"),
                                 (folder / "pad.bin", "pad.bin")]))
    return path


def powercut(tmp_path, scenario):
    from mp import run
    a = romfs_image(tmp_path / "a.romfs", "A", 9000)
    b = romfs_image(tmp_path / "b.romfs", "B", 13000)
    proc = run(script("ota_powercut"), heapsize="1m", timeout=600,
               args=[a, b, scenario, 1, 1])
    out = proc.stdout
    assert proc.returncode == 0 and "OK" in out, out[-3000:] + \
        proc.stderr[-3000:]
    total = int(out.split("WRITES")[1].split()[0])
    words = out.split("CUTS")[1].split()
    return total, int(words[0]), int(words[2]), int(words[4])


@pytest.mark.parametrize("scenario", ["confirm", "back", "restarts",
                                      "again"])
def test_a_power_cut_at_any_write_of_an_update_boots_a_or_b(tmp_path,
                                                           scenario):
    """gun/ota.py stages the update, boot.py saves the old image, copies
    the new one into the romfs partition and counts its trial boots, and
    the new version confirms itself or goes back: the power is cut at
    each write of the data flash and the partition in turn, and the gun
    that starts again boots A or B, the one its state says, every time."""
    total, cuts, a, b = powercut(tmp_path, scenario)
    assert cuts == total and total > 40, (cuts, total)
    assert a and b, (a, b)          # cuts on both sides of the switch


class ReleaseServer:
    """The web server's side of a download (server.web.firmware), for the
    gun's task alone: images by version, Range requests, HTTP Basic; each
    request logged.  `cut`: versions whose first answer stops after that
    many bytes."""

    def __init__(self, images, cut=None):
        import http.server
        import threading
        self.images = images
        self.cut = dict(cut or {})
        self.log = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                outer.log.append((self.path, self.headers.get("Range"),
                                  self.headers.get("Authorization")))
                version = self.path.rsplit("/", 1)[-1][:-len(".romfs")]
                data = outer.images.get(version)
                if data is None:
                    self.send_error(404)
                    return
                start = 0
                rng = self.headers.get("Range")
                if rng:
                    start = int(rng.split("=")[1].split("-")[0])
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range",
                                         "bytes */%d" % len(data))
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", "bytes %d-%d/%d" % (
                        start, len(data) - 1, len(data)))
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                body = data[start:]
                if version in outer.cut:
                    body = body[:outer.cut.pop(version)]
                    self.close_connection = True
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                      Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_downloads_refused_resumed_and_waiting_for_the_journal(keys,
                                                               tmp_path):
    """The gun's task: a bad signature costs no download; a wrong SHA-256
    or an image of another size is refused, with its reason, and nothing
    is installed; a download cut short goes on from where the file ends;
    an image ready while the journal holds scans waits for them to be
    synced; a paused roll-out starts nothing."""
    from mp import run
    server, other = keys
    image = romfs_image(tmp_path / "b.romfs", "B", 13000).read_bytes()
    sha = hashlib.sha256(image).hexdigest()
    size = len(image)

    def offer(version, signer=server, **kw):
        o = {"v": 1, "fw": version, "size": size, "sha": sha, "pause": False}
        o["sig"] = releases.sign(signer, releases.release_text(
            version, size, sha))
        o.update(kw)
        return o
    corrupt = bytearray(image)
    corrupt[-100] ^= 0xFF
    web = ReleaseServer({"0.2.0": image, "0.2.1": bytes(corrupt),
                         "0.2.2": image[:size // 2], "0.2.3": image,
                         "0.2.4": image}, cut={"0.2.3": 5000})
    cases = [
        ["bad_signature", offer("0.2.0", other), 0, 1],
        ["wrong_sha", offer("0.2.1"), 0, 1],
        ["short_file", offer("0.2.2"), 0, 1],
        ["cut", offer("0.2.3"), 0, 2],
        ["journal", offer("0.2.4"), 2, 3],
        ["paused", offer("0.2.0", pause=True), 0, 1],
        ["running", offer(__import__("tools.flash").flash
                          .firmware_version()), 0, 1],
    ]
    path = tmp_path / "cases.json"
    path.write_text(json.dumps({"key": releases.public_key(server),
                                "cases": cases}))
    try:
        proc = run(script("ota_download"), heapsize="512k", timeout=120,
                   args=[web.port, path])
    finally:
        web.close()
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = {r["name"]: r for r in map(json.loads, [
        line for line in proc.stdout.splitlines() if line.startswith("{")])}
    requests = {}
    for path_, rng, auth in web.log:
        requests.setdefault(path_.rsplit("/", 1)[-1], []).append(rng)
        assert auth == "Basic " + base64.b64encode(b"G01:pw-g01").decode()

    def refused(name, why):
        r = out[name]
        assert r["steps"] == ["done"], r
        assert r["state"][1:] == ["bad", why], r
        assert r["st"]["no"][2:] == ["bad", why], r
        assert r["files"] == ["st"], r          # nothing kept, nothing
        assert "rom" not in r["st"], r          # staged for boot.py
    refused("bad_signature", "bad signature")
    assert "0.2.0.romfs" not in requests        # checked before fetching
    refused("wrong_sha", "wrong sha256")
    refused("short_file", "size %d, not %d" % (size // 2, size))

    cut = out["cut"]
    assert cut["steps"][0].startswith("error") and "cut at 5000" in \
        cut["steps"][0], cut
    assert cut["steps"][1] == "reset", cut
    assert requests["0.2.3.romfs"] == ["bytes=0-", "bytes=5000-"]
    staged = cut["st"]
    assert (staged["rom"], staged["copy"], staged["trial"]) == ("b", 1, 1)
    assert staged["img"]["b"] == ["0.2.3", size, sha]
    assert staged["save"] == "a" and cut["files"] == ["b", "st"]

    journal = out["journal"]
    assert journal["steps"] == ["waiting", "waiting", "reset"], journal
    assert requests["0.2.4.romfs"] == ["bytes=0-"]  # downloaded once
    assert journal["st"]["rom"] == "b"

    assert out["paused"]["state"] is None and out["paused"]["files"] == []
    assert out["running"]["state"][1:] == ["ok", 0]
