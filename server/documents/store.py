"""Order documents: files a CSR uploads and the PDFs Pickgun generates
(receipts, dispensing record), listed in the Order Profile's Documents
section.

The bytes live in a folder of their own (config DOCUMENTS_DIR; by default
`documents/` beside the database, i.e. instance/documents/), each under a
random stored_name: never under a name a user chose, so no request can
reach another path.  Uploads are accepted by what their bytes are (PDF,
PNG, JPEG or plain text), never by the name or type the browser sent; the
name the user gave is kept, cleaned, for display and download only.

A document is written file first, then row: the file goes to a temporary
name and is renamed into place, the row and its history entry are written
in one transaction, and a failure removes the file again.  A crash between
the two can at worst leave a file no row points to, never a row without
its file."""
import hashlib
import os
import re
import secrets
import unicodedata

from server.orders import queries
from server.orders import states
from server.documents import pdf_content, receipts
from server.documents.kinds import (GENERATED_KINDS, KIND_LABELS, UPLOAD,
                                    DocumentError, DocumentNotFound)
from server.core.db import now
from server.orders.actions import run
from server.orders.effects import Done

# Generous for a scanned prescription or a photographed ID; configurable
# with DOCUMENT_MAX_BYTES.
MAX_BYTES = 10 * 1024 * 1024
TITLE_MAX = 120
FILENAME_MAX = 120

# Content type -> (extension, may be shown in the browser).  Text is
# always downloaded: a browser must never be asked to render it.
TYPES = {
    "application/pdf": (".pdf", True),
    "image/png": (".png", True),
    "image/jpeg": (".jpg", True),
    "text/plain": (".txt", False),
}
_EXTENSIONS = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "text/plain": (".txt", ".text", ".log", ".csv"),
}
_STORED_NAME = re.compile(r"^[0-9a-f]{32}$")
# Text that a browser or viewer would treat as markup or script.
_MARKUP = (b"<!doctype", b"<html", b"<head", b"<body", b"<script",
           b"<iframe", b"<svg", b"<?xml", b"<object", b"<embed", b"<meta",
           b"<img", b"<a ", b"<form", b"<style", b"<link", b"javascript:")
# Control characters plain text does not hold (tab, newlines and form
# feed are fine): a binary file that happens to be valid UTF-8.
_CONTROL_CHARS = re.compile("[\\x00-\\x08\\x0b\\x0e-\\x1f\\x7f]")


