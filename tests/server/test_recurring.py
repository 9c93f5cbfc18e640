"""Recurring monthly orders: due or not, exactly once per period, the
allowance skip, the 150 g split, the command and the pages."""
import datetime

import pytest

from order_helpers import order_row
from server.core import errors
from server.orders import queries
from server.orders import recurring, recurring_run
from server.core.db import transaction
from server.orders.recurring_run import recurring_run_command

DANIEL, ROBERT = 2, 6
TODAY = datetime.date.today()


def make(db, client_id, items, day=None, today=TODAY, **extra):
    form = {"day_of_month": str(day or today.day), "shipping_rate_id": "1",
            "payment_method": "credit_card", "active": "1",
            "lines": [{"sku": s, "qty": q} for s, q in items]}
    form.update(extra)
    return recurring.create_recurring(db, client_id, form, "csr", today)


def generated(db, rid):
    return [dict(r) for r in db.execute(
        "SELECT * FROM orders WHERE recurring_id = ? ORDER BY id", [rid])]


def grams(db, order_id):
    return db.execute(
        "SELECT sum(l.qty * p.grams) FROM order_lines l JOIN products p "
        "ON p.sku = l.sku WHERE l.order_id = ?", [order_id]).fetchone()[0]


def test_due_dates_clamp_to_the_month():
    assert recurring_run.due_date(2025, 2, 31) == datetime.date(2025, 2, 28)
    assert recurring_run.first_due(10, datetime.date(2025, 3, 11)) == \
        datetime.date(2025, 4, 10)
    assert recurring_run.first_due(10, datetime.date(2025, 3, 10)) == \
        datetime.date(2025, 3, 10)
    assert recurring_run.latest_due(31, datetime.date(2025, 3, 5)) == \
        datetime.date(2025, 2, 28)


def test_generates_when_due_exactly_once_per_period(demo):
    rid = make(demo, ROBERT, [("THC-CAP-10", 2)])
    before = demo["orders"].count
    yesterday = TODAY - datetime.timedelta(days=1)
    assert [r["outcome"] for r in recurring_run.run_due(demo, yesterday)] == []
    results = recurring_run.run_due(demo, TODAY)
    mine = [r for r in results if r["id"] == rid][0]
    assert mine["outcome"] == "generated" and len(mine["orders"]) == 1
    (o,) = generated(demo, rid)
    assert (o["status"], o["source"], o["verified"], o["client_id"]) == (
        "open", "recurring", 1, ROBERT)
    assert (o["shipping_rate_id"], o["carrier"], o["shipping_cents"],
            o["payment_method"]) == (1, "Canada Post", 1495, "credit_card")
    assert o["total_cents"] == 2 * 5499 + 1495
    count = demo["orders"].count
    assert count == before + 1 + sum(
        len(r["orders"]) for r in results if r["id"] != rid)
    # The same day again, or later in the period: nothing new.
    assert all(not r["orders"] for r in recurring_run.run_due(demo, TODAY))
    later = TODAY + datetime.timedelta(days=3)
    assert recurring_run.run_one(demo, rid, later)["orders"] == []
    assert demo["orders"].count == count
    # The next month's run date generates the next one.
    nxt = datetime.date.fromisoformat(
        demo["recurring_orders"].get(rid)["next_run"])
    assert nxt > TODAY and (nxt.month - TODAY.month) % 12 == 1
    assert recurring_run.run_one(demo, rid, nxt)["outcome"] == "generated"
    assert len(generated(demo, rid)) == 2


def test_paused_orders_are_not_generated(demo):
    rid = make(demo, ROBERT, [("THC-CAP-10", 1)])
    recurring.set_active(demo, rid, False)
    assert recurring_run.run_one(demo, rid, TODAY)["outcome"] == "not_due"
    assert generated(demo, rid) == []


def test_over_the_allowance_is_skipped_with_a_reason(demo):
    # Daniel: 60 g per 30 days, 10 g used by order 1002.
    rid = make(demo, DANIEL, [("THC-FLWR-15G", 4)])
    result = recurring_run.run_one(demo, rid, TODAY)
    assert result["outcome"] == "skipped"
    assert "exceeds the client's remaining allowance" in result["reason"]
    assert generated(demo, rid) == []
    runs = recurring.recurring_runs(demo, rid)
    assert [(r["status"], r["reason"]) for r in runs] == [
        ("skipped", result["reason"])]
    # Re-run the same day: nothing new, not even a second skip record.
    assert recurring_run.run_one(demo, rid, TODAY)["outcome"] == "tried"
    assert len(recurring.recurring_runs(demo, rid)) == 1


def test_generated_open_orders_count_against_the_next_one(demo):
    a = make(demo, DANIEL, [("THC-FLWR-15G", 2)])          # 30 g
    b = make(demo, DANIEL, [("THC-FLWR-15G", 2)])          # 30 g more
    assert recurring_run.run_one(demo, a, TODAY)["outcome"] == "generated"
    assert recurring_run.run_one(demo, b, TODAY)["outcome"] == "skipped"


