"""Helpers for the records tests (complaints, destruction, returned
grams): an order in any status, and everything a refused request must
leave untouched."""
import re

from server.orders import actions
from server.orders import queries
from server.orders import states

# Demo orders (server.seed) by status; refused and refunded are made.
DEMO = {
    states.DELIVERED: 1001,
    states.SHIPPED: 1002,
    states.PLACED: 1003,
    states.AWAITING_PAYMENT: 1006,
    states.OPEN: 1007,
    states.CANCELLED: 1008,
}


def order_in(db, status):
    """The id of a demo order in `status`.  Refused or refunded: the
    shipped order 1002, refused by the client or refunded (its bottles stay
    'shipped': it dispensed them, so the after-shipping records apply)."""
    if status in (states.REFUSED, states.REFUNDED):
        actions.apply_action(db, 1002, {states.REFUSED: "refuse",
                                       states.REFUNDED: "refund"}[status],
                            "test")
        return 1002
    return DEMO[status]


def allowed(action):
    return sorted(states.ACTIONS[action].allowed)


def refused(action):
    return sorted(set(states.STATUSES) - states.ACTIONS[action].allowed)


TABLES = ("orders", "bottles", "order_history", "complaints",
          "destructions", "destruction_bottles", "returned_grams", "notes")


def state(db):
    """Every row a record action could touch."""
    return {t: [tuple(r) for r in db.execute(
        "SELECT * FROM %s ORDER BY rowid" % t)] for t in TABLES}


def last_history(db, order_id):
    return queries.order_history(db, order_id)[0]


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def flashed_error(response):
    """The error a refused form shows; the page is shown again from the
    POST (400 bad input, 409 refused) so what was typed stays."""
    html = response.get_data(as_text=True)
    assert response.status_code in (400, 409)
    assert "flash-error" in html, html[:2000]
    start = html.index("flash-error")
    return html[start:html.index("</div>", start)]


def flashed(client, response, category="error"):
    """The messages of `category` a page flashed: before redirecting (read
    from the session, without rendering the next page), or on the page
    shown again after a refused form."""
    if response.status_code in (400, 409):
        html = response.get_data(as_text=True)
        start = html.index("flash-" + category)
        return html[start:html.index("</div>", start)]
    assert response.status_code == 302
    with client.session_transaction() as session:
        return " ".join(m for c, m in session.get("_flashes", [])
                        if c == category)


def locked_button(html, button_id):
    """The reason a page's button is shown disabled ("Needs a
    supervisor"), None when it is enabled; the button must be there: the
    back office never hides an action the status allows from a role."""
    match = re.search(r'<button [^>]*id="%s"[^>]*>' % re.escape(button_id),
                      html)
    assert match, "no button #%s" % button_id
    tag = match.group(0)
    if " disabled" not in tag:
        return None
    title = re.search(r'title="([^"]*)"', tag)
    assert title and title.group(1) in html[match.end():], \
        "a disabled button says why, in its title and beside it"
    return title.group(1)
