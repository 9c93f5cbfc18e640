# The SSD1306's power commands as the driver sends them: dim (contrast),
# display off, display on, full contrast.  Prints the command bytes.
from drivers.ssd1306 import SSD1306_I2C


class I2C:
    def __init__(self):
        self.cmds = []

    def writeto(self, addr, buf):
        assert addr == 0x3C and buf[0] == 0x80
        self.cmds.append(buf[1])

    def writevto(self, addr, bufs):
        pass


i2c = I2C()
d = SSD1306_I2C(i2c)
i2c.cmds = []
d.contrast(16)
d.poweroff()
d.poweron()
d.contrast(255)
print(" ".join("%02x" % c for c in i2c.cmds))
