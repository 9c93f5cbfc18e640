import os

import boards

b = boards.load()
assert b.NAME == "simulated" and b.DATA_DIR == "/flash"  # as it reports
b.mount()
with open("/flash/note.txt", "w") as f:
    f.write("picked B000123")
os.mkdir("/flash/orders")
