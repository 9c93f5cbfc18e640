"""The state machine against the help-centre pages (Order Profile: statuses
and Order Menu), written out independently here as the expected table."""
import pytest

from server.orders import states

ALL = set(states.STATUSES)
# Order Menu rules quoted from the Order Profile page, plus the workflow
# steps its status list implies.
EXPECTED = {
    "select_shipping": {"open"},
    "refuse": {"open", "placed", "shipped"},
    "delete": {"open"},
    "archive": {"awaiting_payment", "placed", "shipped", "delivered"},
    "refund": {"placed", "shipped"},
    "reset_picking": {"placed", "shipped"},
    "return_bottles": {"shipped", "delivered"},
    "reprint_patient_labels": {"shipped", "delivered"},
    "reprint_bottle_labels": {"shipped", "delivered"},
    "mark_delivered": {"shipped"},
    # "Once the order has been Placed, click Generate in the Documents
    # section": every status an order reaches after being placed.
    "generate_documents": {"placed", "shipped", "delivered", "refused",
                           "refunded"},
    "add_note": ALL,
    "upload_document": ALL,
    # Workflow: Open -> (Awaiting Payment ->) Placed -> Shipped -> Delivered;
    # Cancelled: by the client before shipping.
    "confirm_payment": {"awaiting_payment"},
    "pick": {"placed"},
    "ship": {"placed"},
    "cancel": {"open", "awaiting_payment", "placed"},
    # Creating an order on the Overview tab: items, then payment.
    "edit_lines": {"open"},
    "take_payment": {"open"},
    "verify": {"open", "awaiting_payment", "placed"},
    "print_shipping_label": {"shipped", "delivered"},
    # After shipping: complaints, destruction of returned bottles and
    # grams back to the prescription for returned, refused, lost (shipped,
    # never delivered) or refunded orders; a cancelled order never left.
    # Each also needs the order to have dispensed something (below).
    "add_complaint": {"shipped", "delivered", "refused", "refunded"},
    "record_destruction": {"shipped", "delivered", "refused", "refunded"},
    "return_grams": {"shipped", "delivered", "refused", "refunded"},
}
RECORDS = ("add_complaint", "record_destruction", "return_grams")
TARGETS = {
    "take_payment": "placed",
    "confirm_payment": "placed", "ship": "shipped",
    "mark_delivered": "delivered", "refuse": "refused",
    "cancel": "cancelled", "refund": "refunded",
}
CONFIRMED = {"refuse", "cancel", "refund", "reset_picking", "delete"}


def test_statuses_are_the_eight_of_the_seed_in_order():
    assert [states.STATUS_LABELS[s] for s in states.STATUSES] == [
        "Open Order", "Awaiting Payment", "Order Placed", "Order Shipped",
        "Order Delivered", "Order Refused", "Order Refunded", "Cancelled"]


def test_every_action_is_in_the_expected_table():
    assert set(states.ACTIONS) == set(EXPECTED)


@pytest.mark.parametrize("status", states.STATUSES)
@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_allowed_or_refused(status, action):
    allowed = status in EXPECTED[action]
    assert states.can(status, action) is allowed
    if allowed:
        assert states.require(status, action).name == action
        assert states.target(status, action) == TARGETS.get(action, status)
    else:
        with pytest.raises(states.IllegalAction) as err:
            states.require(status, action)
        assert states.STATUS_LABELS[status] in str(err.value)
        assert states.ACTIONS[action].label in str(err.value)


@pytest.mark.parametrize("status", states.STATUSES)
def test_allowed_actions_lists_exactly_the_allowed(status):
    names = [a.name for a in states.allowed_actions(status)]
    assert set(names) == {a for a, ok in EXPECTED.items() if status in ok}


def test_unknown_action_is_refused():
    assert not states.can("open", "teleport")
    with pytest.raises(states.IllegalAction, match="Unknown action"):
        states.require("open", "teleport")


def test_confirm_prompts_on_destructive_actions():
    assert {a.name for a in states.ACTIONS.values() if a.confirm} == CONFIRMED


