"""Running recurring monthly orders: `pickgun recurring-run`, run daily
by a scheduler, turns the standing orders kept by server.orders.recurring
into Open orders for a CSR to take payment.

Rules:
- One order per calendar month (period YYYY-MM), generated on or after
  the day of the month (the 31st falls on the month's last day).
  recurring_runs keeps one 'generated' row per period, so re-running the
  command the same day, or later that month, generates nothing new.
- It must fit the client's 30-day prescription allowance (grams used and
  awaiting payment, plus open orders already generated in the window);
  otherwise it is skipped, the reason printed and recorded, and tried
  again on the next day's run.
- Cannabis above 150 g (the possession limit) is split into orders of at
  most 150 g each.
Generated orders are Open, source 'recurring', verified."""
import calendar
import datetime

import click

from server.clients import allowance as client_allowance
from server.orders import states
from server.core.db import (connect, default_database, now,
                            prepare_database)
from server.orders.create import create_order
from server.core.db import transaction
from server.core.wording import counted

SPLIT_GRAMS = 150.0
SYSTEM_ACTOR = "recurring"


# ------------------------------------------------------------ calendar
def due_date(year, month, day):
    """The run date of `day` in that month (clamped to its last day)."""
    return datetime.date(year, month,
                         min(day, calendar.monthrange(year, month)[1]))


def _next_month(d):
    return (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)


def first_due(day, today, skip_period=None):
    """The first run date on or after `today` (not in `skip_period`)."""
    d = due_date(today.year, today.month, day)
    if d < today or d.strftime("%Y-%m") == skip_period:
        d = due_date(*_next_month(d), day)
    return d


def latest_due(day, today):
    """The latest run date on or before `today`."""
    d = due_date(today.year, today.month, day)
    if d > today:
        y, m = (today.year - 1, 12) if today.month == 1 else (
            today.year, today.month - 1)
        d = due_date(y, m, day)
    return d


def next_run(db, recurring_id, day, today):
    """The next run date (text) of a recurring order set to `day` from
    `today`: this month's is skipped once this period's order exists."""
    done = db.execute(
        "SELECT 1 FROM recurring_runs WHERE recurring_id = ? AND period = ? "
        "AND status = 'generated'",
        [recurring_id, today.strftime("%Y-%m")]).fetchone()
    return first_due(day, today,
                     today.strftime("%Y-%m") if done else None).isoformat()


# ------------------------------------------------------------------ runs
def split_lines(db, lines, limit=SPLIT_GRAMS):
    """[(sku, qty)] -> a list of orders' lines, each with at most `limit`
    grams of cannabis (first fit, bottle by bottle, in line order).  Items
    that are not cannabis go with the first order.  ValueError when a
    single bottle is above the limit."""
    info = {}
    for sku, _ in lines:
        row = db.execute("SELECT grams, cannabis FROM products WHERE sku = ?",
                         [sku]).fetchone()
        info[sku] = (row["grams"] or 0) if row and row["cannabis"] else 0.0
    bins = []                       # [[grams, {sku: qty}]]
    for sku, qty in lines:
        grams = info[sku]
        if grams > limit:
            raise ValueError("one bottle of %s holds %s g, above the %s g "
                             "limit per order" % (sku, grams, limit))
        for _ in range(qty):
            for b in bins:
                if b[0] + grams <= limit + 1e-9:
                    break
            else:
                b = [0.0, {}]
                bins.append(b)
            b[0] += grams
            b[1][sku] = b[1].get(sku, 0) + 1
    return [list(b[1].items()) for b in bins]


def _reserved(db, client_id, today):
    """Grams on Open orders generated from recurring orders in the last
    30 days: not counted as used until paid, but already promised."""
    start = (today - datetime.timedelta(days=client_allowance.WINDOW_DAYS - 1)
             ).isoformat()
    return db.execute(
        "SELECT coalesce(sum(l.qty * p.grams), 0) FROM orders o "
        "JOIN order_lines l ON l.order_id = o.id "
        "JOIN products p ON p.sku = l.sku "
        "WHERE o.client_id = ? AND o.status = ? AND o.source = 'recurring' "
        "AND p.cannabis = 1 AND o.created_at >= ?",
        [client_id, states.OPEN, start]).fetchone()[0]


