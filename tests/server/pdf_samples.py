"""Real PDFs for the document tests: drawn by fpdf2, given actions with
pypdf, or written object by object where an object stream has to hide
something.  Each one is read back with pypdf by the tests."""
import io
import zlib

from fpdf import FPDF
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import (ArrayObject, DictionaryObject, NameObject,
                           NumberObject, TextStringObject)

SCRIPT = "app.alert('pdf script ran');"
# The script as a raw open action, for PDFs written object by object.
SCRIPT_ACTION = b"<< /S /JavaScript /JS (%s) >>" % SCRIPT.encode()


def drawn(text="Prescription scan"):
    """A plain one-page PDF, as a scanner or a word processor makes it."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=24)
    pdf.cell(text=text)
    return bytes(pdf.output())


def _writer():
    return PdfWriter(clone_from=PdfReader(io.BytesIO(drawn())))


def _bytes(writer):
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _action(kind, **fields):
    action = DictionaryObject({NameObject("/S"): NameObject("/" + kind)})
    for key, value in fields.items():
        action[NameObject("/" + key)] = value
    return action


def with_document_script():
    """Script in the document's JavaScript name tree, run on opening."""
    writer = _writer()
    writer.add_open_action(JavaScript(SCRIPT))
    return _bytes(writer)


def with_open_action_script():
    writer = _writer()
    writer._root_object[NameObject("/OpenAction")] = _action(
        "JavaScript", JS=TextStringObject(SCRIPT))
    return _bytes(writer)


def with_page_open_script():
    """Script in the first page's additional actions (/AA /O)."""
    writer = _writer()
    writer.pages[0][NameObject("/AA")] = DictionaryObject({
        NameObject("/O"): _action("JavaScript", JS=TextStringObject(SCRIPT))})
    return _bytes(writer)


def with_launch_link():
    writer = _writer()
    link = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"),
        NameObject("/Subtype"): NameObject("/Link"),
        NameObject("/Rect"): ArrayObject([NumberObject(n)
                                          for n in (0, 0, 200, 200)]),
        NameObject("/A"): _action("Launch",
                                  F=TextStringObject("calc.exe"))})
    writer.pages[0][NameObject("/Annots")] = ArrayObject(
        [writer._add_object(link)])
    return _bytes(writer)


def with_escaped_names():
    """The open-action script with its names written as #xx escapes,
    which every PDF reader decodes (/J#61vaScript is /JavaScript)."""
    data = with_open_action_script()
    return data.replace(b"/JavaScript", b"/J#61vaScript").replace(
        b"/JS ", b"/J#53 ")


def encrypted():
    writer = _writer()
    writer.encrypt(user_password="", owner_password="owner-secret",
                   algorithm="RC4-128")
    return _bytes(writer)


def in_object_stream(action=SCRIPT_ACTION, predictor=False):
    """A PDF 1.5 whose every object, the open action among them, sits in
    one Flate-compressed object stream (optionally through a PNG
    predictor), found through a cross-reference stream."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        action,
    ]
    body, index = b"", []
    for number, text in enumerate(objects, 1):
        index.append(b"%d %d" % (number, len(body)))
        body += text + b"\n"
    head = b" ".join(index) + b"\n"
    content = head + body
    parms = b""
    if predictor:
        columns = 16
        content += b" " * (-len(content) % columns)
        rows = [content[i:i + columns]
                for i in range(0, len(content), columns)]
        previous, encoded = bytes(columns), b""
        for row in rows:               # PNG "Up": each byte minus above
            encoded += b"\x02" + bytes(
                (a - b) % 256 for a, b in zip(row, previous, strict=True))
            previous = row
        content = encoded
        parms = b" /DecodeParms << /Predictor 12 /Columns %d >>" % columns
    data = zlib.compress(content)
    out = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n"
    stream_at = len(out)
    out += (b"5 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter "
            b"/FlateDecode%s /Length %d >>\nstream\n"
            % (len(objects), len(head), parms, len(data)) + data +
            b"\nendstream\nendobj\n")
    xref_at = len(out)
    entries = [(0, 0, 65535)] + [(2, 5, i) for i in range(len(objects))] + \
        [(1, stream_at, 0), (1, xref_at, 0)]
    table = b"".join(bytes([kind]) + a.to_bytes(4, "big") +
                     b.to_bytes(2, "big") for kind, a, b in entries)
    out += (b"6 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R "
            b"/Length %d >>\nstream\n" % (len(entries), len(table)) +
            table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n"
            % xref_at)
    return out


def open_action_script(data):
    """The script a reader finds in the PDF's open action, name tree or
    first page's actions; None when there is none."""
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        reader.decrypt("")
    root = reader.trailer["/Root"]
    candidates = []
    if "/OpenAction" in root:
        candidates.append(root["/OpenAction"].get_object())
    if "/Names" in root and "/JavaScript" in root["/Names"]:
        names = root["/Names"]["/JavaScript"]["/Names"]
        candidates += [names[i + 1].get_object()
                       for i in range(0, len(names), 2)]
    page = reader.pages[0]
    if "/AA" in page:
        candidates += [a.get_object() for a in page["/AA"].values()]
    for link in page.get("/Annots", []):
        candidates.append(link.get_object()["/A"].get_object())
    for action in candidates:
        if isinstance(action, dict) and action.get("/S") in (
                "/JavaScript", "/Launch"):
            return str(action.get("/JS") or action.get("/F"))
    return None
