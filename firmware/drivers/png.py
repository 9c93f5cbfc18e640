# Minimal PNG writer for 1-bit framebuffers in MONO_HLSB layout (row-major,
# most significant bit first: exactly a PNG greyscale bit-depth-1 row).
# The unix port's deflate module may only decompress, so image data goes
# into "stored" deflate blocks when compression is unavailable: a 128x64
# frame is 1088 bytes either way.
import binascii
import struct

try:
    import deflate
    _COMPRESS = hasattr(deflate.DeflateIO, "write")
except ImportError:
    _COMPRESS = False

_SIG = b"\x89PNG\r\n\x1a\n"


def _chunk(f, kind, data):
    f.write(struct.pack(">I", len(data)))
    f.write(kind)
    f.write(data)
    f.write(struct.pack(">I", binascii.crc32(data, binascii.crc32(kind))))


def _adler32(data):
    a, b = 1, 0
    for x in data:
        a = (a + x) % 65521
        b = (b + a) % 65521
    return (b << 16) | a


def _zlib_stored(raw):
    out = bytearray(b"\x78\x01")
    n = len(raw)
    pos = 0
    while True:
        size = min(n - pos, 65535)
        last = 1 if pos + size >= n else 0
        out.append(last)
        out.extend(struct.pack("<HH", size, size ^ 0xFFFF))
        out.extend(raw[pos:pos + size])
        pos += size
        if last:
            break
    out.extend(struct.pack(">I", _adler32(raw)))
    return out


def _zlib(raw):
    if _COMPRESS:
        import io
        b = io.BytesIO()
        z = deflate.DeflateIO(b, deflate.ZLIB)
        # Both exist on the device; the 1.29 stubs lack them.
        z.write(raw)  # pyright: ignore[reportAttributeAccessIssue]
        z.close()
        return b.getvalue()  # pyright: ignore[reportAttributeAccessIssue]
    return _zlib_stored(raw)


def encode(f, buf, width, height, paper=False):
    """Write buf (MONO_HLSB, width x height) as a PNG to stream f.  Lit
    pixels come out white on black, like the OLED panel; paper=True gives
    black on white."""
    stride = (width + 7) // 8
    raw = bytearray((stride + 1) * height)
    mv = memoryview(buf)
    for y in range(height):
        o = y * (stride + 1)
        raw[o + 1:o + 1 + stride] = mv[y * stride:(y + 1) * stride]
    f.write(_SIG)
    _chunk(f, b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
    if paper:
        for i in range(len(raw)):
            if i % (stride + 1):
                raw[i] ^= 0xFF
    _chunk(f, b"IDAT", _zlib(raw))
    _chunk(f, b"IEND", b"")