def run_one(db, recurring_id, today, actor=SYSTEM_ACTOR):
    """Run one recurring order for `today` (a date).  Returns
    {"id", "client", "outcome", "orders": [ids], "reason"}; outcome:
    generated, skipped (reason), not_due, done (this period's order
    exists) or tried (skipped earlier today)."""
    with transaction(db):
        rec = db.execute(
            "SELECT r.*, c.name AS client_name FROM recurring_orders r "
            "JOIN clients c ON c.id = r.client_id WHERE r.id = ?",
            [recurring_id]).fetchone()
        out = {"id": recurring_id, "client": rec["client_name"],
               "orders": [], "reason": None}
        if not rec["active"] or not rec["next_run"] or \
                rec["next_run"] > today.isoformat():
            return dict(out, outcome="not_due")
        due = max(latest_due(rec["day_of_month"], today),
                  datetime.date.fromisoformat(rec["next_run"]))
        period = due.strftime("%Y-%m")
        done = db.execute(
            "SELECT 1 FROM recurring_runs WHERE recurring_id = ? AND "
            "period = ? AND status = 'generated'",
            [recurring_id, period]).fetchone()
        if done:
            db["recurring_orders"].update(recurring_id, {
                "next_run": first_due(rec["day_of_month"], today,
                                      period).isoformat()})
            return dict(out, outcome="done")
        tried = db.execute(
            "SELECT reason FROM recurring_runs WHERE recurring_id = ? "
            "AND run_on = ?", [recurring_id, today.isoformat()]).fetchone()
        if tried:                   # skipped earlier today: once a day
            return dict(out, outcome="tried", reason=tried["reason"])

        lines = [(line["sku"], line["qty"]) for line in db.execute(
            "SELECT sku, qty FROM recurring_lines WHERE recurring_id = ? "
            "ORDER BY id", [recurring_id])]
        reason = None
        if not lines:
            reason = "the recurring order has no items."
        else:
            grams = client_allowance.lines_grams(db, lines)
            reason = client_allowance.allowance_problem(
                db, rec["client_id"], grams, today=today,
                also_reserved=_reserved(db, rec["client_id"], today))
        parts = []
        if reason is None:
            try:
                parts = split_lines(db, lines)
            except ValueError as e:
                reason = "cannot split: %s." % e
        if reason is not None:
            db["recurring_runs"].insert({
                "recurring_id": recurring_id, "period": period,
                "run_on": today.isoformat(), "status": "skipped",
                "reason": reason, "created_at": now()})
            db["recurring_orders"].update(recurring_id, {
                "last_run": today.isoformat()})
            return dict(out, outcome="skipped", reason=reason)

        order_ids = []
        for i, part in enumerate(parts, 1):
            detail = "Recurring order #%d for %s" % (recurring_id, period)
            if len(parts) > 1:
                detail += " (%d of %d, at most %d g each)" % (
                    i, len(parts), SPLIT_GRAMS)
            order_ids.append(create_order(
                db, rec["client_id"], part, actor=actor, status=states.OPEN,
                source="recurring", verified=True,
                shipping_rate_id=rec["shipping_rate_id"],
                payment_method=rec["payment_method"],
                recurring_id=recurring_id, detail=detail))
        db["recurring_runs"].insert({
            "recurring_id": recurring_id, "period": period,
            "run_on": today.isoformat(), "status": "generated",
            "order_ids": ",".join(str(i) for i in order_ids),
            "created_at": now()})
        db["recurring_orders"].update(recurring_id, {
            "last_run": today.isoformat(),
            "next_run": due_date(*_next_month(due), rec["day_of_month"]
                                 ).isoformat()})
        return dict(out, outcome="generated", orders=order_ids)


def run_due(db, today=None, actor=SYSTEM_ACTOR):
    """Run every active recurring order for `today`; a list of run_one()
    results, one transaction per recurring order."""
    today = today or datetime.date.today()
    ids = [r["id"] for r in db.execute(
        "SELECT id FROM recurring_orders WHERE active = 1 AND next_run <= ? "
        "ORDER BY id", [today.isoformat()])]
    return [run_one(db, rid, today, actor) for rid in ids]


def describe(result):
    who = "Recurring order #%d (%s)" % (result["id"], result["client"])
    if result["outcome"] == "generated":
        return "%s: generated order%s %s" % (
            who, "s" if len(result["orders"]) > 1 else "",
            ", ".join("#%d" % i for i in result["orders"]))
    if result["outcome"] == "skipped":
        return "%s: skipped: %s" % (who, result["reason"])
    if result["outcome"] == "tried":
        return "%s: already skipped today: %s" % (who, result["reason"])
    if result["outcome"] == "done":
        return "%s: already generated for this period" % who
    return "%s: not due" % who


@click.command("recurring-run")
@click.option("--today", default=None, metavar="YYYY-MM-DD",
              help="Run as of this date (default: today).")
@click.option("--db", "db_path", type=click.Path(dir_okay=False),
              default=None,
              help="SQLite file (default: $PICKGUN_DATABASE or "
                   "instance/pickgun.db).")
def recurring_run_command(today, db_path):
    """Generate the recurring orders due today (run daily, e.g. by cron);
    re-running the same day generates nothing new."""
    if today:
        try:
            day = datetime.date.fromisoformat(today)
        except ValueError as e:
            raise click.BadParameter("use YYYY-MM-DD",
                                     param_hint="--today") from e
    else:
        day = datetime.date.today()
    path = db_path or default_database()
    prepare_database(path)
    db = connect(path)
    try:
        results = run_due(db, day)
    finally:
        db.conn.close()
    for result in results:
        click.echo(describe(result))
    made = sum(len(r["orders"]) for r in results)
    skipped = sum(r["outcome"] == "skipped" for r in results)
    click.echo("%s: %s generated, %d skipped." % (
        day.isoformat(), counted(made, "order"), skipped))
