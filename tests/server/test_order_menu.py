"""The Order Menu and the Documents section: one name per action (the
seed's), actions that ask first in a step of their own saying truly what
will happen, Archive/Unarchive saying which, one role rule (shown
disabled with what it needs), and Generate offering only what can be
generated."""
import io
import re

import pypdf
import pytest
from markupsafe import escape

from order_helpers import everything, in_stock, order_row, record_pick
from server.orders import actions as order_actions
from server.orders import create as order_create
from server.orders import effects
from server.orders import queries
from server.web import auth
from server.documents import store as documents
from server.orders import states
from server.web.orders import MENU_STEPS

JEAN_LUC = 4        # no coverage policy
PRIYA = 3           # Sun Life Health coverage

# The seed's names (help centre, Order Profile), and Take/Confirm Payment.
SEED_NAMES = {
    "select_shipping": "Select Shipping", "refuse": "Refuse Order",
    "delete": "Delete Order", "archive": "Archive/Unarchive Order",
    "refund": "Refund Order", "reset_picking": "Reset Picking",
    "return_bottles": "Return Bottles",
    "reprint_patient_labels": "Reprint Patient Labels",
    "reprint_bottle_labels": "Reprint Bottle Labels",
    "mark_delivered": "Mark as Delivered", "take_payment": "Take Payment",
    "confirm_payment": "Confirm Payment",
}


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, url
    return response.get_data(as_text=True)


def section(html, ident):
    start = html.index('id="%s"' % ident)
    return html[start:html.index("</section>", start)]


def step(html, action):
    """The <details> of `action`'s step."""
    start = html.rindex("<details", 0, html.index('id="step-%s"' % action))
    return html[start:html.index("</details>", start)]


def pdf_text(data):
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join(p.extract_text().split()) for p in reader.pages)


# ------------------------------------------------------------------ names
def test_each_action_has_the_seeds_name():
    for name, label in SEED_NAMES.items():
        assert states.label(name) == states.ACTIONS[name].label == label
    archived = {"archived": 1}
    assert states.label("archive", archived) == "Unarchive Order"
    assert states.label("archive", {"archived": 0}) == "Archive Order"
    # History rows name what is not a menu action too.
    assert states.label("create") == "Create Order"
    assert states.label("print_labels") == "Print Labels"


@pytest.mark.parametrize("status", states.STATUSES)
def test_menu_and_documents_spell_each_action_one_way(client, demo, status):
    order_id = order_create.create_order(demo, PRIYA, [("CBD-OIL-30", 1)],
                                   status=status)
    html = page(client, "/orders/%d" % order_id)
    shown = "".join(section(html, s) for s in ("menu", "documents", "notes"))
    for action in states.ACTIONS.values():
        for found in re.findall(re.escape(action.label), shown, re.I):
            assert found == action.label
    for wrong in ("Select shipping", "Take payment", "Confirm payment",
                  "Reprint patient labels", "Add note"):
        assert wrong not in shown
    buttons = re.findall(r'data-action="(\w+)"[^>]*>([^<]+)<', shown)
    assert buttons and all(text == states.label(name, {"archived": 0})
                           for name, text in buttons)


# ------------------------------------------------------------------ steps
@pytest.mark.parametrize("status", [states.OPEN, states.PLACED,
                                    states.SHIPPED])
def test_actions_that_ask_first_have_a_titled_step(client, demo, status):
    order_id = order_create.create_order(demo, JEAN_LUC, [("CBD-OIL-30", 1)],
                                   status=status, carrier="Canpar")
    html = page(client, "/orders/%d" % order_id)
    steps = [a for a in states.allowed_actions(status) if a.name in MENU_STEPS]
    assert steps
    for action in steps:
        found = step(html, action.name)
        # One open at a time: every step shares the same name.
        assert 'name="order-step"' in found and " open" not in \
            found[:found.index(">")]
        assert re.search(r'<summary class="btn[^"]*">%s</summary>'
                         % re.escape(str(escape(action.label))), found)
        assert re.search(r'<p class="step-effect">[A-Z][^<]+\.</p>', found)
        for name, label, required, _ in MENU_STEPS[action.name]:
            ident = "%s-%s" % (action.name, name)
            assert '<label for="%s">%s' % (ident, escape(label)) in found
            assert '<input id="%s" name="%s"' % (ident, name) in found
            assert ("required" in found.split('id="%s"' % ident)[1]
                    .split(">")[0]) == required
        assert re.search(r'<button type="submit" data-action="%s"[^>]*>%s'
                         r'</button>' % (action.name, escape(action.label)),
                         found)
    assert "data-confirm" not in section(html, "menu")


def order_in(db, status):
    """An order of Jean-Luc in `status` with one bottle picked (and, once
    shipped, shipped)."""
    start = states.PLACED if status in (states.SHIPPED, states.DELIVERED) \
        else status
    order_id = order_create.create_order(db, JEAN_LUC, [("CBD-OIL-30", 1)],
                                   status=start, carrier="Canpar")
    if start == states.PLACED:
        record_pick(db, order_id, in_stock(db, "CBD-OIL-30")[0])
    if status in (states.SHIPPED, states.DELIVERED):
        order_actions.apply_action(db, order_id, "ship", "t",
                                   {"tracking": "T1"})
    if status == states.DELIVERED:
        order_actions.apply_action(db, order_id, "mark_delivered", "t")
    return order_id


