"""A camera gun in the whole product (`pickgun up --demo --camera-gun`):
a real Mosquitto, the worker, the web server, a serial-decoder gun (G01)
and a camera gun (G03), which reads the order's QR code from a frame of
its web page and the bottles' from frames of their labels, both as the
server renders them (tools/camframes.py), with the firmware's own
decoder.  Its picks sync exactly once, as G01's do, and the server
cannot tell the two guns' events apart but by their gun."""
import json

import pytest

from e2e_support import get
from server.core import db as dbmod
from server.gunlink.broker import free_port
from shared import wire
from test_spine import (acknowledge_notes, bottles_for, new_placed_order,
                        open_order, serial, wait_synced)
from tools.camframes import label_qr, page_qr, photograph
from tools.up import DEMO_CAMERA_GUN, Stack

CAMERA_GUN = DEMO_CAMERA_GUN
# As the other end-to-end tests' guns (conftest.py): a short back-off.
GUN_CONFIG = {"backoff_ms": 300, "backoff_max_ms": 1500, "resend_ms": 4000}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("pickgun") / "instance",
              web_port=free_port(), mqtt_port=free_port(),
              tls_port=free_port(), demo=True,
              guns=("G01",), camera_guns=(CAMERA_GUN,),
              gun_config=GUN_CONFIG, log=lambda *a: None, ntp_port=0)
    s.start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def db(stack):
    conn = dbmod.connect(str(stack.db_path))
    yield conn
    conn.conn.close()


def open_from_page(gun, order_id, timeout=30):
    """Aim at the order's page; again while the gun has not yet received
    the order's snapshot."""
    frame = photograph(page_qr(wire.order_code(order_id)), angle=6,
                       blur=0.8, noise=5)
    return open_order(gun, order_id, timeout, read=lambda: gun.aim(frame))


def pick_events(db, device, order_id):
    return [json.loads(r["payload"]) for r in db.query(
        "SELECT payload FROM device_events WHERE device_id = ? AND "
        "kind = 'pick' AND order_id = ? ORDER BY seq", [device, order_id])]


def test_camera_gun_picks_offline_and_syncs_exactly_once(stack, db):
    cam = stack.guns[CAMERA_GUN]
    assert cam.camera is not None and stack.guns["G01"].camera is None
    wait_synced(cam)
    order_id = db.execute(
        "SELECT o.id FROM orders o WHERE o.status = 'placed' AND EXISTS "
        "(SELECT 1 FROM notes n WHERE n.order_id = o.id) AND NOT EXISTS "
        "(SELECT 1 FROM picks p WHERE p.order_id = o.id) ORDER BY o.id"
    ).fetchone()[0]
    codes = bottles_for(db, order_id)
    assert len(codes) >= 2, "the demo order should need several bottles"

    # The order from its page, its notes confirmed with OK.
    st = open_from_page(cam, order_id)
    assert st["screen"] == "note"
    acknowledge_notes(cam)

    # The first bottle online: accepted and acked.
    labels = [photograph(label_qr(c), angle=(-12, 20, 5)[n % 3],
                         blur=0.8, noise=5, seed=n)
              for n, c in enumerate(codes)]
    cam.aim(labels[0])
    assert cam.beeps[-1] in ("ok", "done")
    wait_synced(cam)

    # The broker goes away: picks go on, on flash.
    stack.broker.stop()
    cam.wait_for(lambda s: s["link"] != "online", 30)
    for n, label in enumerate(labels[1:], start=1):
        st = cam.aim(label)
        assert st["pending"] == n, (st, cam.screen_text())
        assert cam.beeps[-1] in ("ok", "done")
    assert st["screen"] == "complete"

    # It comes back: every pick lands once, in order.
    stack.broker.start()
    wait_synced(cam)
    picks = list(db.query("SELECT serial, status, device_id FROM picks "
                          "WHERE order_id = ? ORDER BY id", [order_id]))
    assert [p["serial"] for p in picks] == [serial(c) for c in codes]
    assert {p["status"] for p in picks} == {"accepted"}
    assert {p["device_id"] for p in picks} == {CAMERA_GUN}
    events = pick_events(db, CAMERA_GUN, order_id)
    assert [e["c"] for e in events] == codes
    assert len({e["seq"] for e in events}) == len(codes)
    detail = get(stack, "/api/orders/%d" % order_id)
    assert all(line["picked"] == line["qty"] for line in detail["lines"])


def test_camera_and_serial_guns_sync_alike(stack, db):
    """The same order picked by each gun: the same events (but for the
    gun's own sequence numbers and times), the same picks."""
    sku = db.execute("SELECT sku FROM bottles WHERE status = 'in_stock' "
                     "GROUP BY sku ORDER BY count(*) DESC").fetchone()[0]
    results = {}
    taken = set()
    for gun_id in ("G01", CAMERA_GUN):
        gun = stack.guns[gun_id]
        wait_synced(gun)
        order_id = new_placed_order(db, sku, qty=2)
        codes = bottles_for(db, order_id, taken)
        taken.update(serial(c) for c in codes)
        if gun.camera is None:
            open_order(gun, order_id)
        else:
            open_from_page(gun, order_id)
        acknowledge_notes(gun)
        for code in codes:
            st = gun.scan(code)     # the camera gun: aimed at its label
            assert st["screen"] in ("picking", "complete"), st
        assert st["screen"] == "complete" and gun.beeps[-1] == "done"
        wait_synced(gun)
        events = pick_events(db, gun_id, order_id)
        results[gun_id] = [
            {k: v for k, v in e.items() if k not in ("seq", "at", "ep")}
            for e in events], [{"o": order_id, "c": c} for c in codes]
        picks = list(db.query("SELECT status FROM picks WHERE order_id = ?",
                              [order_id]))
        assert [p["status"] for p in picks] == ["accepted"] * len(codes)
    for gun_id, (events, want) in results.items():
        assert [{k: e[k] for k in ("o", "c")} for e in events] == want, \
            gun_id
    shapes = {gun_id: [sorted(e) for e in events]
              for gun_id, (events, _) in results.items()}
    assert shapes["G01"] == shapes[CAMERA_GUN]
