# This gun's own picks that the server has not rejected (nor yet counted in
# an order snapshot): one preallocated table, so thousands of scans do not
# fragment the heap.  Record: order u32 | sku index u16 | serial length u8
# | serial (12 bytes max).  Lookups scan the table without allocating.
#
# add() in two steps for the app: reserve() (may allocate: a new sku, room
# made when full) before the pick goes to the journal, put() after it,
# which allocates nothing and so cannot fail once the pick is on flash.
import struct
from micropython import const

# const() and a leading underscore: folded into the code, no global kept
# and no name interned.
_REC = const(20)
_SERIAL = const(12)


class PickSet:
    def __init__(self, capacity=400):
        self.cap = capacity
        self.buf = bytearray(capacity * _REC)
        self.mv = memoryview(self.buf)
        self.n = 0
        self.skus = []              # sku strings, by index

    def __len__(self):
        return self.n

    def _sku(self, sku, add):
        skus = self.skus
        for i in range(len(skus)):
            if skus[i] == sku:
                return i
        if not add:
            return -1
        skus.append(sku)
        return len(skus) - 1

    def find(self, serial):
        """Index of a serial (str or bytes), or -1."""
        if isinstance(serial, str):
            serial = serial.encode()
        ln = len(serial)
        buf = self.buf
        o = 6
        for i in range(self.n):
            if buf[o] == ln:
                j = 0
                while j < ln and buf[o + 1 + j] == serial[j]:
                    j += 1
                if j == ln:
                    return i
            o += _REC
        return -1

    def __contains__(self, serial):
        return self.find(serial) >= 0

    def add(self, serial, order, sku):
        """Record a pick.  When full, the oldest record is dropped (the
        journal bounds unsynced picks to its capacity anyway)."""
        serial = serial.encode() if isinstance(serial, str) else serial
        if len(serial) > _SERIAL or self.find(serial) >= 0:
            return
        self.put(serial, order, self.reserve(sku))

    def reserve(self, sku):
        """Make room for one more pick of sku; returns the sku's index for
        put()."""
        if self.n == self.cap:
            self._delete(0)
        return self._sku(sku, True)

    def put(self, serial, order, k):
        """Record a pick (serial: bytes, not yet in the table; k from
        reserve(), room made by it).  Allocates nothing."""
        ln = len(serial)
        if ln > _SERIAL or self.n == self.cap:
            return
        o = self.n * _REC
        struct.pack_into("<IHB", self.buf, o, order, k, ln)
        self.mv[o + 7:o + 7 + ln] = serial
        self.n += 1

    def _delete(self, i):
        n = self.n
        if i < n - 1:
            self.mv[i * _REC:(n - 1) * _REC] = self.mv[(i + 1) * _REC:n * _REC]
        self.n = n - 1

    def remove(self, serial, order=None):
        i = self.find(serial)
        if i < 0 or (order is not None and self.order(i) != order):
            return False
        self._delete(i)
        return True

    def order(self, i):
        b = self.buf
        o = i * _REC
        return b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)

    def count(self, order, sku):
        """This gun's picks for one order line."""
        k = self._sku(sku, False)
        if k < 0:
            return 0
        n = 0
        buf = self.buf
        for i in range(self.n):
            o = i * _REC
            if buf[o + 4] | (buf[o + 5] << 8) == k and self.order(i) == order:
                n += 1
        return n

    def serial(self, i):
        o = i * _REC
        return str(self.mv[o + 7:o + 7 + self.buf[o + 6]], "ascii")

    def serials(self, order):
        return [self.serial(i) for i in range(self.n)
                if self.order(i) == order]
