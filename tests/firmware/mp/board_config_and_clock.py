import time

import boards

b = boards.load()
assert b.config()["id"] == "G01"
c = b.clock()
assert isinstance(c, int) and abs(c - time.time()) < 2
assert isinstance(b.ticks_ms(), int)
