# The big buffers, allocated first as main.py allocates them on the gun:
# imported before anything else.
from gun.picks import PickSet

picks = PickSet(400)
rx = bytearray(8192)
