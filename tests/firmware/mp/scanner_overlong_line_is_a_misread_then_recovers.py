from gun.scanner import MISREAD
from scanner_prelude import read_all

got = read_all(
    [b"X" * 30, b"Y" * 30, b"Z" * 30 + b"\r\n", b"OK1\r\n"], maxlen=40
)
assert got[0] is MISREAD and got[1] == "OK1", got
