# argv: the names every board has.
import sys

import boards
import boards.esp32_gm65 as e
import boards.host as h

for name in sys.argv[1:]:
    assert hasattr(h, name), ("host", name)
    assert hasattr(e, name), ("esp32", name)
assert e.DATA_DIR == "/data"
assert boards.load("esp32_gm65") is e
try:
    boards.load("../x")
except ValueError:
    pass
else:
    raise AssertionError("bad board name accepted")
