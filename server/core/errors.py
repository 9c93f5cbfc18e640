"""The errors services raise and the pages and API turn into answers.
Raised before anything is written, so a refused request changes nothing."""


class BadInput(ValueError):
    """A request with missing or invalid fields (HTTP 400)."""


class OrderNotFound(LookupError):
    """No order with that id (HTTP 404)."""

    def __init__(self, order_id):
        super().__init__("Order %s not found" % order_id)
        self.order_id = order_id


class ActionRefused(Exception):
    """An action the status allows but the order is not ready for, e.g.
    shipping before every line is picked (HTTP 409, like IllegalAction)."""
