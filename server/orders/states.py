"""The order state machine: the one place that says which actions each
status allows and where each action leads.  Pages, the JSON API and the
MQTT worker all ask it; none of them keeps its own list."""

OPEN = "open"
AWAITING_PAYMENT = "awaiting_payment"
PLACED = "placed"
SHIPPED = "shipped"
DELIVERED = "delivered"
REFUSED = "refused"
REFUNDED = "refunded"
CANCELLED = "cancelled"

# In workflow order, with the labels the order pages show.
STATUS_LABELS = {
    OPEN: "Open Order",
    AWAITING_PAYMENT: "Awaiting Payment",
    PLACED: "Order Placed",
    SHIPPED: "Order Shipped",
    DELIVERED: "Order Delivered",
    REFUSED: "Order Refused",
    REFUNDED: "Order Refunded",
    CANCELLED: "Cancelled",
}
STATUSES = tuple(STATUS_LABELS)


class Action:
    def __init__(self, name, label, allowed, target=None, confirm=None):
        self.name = name
        self.label = label
        self.allowed = frozenset(allowed)
        self.target = target      # status after the action, None: unchanged
        self.confirm = confirm    # question the page asks before doing it


# Statuses of an order that left the building (or was stopped after).
_AFTER_SHIPPING = [SHIPPED, DELIVERED, REFUSED, REFUNDED]

# The Order Menu of the help centre, plus the transitions it implies.
_ACTIONS = [
    Action("confirm_payment", "Confirm Payment", [AWAITING_PAYMENT], PLACED),
    Action("select_shipping", "Select Shipping", [OPEN]),
    Action("pick", "Pick Bottles", [PLACED]),
    Action("ship", "Mark as Shipped", [PLACED], SHIPPED),
    Action("mark_delivered", "Mark as Delivered", [SHIPPED], DELIVERED),
    Action("refuse", "Refuse Order", [OPEN, PLACED, SHIPPED], REFUSED,
           "Refuse this order?"),
    Action("cancel", "Cancel Order", [OPEN, AWAITING_PAYMENT, PLACED],
           CANCELLED, "Cancel this order at the client's request?"),
    Action("refund", "Refund Order", [PLACED, SHIPPED], REFUNDED,
           "Refund this order's payment to the client?"),
    Action("reset_picking", "Reset Picking", [PLACED, SHIPPED], None,
           "Return every picked bottle to inventory?"),
    Action("return_bottles", "Return Bottles", [SHIPPED, DELIVERED]),
    Action("reprint_patient_labels", "Reprint Patient Labels",
           [SHIPPED, DELIVERED]),
    Action("reprint_bottle_labels", "Reprint Bottle Labels",
           [SHIPPED, DELIVERED]),
    Action("archive", "Archive/Unarchive Order",
           [AWAITING_PAYMENT, PLACED, SHIPPED, DELIVERED]),
    Action("delete", "Delete Order", [OPEN], None, "Delete this order?"),
    Action("generate_documents", "Generate Documents",
           [PLACED, SHIPPED, DELIVERED, REFUSED, REFUNDED]),
    Action("add_note", "Add Note", STATUSES),
    Action("upload_document", "Upload Document", STATUSES),
    # The CSR's side of creating an order (Overview tab).
    Action("edit_lines", "Edit Items", [OPEN]),
    Action("verify", "Verify Order", [OPEN, AWAITING_PAYMENT, PLACED]),
    # Target by payment method: payment_target() below.
    Action("take_payment", "Take Payment", [OPEN], PLACED),
    Action("print_shipping_label", "Shipping Label", [SHIPPED, DELIVERED]),
    # After the fact: the Complaints, Destruction and Returned Grams tabs.
    Action("add_complaint", "Log Complaint", _AFTER_SHIPPING),
    Action("record_destruction", "Record Destruction", _AFTER_SHIPPING),
    Action("return_grams", "Return Grams", _AFTER_SHIPPING),
]
ACTIONS = {a.name: a for a in _ACTIONS}

# Bottles that left the building with an order: shipped to the client,
# or back from them (returned, then possibly destroyed).  They were
# dispensed, whatever the order's status became.
DISPENSED_STATUSES = ("shipped", "returned", "destroyed")

# Names the order history records besides ACTIONS.
HISTORY_LABELS = {
    "create": "Create Order",
    "notes_ack": "Acknowledge Notes",
    "print_labels": "Print Labels",
    "resolve_complaint": "Resolve Complaint",
    "undo_destruction": "Undo Destruction",
}


def label(name, order=None):
    """The one name every page and message gives action `name` (its
    ACTIONS label).  Given the order, Archive/Unarchive Order names the
    one it will do: "Archive Order" or "Unarchive Order"."""
    if name == "archive" and order is not None:
        return "Unarchive Order" if order["archived"] else "Archive Order"
    if name in ACTIONS:
        return ACTIONS[name].label
    return HISTORY_LABELS.get(name) or str(name).replace("_", " ").capitalize()

