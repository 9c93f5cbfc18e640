from gun.app import App
import fakes


class OOM:
    # raises MemoryError the next `n` times `where` is called
    def __init__(self):
        self.left = {}

    def arm(self, where, n=1):
        self.left[where] = n

    def hit(self, where):
        if self.left.get(where, 0):
            self.left[where] -= 1
            raise MemoryError


oom = OOM()


class J(fakes.Journal):
    def append(self, *args, **kw):
        oom.hit("append")  # before anything is recorded
        seq = super().append(*args, **kw)
        oom.hit("after append")  # recorded: on "flash"
        return seq


class B(fakes.Board):
    def beep(self, pattern):
        oom.hit("beep")
        super().beep(pattern)


def boot(*snaps):
    b = B()
    j = J()
    s = fakes.Store()
    for sn in snaps:
        s.put(sn)
    sy = fakes.Sync()
    a = App(b, j, s, sy)
    assert a.handle(a.on_scan, fakes.order()) == "order"
    return a, b, j, s, sy
