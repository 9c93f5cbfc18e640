from drivers.ssd1306 import SSD1306_I2C


class I2C:
    def __init__(self):
        self.cmds = []
        self.data = None

    def writeto(self, addr, buf):
        assert addr == 0x3C and buf[0] == 0x80
        self.cmds.append(buf[1])

    def writevto(self, addr, bufs):
        self.data = b"".join(bytes(x) for x in bufs)


i2c = I2C()
d = SSD1306_I2C(i2c)
d.pixel(0, 9, 1)
d.show()
assert len(i2c.data) == 1025 and i2c.data[0] == 0x40
assert i2c.data[1 + 128] == 0x02  # MONO_VLSB: page 1, bit 1
assert 0xAF in i2c.cmds
