"""Numbers are never handed out twice: an order, note, document,
complaint... deleted (or removed by hand) leaves its number retired, so
a label, QR code or gun that still holds it never names another record.
Also migration m016, which brings an existing database there: every row,
number, index and trigger kept, numbers it still remembers retired."""
import datetime
import json
import shutil
import sqlite3

import pytest

from order_helpers import everything, in_stock, record_pick
from server.orders import complaints as record_complaints
from server.orders import destruction as record_destruction
from server.orders import returned_grams as record_returned_grams
from server.orders import actions
from server.orders import create
from server.orders import queries
from server.staff import accounts as staff
from server.documents import store as documents
from server.orders import recurring, recurring_run
from server.core import schema
from server.core.db import connect, now, transaction
from server.core.schema import NEVER_REUSED, migrations
from server.demo_data import FIRST_ORDER_ID
from server.seed import seed_demo
from server.gunlink.snapshots import order_snapshot
from shared import wire

M016 = "m016_ids_never_reused"
TODAY = datetime.date.today()
DANIEL, ROBERT = 2, 6
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
COMPLAINT = {"category": "product_quality", "description": "Oil is cloudy",
             "reported_by": "Client, by phone",
             "received_on": TODAY.isoformat()}


def new_open_order(db, client_id=DANIEL, notes=()):
    return create.create_order(db, client_id, [], actor="csr",
                               allow_empty=True, notes=notes)


def delete_order(db, order_id):
    """The supervisor's Order Menu > Delete Order."""
    return actions.apply_action(db, order_id, "delete", "supervisor")


def remove_by_hand(db, table, row_id, children=()):
    """Remove a row as an administrator would in the sqlite3 shell, with
    foreign keys off: children [(table, column)] first."""
    db.conn.execute("PRAGMA foreign_keys = OFF")
    try:
        with transaction(db):
            for child, column in children:
                db.execute('DELETE FROM "%s" WHERE "%s" = ?'
                           % (child, column), [row_id])
            db.execute('DELETE FROM "%s" WHERE id = ?' % table, [row_id])
    finally:
        db.conn.execute("PRAGMA foreign_keys = ON")


def newest(db, table):
    """The highest id in `table`, 0 if it is empty."""
    return db.execute('SELECT coalesce(max(id), 0) FROM "%s"'
                      % table).fetchone()[0]


def gun_event(db, order_id, kind, outcome, reason=None, notes=None):
    """An event as the worker stores it (server.gunlink.ingest)."""
    seq = db.execute("SELECT coalesce(max(seq), 0) + 1 FROM device_events "
                     "WHERE device_id = 'G01' AND ep = 1").fetchone()[0]
    payload = {"v": wire.VERSION, "k": kind, "ep": 1, "seq": seq,
               "o": order_id, "at": 100}
    if kind == wire.PICK:
        payload["c"] = wire.order_code(order_id)
    else:
        payload["n"] = notes
    with transaction(db):
        db["device_events"].insert({
            "device_id": "G01", "ep": 1, "seq": seq, "kind": kind,
            "order_id": order_id, "code": payload.get("c"), "gun_at": 100,
            "received_at": now(), "outcome": outcome, "reason": reason,
            "payload": json.dumps(payload)})


# ------------------------------------------------ deleting, then adding
def test_deleted_newest_open_order_leaves_its_number_and_code(demo):
    deleted = new_open_order(demo)
    assert deleted == newest(demo, "orders")
    code = wire.order_code(deleted)
    assert delete_order(demo, deleted)["deleted"]
    assert queries.get_order(demo, deleted) is None

    created = new_open_order(demo)
    assert created > deleted
    assert wire.order_code(created) != code
    assert wire.parse_code(code) == ("order", deleted)


def test_notes_of_a_deleted_order_leave_their_ids(demo):
    """Note ids travel to the guns (snapshots, notes_ack): a gun that
    still holds one must never acknowledge another order's note by it."""
    deleted = new_open_order(demo, notes=["Call before shipping"])
    (gone,) = [n["id"] for n in queries.order_notes(demo, deleted)]
    assert gone == newest(demo, "notes")
    delete_order(demo, deleted)

    order_id = new_open_order(demo, notes=["Leave at the door"])
    (note,) = [n["id"] for n in queries.order_notes(demo, order_id)]
    assert note > gone
    later = actions.add_note(demo, 1004, "Fragile", "csr")
    assert later > note
    assert [n["id"] for n in order_snapshot(demo, 1004)["notes"]][-1] == \
        later


