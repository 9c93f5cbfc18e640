# SSD1306 128x64 OLED over I2C: a FrameBuffer (MONO_VLSB, the controller's
# page layout) with show().  Small subset of the micropython-lib driver.
import framebuf

_SET_CONTRAST = 0x81
_DISPLAY_ALL_ON_RESUME = 0xA4
_NORM_INV = 0xA6
_DISP = 0xAE
_MEM_ADDR = 0x20
_COL_ADDR = 0x21
_PAGE_ADDR = 0x22
_START_LINE = 0x40
_SEG_REMAP = 0xA0
_MUX_RATIO = 0xA8
_COM_OUT_DIR = 0xC0
_DISP_OFFSET = 0xD3
_COM_PIN_CFG = 0xDA
_DISP_CLK_DIV = 0xD5
_PRECHARGE = 0xD9
_VCOM_DESEL = 0xDB
_CHARGE_PUMP = 0x8D


class SSD1306_I2C(framebuf.FrameBuffer):
    def __init__(self, i2c, width=128, height=64, addr=0x3C):
        self.i2c = i2c
        self.addr = addr
        self.width = width
        self.height = height
        self.pages = height // 8
        self.buf = bytearray(self.pages * width)
        super().__init__(self.buf, width, height, framebuf.MONO_VLSB)
        self._cmd = bytearray(2)
        self._hdr = bytearray(b"\x40")
        self.init()

    def write_cmd(self, c):
        self._cmd[0] = 0x80
        self._cmd[1] = c
        self.i2c.writeto(self.addr, self._cmd)

    def init(self):
        for c in (_DISP, _MEM_ADDR, 0x00, _START_LINE, _SEG_REMAP | 1,
                  _MUX_RATIO, self.height - 1, _COM_OUT_DIR | 8,
                  _DISP_OFFSET, 0, _COM_PIN_CFG, 0x12 if self.height == 64
                  else 0x02, _DISP_CLK_DIV, 0x80, _PRECHARGE, 0xF1,
                  _VCOM_DESEL, 0x30, _SET_CONTRAST, 0xFF,
                  _DISPLAY_ALL_ON_RESUME, _NORM_INV, _CHARGE_PUMP, 0x14,
                  _DISP | 1):
            self.write_cmd(c)
        self.fill(0)
        self.show()

    # Power (gun/app.py's power_task): display off keeps the panel's RAM,
    # so poweron() shows the same picture again; contrast 0-255 dims it.
    def poweroff(self):
        self.write_cmd(_DISP)

    def poweron(self):
        self.write_cmd(_DISP | 1)

    def contrast(self, value):
        self.write_cmd(_SET_CONTRAST)
        self.write_cmd(value)

    def show(self):
        for c in (_COL_ADDR, 0, self.width - 1, _PAGE_ADDR, 0, self.pages - 1):
            self.write_cmd(c)
        self.i2c.writevto(self.addr, (self._hdr, self.buf))
