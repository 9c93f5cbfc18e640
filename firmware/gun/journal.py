# The scan journal: every scan is written here before the gun beeps.
#
# Append-only, crash-safe on littlefs, bounded, compacted after acks.
#
# Files in `root`:
#   journal.st   16 bytes: b"PGS1" | ep u32 | upto u32 | crc32 u32   (LE)
#                replaced as a whole: written to journal.st.tmp, renamed.
#   journal.log  header  b"PGJ1" | ep u32
#                records len u16 | seq u32 | payload[len] | crc32 u32
#                (crc32 over len, seq and payload; payload is the event
#                exactly as published: wire.encode(wire.event(...))).
#                Appended one record per scan; rewritten by compaction to
#                journal.log.tmp and renamed.
#
# Invariants: seqs in the log are consecutive; a record with seq <= upto is
# acked (dead, dropped at the next compaction); upto < next_seq = last seq
# written + 1 (an ack beyond what was written is refused), so a seq that
# was ever returned is never reused.  A
# record that fails its length, crc or sequence check ends the log (a torn
# tail: only a record whose append never returned can be torn) and the log
# is rewritten without it.  If the state file is lost, the epoch is taken
# from the log; if both are gone, a new epoch starts (seqs restart at 1
# under a new ep, so nothing collides on the server).
#
# "Gone" means the file does not exist (ENOENT) when the journal first
# loads; once loaded, both files always exist (each is replaced by a
# rename over it), so a missing one is an error then (littlefs may say
# ENOENT for a file it could not read).  Any other error reading the
# files (EIO from a failing flash) is an error, never a reason to start
# over: loading raises it (the gun stops on "Flash error" and tries again
# at the next boot), and after a failed write the journal stays unloaded
# (_end 0) and refuses to write or send until a reload succeeds.
import errno
import os
import struct
import binascii
from array import array
from micropython import const

from shared import wire

MAX_PAYLOAD = 480          # bytes of JSON per event (codes are <= 80 chars)
_REC = const(6)            # len u16 + seq u32
_U32 = const(0xFFFFFFFF)   # ep, upto and seq are stored in 32 bits
_LOG_MAGIC = b"PGJ1"
_ST_MAGIC = b"PGS1"


class JournalFull(OSError):
    pass


def _remove(path):
    """Remove path if it exists; a read error raises (littlefs may serve
    stale data after one, so none is let pass)."""
    try:
        os.remove(path)
    except OSError as e:
        if e.errno != errno.ENOENT:
            raise


def _makedirs(path):
    cur = ""
    for part in path.split("/"):
        if not part:
            cur = "/" if not cur else cur
            continue
        cur = cur + part if cur.endswith("/") or not cur else cur + "/" + part
        try:                # not os.stat: it lets a read error pass
            os.mkdir(cur)
        except OSError as e:
            if e.errno != errno.EEXIST:
                raise


