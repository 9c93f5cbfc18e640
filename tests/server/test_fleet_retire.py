"""Retiring a gun and putting it back (server.fleet.devices, the fleet
page's Retire and Return to service): a retired gun is dealt no orders,
its share going to the guns in service at the next hold computation;
provisioning it again brings it back."""
import re

import pytest

from server.core import db as dbm
from server.fleet import devices as fleet
from server.fleet import holds
from server.fleet.provisioning import provision_device

GUNS = ("G01", "G02", "G03", "G04")
SHARE = holds.SHARE_DEFAULT
PLACED = 33


# ------------------------------------------------------------- domain
@pytest.fixture
def fleet_db(tmp_path):
    """Four guns in service holding 24 orders each, and 33 placed orders:
    each order is dealt to two guns (deal_size), with three guns or four
    in service, and they have room for them all (the hash deals these
    ids evenly enough)."""
    db = dbm.connect(str(tmp_path / "f.db"))
    dbm.migrate(db)
    at = dbm.now()
    with dbm.transaction(db):
        db.table("clients").insert({"id": 1, "name": "Ada Client",
                                    "created_at": at})
        for n in range(PLACED):
            db.table("orders").insert({
                "id": 1001 + n, "client_id": 1, "status": "placed",
                "created_at": "2024-01-01",
                "placed_at": "2024-01-01 00:%02d:00" % n})
        for d in GUNS:
            db.table("devices").insert({"id": d, "created_at": at,
                                        "offline_share": SHARE})
    yield db
    db.conn.close()


def _send(db, dealer):
    """One recomputation as the worker makes it: the lists, what changed,
    recorded as sent."""
    lists = dealer.lists(db)
    out = holds.changes(db, lists)
    with dbm.transaction(db):
        holds.mark_sent(db, out)
    return lists, out


def test_retiring_deals_a_guns_orders_to_the_others(fleet_db):
    db = fleet_db
    dealer = holds.Dealer()                 # kept, as the worker keeps it
    before, _ = _send(db, dealer)
    assert holds.deal_size(4, 4 * SHARE, PLACED) == 2
    assert holds.deal_size(3, 3 * SHARE, PLACED) == 2
    mine = set(before["G03"])
    assert mine and all(
        not mine <= set(before[g]) for g in GUNS if g != "G03")
    at = fleet.retire(db, "G03", "t-admin")
    assert db.execute("SELECT retired_at FROM devices WHERE id = 'G03'"
                      ).fetchone()[0] == at
    after, out = _send(db, dealer)
    assert set(after) == set(GUNS) - {"G03"}
    assert ("G03", None) in out             # its retained list is cleared
    assert holds.current_list(db, "G03") == []
    # Every order it held is now held by two guns in service: the next
    # recomputation noticed, and dealt it to a gun that lacked it.
    for o in mine:
        assert sum(o in after[g] for g in after) == 2, o
    gained = {o for g in after for o in set(after[g]) - set(before[g])}
    assert gained == mine
    assert {g for g, _ in out} == {"G03"} | {
        g for g in after if after[g] != before[g]}
    # A third recomputation changes nothing more: the clear was sent once.
    assert _send(db, dealer)[1] == []


def test_back_in_service_it_is_dealt_its_share_again(fleet_db):
    db = fleet_db
    dealer = holds.Dealer()
    before, _ = _send(db, dealer)
    fleet.retire(db, "G02", "t-admin")
    _send(db, dealer)
    fleet.return_to_service(db, "G02", "t-admin")
    again, out = _send(db, dealer)
    assert again == before
    assert ("G02", before["G02"]) in out


