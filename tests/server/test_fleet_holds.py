"""The fleet page's Offline column: how many orders each gun says it
holds of its hold list, the list's orders (links to them), and its
offline share, which supervisors and administrators set."""
import re

import pytest

from server.core.db import connect, transaction
from server.fleet import holds
from server.gunlink.ingest import ingest_batch
from shared import wire


@pytest.fixture
def guns(app, demo):
    db = connect(app.config["DATABASE"])
    try:
        first = [r[0] for r in db.execute(
            "SELECT id FROM orders ORDER BY id LIMIT 2")]
        ingest_batch(db, [(wire.dev_topic("G41", wire.STATUS), wire.encode(
            wire.status(True, "0.2.0", 0, 1, 0, "esp32_gm65",
                        (None, None, None, None, None, 2))))])
        with transaction(db):
            db.execute("INSERT INTO devices (id, created_at) VALUES "
                       "('G42', '2024-01-01 00:00:00')")
            holds.mark_sent(db, [("G41", first)])
    finally:
        db.conn.close()
    return first


def shares(app):
    db = connect(app.config["DATABASE"])
    try:
        return dict(db.execute("SELECT id, offline_share FROM devices "
                               "WHERE id IN ('G41', 'G42')").fetchall())
    finally:
        db.conn.close()


def test_the_offline_column_and_its_twin(client, guns):
    html = client.get("/devices/").get_data(as_text=True)
    row = re.search(r'<td class="mono">G41</td>(.*?)</tr>', html, re.S)
    assert row is not None
    text = re.sub(r"<[^>]+>|\s+", " ", row.group(1))
    assert "2 of 2 orders" in text
    for o in guns:
        assert 'href="/orders/%d"' % o in row.group(1)
    twin = {d["id"]: d for d in client.get("/devices.json").get_json()[
        "devices"]}
    assert (twin["G41"]["held"], twin["G41"]["hold"],
            twin["G41"]["offline_share"], twin["G41"]["retired_at"]) == \
        (2, guns, holds.SHARE_DEFAULT, None)
    assert twin["G42"]["hold"] == [] and twin["G42"]["held"] is None
    assert "hold_sent" not in twin["G41"]


def test_a_supervisor_sets_the_offline_share(app, login, guns):
    supervisor = login(app.test_client(), "supervisor")
    r = supervisor.post("/devices/G41/offline-share", data={"share": "12"})
    assert r.status_code == 302
    assert shares(app)["G41"] == 12
    page = supervisor.get("/devices/").get_data(as_text=True)
    assert "G41 now holds up to 12 orders" in page
    assert supervisor.post("/devices/G42/offline-share",
                           data={"share": " 0 "}).status_code == 302
    assert shares(app)["G42"] == 0


@pytest.mark.parametrize("share", [
    "29", "-1", "2.5", "", "abc", "1e1", "٣", "0x10", "100000000000000000000",
    "12; DROP TABLE devices"])
def test_a_bad_share_is_refused_and_changes_nothing(client, app, guns,
                                                    share):
    r = client.post("/devices/G41/offline-share", data={"share": share})
    assert r.status_code == 400
    assert "a whole number of orders from 0 to 28" in r.get_data(
        as_text=True)
    assert shares(app) == {"G41": 24, "G42": 24}


def test_the_share_needs_a_supervisor_and_a_real_gun(app, login, client,
                                                     guns):
    csr = login(app.test_client(), "csr")
    assert csr.post("/devices/G41/offline-share",
                    data={"share": "3"}).status_code == 403
    page = csr.get("/devices/").get_data(as_text=True)
    assert "Needs a supervisor" in page
    for device in ("G99", "bad id", "x" * 40):
        assert client.post("/devices/%s/offline-share" % device,
                           data={"share": "3"}).status_code == 404
    assert shares(app) == {"G41": 24, "G42": 24}
