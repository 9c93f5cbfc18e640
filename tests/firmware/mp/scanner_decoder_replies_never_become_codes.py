# The decoder's replies (02 00 00 len data CRC) share its line with the
# codes: one that starts a line is framed by its length (CR and LF in it
# are data) and dropped, or handed over when a reply is awaited.
from gun.scanner import Scanner
from scanner_prelude import read_all

OK = b"\x02\x00\x00\x01\x00\x33\x31"  # a write's reply (the manual's)
CR_VALUE = b"\x02\x00\x00\x01\x0d\x8e\x3d"  # a read's: 0x0D, a CR
LONG = b"\x02\x00\x00\x03\x0a\x0d\x0a\x12\x34"  # 3 bytes of data

got = read_all(
    [
        b"PGO:1042:Q\r" + OK + b"PGO:1043:Q\r",
        CR_VALUE + b"PGO:1044:Q\r\n",
        OK[:3],
        OK[3:] + LONG,
        b"PGO:1045:Q\r",
    ]
)
assert got == ["PGO:1042:Q", "PGO:1043:Q", "PGO:1044:Q", "PGO:1045:Q"], got

# Awaited (reply[0] == 0): the reply itself comes back, once.
sc = Scanner(None, ticks_ms=lambda: 0)
sc.reply[0] = 0
sc.feed(CR_VALUE)
r = sc.poll()
assert r is sc.reply and bytes(r) == CR_VALUE, r
sc.feed(OK)
assert sc.poll() is None and bytes(sc.reply) == OK  # not awaited now

# Not a reply (02 then not 00 00): a garbled line, refused as a code.
sc.feed(b"\x02AB\r")
assert sc.poll() == "?AB"
sc.feed(b"\x02\x00\r")
assert sc.poll() == "??"
# A 02 inside a line is no reply either.
sc.feed(b"PGO\x02\x00\x00\x01\x00\x33\x31\r")
assert sc.poll() == "PGO?????31"
print("OK")
