"""Updates over the air, the gun's side (gun/ota.py, boot.py): checking a
release's signature with what the server signs, and the offer."""
import base64
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
