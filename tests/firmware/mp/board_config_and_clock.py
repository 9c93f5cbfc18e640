import time

import boards

b = boards.load()
assert b.config()["id"] == "G01"
# A device's RTC after power-on: 2000-01-01, which reads as not set.
assert b.clock() == 0
assert abs(b._rtc() - 946684800) < 5, b._rtc()
b.clock(int(time.time()))           # what NTP does
c = b.clock()
assert isinstance(c, int) and abs(c - time.time()) < 2
b.clock(1704060000)                 # a year before 2024: not set
assert b.clock() == 0
assert isinstance(b.ticks_ms(), int)