def test_twice_is_refused_and_changes_nothing(fleet_db):
    db = fleet_db
    at = fleet.retire(db, "G01", "t-admin")
    with pytest.raises(fleet.ServiceError, match="G01 has been retired "
                       "since %s: nothing changed" % re.escape(at)):
        fleet.retire(db, "G01", "t-admin")
    assert db.execute("SELECT retired_at FROM devices WHERE id = 'G01'"
                      ).fetchone()[0] == at
    with pytest.raises(fleet.ServiceError, match="G02 is already in "
                       "service"):
        fleet.return_to_service(db, "G02", "t-admin")
    for change in (fleet.retire, fleet.return_to_service):
        with pytest.raises(fleet.DeviceNotFound):
            change(db, "G99", "t-admin")
    assert not db.conn.in_transaction


def test_provisioning_a_retired_gun_returns_it_to_service(fleet_db):
    db = fleet_db
    fleet.retire(db, "G04", "t-admin")
    assert "G04" not in holds.in_service(db)
    provision_device(db, "G04")
    assert "G04" in holds.in_service(db)
    provision_device(db, "G05")             # a new gun is in service too
    assert "G05" in holds.in_service(db)


# --------------------------------------------------------------- pages
def _retired(db):
    return dict(db.execute("SELECT id, retired_at FROM devices "
                           "ORDER BY id").fetchall())


def _row(html, device):
    match = re.search(r'<tr( class="retired")?>\s*<td class="mono">%s</td>'
                      r'(.*?)</tr>' % device, html, re.S)
    assert match is not None
    return bool(match.group(1)), match.group(2)


def test_an_administrator_retires_a_gun_and_returns_it(client, demo):
    greyed, row = _row(client.get("/devices/").get_data(as_text=True),
                       "G01")
    assert not greyed and 'action="/devices/G01/retire"' in row
    assert 'data-confirm="Retire G01?' in row
    r = client.post("/devices/G01/retire")
    assert r.status_code == 302 and r.location.endswith("/devices/")
    at = _retired(demo)["G01"]
    assert at is not None and _retired(demo)["G02"] is None
    page = client.get("/devices/").get_data(as_text=True)
    assert "G01 is retired" in page
    greyed, row = _row(page, "G01")
    assert greyed and "Retired %s" % at[:10] in row
    assert 'action="/devices/G01/return"' in row and "/retire" not in row
    twin = {d["id"]: d for d in client.get("/devices.json").get_json()[
        "devices"]}
    assert twin["G01"]["retired_at"] == at and twin["G02"]["retired_at"] \
        is None
    # Twice: a clear message, nothing changed.
    assert client.post("/devices/G01/retire").status_code == 302
    page = client.get("/devices/").get_data(as_text=True)
    assert "G01 has been retired since %s: nothing changed." % at in page
    assert _retired(demo)["G01"] == at
    assert client.post("/devices/G01/return").status_code == 302
    assert "G01 is back in service" in client.get("/devices/").get_data(
        as_text=True)
    assert _retired(demo)["G01"] is None
    assert client.post("/devices/G01/return").status_code == 302
    assert "G01 is already in service: nothing changed." in client.get(
        "/devices/").get_data(as_text=True)
    assert _retired(demo)["G01"] is None


def test_retiring_needs_an_administrator_and_a_real_gun(app, login, client,
                                                        demo):
    fleet.retire(demo, "G02", "t-admin")
    before = _retired(demo)
    for role in ("associate", "csr", "supervisor"):
        staff = login(app.test_client(), role)
        for path in ("/devices/G01/retire", "/devices/G02/return",
                     "/devices/G99/retire"):
            assert staff.post(path).status_code == 403, (role, path)
    supervisor = login(app.test_client(), "supervisor")
    page = supervisor.get("/devices/").get_data(as_text=True)
    _, row = _row(page, "G01")
    assert "disabled" in row and "Needs an administrator" in row
    for device in ("G99", "bad id", "x" * 40, "g01"):
        for action in ("retire", "return"):
            assert client.post("/devices/%s/%s" % (device, action)
                               ).status_code == 404, (device, action)
    for action in ("retire", "return"):
        assert client.get("/devices/G01/%s" % action).status_code == 405
    assert _retired(demo) == before