def bottle_states(db, order_id):
    return [r[0] for r in db.execute(
        "SELECT b.status FROM picks k JOIN bottles b ON b.serial = k.serial "
        "WHERE k.order_id = ?", [order_id])]


@pytest.mark.parametrize("status,action", [
    (s, a) for s in states.STATUSES for a in MENU_STEPS if states.can(s, a)])
def test_a_step_says_what_the_action_does(client, demo, status, action):
    order_id = order_in(demo, status)
    said = effects.effect_text(demo, order_row(demo, order_id), action)
    assert str(escape(said)) in page(client, "/orders/%d" % order_id)
    response = client.post("/orders/%d/actions/%s" % (order_id, action),
                           data={"reason": "Checked", "tracking": "T2"})
    assert response.status_code == 302
    after = order_row(demo, order_id)
    if action == "delete":
        assert "removed for good" in said and after is None
        return
    moved = re.search(r"The order moves to ([^.]+)\.", said)
    assert (moved.group(1) if moved else states.STATUS_LABELS[status]) == \
        states.STATUS_LABELS[after["status"]]
    bottles = bottle_states(demo, order_id)
    if "back to inventory" in said:
        assert bottles == ["in_stock"]
    if "stays recorded as shipped" in said or "recorded as shipped," in said:
        assert bottles == ["shipped"]
    if "marked returned" in said:
        assert bottles == ["returned"]
    if "No bottle" in said:
        assert bottles == []


def test_step_names_what_stands_in_the_way(client, demo):
    # 1004: nothing picked; an Open order with a document.
    html = page(client, "/orders/1004")
    assert "It cannot ship yet: not every line is fully picked: " \
        "THC-CAP-10 (0 of 2)" in step(html, "ship")
    demo["documents"].insert({"order_id": 1007, "kind": "upload",
                              "title": "x", "filename": "x.txt",
                              "content_type": "text/plain",
                              "stored_name": "0" * 32, "size": 1})
    assert "cannot be deleted: cancel it instead" in step(
        page(client, "/orders/1007"), "delete")


def test_refused_step_comes_back_open_with_what_was_typed(client, demo):
    long_reason = "x" * (order_actions.REASON_MAX + 1)
    before = everything(demo)
    response = client.post("/orders/1003/actions/refuse",
                           data={"reason": long_reason})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    refuse = step(html, "refuse")
    assert 'id="step-refuse" open>' in refuse
    assert 'value="%s"' % long_reason in refuse
    # No other step is open, nor holds what was typed.
    cancel = step(html, "cancel")
    assert " open>" not in cancel and long_reason not in cancel
    assert everything(demo) == before


# ---------------------------------------------------------------- archive
def test_archive_says_which_it_will_do_and_did(client, demo):
    html = page(client, "/orders/1002")
    assert re.search(r'data-action="archive" class="btn ">Archive Order<',
                     html)
    html = client.post("/orders/1002/actions/archive",
                       follow_redirects=True).get_data(as_text=True)
    assert "Order #1002 archived: the dashboard lists it under Archived." \
        in html
    assert re.search(r'data-action="archive" class="btn ">Unarchive Order<',
                     html)
    html = client.post("/orders/1002/actions/archive",
                       follow_redirects=True).get_data(as_text=True)
    assert "Order #1002 unarchived: the dashboard lists it among active " \
        "orders again." in html
    assert [h["detail"] for h in queries.order_history(demo, 1002)[:2]] == [
        "unarchived", "archived"]


# -------------------------------------------------------------- role rule
@pytest.mark.parametrize("role", list(auth.ROLES))
@pytest.mark.parametrize("status", states.STATUSES)
def test_every_allowed_action_is_shown_disabled_when_the_role_may_not(
        app, login, demo, role, status):
    order_id = order_create.create_order(demo, PRIYA, [("CBD-OIL-30", 1)],
                                   status=status)
    html = page(login(app.test_client(), role), "/orders/%d" % order_id)
    menu = section(html, "menu")
    shown = re.findall(r'data-action="(\w+)"', menu)
    # Made without bottles leaving: no after-shipping records offered.
    assert shown == [a.name for a in states.order_actions(
        queries.get_order(demo, order_id)) if a.name != "verify"]
    disabled = re.findall(r'<button type="button" class="[^"]*" disabled '
                          r'title="([^"]+)" data-action="(\w+)">', menu)
    assert [name for _, name in disabled] == [
        name for name in shown if not auth.role_allows(role, name)]
    for needs, name in disabled:
        assert needs == auth.NEEDS_TEXT[auth.ROLE_FOR.get(
            name, auth.DEFAULT_ROLE)]
        # No form to post it, and the reason is visible beside it.
        assert "/actions/%s\"" % name not in menu
        assert '<small class="needs">%s</small>' % needs in menu


