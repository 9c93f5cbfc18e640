"""A gun in a warehouse of a thousand placed orders, through the real
broker, worker, web server and firmware (docs/protocol.md, "Orders a gun
holds, and orders on demand"): online it opens any order, fetching the
ones it does not hold; offline it opens exactly the orders of its hold
list, which is the documented one."""
import json
import time

import pytest

from e2e_support import get
from server.core import db as dbmod
from shared import wire

MANY = 1000
FIRST_ID = 700001
SHARE = 24                   # the offline share a gun has by default
TIMEOUT = 60


@pytest.fixture(scope="module")
def crowded(stack):
    """The demo stack with MANY more placed orders, newer than the demo's,
    and G01 holding what the server deals it once they are all in."""
    db = dbmod.connect(str(stack.db_path))
    try:
        sku = db.execute("SELECT sku FROM products ORDER BY sku"
                         ).fetchone()[0]
        client = db.execute("SELECT id FROM clients ORDER BY id"
                            ).fetchone()[0]
        at = dbmod.now()
        with dbmod.transaction(db):
            db["orders"].insert_all(
                {"id": FIRST_ID + i, "client_id": client, "status": "placed",
                 "created_at": at, "placed_at": at} for i in range(MANY))
            db["order_lines"].insert_all(
                {"order_id": FIRST_ID + i, "sku": sku, "qty": 1}
                for i in range(MANY))
    finally:
        db.conn.close()
    gun = stack.guns["G01"]
    gun.wait_for(lambda s: s["link"] == "online", TIMEOUT)
    return gun


def device(stack, device_id="G01"):
    db = dbmod.connect(str(stack.db_path))
    try:
        row = dict(db["devices"].get(device_id))
    finally:
        db.conn.close()
    row["hold"] = json.loads(row["hold_sent"] or "[]")
    return row


def settled(stack, check=lambda row: True):
    """G01's row once the gun holds every order of its list (its status
    reports them all as held) and `check` holds."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        row = device(stack)
        if row["hold"] and row["held"] == len(row["hold"]) and check(row):
            return row
        assert time.monotonic() < deadline, row
        time.sleep(0.3)


def picking_list_ids(stack):
    twin = json.loads(get(stack, "/orders/picking-list.json"))
    return [e["order"]["id"] for e in twin["entries"]]


def scan_order(gun, order_id):
    st = gun.scan(wire.order_code(order_id))
    if st["screen"] == "refused" and st["reason"] == "fetching":
        st = gun.wait_for(lambda s: s["reason"] != "fetching", 10)
    return st


def test_an_order_never_cached_opens_online_and_joins_the_hold_list(
        stack, crowded):
    gun = crowded
    placed = picking_list_ids(stack)
    assert len(placed) > MANY
    before = settled(stack, lambda r: r["hold"] == placed[:SHARE])
    newest = FIRST_ID + MANY - 1
    assert newest not in before["hold"]

    st = scan_order(gun, newest)
    assert st["screen"] in ("order", "note", "info"), gun.screen_text()
    assert st["order"] == newest
    gun.press("BACK")

    # Touched: first on the gun's list from now on, and held offline.
    after = settled(stack, lambda r: r["hold"][:1] == [newest])
    assert after["hold"][1:] == placed[:SHARE]


def test_offline_the_gun_opens_exactly_its_hold_list(stack, crowded):
    gun = crowded
    row = settled(stack)
    # The documented list: orders it touched, then its share of the
    # picking list, oldest placed first.  With two guns in service each
    # placed order is dealt to both (k is never under 2), so G01's share
    # is the head of the picking list.
    placed = picking_list_ids(stack)
    touched = [o for o in row["hold"] if o not in placed[:SHARE]]
    assert row["hold"] == touched + placed[:SHARE]
    assert len(touched) <= 12

    # The idle screen says how many it can open offline, once they came.
    deadline = time.monotonic() + 10
    while "%d held offline" % len(row["hold"]) not in gun.screen_text():
        assert time.monotonic() < deadline, gun.screen_text()
        time.sleep(0.2)

    gun.wifi(False)
    try:
        gun.wait_for(lambda s: s["link"] != "online", TIMEOUT)
        for order_id in row["hold"]:
            st = gun.scan(wire.order_code(order_id))
            assert st["screen"] in ("order", "note", "info"), \
                (order_id, gun.screen_text())
            assert st["order"] == order_id
            gun.press("BACK")
        not_held = next(o for o in placed if o not in row["hold"])
        st = gun.scan(wire.order_code(not_held))
        assert (st["screen"], st["reason"]) == ("refused", "unknown_order")
        assert "Not on this gun" in gun.screen_text()
        gun.press("BACK")
    finally:
        gun.wifi(True)
    gun.wait_for(lambda s: s["link"] == "online", TIMEOUT)