def test_creating_after_a_delete_never_returns_the_deleted_number(demo):
    """Every time, not just the first: three deletions in a row."""
    seen = set()
    for _ in range(3):
        order_id = new_open_order(demo)
        assert order_id not in seen
        seen.add(order_id)
        delete_order(demo, order_id)
    assert new_open_order(demo) > max(seen)


@pytest.fixture
def folder(app):
    return documents.storage_dir(app.config)


@pytest.fixture
def returned(demo):
    """Order 1001 (delivered) with its two bottles returned."""
    actions.apply_action(demo, 1001, "return_bottles", "supervisor")
    return [r["serial"] for r in demo.execute(
        "SELECT serial FROM picks WHERE order_id = 1001 AND "
        "status = 'accepted' ORDER BY serial")]


def _destruction(db, serials):
    return record_destruction.record_destruction(db, 1001, {
        "serials": serials[:1], "net_weight_grams": "1",
        "method": "incineration", "location": "Vault room B",
        "destroyed_on": TODAY.isoformat(), "witness_1": "Sam Supervisor",
        "witness_2": "Alex Admin"}, "supervisor")["id"]


def _undone_destruction(db, serials):
    """A destruction recorded, undone (its bottle back to returned) and
    then removed by hand with its bottle rows."""
    made = _destruction(db, serials)
    record_destruction.undo_destruction(db, 1001, made, "Wrong bottle",
                                        "supervisor")
    return made


# table: (make a row the way the back office does -> its id,
#         children removed with it by hand)
MAKERS = {
    "clients": (lambda db, ctx: db["clients"].insert({
        "name": "Test Client", "created_at": now()}).last_pk, ()),
    "staff": (lambda db, ctx: staff.create(
        db, "t-new-%d" % (newest(db, "staff") + 1),
        "long enough password", "csr"), ()),
    "shipping_rates": (lambda db, ctx: db["shipping_rates"].insert({
        "carrier": "Canpar", "service": "Overnight", "price_cents": 2500,
        "days": "1"}).last_pk, ()),
    "orders": (lambda db, ctx: new_open_order(db),
               [("order_history", "order_id")]),
    "notes": (lambda db, ctx: actions.add_note(db, 1004, "Fragile", "csr"),
              ()),
    "documents": (lambda db, ctx: documents.upload(
        db, ctx["folder"], 1004, PDF, "prescription.pdf", "csr")["id"], ()),
    "complaints": (lambda db, ctx: record_complaints.add_complaint(
        db, 1001, COMPLAINT, "csr")["id"], ()),
    "destructions": (lambda db, ctx: _undone_destruction(
        db, ctx["returned"]), [("destruction_bottles", "destruction_id")]),
    "returned_grams": (lambda db, ctx: record_returned_grams.return_grams(
        db, 1002, {"grams": "1", "reason": "refused"}, "supervisor")["id"],
        ()),
    "recurring_orders": (lambda db, ctx: recurring.create_recurring(
        db, DANIEL, {"day_of_month": "5", "shipping_rate_id": "1",
                     "payment_method": "credit_card",
                     "lines": [{"sku": "CBD-OIL-30", "qty": 1}]}, "csr"),
        [("recurring_lines", "recurring_id")]),
}


def test_every_table_kept_from_reuse_is_tried():
    assert set(MAKERS) == set(NEVER_REUSED)


@pytest.mark.parametrize("table", sorted(MAKERS))
def test_newest_row_removed_by_hand_leaves_its_number(demo, folder,
                                                      returned, table):
    make, children = MAKERS[table]
    ctx = {"folder": folder, "returned": returned}
    removed = make(demo, ctx)
    assert removed == newest(demo, table)
    remove_by_hand(demo, table, removed, children)
    assert newest(demo, table) < removed

    again = make(demo, ctx)
    assert again > removed
    assert make(demo, ctx) > again