def test_only_placed_orders_are_picked():
    assert [s for s in states.STATUSES if states.awaiting_fulfilment(s)] \
        == ["placed"]


@pytest.mark.parametrize("method,to", [
    ("credit_card", "placed"), ("debit_card", "placed"),
    ("cash", "awaiting_payment"), ("money_order", "awaiting_payment"),
    ("cheque", "awaiting_payment")])
def test_payment_method_decides_the_status(method, to):
    assert states.payment_target("open", method) == to


def test_payment_refused_outside_open_and_for_unknown_methods():
    with pytest.raises(states.IllegalAction):
        states.payment_target("placed", "cash")
    with pytest.raises(ValueError):
        states.payment_target("open", "bitcoin")


def test_tabs_follow_the_actions():
    assert [t for t, _ in states.tabs("open")] == ["overview"]
    assert [t for t, _ in states.tabs("placed")] == [
        "overview", "receipts", "dispensing"]
    assert [t for t, _ in states.tabs("cancelled")] == ["overview"]
    assert len(states.tabs("delivered")) == 6


# ------------------------------------------------ after-shipping records
@pytest.mark.parametrize("status", states.STATUSES)
@pytest.mark.parametrize("action", RECORDS)
def test_records_need_an_order_that_dispensed_something(status, action):
    after_shipping = status in EXPECTED[action]
    assert states.can(status, action, dispensed=True) is after_shipping
    assert states.can(status, action, dispensed=False) is False
    assert (action in [a.name for a in states.allowed_actions(
        status, dispensed=False)]) is False
    order = {"status": status, "dispensed": False}
    assert not states.order_can(order, action)
    with pytest.raises(states.IllegalAction) as err:
        states.order_require(order, action)
    if after_shipping:
        # The status allows it: the message says what is missing.
        assert isinstance(err.value, states.NothingDispensed)
        assert "left the building" in str(err.value)
        assert states.ACTIONS[action].label in str(err.value)
    else:
        assert "not allowed for an order in status" in str(err.value)


@pytest.mark.parametrize("status", states.STATUSES)
def test_dispensing_changes_only_the_records(status):
    """Every other action is the status's decision alone; a caller that
    does not know (dispensed=None) gets the status's answer."""
    for action in states.ACTIONS:
        if action not in RECORDS:
            assert states.can(status, action, dispensed=False) \
                is states.can(status, action)
        assert states.can(status, action, dispensed=None) \
            is states.can(status, action)
        assert states.can(status, action, dispensed=True) \
            is states.can(status, action)


def test_record_tabs_need_dispensing_or_records_on_file():
    for status in ("refused", "refunded"):
        assert [t for t, _ in states.tabs(status, dispensed=False)] == [
            "overview", "receipts", "dispensing"]
        assert [t for t, _ in states.tabs(status, dispensed=True)] == [
            "overview", "receipts", "dispensing", "complaints",
            "destruction", "returned_grams"]
    # Records made before: their tab stays, to show them.
    assert [t for t, _ in states.tabs(
        "cancelled", dispensed=False, recorded={"return_grams"})] == [
        "overview", "returned_grams"]
    assert [t for t, _ in states.order_tabs(
        {"status": "refunded", "dispensed": False}, {"add_complaint"})] == [
        "overview", "receipts", "dispensing", "complaints"]


def test_back_office_doc_table_matches_the_state_machine():
    """docs/back-office.md's action table is what the code allows."""
    from pathlib import Path
    from server.web import auth
    doc = (Path(__file__).resolve().parents[2] / "docs" /
           "back-office.md").read_text()
    rows = {}
    for line in doc.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == len(states.STATUSES) + 2 and cells[0] in {
                a.label for a in states.ACTIONS.values()}:
            rows[cells[0]] = cells
    assert len(rows) == len(states.ACTIONS)
    for a in states.ACTIONS.values():
        cells = rows[a.label]
        allowed = {s for s, c in zip(states.STATUSES, cells[1:-1],
                                     strict=True) if c}
        assert allowed == set(a.allowed), a.name
        assert cells[-1] == auth.ROLES[auth.ROLE_FOR.get(
            a.name, auth.DEFAULT_ROLE)], a.name
