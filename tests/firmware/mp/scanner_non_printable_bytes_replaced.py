from scanner_prelude import read_all

got = read_all([b"A\x00B\xffC\r\n"])
assert got == ["A?B?C"], got
