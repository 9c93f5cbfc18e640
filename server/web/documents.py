"""The Order Profile's Documents: uploads, generated receipts and
dispensing records, and their downloads.

Pages post forms and get a flash message back; every refusal (bad file,
too large, wrong status) changes nothing.  The templates of the Documents
section and of the Receipts and Dispensing Record tabs read through the
helpers this blueprint puts in every template's context."""
import unicodedata
from urllib.parse import quote

from flask import (Blueprint, Response, abort, current_app, flash, redirect,
                   request, url_for)
from werkzeug.exceptions import RequestEntityTooLarge

from server.documents import labels
from server.core import errors
from server.web import auth
from server.documents import kinds
from server.documents import store as documents
from server.core import fields
from server.orders import states
from server.core.db import get_db

bp = Blueprint("documents", __name__, url_prefix="/orders")

# Bytes a multipart body may carry beyond the file itself (boundaries,
# headers, the CSRF token and title fields).
FORM_OVERHEAD = 256 * 1024
# Where a generate button returns to: the tab it sits on.
RETURN_TABS = ("receipts", "dispensing")


@bp.record_once
def _configure(state):
    config = state.app.config
    config.setdefault("DOCUMENT_MAX_BYTES", documents.MAX_BYTES)
    if config.get("MAX_CONTENT_LENGTH") is None:
        # No request body needs more than the largest upload.
        config["MAX_CONTENT_LENGTH"] = config["DOCUMENT_MAX_BYTES"] + \
            FORM_OVERHEAD


def _directory():
    return documents.storage_dir(current_app.config)


def _limit():
    return documents.max_bytes(current_app.config)


def _back(order_id, tab=None):
    if tab not in RETURN_TABS:
        tab = None
    return redirect(url_for("orders.profile", order_id=order_id, tab=tab)
                    + ("" if tab else "#documents"), 303)


@bp.app_errorhandler(RequestEntityTooLarge)
def too_large(e):
    """A body above MAX_CONTENT_LENGTH, refused before any of it is kept
    (possibly while the CSRF check reads the form)."""
    message = documents.too_large_message(_limit())
    view_args = request.view_args or {}
    if request.endpoint == "documents.upload" and "order_id" in view_args:
        flash(message, "error")
        return _back(view_args["order_id"])
    if request.path.startswith("/api/"):
        return {"error": message}, 413
    return message, 413, {"Content-Type": "text/plain; charset=utf-8"}


@bp.post("/<id:order_id>/documents")
def upload(order_id):
    auth.require("upload_document")
    try:
        upload = request.files.get("file")
        title = request.form.get("title")
    except RequestEntityTooLarge:
        flash(documents.too_large_message(_limit()), "error")
        return _back(order_id)
    if upload is None or not upload.filename:
        flash("Choose a file to upload.", "error")
        return _back(order_id)
    try:
        fields.optional_text(title, "Title", documents.TITLE_MAX)
    except fields.BadInput as e:
        flash(str(e), "error")
        return _back(order_id)
    limit = _limit()
    data = upload.stream.read(limit + 1)
    try:
        row = documents.upload(get_db(), _directory(), order_id, data,
                               upload.filename, auth.actor(), title, limit)
    except errors.OrderNotFound:
        abort(404, "Order %d not found" % order_id)
    except (documents.DocumentError, states.IllegalAction) as e:
        flash(str(e), "error")
        return _back(order_id)
    flash("Uploaded %s (%s)." % (row["filename"],
                                 documents.human_size(row["size"])),
          "success")
    return _back(order_id)


@bp.post("/<id:order_id>/documents/generate/<kind>")
def generate(order_id, kind):
    auth.require("generate_documents")
    tab = request.form.get("return_tab") or request.args.get("tab")
    if kind not in documents.GENERATED_KINDS:
        abort(404, "Unknown document %r" % kind)
    try:
        row = documents.generate(
            get_db(), _directory(), order_id, kind, auth.actor(),
            labels.producer(current_app.config))
    except errors.OrderNotFound:
        abort(404, "Order %d not found" % order_id)
    except (documents.DocumentError, states.IllegalAction) as e:
        flash(str(e), "error")
        return _back(order_id, tab)
    flash("%s generated." % row["title"], "success")
    return _back(order_id, tab)


@bp.get("/<id:order_id>/documents/<id:document_id>")
def download(order_id, document_id):
    """The document's bytes, as an attachment unless ?inline=1 asks to
    view a PDF or image in the browser (and, for a PDF, it runs nothing
    there: documents.can_show_inline)."""
    auth.require("view")
    try:
        row, data = documents.read_document(get_db(), _directory(), order_id,
                                            document_id)
    except documents.DocumentNotFound as e:
        abort(404, str(e))
    content_type = row["content_type"]
    if content_type not in documents.TYPES:
        content_type = "application/octet-stream"
    inline = request.args.get("inline") == "1" and \
        documents.can_show_inline(content_type, data)
    name = documents.display_name(row["filename"], content_type)
    # A text/plain mimetype is sent with "; charset=utf-8" (Werkzeug).
    response = Response(data, mimetype=content_type)
    response.headers["Content-Disposition"] = content_disposition(
        "inline" if inline else "attachment", name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    # Whatever the bytes hold, they run nothing here.  A PDF viewer needs
    # its plugin (object-src), which a sandbox would block.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; object-src 'self'; frame-ancestors 'none'"
        if inline and content_type == "application/pdf" else
        "default-src 'none'; img-src 'self'; frame-ancestors 'none'"
        if inline else "default-src 'none'; sandbox")
    return response


def content_disposition(disposition, filename):
    """The header value with an ASCII name for old clients and the UTF-8
    one (RFC 6266) for the others."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode(
        "ascii", "ignore").decode("ascii")
    ascii_name = "".join(ch for ch in ascii_name
                         if ch.isprintable() and ch not in '"\\;') \
        or "document"
    value = '%s; filename="%s"' % (disposition, ascii_name)
    if ascii_name != filename:
        value += "; filename*=UTF-8''" + quote(filename, safe="")
    return value


# ------------------------------------------------------------ templates
@bp.app_context_processor
def _helpers():
    return {
        "document_kinds": documents.KIND_LABELS,
        "receipt_kinds": kinds.RECEIPT_KINDS,
        "document_accept": ",".join(
            sorted({e for exts in documents._EXTENSIONS.values()
                    for e in exts} | set(documents.TYPES))),
        "document_max_bytes": _limit,
        "document_max_text": lambda: documents.human_size(_limit()),
    }
