# The big buffers, allocated first as main.py allocates them on the gun:
# imported before anything else.  RX is the MQTT receive buffer; BUF holds
# what the MQTT client hands over, at most.
from gun_rx import RX

BUF = bytearray(8192)

__all__ = ["RX", "BUF"]
