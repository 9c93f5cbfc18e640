"""The warehouse floor through the whole stack (real broker, worker, web
server and firmware): a lot put on hold while a gun is offline with its
bottles in hand, and an associate signed in with a badge named on what
the gun picked."""
import time

from e2e_support import get
from server.gunlink.ingest_process import FLOOR_SECONDS
from server.orders import lots
from server.staff import badges
from shared import wire
from test_spine import (acknowledge_notes, new_placed_order, open_order,
                        serial, wait_synced)

TIMEOUT = 60


def _lot_with_stock(db, bottles=2):
    """(sku, lot) of a released lot with `bottles` in stock, the first
    one the gun and the picking list would pick from."""
    return db.execute(
        "SELECT b.sku, b.lot_id FROM bottles b JOIN lots l ON l.id = b.lot_id"
        " WHERE b.status = 'in_stock' AND l.status = 'released' AND "
        "(l.expires_on IS NULL OR l.expires_on > date('now')) "
        "GROUP BY b.sku, b.lot_id HAVING count(*) >= ? "
        "ORDER BY l.expires_on, b.lot_id", [bottles]).fetchone()


def _bottles(db, sku, lot, n):
    return [wire.bottle_code(r[0], sku, lot) for r in db.execute(
        "SELECT serial FROM bottles WHERE sku = ? AND lot_id = ? AND "
        "status = 'in_stock' ORDER BY serial LIMIT ?", [sku, lot, n])]


def test_lot_held_while_a_gun_is_offline(stack, db):
    gun = stack.guns["G01"]
    wait_synced(gun)
    sku, lot = _lot_with_stock(db)
    order_id = new_placed_order(db, sku, qty=2)
    codes = _bottles(db, sku, lot, 2)

    open_order(gun, order_id)
    acknowledge_notes(gun)
    gun.wifi(False)
    gun.wait_for(lambda s: s["link"] != "online", TIMEOUT)

    # Offline, the first bottle is picked: the gun has no word of a hold.
    gun.scan(codes[0])
    assert gun.beeps[-1] == "ok", gun.screen_text()
    assert gun.state()["pending"] == 1

    # Meanwhile a supervisor puts the lot on hold; the worker retains the
    # new lots message at its next check (once every FLOOR_SECONDS).
    lots.change_status(db, lot, "hold", "Seal check failed", "supervisor")
    time.sleep(3 * FLOOR_SECONDS)

    # Back online: the server refuses the pick scanned before the hold...
    gun.wifi(True)
    st = gun.wait_for(lambda s: s["link"] == "online" and s["pending"] == 0
                      and s["screen"] == "refused", TIMEOUT)
    assert st["reason"] == "lot_on_hold", gun.screen_text()
    pick = db.execute("SELECT status, reason FROM picks WHERE serial = ?",
                      [serial(codes[0])]).fetchone()
    assert tuple(pick) == ("rejected", "lot_on_hold")
    while gun.state()["screen"] == "refused":
        gun.press("OK")
    # (Had the message come after the gun's subscription, it would still
    # reach it live within a check: give it that too.)
    time.sleep(2 * FLOOR_SECONDS)

    # ...and the gun, which now has the lots message, refuses the second
    # bottle at once, recording nothing.
    st = gun.scan(codes[1])
    assert (st["screen"], st["reason"]) == ("refused", "lot_on_hold"), \
        gun.screen_text()
    assert "Lot on hold" in gun.screen_text()
    assert gun.beeps[-1] == "err"
    assert gun.state()["pending"] == 0
    assert db.execute("SELECT count(*) FROM picks WHERE serial = ?",
                      [serial(codes[1])]).fetchone()[0] == 0
    gun.press("BACK")


def test_an_associate_signs_in_and_is_named_on_the_pick(stack, db):
    gun = stack.guns["G02"]
    wait_synced(gun)
    staff = db.execute("SELECT id, name FROM staff WHERE active = 1 "
                       "ORDER BY id").fetchone()
    code = badges.issue(db, staff["id"], by="admin")["code"]
    sku, lot = _lot_with_stock(db, 1)
    order_id = new_placed_order(db, sku, qty=1)
    bottle = _bottles(db, sku, lot, 1)[0]

    # The roster reaches the gun within a second or so of the badge.
    for _ in range(30):
        st = gun.scan(code)
        if st["screen"] != "refused":
            break
        gun.press("BACK")
        time.sleep(0.5)
    assert st.get("by") == staff["id"], (st, gun.screen_text())

    open_order(gun, order_id)
    acknowledge_notes(gun)
    gun.scan(bottle)
    wait_synced(gun)
    row = db.execute("SELECT staff_id, device_id, status FROM picks "
                     "WHERE serial = ?", [serial(bottle)]).fetchone()
    assert tuple(row) == (staff["id"], "G02", "accepted")
    page = get(stack, "/orders/%d" % order_id)
    assert staff["name"] in page and "G02" in page

    gun.press("BACK", long=True)              # signed out
    gun.wait_for(lambda s: not s.get("by"), 10)
