# What the decoder takes from the heap: its code once imported, its
# buffers (a Decoder for argv[2] x argv[3]), the frame buffer, and the
# most any decode allocates, over the frames listed in argv[1]'s
# index.txt. Prints "code <b> decoder <b> frame <b> decode <b> read <n>".
import gc
import sys

folder = sys.argv[1]
w = int(sys.argv[2])
h = int(sys.argv[3])
gc.collect()
base = gc.mem_alloc()
from qr import Decoder  # noqa: E402

gc.collect()
code = gc.mem_alloc() - base
base = gc.mem_alloc()
d = Decoder(w, h)
gc.collect()
buffers = gc.mem_alloc() - base
base = gc.mem_alloc()
frame = bytearray(w * h)
gc.collect()
framed = gc.mem_alloc() - base
with open(folder + "/index.txt") as index:
    names = [line.split()[0] for line in index.read().split("\n") if line]
most = 0
read = 0
for name in names:
    with open(folder + "/" + name, "rb") as raw:
        raw.readinto(frame)
    gc.collect()
    before = gc.mem_alloc()
    gc.disable()
    text = d.decode(frame)
    grew = gc.mem_alloc() - before
    gc.enable()
    read += text is not None
    if grew > most:
        most = grew
    text = None
print("code", code, "decoder", buffers, "frame", framed, "decode", most,
      "read", read)
