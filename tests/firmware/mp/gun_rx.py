# The MQTT receive buffer, allocated before anything else as main.py does:
# import this first.
RX = bytearray(8192)