def test_disabled_action_posted_anyway_changes_nothing(app, login, demo):
    csr = login(app.test_client(), "csr")
    before = everything(demo)
    for url in ("/orders/1004/actions/refund", "/orders/1007/actions/delete",
                "/orders/1003/actions/refund"):
        assert csr.post(url, data={"reason": "x"}).status_code == 403
    associate = login(app.test_client(), "associate")
    for url in ("/orders/1003/documents/generate/confirmation_receipt",
                "/orders/1003/notes", "/clients/4/orders",
                "/recurring/1/active"):
        assert associate.post(url, data={"text": "x"}).status_code == 403
    assert everything(demo) == before


def test_dashboard_bulk_archive_shows_what_it_needs(app, login, demo):
    html = page(login(app.test_client(), "csr"), "/orders/")
    for label in ("Archive Shipped", "Archive Delivered"):
        assert re.search(r'disabled title="Needs a supervisor">%s</button>\s*'
                         r'<small class="needs">Needs a supervisor</small>'
                         % label, html)
    assert "/orders/archive/" not in html
    html = page(login(app.test_client(), "supervisor"), "/orders/")
    assert 'action="/orders/archive/shipped"' in html and "Needs a" not in html


def test_client_and_recurring_pages_show_what_a_role_needs(app, login, demo):
    associate = login(app.test_client(), "associate")
    wanted = {
        "/clients/4": ["save-client"],
        "/clients/4?tab=orders": ["create-order"],
        "/clients/4?tab=recurring": ["new-recurring"],
    }
    for url, ids in wanted.items():
        html = page(associate, url)
        for ident in ids:
            assert re.search(r'disabled title="Needs a CSR" id="%s">' % ident,
                             html), (url, ident)
            assert '<small class="needs">Needs a CSR</small>' in html
    for url in ("/recurring/", "/clients/4?tab=recurring"):
        assert re.search(r'disabled title="Needs a CSR" data-recurring="1">'
                         r'Pause</button>', page(associate, url))
    html = page(associate, "/recurring/1")
    assert re.search(r'<fieldset class="wide" disabled>', html)
    assert re.search(r'disabled title="Needs a CSR">Save</button>', html)
    csr = page(login(app.test_client(), "csr"), "/clients/4?tab=recurring")
    assert "Needs a" not in csr and 'id="new-recurring"' in csr


def test_staff_page_shows_own_account_disabled(client, demo):
    html = page(client, "/staff/")
    row = html[html.index('data-username="t-admin"'):]
    row = row[:row.index("</tr>")]
    assert row.count("disabled") == 3       # role select, Set role, Deactivate
    assert "not your own account" in row
    other = html[html.index('data-username="t-csr"'):]
    assert "disabled" not in other[:other.index("</tr>")]


# -------------------------------------------------------------- documents
def offered(html):
    return re.findall(r'data-generate="(\w+)"', section(html, "documents"))


def test_generate_offers_what_the_server_generates(client, demo):
    for order_id in (1001, 1002, 1003, 1004, 1005):
        html = page(client, "/orders/%d" % order_id)
        offers = offered(html)
        for kind in documents.GENERATED_KINDS:
            before = demo["documents"].count
            client.post("/orders/%d/documents/generate/%s" % (order_id, kind))
            made = demo["documents"].count == before + 1
            assert made == (kind in offers), (order_id, kind)
            if not made:
                assert 'data-not-offered="%s"' % kind in html


def test_policy_receipt_only_with_a_policy(client, demo):
    assert "policy_receipt" not in offered(page(client, "/orders/1004"))
    assert "No Policy Receipt: the client has no coverage policy on file." \
        in section(page(client, "/orders/1004"), "documents")
    assert "policy_receipt" in offered(page(client, "/orders/1003"))


def test_dispensing_record_from_the_moment_the_order_is_placed(client, demo):
    # Placed, nothing picked: the record says what is still to pick.
    assert "dispensing_record" in offered(page(client, "/orders/1004"))
    client.post("/orders/1004/documents/generate/dispensing_record")
    [row] = documents.list_documents(demo, 1004)
    text = pdf_text(client.get("/orders/1004/documents/%d" % row["id"]).data)
    assert "0 bottles, 0.0 g in total" in text
    assert "No bottle picked yet." in text
    assert "Ordered, not yet picked" in text
    assert "THC-CAP-10 THC Capsules 10 mg x 30 2 0 2" in text
    assert "not yet shipped (Order Placed)" in text

    # Refused before it shipped: its bottles went back, nothing dispensed.
    client.post("/orders/1003/actions/refuse")
    client.post("/orders/1003/documents/generate/dispensing_record")
    [row] = documents.list_documents(demo, 1003)
    text = pdf_text(client.get("/orders/1003/documents/%d" % row["id"]).data)
    assert "Ordered, not dispensed" in text and "None." in text
    assert "not shipped (Order Refused)" in text

    # Shipped: every bottle, nothing left to pick.
    client.post("/orders/1002/documents/generate/dispensing_record")
    [row] = documents.list_documents(demo, 1002)
    text = pdf_text(client.get("/orders/1002/documents/%d" % row["id"]).data)
    assert "not yet picked" not in text and "not dispensed" not in text
