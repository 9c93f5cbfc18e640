"""What the lists and messages say: the dashboard's Unverified badge sits
with the status, the Client Portal tells when an order was placed (not
when it was started), and counts agree with their nouns."""
import pytest
from order_helpers import in_stock, place_order, record_pick
from test_portal import sign_in

from server.orders import create
from server.demo_data import DEMO_PASSWORD
from server.core.wording import counted

PRIYA = "priya.raman@rogers.com"


def test_counts_agree_with_their_nouns():
    assert counted(1, "bottle") == "1 bottle"
    assert counted(0, "bottle") == "0 bottles"
    assert counted(2, "bottle") == "2 bottles"
    assert counted(12345, "order") == "12,345 orders"
    assert counted(1, "picked bottle", "picked bottles") == "1 picked bottle"
    assert counted(3, "picked bottle", "picked bottles") == "3 picked bottles"


def _portal_order(anon_client):
    sign_in(anon_client)
    response = anon_client.post("/portal/orders/new",
                                data={"qty_CBD-SFT-20": "1"})
    return int(response.headers["Location"].split("/")[-1])


def _cells(html, order_id):
    row = html[html.index('data-order-id="%d"' % order_id):]
    row = row[:row.index("</tr>")]

    def cell(name):
        text = row[row.index('class="%s' % name):]
        return text[:text.index("</td>")]
    return cell("col-client"), cell("col-status")


def test_an_unverified_order_says_so_in_its_status_cell(client, anon_client,
                                                        demo):
    order_id = _portal_order(anon_client)
    client_cell, status_cell = _cells(
        client.get("/orders/?show=all").get_data(as_text=True), order_id)
    assert "Unverified" not in client_cell
    assert "Unverified" in status_cell


def _one_bottle_order(demo):
    order_id = create.create_order(demo, 1, [("CBD-OIL-30", 1)])
    place_order(demo, order_id)
    record_pick(demo, order_id, in_stock(demo, "CBD-OIL-30")[0])
    return order_id


@pytest.mark.parametrize("action,form", [
    ("ship", {"carrier": "Canada Post", "tracking": "CP1"}),
    ("reset_picking", {}),
])
def test_one_bottle_is_one_bottle(client, demo, action, form):
    order_id = _one_bottle_order(demo)
    html = client.post("/orders/%d/actions/%s" % (order_id, action),
                       data=form, follow_redirects=True).get_data(
                           as_text=True)
    assert "1 bottle" in html
    assert "1 bottles" not in html and "bottle(s)" not in html


def test_portal_shows_when_an_order_was_placed(anon_client, demo):
    order_id = _portal_order(anon_client)
    html = anon_client.get("/portal/").get_data(as_text=True)
    head = html[html.index("<thead>"):html.index("</thead>")]
    assert "<th>Ordered</th><th>Placed</th>" in head
    row = html[html.index("#%d</a>" % order_id):]
    placed = row[row.index('data-col="placed">') + 18:]
    assert placed.startswith("</td>")       # Open: not placed yet


def test_lists_in_a_browser(browser, signed_in_page, live_server, demo,
                            keep_screenshot, screen):
    viewport = screen[1]
    # A client's order waiting in the Client Portal for a CSR.
    portal = browser.new_page(viewport={"width": viewport[0],
                                        "height": viewport[1]})
    try:
        portal.goto(live_server + "/portal/login")
        portal.fill("input[name=email]", PRIYA)
        portal.fill("input[name=password]", DEMO_PASSWORD)
        portal.click("#portal-login button[type=submit]")
        portal.wait_for_url("**/portal/")
        portal.goto(live_server + "/portal/orders/new")
        portal.fill("input[name='qty_CBD-SFT-20']", "1")
        portal.click("#portal-order-form button[type=submit]")
        portal.wait_for_url("**/portal/orders/*")
        order_id = int(portal.url.rstrip("/").split("/")[-1])
        portal.goto(live_server + "/portal/")
        row = portal.locator("tr", has_text="#%d" % order_id)
        assert row.locator("[data-col=placed]").inner_text().strip() == ""
        placed = portal.locator("tr", has_text="#1003")
        assert placed.locator("[data-col=placed]").inner_text().strip()
        keep_screenshot(portal, "portal")
    finally:
        portal.close()

    page = signed_in_page(live_server, "csr", viewport=viewport)
    page.goto(live_server + "/orders/")
    row = page.locator("tr[data-order-id='%d']" % order_id)
    assert row.locator(".col-status .badge-unverified").is_visible()
    assert row.locator(".col-client .badge").count() == 0
    keep_screenshot(page, "dashboard")
