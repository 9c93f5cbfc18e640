"""The kinds of order documents and their errors: what the store keeps,
what receipts render and what the pages list, named once."""
from server.core import errors

UPLOAD = "upload"
CONFIRMATION_RECEIPT = "confirmation_receipt"
SHIPPING_RECEIPT = "shipping_receipt"
POLICY_RECEIPT = "policy_receipt"
DISPENSING_RECORD = "dispensing_record"
KIND_LABELS = {
    UPLOAD: "Upload",
    CONFIRMATION_RECEIPT: "Confirmation Receipt",
    SHIPPING_RECEIPT: "Shipping Receipt",
    POLICY_RECEIPT: "Policy Receipt",
    DISPENSING_RECORD: "Dispensing Record",
}
RECEIPT_KINDS = (CONFIRMATION_RECEIPT, SHIPPING_RECEIPT, POLICY_RECEIPT)
GENERATED_KINDS = RECEIPT_KINDS + (DISPENSING_RECORD,)


class DocumentError(errors.BadInput):
    """An upload or generation that cannot be done (HTTP 400); nothing was
    written."""


class DocumentNotFound(LookupError):
    def __init__(self, order_id, document_id):
        super().__init__("Document %s of order %s not found"
                         % (document_id, order_id))
