# The big buffers, allocated first as main.py allocates them on the gun
# (the MQTT receive buffer, then the pick set): imported before anything
# else.
from gun_rx import RX
from gun.picks import PickSet

picks = PickSet(400)

__all__ = ["RX", "picks"]