# ------------------------------------------------------- a new database
def test_fresh_database_tables_never_reuse_ids(db):
    sql = dict(db.execute("SELECT name, sql FROM sqlite_master "
                          "WHERE type = 'table'").fetchall())
    for table in NEVER_REUSED:
        assert '"id" INTEGER PRIMARY KEY AUTOINCREMENT,' in sql[table], table
    # Internal numbers keep SQLite's plain rowid (never shown or sent).
    for table in ("order_lines", "picks", "device_events", "order_history",
                  "client_history", "malformed_messages"):
        assert "AUTOINCREMENT" not in sql[table], table
    assert migrations.pending(db) == []
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_demo_order_numbers_still_start_at_1001(demo):
    assert FIRST_ORDER_ID == 1001
    numbers = [r[0] for r in demo.execute("SELECT id FROM orders "
                                          "ORDER BY id")]
    assert numbers[0] == 1001 and numbers == list(range(1001, 1009))
    assert new_open_order(demo) == 1009


# ------------------------------------------------------------ migration
@pytest.fixture(scope="module")
def m015_template(tmp_path_factory):
    """A database as the previous release left it: migrations up to m015
    and the demo data (built once: seeding hashes passwords)."""
    path = tmp_path_factory.mktemp("m015") / "m015.db"
    conn = connect(str(path))
    migrations.apply(conn, stop_before=M016)
    assert seed_demo(conn) is not None
    conn.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.conn.close()
    return path


@pytest.fixture
def old(m015_template, tmp_path):
    """A copy of the m015 database to change and then migrate."""
    path = tmp_path / "old.db"
    shutil.copyfile(m015_template, path)
    conn = connect(str(path))
    assert migrations.pending(conn)[0].name == M016
    yield conn
    conn.conn.close()


def migrate(db):
    """Migrate an m015 database through m016, which these tests are
    about; a later migration changes the schema in its own way."""
    names = [m.name for m in migrations.pending(db)]
    later = names[names.index(M016) + 1:] if M016 in names else names[:1]
    if later:
        migrations.apply(db, stop_before=later[0])
    else:
        migrations.apply(db)


def schema_of(db):
    return {(r[0], r[1]): (r[2], r[3]) for r in db.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master "
        "WHERE name != 'sqlite_sequence'")}


def columns_of(db, table):
    return ([tuple(r) for r in db.execute(
        'SELECT * FROM pragma_table_xinfo("%s")' % table)],
        [tuple(r) for r in db.execute(
            'SELECT * FROM pragma_foreign_key_list("%s")' % table)],
        [tuple(r) for r in db.execute(
            'SELECT * FROM pragma_index_list("%s") ORDER BY name' % table)])


def rows_of(db):
    """Every row of the project's tables (not the migrations' record)."""
    out = everything(db)
    out.pop("sqlite_sequence", None)
    out.pop(migrations.migrations_table)
    return out


def sequence(db, table):
    row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = ?",
                     [table]).fetchone()
    return row[0] if row else 0


