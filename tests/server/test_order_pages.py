"""The CSR pages: dashboard, Order Profile, Order Menu, notes, devices."""
import re

import pytest
from markupsafe import escape

from order_helpers import history_count, in_stock, order_row, record_pick
from server.orders import create
from server.orders import queries
from server.orders import states
from server.web.orders import MENU_STEPS
from shared import wire


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def menu_actions(html):
    menu = html[html.index('id="menu"'):html.index('id="notes"')]
    return re.findall(r'data-action="([a-z_]+)"', menu)


def test_root_goes_to_orders(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/orders/")


def test_dashboard_lists_filters_and_searches(client, demo):
    html = page(client, "/orders/")
    for text in ("Order ID", "Client", "Quantity", "Total Due", "Created At",
                 "Shipped On", "Status", "Carrier", "#1003", "Priya Raman",
                 "Order Placed", "$59.94"):
        assert text in html
    html = page(client, "/orders/?status=shipped")
    assert "#1002" in html and "#1003" not in html
    html = page(client, "/orders/?q=Tremblay&show=all")
    assert "#1001" in html and "#1007" in html and "#1002" not in html
    html = page(client, "/orders/?sort=id")
    assert html.index("#1008") < html.index("#1001")


def test_order_profile_shows_lines_picks_notes_and_qr(client, demo):
    html = page(client, "/orders/1003")
    assert "Order #1003" in html and "Priya Raman" in html
    assert "Order Placed" in html
    assert wire.order_code(1003) in html
    assert re.search(r'<svg[^>]*class="qr"', html)
    assert "CBD Oil 30 mL" in html and "CBD-SFT-20" in html
    accepted = queries.order_picks(demo, 1003)
    for pick in accepted:
        assert pick["serial"] in html and pick["lot_id"] in html
    assert "G01" in html
    assert wire.reason_text("wrong_product") in html
    assert "Client requested discreet packaging" in html
    assert 'name="text"' in html


def test_unknown_order_page_is_404(client, demo):
    assert client.get("/orders/999999").status_code == 404


@pytest.mark.parametrize("status", states.STATUSES)
def test_menu_shows_exactly_the_allowed_actions(client, demo, status):
    order_id = create.create_order(demo, 1, [("CBD-OIL-30", 1)],
                                   status=status)
    html = page(client, "/orders/%d" % order_id)
    # A verified order (every CSR-made one) has nothing left to verify.
    # Made without bottles leaving: no after-shipping records offered.
    assert menu_actions(html) == [
        a.name for a in states.order_actions(queries.get_order(demo, order_id))
        if a.name != "verify"]
    # Actions that ask first do it in a step of their own, named after
    # the action and saying what it will do.
    for action in states.allowed_actions(status):
        if action.name in MENU_STEPS:
            step = html[html.index('id="step-%s"' % action.name):]
            step = step[:step.index("</details>")]
            assert "%s</summary>" % escape(action.label) in step
            assert 'class="step-effect"' in step


def test_illegal_action_via_page_flashes_and_changes_nothing(client, demo):
    before = order_row(demo, 1003)
    entries = history_count(demo, 1003)
    response = client.post("/orders/1003/actions/delete",
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "flash-error" in html
    assert "Delete Order is not allowed for an order in status Order " \
        "Placed" in html
    assert order_row(demo, 1003) == before
    assert history_count(demo, 1003) == entries


def test_ship_before_picking_flashes_why(client, demo):
    html = client.post("/orders/1004/actions/ship",
                       follow_redirects=True).get_data(as_text=True)
    assert "Cannot ship" in html and "THC-CAP-10 (0 of 2)" in html
    assert order_row(demo, 1004)["status"] == "placed"


def test_unverified_order_offers_verify(client, demo):
    order_id = create.create_order(demo, 1, [("CBD-OIL-30", 1)],
                                   verified=False, source="portal")
    assert "verify" in menu_actions(page(client, "/orders/%d" % order_id))


def test_legal_action_via_page(client, demo):
    response = client.post("/orders/1006/actions/confirm_payment",
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "flash-success" in html and "Payment confirmed" in html
    assert order_row(demo, 1006)["status"] == "placed"
    assert menu_actions(html) == [
        a.name for a in states.allowed_actions("placed")
        if a.name != "verify"]


def test_delete_via_page_returns_to_dashboard(client, demo):
    response = client.post("/orders/1007/actions/delete")
    assert response.headers["Location"].endswith("/orders/")
    assert order_row(demo, 1007) is None


def test_add_note_via_page_bumps_rev(client, demo):
    rev = order_row(demo, 1004)["rev"]
    response = client.post("/orders/1004/notes", data={
        "text": "Leave with building concierge", "author": "Nadia"},
        follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Note added" in html and "Leave with building concierge" in html
    assert order_row(demo, 1004)["rev"] == rev + 1
    assert queries.order_notes(demo, 1004)[-1]["author"] == "t-admin"
    # The name is remembered for the next action.
    client.post("/orders/1004/actions/generate_documents")
    assert queries.order_history(demo, 1004)[0]["actor"] == "t-admin"


def test_empty_note_via_page_is_refused(client, demo):
    rev = order_row(demo, 1004)["rev"]
    html = client.post("/orders/1004/notes", data={"text": "  "},
                       follow_redirects=True).get_data(as_text=True)
    assert "flash-error" in html and "Note must not be empty" in html
    assert order_row(demo, 1004)["rev"] == rev


def test_live_fragment_shows_new_picks(client, demo):
    serial = in_stock(demo, "CBD-SFT-20")[0]
    assert serial not in page(client, "/orders/1003/live")
    record_pick(demo, 1003, serial, device="G02")
    html = page(client, "/orders/1003/live")
    assert serial in html and "G02" in html
    assert 'data-status="placed"' in html


def test_devices_page(client, demo):
    html = page(client, "/devices/")
    assert "G01" in html and "Packing bench 2" in html
    assert "Offline" in html and "0.1.0" in html and "esp32_gm65" in html


def test_devices_page_without_guns(client):
    assert "No scanner guns" in page(client, "/devices/")


def test_archive_shipped_from_dashboard(client, demo):
    html = client.post("/orders/archive/shipped",
                       follow_redirects=True).get_data(as_text=True)
    assert "Archived 1 order in status Order Shipped." in html
    assert order_row(demo, 1002)["archived"] == 1
    assert "#1002" not in html    # the dashboard shows active orders
    assert "#1002" in page(client, "/orders/?show=archived")
    assert client.post("/orders/archive/placed").status_code == 404