# The after-shipping records are about what the client received, so they
# are offered only for an order in an after-shipping status that
# dispensed something: bottles that left the building
# (DISPENSED_STATUSES above).  An order refused or refunded
# before it shipped dispensed nothing; neither did a cancelled one.
AFTER_SHIPPING_RECORDS = ("add_complaint", "record_destruction",
                          "return_grams")


class IllegalAction(Exception):
    """An action the order's status does not allow."""

    def __init__(self, action, status):
        label = STATUS_LABELS.get(status, status)
        if action in ACTIONS:
            what = ACTIONS[action].label
        else:
            what = "Unknown action %r" % action
        super().__init__("%s is not allowed for an order in status %s"
                         % (what, label))
        self.action = action
        self.status = status


class NothingDispensed(IllegalAction):
    """An after-shipping record asked of an order that dispensed nothing."""

    def __init__(self, action, status):
        Exception.__init__(
            self, "%s is only for an order that dispensed something: no "
            "bottle of this order left the building" % ACTIONS[action].label)
        self.action = action
        self.status = status


def can(status, action, dispensed=None):
    """Whether an order in `status` may do `action`.  dispensed: whether
    the order dispensed anything (bottles that left the building), which
    the after-shipping records need; None when the caller does not know,
    and then the status alone decides."""
    a = ACTIONS.get(action)
    if a is None or status not in a.allowed:
        return False
    return dispensed is None or bool(dispensed) \
        or action not in AFTER_SHIPPING_RECORDS


def require(status, action, dispensed=None):
    """Return the Action if an order in `status` (that `dispensed`
    something or not, see can) may do it, else raise IllegalAction
    (NothingDispensed when only the dispensing is missing)."""
    if not can(status, action):
        raise IllegalAction(action, status)
    if not can(status, action, dispensed):
        raise NothingDispensed(action, status)
    return ACTIONS[action]


def target(status, action):
    """The status an order in `status` moves to by `action`."""
    a = require(status, action)
    return a.target or status


def allowed_actions(status, dispensed=None):
    """The Actions an order in `status` may do (dispensed: see can)."""
    return [a for a in _ACTIONS if can(status, a.name, dispensed)]


# An order row as server.orders.queries.get_order reads it carries its
# status and whether it dispensed anything: these ask about the order itself.
def order_can(order, action):
    return can(order["status"], action, order["dispensed"])


def order_require(order, action):
    return require(order["status"], action, order["dispensed"])


def order_actions(order):
    return allowed_actions(order["status"], order["dispensed"])


def awaiting_fulfilment(status):
    """Orders the guns may pick, and so get retained snapshots for."""
    return status in FULFILMENT


# The statuses of an order awaiting fulfilment: the guns may pick it, the
# picking list shows it, the worker keeps its snapshot retained.  The wire
# contract's "pick" flag says the same (shared/wire.py snapshot, checked
# in tests/shared/test_wire.py).
FULFILMENT = tuple(s for s in STATUSES if can(s, "pick"))


# ----------------------------------------------------------- payments
# Take Payment on an Open order: a card payment completes at once; cash,
# a money order or a cheque waits in Awaiting Payment until a CSR
# confirms receipt (Confirm Payment).
PAYMENT_METHODS = {
    "credit_card": "Credit card",
    "debit_card": "Debit card",
    "cash": "Cash",
    "money_order": "Money order",
    "cheque": "Cheque",
}
INSTANT_PAYMENT = frozenset(("credit_card", "debit_card"))


def payment_target(status, method):
    """The status Take Payment with `method` leads to from `status`."""
    require(status, "take_payment")
    if method not in PAYMENT_METHODS:
        raise ValueError("Unknown payment method %r" % method)
    return PLACED if method in INSTANT_PAYMENT else AWAITING_PAYMENT


# ------------------------------------------------------- profile tabs
# The Order Profile's tabs and the statuses each appears in: a tab shows
# when its action is allowed, so the two cannot disagree; a record tab
# also shows, read-only, while the order holds records of its kind.
TABS = [
    ("overview", "Overview", None),
    ("receipts", "Receipts", "generate_documents"),
    ("dispensing", "Dispensing Record", "generate_documents"),
    ("complaints", "Complaints", "add_complaint"),
    ("destruction", "Destruction", "record_destruction"),
    ("returned_grams", "Returned Grams", "return_grams"),
]


def tabs(status, dispensed=None, recorded=()):
    """[(name, label)] of the tabs an order in `status` shows.  dispensed:
    see can; recorded: the actions whose records the order already holds
    (records made before the rule, or before a change of status), whose
    tabs stay to show them."""
    return [(name, label) for name, label, action in TABS
            if action is None or can(status, action, dispensed)
            or action in recorded]


def order_tabs(order, recorded=()):
    return tabs(order["status"], order["dispensed"], recorded)