def test_migration_keeps_everything_and_retires_remembered_numbers(
        old, tmp_path):
    db = old
    folder = str(tmp_path / "documents")
    # An ordinary life at m015: records of every kind.
    record_complaints.add_complaint(db, 1001, COMPLAINT, "csr")
    documents.upload(db, folder, 1004, PDF, "prescription.pdf", "csr")
    record_returned_grams.return_grams(
        db, 1002, {"grams": "2", "reason": "refused"}, "supervisor")
    actions.add_note(db, 1004, "Deliver after 5 pm", "csr")
    # Order 1009: a gun scanned its label while it was Open, then the
    # supervisor deleted it (its history goes with it).
    scanned = new_open_order(db)
    gun_event(db, scanned, wire.PICK, "rejected", "not_pickable")
    delete_order(db, scanned)
    # Order 1010, the newest, with a note: removed by hand in an older
    # database, its history left behind (a broken foreign key, kept).
    newest_order = new_open_order(db, notes=["Ring twice"])
    remove_by_hand(db, "orders", newest_order,
                   [("notes", "order_id"), ("order_lines", "order_id")])
    orphans = {tuple(r) for r in db.execute("PRAGMA foreign_key_check")}
    assert orphans and {r[0] for r in orphans} == {"order_history"}

    rows, shape = rows_of(db), schema_of(db)
    columns = {t: columns_of(db, t) for (kind, t) in shape if kind == "table"}
    counts = [tuple(r) for r in db.execute(
        "SELECT * FROM order_counts ORDER BY 1, 2, 3")]

    migrate(db)

    assert M016 not in [m.name for m in migrations.pending(db)]
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert {tuple(r) for r in db.execute(
        "PRAGMA foreign_key_check")} == orphans
    # Every row and number as it was.
    assert rows_of(db) == rows
    # Every index, trigger and table word for word, but AUTOINCREMENT.
    after = schema_of(db)
    assert set(after) == set(shape)
    for key, (table, sql) in shape.items():
        if key[0] == "table" and key[1] in NEVER_REUSED:
            sql = sql.replace('"id" INTEGER PRIMARY KEY,',
                              '"id" INTEGER PRIMARY KEY AUTOINCREMENT,', 1)
        assert after[key] == (table, sql), key
    for table, before in columns.items():
        assert columns_of(db, table) == before, table

    # Numbers still remembered stay retired.
    assert sequence(db, "orders") == newest_order
    created = new_open_order(db)
    assert created == newest_order + 1

    # The triggers still do their work: search and counts follow a new
    # order, the history is append-only.
    assert [o["id"] for o in queries.list_orders(
        db, search=str(created), archived=None)] == [created]
    assert counts != [tuple(r) for r in db.execute(
        "SELECT * FROM order_counts ORDER BY 1, 2, 3")]
    assert db.execute("SELECT n FROM order_counts WHERE archived = 0 AND "
                      "verified = 1 AND status = 'open'").fetchone()[0] == \
        db.execute("SELECT count(*) FROM orders WHERE archived = 0 AND "
                   "verified = 1 AND status = 'open'").fetchone()[0]
    with transaction(db):
        db.execute("UPDATE clients SET name = 'Daniel Okafor-Reyes' "
                   "WHERE id = ?", [DANIEL])
    assert created in [o["id"] for o in queries.list_orders(
        db, search="Okafor-Reyes", archived=None)]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        with transaction(db):
            db.execute("UPDATE order_history SET actor = 'x' "
                       "WHERE order_id = 1001")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        with transaction(db):
            db.execute("DELETE FROM order_history WHERE order_id = 1001")
    with pytest.raises(sqlite3.IntegrityError):
        with transaction(db):                 # foreign keys are on again
            db["notes"].insert({"order_id": 999999, "text": "x"})


def test_migration_keeps_query_planner_statistics(old):
    old.execute("ANALYZE")
    stats = sorted(tuple(r) for r in old.execute(
        "SELECT * FROM sqlite_stat1"))
    assert any(r[0] == "orders" for r in stats)
    migrate(old)
    assert sorted(tuple(r) for r in old.execute(
        "SELECT * FROM sqlite_stat1")) == stats


def test_migration_run_twice_changes_nothing(old):
    """Stopped after its commit, before the runner recorded it: the next
    start runs it again."""
    migrate(old)
    rows, shape = everything(old), schema_of(old)
    schema.m016_ids_never_reused(old)
    assert everything(old) == rows and schema_of(old) == shape


def test_migration_refuses_to_run_inside_a_transaction(old):
    old.conn.execute("BEGIN")
    try:
        with pytest.raises(RuntimeError, match="outside a transaction"):
            schema.m016_ids_never_reused(old)
    finally:
        old.conn.execute("ROLLBACK")
    assert migrations.pending(old)[0].name == M016


# How a number of each kind is forgotten at m015 while the database
# still remembers it: each returns (table, the number).
def _order_history_left_behind(db):
    order_id = new_open_order(db)
    remove_by_hand(db, "orders", order_id)
    return "orders", order_id


def _order_a_gun_scanned(db):
    order_id = new_open_order(db)
    gun_event(db, order_id, wire.PICK, "rejected", "not_pickable")
    delete_order(db, order_id)
    return "orders", order_id


def _order_a_recurring_order_generated(db):
    rid = recurring.create_recurring(
        db, ROBERT, {"day_of_month": str(TODAY.day),
                     "shipping_rate_id": "1", "payment_method": "cheque",
                     "lines": [{"sku": "THC-CAP-10", "qty": 1}]},
        "csr", TODAY)
    result = recurring_run.run_one(db, rid, TODAY)
    assert result["outcome"] == "generated", result
    (order_id,) = result["orders"]
    delete_order(db, order_id)
    return "orders", order_id


