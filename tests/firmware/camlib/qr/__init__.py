# A stand-in for the firmware's QR decoder (firmware/qr/), for the tests
# of the camera gun's wiring only (trigger, repeat guard, viewfinder): a
# frame whose first row starts "QR:" holds that row's text up to its
# first zero byte; any other frame holds no code.  The same interface as
# the real one: Decoder(width, height), decode(frame, aim=None).  Never
# on a gun: the camera gun's own tests run the real decoder.


class Decoder:
    def __init__(self, width, height):
        self.width = width
        self.height = height
        self.calls = 0

    def decode(self, frame, aim=None):
        self.calls += 1
        if bytes(frame[0:3]) != b"QR:":
            return None
        n = 3
        while n < self.width and frame[n]:
            n += 1
        return bytes(frame[3:n]).decode()
