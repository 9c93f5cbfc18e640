"""Does a PDF carry anything a viewer would run or fetch on opening it?

Browsers' PDF viewers run a PDF's JavaScript, even under a sandboxing
Content-Security-Policy (checked with Chromium), so an uploaded PDF is
shown inline only when this finds nothing; otherwise it is downloaded.

The check reads names (#xx escapes decoded) in the file as written and
inside its Flate-compressed streams, where object streams hide objects.
It is conservative: a stream that could hold objects but cannot be read
here (another filter, a predictor, a broken or oversized one, an
encrypted file) counts as active.  Pictures and cross-reference streams
are not read: Chromium's viewer takes objects only from a stream typed
ObjStm."""
import re
import zlib

# Actions and features that run code, open or fetch files, or hide the
# rest (encryption).  Script always sits under a /JS key; an /OpenAction
# or /AA that only shows a page (as Pickgun's own PDFs have) is fine.
ACTIVE_NAMES = frozenset({
    "JavaScript", "JS", "Launch", "SubmitForm", "ImportData", "GoToR",
    "GoToE", "Rendition", "RichMedia", "RichMediaExecute", "XFA",
    "EmbeddedFile", "EmbeddedFiles", "Encrypt"})
_FLATE = frozenset({"FlateDecode", "Fl"})
# Picture data: decoded by a viewer into pixels, never into objects.
_IMAGE_FILTERS = frozenset({"DCTDecode", "DCT", "JPXDecode",
                            "CCITTFaxDecode", "CCF", "JBIG2Decode"})
_OTHER_FILTERS = frozenset({"LZWDecode", "LZW", "ASCII85Decode", "A85",
                            "ASCIIHexDecode", "AHx", "RunLengthDecode", "RL",
                            "Crypt"})
_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]*)")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# "obj" opens an object, "stream" its data (not "endobj", "endstream").
_TOKEN = re.compile(rb"(?<![A-Za-z])(?:obj(?![A-Za-z])|"
                    rb"stream(?:\r\n|\n|\r))")
_INDIRECT = re.compile(rb"/(Type|Filter|DecodeParms|DP|Subtype)\s+\d+\s+\d+"
                       rb"\s+R")
INFLATE_MAX = 64 * 1024 * 1024       # bytes inflated per file at most


def names(data):
    """The set of names in `data`, as text with #xx escapes decoded."""
    return {_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)
            .decode("latin-1") for raw in _NAME.findall(data)}


def active_content(data):
    """The first reason a viewer would act on this PDF ("JavaScript",
    "unreadable stream"...), or None when it only draws pages."""
    found = names(data) & ACTIVE_NAMES
    if found:
        return sorted(found)[0]
    budget, pos, header_start = INFLATE_MAX, 0, 0
    while True:
        token = _TOKEN.search(data, pos)
        if token is None:
            return None
        pos = token.end()
        if token.group().startswith(b"obj"):
            header_start = pos
            continue
        verdict = _stream_verdict(data[header_start:token.start()])
        if verdict == "opaque":
            return "unreadable stream"
        if verdict == "flate":
            inflated = _inflate(data, pos, budget)
            if inflated is None:
                return "unreadable stream"
            budget -= len(inflated)
            found = names(inflated) & ACTIVE_NAMES
            if found:
                return sorted(found)[0]
        # Raw bytes were read with the file's; skip the data either way.
        end = data.find(b"endstream", pos)
        pos = header_start = len(data) if end < 0 else end + 9


def _stream_verdict(header):
    """"raw" (no filter, or picture data: read with the file's bytes),
    "flate" (to inflate and read) or "opaque" (cannot be read here)."""
    if _INDIRECT.search(header):
        return "opaque"
    words = names(header)
    if "F" in words:
        return "opaque"         # its data is in another file
    if "Filter" not in words:
        return "raw"
    filters = words & (_FLATE | _IMAGE_FILTERS | _OTHER_FILTERS)
    if not filters or filters & _OTHER_FILTERS:
        return "opaque"
    # Pictures and cross-reference tables hold no objects (a viewer
    # reads objects only from a stream typed ObjStm), whatever their
    # filters; anything else must be plain Flate.
    if filters <= _IMAGE_FILTERS or "ObjStm" not in words and (
            "Image" in words or "XRef" in words):
        return "raw"
    if len(filters) == 1 and filters <= _FLATE and not (
            "DecodeParms" in words or "DP" in words):
        return "flate"
    return "opaque"


def _inflate(data, start, budget):
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data[start:], max(budget, 0) + 1)
    except zlib.error:
        return None
    if len(out) > budget or not inflater.eof:
        return None
    return out