def _note_a_gun_acknowledged(db):
    note = actions.add_note(db, 1004, "Check the address", "csr")
    gun_event(db, 1004, wire.NOTES_ACK, "accepted", notes=[note])
    remove_by_hand(db, "notes", note)
    return "notes", note


def _complaint_in_the_history(db):
    complaint = record_complaints.add_complaint(db, 1001, COMPLAINT,
                                                "csr")["id"]
    remove_by_hand(db, "complaints", complaint)
    return "complaints", complaint


def _destruction_in_the_history(db):
    actions.apply_action(db, 1001, "return_bottles", "supervisor")
    serials = [r[0] for r in db.execute(
        "SELECT serial FROM picks WHERE order_id = 1001 AND "
        "status = 'accepted'")]
    made = _undone_destruction(db, serials)
    remove_by_hand(db, "destructions", made,
                   [("destruction_bottles", "destruction_id")])
    return "destructions", made


def _recurring_order_of_an_order(db):
    rid = recurring.create_recurring(
        db, ROBERT, {"day_of_month": str(TODAY.day),
                     "shipping_rate_id": "1", "payment_method": "cheque",
                     "lines": [{"sku": "THC-CAP-10", "qty": 1}]},
        "csr", TODAY)
    recurring_run.run_one(db, rid, TODAY)
    remove_by_hand(db, "recurring_orders", rid,
                   [("recurring_lines", "recurring_id"),
                    ("recurring_runs", "recurring_id")])
    return "recurring_orders", rid


def _shipping_rate_of_an_order(db):
    rate = db["shipping_rates"].insert({
        "carrier": "Canpar", "service": "Overnight", "price_cents": 2500,
        "days": "1"}).last_pk
    order_id = new_open_order(db)
    actions.apply_action(db, order_id, "select_shipping", "csr",
                        {"shipping_rate_id": str(rate)})
    remove_by_hand(db, "shipping_rates", rate)
    return "shipping_rates", rate


def _client_in_its_history(db):
    client = db["clients"].insert({"name": "Test Client",
                                   "created_at": now()}).last_pk
    with transaction(db):
        db["client_history"].insert({"client_id": client, "field": "phone",
                                     "old": None, "new": "555-0100",
                                     "actor": "csr", "at": now()})
    remove_by_hand(db, "clients", client)
    return "clients", client


@pytest.mark.parametrize("forget", [
    _order_history_left_behind, _order_a_gun_scanned,
    _order_a_recurring_order_generated, _note_a_gun_acknowledged,
    _complaint_in_the_history, _destruction_in_the_history,
    _recurring_order_of_an_order, _shipping_rate_of_an_order,
    _client_in_its_history])
def test_migration_retires_numbers_the_database_remembers(old, forget):
    table, number = forget(old)
    assert newest(old, table) < number
    migrate(old)
    assert sequence(old, table) >= number
    if table == "orders":
        assert new_open_order(old) == number + 1


def test_migration_ignores_numbers_that_never_existed(old):
    """A gun's scan of a number no order ever had (a misprint, another
    site's label) is no order handed out: order numbers go on from the
    highest real one, well within the QR code's nine digits."""
    gun_event(old, 999999999, wire.PICK, "rejected", "unknown_order")
    gun_event(old, 1004, wire.NOTES_ACK, "rejected", "unknown_note",
              notes=[10 ** 12])
    top_order, top_note = newest(old, "orders"), newest(old, "notes")
    migrate(old)
    assert new_open_order(old) == top_order + 1
    assert actions.add_note(old, 1004, "Fragile", "csr") == top_note + 1


def test_picks_of_migrated_orders_still_reach_the_guns(old):
    """The rebuilt orders table still feeds the guns' snapshots."""
    migrate(old)
    # Snapshots also read what later migrations add (a lot's status).
    migrations.apply(old)
    serial = in_stock(old, "THC-CAP-10")[0]
    record_pick(old, 1004, serial)
    snap = order_snapshot(old, 1004)
    assert snap["o"] == 1004 and serial in snap["bot"]
