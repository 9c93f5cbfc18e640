import os

import boards

b = boards.load()
b.mount()
print(open("/flash/note.txt").read(), sorted(os.listdir("/flash")))
st = os.statvfs("/flash")
print(st[0], st[2])
b.unmount()
