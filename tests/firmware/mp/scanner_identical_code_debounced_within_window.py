from gun.scanner import Scanner
from scanner_prelude import Clock, Stream


class C(Clock):
    pass


clock = C()
sc = Scanner(Stream([]), ticks_ms=clock)


def feed(t, data):
    clock.t = t
    sc.feed(data)
    return sc.poll()


assert feed(0, b"ABC\r\n") == "ABC"
assert feed(300, b"ABC\r\n") is None  # decoder repeat
assert feed(1000, b"ABC\r\n") is None  # still in view: window extends
assert feed(1500, b"XYZ\r\n") == "XYZ"  # another code at once
assert feed(1600, b"ABC\r\n") == "ABC"  # not the last one: accepted
assert feed(3000, b"ABC\r\n") == "ABC"  # after the window
sc.forget()  # a key was pressed
assert feed(3100, b"ABC\r\n") == "ABC"