# ------------------------------------------------------------ content
def sniff(data):
    """The content type of `data` judged by its bytes, or None when it is
    not a type Pickgun keeps."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if _plain_text(data):
        return "text/plain"
    return None


def _plain_text(data):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if _CONTROL_CHARS.search(text):
        return False
    lowered = data.lower()
    return not any(marker in lowered for marker in _MARKUP)


def display_name(filename, content_type=None):
    """The name a user gave, safe to show and to offer as a download name:
    no folders, no control characters, bounded length, and an extension
    that matches what the bytes are."""
    name = unicodedata.normalize("NFC", str(filename or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = " ".join(name.split()).strip(" .")
    if not name:
        name = "document"
    if content_type in _EXTENSIONS:
        stem, ext = os.path.splitext(name)
        if ext.lower() not in _EXTENSIONS[content_type]:
            stem, ext = name, TYPES[content_type][0]
        name = stem[:FILENAME_MAX - len(ext)].rstrip(" .") + ext
        if name == ext:
            name = "document" + ext
    return name[:FILENAME_MAX]


def can_show_inline(content_type, data=None):
    """May a browser show it rather than download it?  By its type (text
    never); given its bytes, a PDF only when it carries nothing a viewer
    would run or fetch (server.pdf_content)."""
    if not TYPES.get(content_type, (None, False))[1]:
        return False
    return data is None or content_type != "application/pdf" or \
        pdf_content.active_content(data) is None


# ------------------------------------------------------------ storage
def storage_dir(config):
    """Where document bytes live, from an app config (or any mapping)."""
    configured = config.get("DOCUMENTS_DIR")
    if configured:
        return configured
    database = config.get("DATABASE") or "pickgun.db"
    return os.path.join(os.path.dirname(os.path.abspath(database)),
                        "documents")


def max_bytes(config):
    return int(config.get("DOCUMENT_MAX_BYTES") or MAX_BYTES)


def path_of(directory, stored_name):
    """The file of a document row; refuses anything but a stored name
    Pickgun made, so a row can never point outside the folder."""
    if not isinstance(stored_name, str) or not _STORED_NAME.match(
            stored_name):
        raise DocumentError("Bad stored document name")
    return os.path.join(directory, stored_name)


def _write_file(directory, data):
    """Write `data` under a new random name; return the name."""
    os.makedirs(directory, mode=0o700, exist_ok=True)
    stored_name = secrets.token_hex(16)
    final = path_of(directory, stored_name)
    part = final + ".part"
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(part, final)
    except BaseException:
        _remove(part)
        raise
    return stored_name


def _remove(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def _store(db, directory, order_id, action, build, actor):
    """Write one document through the action runner: in one transaction,
    check the status, build (row, data, detail) from the order, write the
    file, then the row and its history entry.  On any failure, the
    commit's included, the file is removed and nothing is left.  Returns
    the row."""
    stored = []

    def effect(db, order, actor, form):
        row, data, detail = build(order)
        stored.append(_write_file(directory, data))
        row = dict(row, order_id=order_id, stored_name=stored[0],
                   size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                   created_by=actor or "", created_at=now())
        row["id"] = db["documents"].insert(row).last_pk
        return Done(detail=detail, result=row)

    try:
        done, _, _ = run(db, order_id, action, actor, effect)
    except BaseException:
        if stored:
            _remove(path_of(directory, stored[0]))
        raise
    return done.result


# ------------------------------------------------------------ uploads
def upload(db, directory, order_id, data, filename, actor, title=None,
           limit=MAX_BYTES):
    """Keep an uploaded file with the order.  Raises DocumentError (bad
    file), OrderNotFound or IllegalAction; none of them leaves a file or a
    row behind.  Returns the documents row."""
    if data is None:
        raise DocumentError("Choose a file to upload.")
    if not isinstance(data, (bytes, bytearray)):
        raise DocumentError("The upload must be a file.")
    if not data:
        raise DocumentError("The file is empty.")
    if len(data) > limit:
        raise DocumentError(too_large_message(limit))
    content_type = sniff(bytes(data))
    if content_type is None:
        raise DocumentError(
            "This file type is not accepted: upload a PDF, a PNG or JPEG "
            "image, or plain text.")
    if title is not None and not isinstance(title, str):
        raise DocumentError("Title must be text")
    title = " ".join((title or "").split())
    if len(title) > TITLE_MAX:
        raise DocumentError("Title is too long (at most %d characters)"
                            % TITLE_MAX)
    name = display_name(filename, content_type)
    # Refuse early, before anything is written, when the status says no.
    order = queries.require_order(db, order_id)
    states.require(order["status"], "upload_document")
    row = {"kind": UPLOAD, "title": title or name, "filename": name,
           "content_type": content_type}
    detail = "%s (%s)" % (name, human_size(len(data)))
    return _store(db, directory, order_id, "upload_document",
                  lambda order: (row, bytes(data), detail), actor)


def too_large_message(limit):
    return "The file is too large: at most %s." % human_size(limit)


def human_size(size):
    size = size or 0
    if size < 1024:
        return "%d bytes" % size
    if size < 1024 * 1024:
        return "%.0f KB" % (size / 1024)
    return "%.1f MB" % (size / (1024 * 1024))


# --------------------------------------------------------- generation
def generate(db, directory, order_id, kind, actor, producer=None):
    """Render one of GENERATED_KINDS for the order and keep it as a new
    version.  Raises DocumentError (unknown kind, nothing to put in it),
    OrderNotFound or IllegalAction (order not placed yet); nothing is
    written then.  Returns the documents row."""
    if kind not in GENERATED_KINDS:
        raise DocumentError("Unknown document %r" % kind)

    def build(order):
        # The data, the version number and the row come from one
        # transaction: two CSRs generating at once get v1 and v2.
        pdf = receipts.render(db, order_id, kind, actor, producer)
        version = db.execute(
            "SELECT count(*) FROM documents WHERE order_id = ? AND kind = ?",
            [order_id, kind]).fetchone()[0] + 1
        label = KIND_LABELS[kind]
        row = {"kind": kind, "title": "%s v%d" % (label, version),
               "filename": "order-%d-%s-v%d.pdf" % (
                   order_id, kind.replace("_", "-"), version),
               "content_type": "application/pdf"}
        return row, pdf, "%s v%d" % (label, version)

    return _store(db, directory, order_id, "generate_documents", build,
                  actor)


# -------------------------------------------------------------- reads
def list_documents(db, order_id, kinds=None):
    """The order's documents, newest first, optionally of some kinds."""
    sql = ("SELECT id, order_id, kind, title, filename, content_type, size, "
           " sha256, created_by, created_at FROM documents "
           "WHERE order_id = ?")
    args = [order_id]
    if kinds:
        sql += " AND kind IN (%s)" % ", ".join("?" * len(kinds))
        args += list(kinds)
    rows = [dict(r) for r in db.execute(sql + " ORDER BY id DESC", args)]
    for row in rows:
        row["kind_label"] = KIND_LABELS.get(row["kind"], row["kind"])
        row["inline"] = can_show_inline(row["content_type"])
        row["size_text"] = human_size(row["size"])
    return rows


def latest_by_kind(db, order_id):
    """{kind: newest row} of the generated kinds the order has."""
    latest = {}
    for row in list_documents(db, order_id, GENERATED_KINDS):
        latest.setdefault(row["kind"], row)
    return latest


def get_document(db, order_id, document_id):
    """The row of a document of this order; DocumentNotFound otherwise
    (a document id of another order is not found either)."""
    row = db.execute("SELECT * FROM documents WHERE id = ? AND order_id = ?",
                     [document_id, order_id]).fetchone()
    if row is None:
        raise DocumentNotFound(order_id, document_id)
    return dict(row)


def read_document(db, directory, order_id, document_id):
    """(row, bytes) of a document; DocumentNotFound when its row or file
    is missing."""
    row = get_document(db, order_id, document_id)
    try:
        with open(path_of(directory, row["stored_name"]), "rb") as f:
            data = f.read()
    except (FileNotFoundError, DocumentError) as e:
        raise DocumentNotFound(order_id, document_id) from e
    return row, data