def test_above_150_g_is_split(demo):
    with transaction(demo):
        demo["clients"].update(ROBERT, {"allowance_grams": 400.0})
    rid = make(demo, ROBERT, [("THC-FLWR-15G", 12), ("CBD-OIL-30", 6)])
    result = recurring_run.run_one(demo, rid, TODAY)                 # 216 g
    assert result["outcome"] == "generated" and len(result["orders"]) == 2
    parts = [grams(demo, i) for i in result["orders"]]
    assert sum(parts) == 12 * 15 + 6 * 6 and max(parts) <= 150
    for order_id in result["orders"]:
        o = order_row(demo, order_id)
        assert (o["status"], o["source"], o["verified"]) == (
            "open", "recurring", 1)
    lines = {}
    for order_id in result["orders"]:
        for line in queries.order_lines(demo, order_id):
            lines[line["sku"]] = lines.get(line["sku"], 0) + line["qty"]
    assert lines == {"THC-FLWR-15G": 12, "CBD-OIL-30": 6}


def test_split_lines_first_fit(demo):
    assert recurring_run.split_lines(demo, [("THC-FLWR-15G", 10)]) == [
        [("THC-FLWR-15G", 10)]]
    assert recurring_run.split_lines(demo, [("THC-FLWR-15G", 21)]) == [
        [("THC-FLWR-15G", 10)], [("THC-FLWR-15G", 10)],
        [("THC-FLWR-15G", 1)]]


@pytest.mark.parametrize("changes", [
    {"day_of_month": "0"}, {"day_of_month": "32"}, {"shipping_rate_id": "9"},
    {"payment_method": "bitcoin"}, {"lines": []},
    {"lines": [{"sku": "NOPE", "qty": 1}]},
    {"lines": [{"sku": "CBD-OIL-30", "qty": 0}]}])
def test_bad_recurring_orders_are_refused(demo, changes):
    before = demo["recurring_orders"].count
    with pytest.raises(errors.BadInput):
        make(demo, ROBERT, [("CBD-OIL-30", 1)], **changes)
    assert demo["recurring_orders"].count == before


def test_command_runs_once_a_day(app, demo, runner):
    rid = make(demo, ROBERT, [("THC-CAP-10", 1)])
    args = ["--today", TODAY.isoformat(), "--db", app.config["DATABASE"]]
    result = runner.invoke(recurring_run_command, args)
    assert result.exit_code == 0, result.output
    assert "Recurring order #%d (Robert Chen): generated order #" % rid \
        in result.output
    count = demo["orders"].count
    result = runner.invoke(recurring_run_command, args)
    assert result.exit_code == 0
    assert " 0 orders generated" in result.output
    assert demo["orders"].count == count
    bad = runner.invoke(recurring_run_command, ["--today", "31/12/2025",
                                                "--db",
                                                app.config["DATABASE"]])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output


def test_cli_lists_the_command():
    from tools.cli import COMMANDS
    assert COMMANDS["recurring-run"] == ("server.orders.recurring_run",
                                         "recurring_run_command")


def test_pages_create_edit_and_pause(client, demo):
    html = client.get("/recurring/").get_data(as_text=True)
    assert "Jean-Luc Gagnon" in html and "Robert Chen" in html
    response = client.post("/recurring/new?client_id=2", data={
        "client_id": "2", "qty_CBD-OIL-30": "2", "qty_THC-CAP-10": "",
        "day_of_month": "5", "shipping_rate_id": "3",
        "payment_method": "cheque", "active": "1"})
    assert response.status_code == 302
    rid = demo.execute("SELECT max(id) FROM recurring_orders").fetchone()[0]
    rec = recurring.get_recurring(demo, rid)
    assert (rec["client_id"], rec["day_of_month"], rec["payment_method"],
            [(line["sku"], line["qty"]) for line in rec["lines"]]) == (
        2, 5, "cheque", [("CBD-OIL-30", 2)])
    html = client.get("/clients/2?tab=recurring").get_data(as_text=True)
    assert "#%d" % rid in html
    response = client.post("/recurring/%d" % rid, data={
        "qty_CBD-OIL-30": "abc", "day_of_month": "5",
        "shipping_rate_id": "3", "payment_method": "cheque"})
    assert response.status_code == 400
    assert recurring.get_recurring(demo, rid)["lines"][0]["qty"] == 2
    client.post("/recurring/%d/active" % rid, data={"active": "0"})
    assert recurring.get_recurring(demo, rid)["active"] == 0
    client.post("/recurring/%d/active" % rid, data={"active": "1"})
    assert recurring.get_recurring(demo, rid)["active"] == 1
