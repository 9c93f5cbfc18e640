"""Receipts and the dispensing record: what each says, and whether it
can be generated for an order.

Confirmation, Shipping and Policy Receipts show the order lines and the
order's stored money columns (subtotal, shipping, discount, coverage and
Total Due; NULL counts as 0): the receipts print what the order says,
they never recompute it.  The Dispensing Record lists every bottle
dispensed with the order (its accepted picks) with serial, product, lot,
packaging and expiry dates and grams, under the client's registration and
prescriber: the record of sale the regulations keep for 7 years.  From the
moment the order is placed, before a bottle is picked, it also lists what
is ordered but not picked ("not yet picked"), so every version says how
far dispensing had gone.  Whether a document can be generated at all is
refusal(): render() refuses by it, the pages offer by it (offers()).
server.documents.receipt_pdf draws each kind's PDF pages.

server.documents.store keeps each rendering as a new version of the order's
document; this module only reads."""
from server.orders import queries
from server.documents import kinds
from server.documents import labels
from server.core.db import now
from server.documents.receipt_pdf import RENDERERS


class NothingToReceipt(kinds.DocumentError):
    """E.g. a policy receipt for a client with no coverage policy."""


# ---------------------------------------------------------------- data
def receipt_data(db, order_id, producer=None):
    """Everything a receipt prints, read in the caller's transaction."""
    order = queries.require_order(db, order_id)
    client = labels.client_of(db, order)
    lines = queries.order_lines(db, order_id)
    for line in lines:
        line["total_cents"] = (line["price_cents"] or 0) * line["qty"]
        line["line_grams"] = (line["grams"] or 0) * line["qty"]
    name, address = labels.ship_to(order, client)
    service = None
    if order.get("shipping_rate_id"):
        rate = db.execute("SELECT carrier, service, days FROM shipping_rates "
                          "WHERE id = ?",
                          [order["shipping_rate_id"]]).fetchone()
        service = dict(rate) if rate else None
    shipped_by = db.execute(
        "SELECT actor FROM order_history WHERE order_id = ? AND "
        "action = 'ship' ORDER BY id DESC LIMIT 1", [order_id]).fetchone()
    money_cols = {k: order.get(k) or 0 for k in (
        "subtotal_cents", "shipping_cents", "discount_cents",
        "coverage_cents", "total_cents")}
    return {
        "order": order, "client": client, "lines": lines,
        "money": money_cols, "ship_name": name, "ship_address": address,
        "service": service, "producer": producer or labels.PRODUCER,
        "dispensed_by": shipped_by["actor"] if shipped_by else None,
        "bottles": labels.dispensed_bottles(db, order_id),
    }


# -------------------------------------------------------- what can be
def refusal(data, kind):
    """Why `kind` cannot be generated from `data` (receipt_data), as
    "No Policy Receipt: ...", or None.  render() refuses by it and the
    pages offer by it (offers), so what is offered can be generated."""
    client, cents = data["client"], data["money"]
    if kind == kinds.POLICY_RECEIPT and not client.get("coverage_name") \
            and not cents["coverage_cents"]:
        return "No %s: the client has no coverage policy on file." % (
            kinds.KIND_LABELS[kind])
    return None


def offers(db, order_id, producer=None):
    """[{"kind", "label", "refusal"}] for each of kinds.GENERATED_KINDS:
    refusal is None when it can be generated for the order (its status
    aside: Generate Documents is order_states' decision)."""
    data = receipt_data(db, order_id, producer)
    return [{"kind": kind, "label": kinds.KIND_LABELS[kind],
             "refusal": refusal(data, kind)}
            for kind in kinds.GENERATED_KINDS]


# ------------------------------------------------------------ rendering
def render(db, order_id, kind, actor, producer=None):
    """The PDF bytes of `kind` (kinds.GENERATED_KINDS) for the order;
    NothingToReceipt when refusal() says it cannot be generated."""
    data = receipt_data(db, order_id, producer)
    problem = refusal(data, kind)
    if problem:
        raise NothingToReceipt(problem)
    data["generated_by"] = actor or ""
    data["generated_at"] = now()
    return RENDERERS[kind](data)