class Journal:
    def __init__(self, root, capacity=400, compact_at=None):
        root = root.rstrip("/")
        self.root = root
        self.capacity = capacity
        # Dead (acked) records tolerated in the log before a rewrite.
        self.compact_at = compact_at or max(8, capacity // 8)
        self._st = root + "/journal.st"
        self._log = root + "/journal.log"
        self._buf = bytearray(_REC + MAX_PAYLOAD + 4)
        self._mv = memoryview(self._buf)
        self._sbuf = bytearray(16)
        self.ep = 0
        self.upto = 0
        self.next_seq = 1
        # File offset of record i (seq first + i), i < _n: one table sized
        # for a full journal plus the dead records tolerated before a
        # rewrite, so appends never reallocate it (grown only if a log
        # holds more, e.g. after compactions failed).
        self._offs = array("I", bytes(4 * (capacity + self.compact_at + 8)))
        self._n = 0
        self._first = 0           # seq of the first record in the log
        # End of the valid part of the log; 0 while the journal is not
        # loaded (a reload failed): nothing is written until one succeeds.
        self._end = 0
        if root:
            _makedirs(root)
        self._load()

    # ------------------------------------------------------------ loading
    def _load(self):
        try:
            self._read()
        except BaseException:
            self._end = 0           # not loaded: see the top of this file
            raise

    def _loaded(self):
        """Load the journal again if a reload failed (raises while the
        flash still fails): nothing may be written or sent from an index
        that does not match the flash."""
        if not self._end:
            self._load()

    def _read(self):
        self._settle(self._st)
        self._settle(self._log)
        st = self._read_state()
        hdr_ep, size = self._scan()
        n = self._n
        if st is not None and hdr_ep == st[0]:
            self.ep, self.upto = st
        elif hdr_ep and n:
            # State lost (or from another log): the events keep their epoch.
            self.ep, self.upto = hdr_ep, self._first - 1
            self._write_state(self.ep, self.upto)
        else:
            if st is None:
                # Nothing to go on: a new random epoch, 1 .. 2**31 - 1.
                ep = int.from_bytes(os.urandom(4), "little") & 0x7FFFFFFF
                self.ep, self.upto = ep or 1, 0
                self._write_state(self.ep, 0)
            else:
                self.ep, self.upto = st
            self._reset_log()
            n = 0
            size = self._end
        if size != self._end:
            self._compact()          # drop a torn tail
            n = self._n
        last = self._first + n - 1 if n else 0
        self.next_seq = (last if last > self.upto else self.upto) + 1

    def _settle(self, path):
        """Drop path.tmp, a rewrite of path that never finished.  But at
        the first load, with path gone, take path.tmp back: a rename that
        removes its target first (FAT's) was cut between the two, and the
        rewrite had finished (what it holds is checked as path's is)."""
        tmp = path + ".tmp"
        if not self.ep:
            try:
                open(path, "rb").close()
            except OSError as e:
                if e.errno != errno.ENOENT:
                    raise
                try:
                    os.rename(tmp, path)
                    return
                except OSError as e:
                    if e.errno != errno.ENOENT:
                        raise
        _remove(tmp)

    def _read_state(self):
        """(ep, upto), or None if there is no state file or it is not a
        whole one; a read error raises."""
        b = self._sbuf
        try:
            f = open(self._st, "rb")
        except OSError as e:
            if e.errno != errno.ENOENT or self.ep:
                raise               # a failing flash; loaded: it exists
            return None
        with f:
            if f.readinto(b) != 16:
                return None
        if b[0:4] != _ST_MAGIC or binascii.crc32(memoryview(b)[0:12]) != \
                struct.unpack_from("<I", b, 12)[0]:
            return None
        ep, upto = struct.unpack_from("<II", b, 4)
        return (ep, upto) if ep else None

    def _scan(self):
        """Index the log's valid records.  Returns (header ep or 0, file
        size)."""
        self._n = 0
        self._first = 0
        self._end = 0
        try:
            f = open(self._log, "rb")
        except OSError as e:
            if e.errno != errno.ENOENT or self.ep:
                raise               # a failing flash is not "no log"
            return 0, 0
        mv = self._mv
        try:
            size = f.seek(0, 2)
            f.seek(0)
            if f.readinto(mv[0:8]) != 8 or self._buf[0:4] != _LOG_MAGIC:
                return 0, size
            ep = struct.unpack_from("<I", self._buf, 4)[0]
            pos = 8
            prev = 0
            while True:
                if f.readinto(mv[0:_REC]) != _REC:
                    break
                ln, seq = struct.unpack_from("<HI", self._buf, 0)
                if not 0 < ln <= MAX_PAYLOAD or seq < 1 or \
                        (prev and seq != prev + 1):
                    break
                if f.readinto(mv[_REC:_REC + ln + 4]) != ln + 4:
                    break
                if binascii.crc32(mv[0:_REC + ln]) != \
                        struct.unpack_from("<I", self._buf, _REC + ln)[0]:
                    break
                if not prev:
                    self._first = seq
                self._push(pos)
                pos += _REC + ln + 4
                prev = seq
            self._end = pos
            return ep, size
        finally:
            f.close()

    # ------------------------------------------------------------ writing
    def _write_state(self, ep, upto):
        b = self._sbuf
        b[0:4] = _ST_MAGIC
        struct.pack_into("<II", b, 4, ep, upto)
        struct.pack_into("<I", b, 12, binascii.crc32(memoryview(b)[0:12]))
        tmp = self._st + ".tmp"
        with open(tmp, "wb") as f:
            f.write(b)
        os.rename(tmp, self._st)

    def _header(self, f):
        b = self._buf
        b[0:4] = _LOG_MAGIC
        struct.pack_into("<I", b, 4, self.ep)
        f.write(self._mv[0:8])

    def _reset_log(self):
        tmp = self._log + ".tmp"
        with open(tmp, "wb") as f:
            self._header(f)
        os.rename(tmp, self._log)
        self._n = 0
        self._first = 0
        self._end = 8

    def _room(self):
        """Room in the offset table for one more record (grown, which
        allocates, only past what __init__ sized it for)."""
        n = self._n
        if n == len(self._offs):
            self._offs.extend(array("I", bytes(4 * (n // 4 + 8))))

    def _push(self, pos):
        self._room()
        self._offs[self._n] = pos
        self._n += 1

    def _compact(self):
        """Rewrite the unacked records to a new log and rename it over."""
        offs = self._offs
        n = self._n
        first = self._first
        keep = self.upto + 1 - first if n and self.upto >= first else 0
        if keep > n:
            keep = n
        tmp = self._log + ".tmp"
        mv = self._mv
        pos = 8
        with open(tmp, "wb") as out:
            self._header(out)
            if keep < n:
                with open(self._log, "rb") as f:
                    f.seek(offs[keep])
                    for _ in range(keep, n):
                        f.readinto(mv[0:_REC])
                        ln = struct.unpack_from("<H", self._buf, 0)[0]
                        f.readinto(mv[_REC:_REC + ln + 4])
                        out.write(mv[0:_REC + ln + 4])
                        pos += _REC + ln + 4
        os.rename(tmp, self._log)
        # The kept records are contiguous in both logs: shift their offsets
        # down in place (only now, so a failed rewrite leaves them valid).
        if keep < n:
            d = offs[keep] - 8
            for i in range(keep, n):
                offs[i - keep] = offs[i] - d
        self._first = first + keep if keep < n else 0
        self._n = n - keep
        self._end = pos

    def _recover(self):
        # After a failed write the files on flash are old-or-new: re-read
        # them so memory matches what a reboot would see.  (Not after a
        # MemoryError: it comes from opening a file, before any write or
        # rename, and re-reading could run out of heap half-way.)  If the
        # re-read fails too, the journal stays unloaded (_loaded()).
        try:
            self._load()
        except Exception:
            pass

    by = None       # staff number signed in (gun/app.py): on every event

    def append(self, kind, order, at, code=None, notes=None):
        """Store one event, with `by`; when this returns it is on flash
        (beep)."""
        self._loaded()
        if self.full():
            raise JournalFull("journal full")
        seq = self.next_seq
        if seq > _U32:              # struct would keep only the low bits
            raise JournalFull("journal full")
        payload = wire.encode(wire.event(self.ep, seq, kind, order, at,
                                         code=code, notes=notes,
                                         by=self.by))
        ln = len(payload)
        if ln > MAX_PAYLOAD:
            raise ValueError("event too large")
        b = self._buf
        mv = self._mv
        self._room()                # nothing may allocate after the write
        try:
            n = self._n
            if n and self._first + n != seq:
                self._compact()     # keep the log consecutive (uses _buf)
            struct.pack_into("<HI", b, 0, ln, seq)
            mv[_REC:_REC + ln] = payload
            struct.pack_into("<I", b, _REC + ln,
                             binascii.crc32(mv[0:_REC + ln]))
            with open(self._log, "ab") as f:
                f.write(mv[0:_REC + ln + 4])
        except MemoryError:
            # Out of heap before anything reached the log (opening a file
            # failed): flash and memory are as they were.
            raise
        except Exception:
            self._recover()
            raise
        if not self._n:
            self._first = seq
        self._push(self._end)
        self._end += _REC + ln + 4
        self.next_seq = seq + 1
        return seq

    def ack(self, ep, upto):
        """Apply a cumulative ack; returns how many events it newly acked.
        An ack beyond the last seq written is refused (returns 0): the
        server cannot hold an event this journal never wrote, and a seq
        once acked could never be written again."""
        self._loaded()
        if ep != self.ep or upto <= self.upto or upto >= self.next_seq:
            return 0
        n = upto - self.upto
        try:
            self._write_state(self.ep, upto)
        except MemoryError:
            raise                   # before the rename: nothing changed
        except Exception:
            self._recover()
            raise
        self.upto = upto
        if self._dead() >= self.compact_at:
            try:
                self._compact()
            except MemoryError:
                pass                # before the rename: the old log stands
            except Exception:
                self._recover()     # the old log is still valid
        return n

    def compact(self):
        self._loaded()
        if self._dead():
            try:
                self._compact()
            except MemoryError:
                raise               # before the rename: the old log stands
            except Exception:
                self._recover()
                raise

    def _dead(self):
        n = self._n
        if not n or self.upto < self._first:
            return 0
        d = self.upto - self._first + 1
        return d if d < n else n

    # ------------------------------------------------------------ reading
    def pending_count(self):
        return self._n - self._dead()

    def full(self):
        return self.pending_count() >= self.capacity

    def pending(self, limit=None, start=None):
        """Unacked events as [(seq, payload bytes)] in seq order, from seq
        `start` on (default: the first unacked), at most `limit` of them."""
        self._loaded()
        out = []
        n = self._n
        if not n:
            return out
        first = self._first
        s = self.upto + 1
        if start is not None and start > s:
            s = start
        if s < first:
            s = first
        i = s - first
        if i >= n:
            return out
        mv = self._mv
        with open(self._log, "rb") as f:
            f.seek(self._offs[i])
            while i < n and (limit is None or len(out) < limit):
                f.readinto(mv[0:_REC])
                ln, seq = struct.unpack_from("<HI", self._buf, 0)
                f.readinto(mv[_REC:_REC + ln + 4])
                out.append((seq, bytes(mv[_REC:_REC + ln])))
                i += 1
        return out

    def read(self, seq):
        """One unacked event's payload, or None."""
        r = self.pending(1, seq)
        return r[0][1] if r and r[0][0] == seq else None
