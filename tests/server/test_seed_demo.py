"""Demo data: the seed-demo commands, and that the data is consistent
with the wire contract and the state machine."""
from click.testing import CliRunner

from server.orders import queries
from server.core.db import connect
from server.seed import init_db_command, seed_demo, seed_demo_command
from server.gunlink.snapshots import order_snapshot
from shared import wire


def test_seed_demo_via_flask_cli(runner, db):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "Demo data added: " in result.output
    assert "6 clients" in result.output
    assert db["orders"].count == 8
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0
    assert "already holds clients or orders" in again.output
    assert db["orders"].count == 8 and db["clients"].count == 6


def test_seed_demo_function_refuses_a_used_database(db):
    assert seed_demo(db)["orders"] == 8
    bottles = db["bottles"].count
    assert seed_demo(db) is None
    assert db["bottles"].count == bottles


def test_plain_commands_take_a_db_path(tmp_path):
    path = tmp_path / "sub" / "demo.db"
    cli = CliRunner()
    result = cli.invoke(init_db_command, ["--db", str(path)])
    assert result.exit_code == 0 and str(path) in result.output
    result = cli.invoke(seed_demo_command, ["--db", str(path)])
    assert result.exit_code == 0, result.output
    db = connect(str(path))
    try:
        assert db["orders"].count == 8
    finally:
        db.conn.close()


def test_demo_data_shape(demo):
    placed = queries.list_orders(demo, status="placed")
    assert len(placed) >= 3
    for o in placed:
        assert 1 <= len(queries.order_lines(demo, o["id"])) <= 3
    notes = [n["text"] for o in placed
             for n in queries.order_notes(demo, o["id"])]
    assert "Client requested discreet packaging" in notes
    assert "Fragile: include ice pack" in notes
    assert demo.execute("SELECT count(*) FROM bottles WHERE "
                        "status = 'in_stock'").fetchone()[0] >= 60
    statuses = {o["status"] for o in queries.list_orders(demo, archived=None)}
    assert len(statuses) >= 5


def test_demo_codes_follow_the_wire_contract(demo):
    for b in demo["bottles"].rows:
        code = wire.bottle_code(b["serial"], b["sku"], b["lot_id"])
        assert wire.parse_code(code) == ("bottle", b["serial"], b["sku"],
                                         b["lot_id"])
    for o in demo["orders"].rows:
        assert wire.parse_code(wire.order_code(o["id"])) == ("order", o["id"])
        wire.check_snapshot(order_snapshot(demo, o["id"]))


def test_demo_picks_match_bottles(demo):
    for o in demo["orders"].rows:
        lines = queries.order_lines(demo, o["id"])
        for line in lines:
            assert line["picked"] <= line["qty"]
        if o["status"] in ("shipped", "delivered"):
            assert queries.fully_picked(lines)
        for p in queries.order_picks(demo, o["id"]):
            bottle = demo["bottles"].get(p["serial"])
            assert bottle["lot_id"] == p["lot_id"]
            if p["status"] == "accepted":
                assert bottle["order_id"] == o["id"]
                assert bottle["status"] == (
                    "picked" if o["status"] == "placed" else "shipped")
