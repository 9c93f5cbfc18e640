"""A flash that fails reads (EIO) never costs the journal an event nor its
epoch: the real gun.journal inside MicroPython, on littlefs over a block
device whose reads fail from, or only at, each read the journal makes
while it loads at boot and while it re-reads itself after a failed write.
Only a file that does not exist, or a torn tail, may be started over.
Scripts: tests/firmware/mp/jread_*.py, on the journal jread_flash sets up."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mp import script  # noqa: E402
from mp_run import mp_run  # noqa: E402


def test_read_errors_at_boot_never_start_the_journal_over(tmp_path):
    out = mp_run(tmp_path, script("jread_boot"), heap="512k").stdout.split()
    assert out[0] == "BOOT" and out[-1] == "OK", out
    reads, refused = int(out[1]), int(out[2])
    # every read of the load is tried, and a read error refuses the load
    assert reads > 4 and refused >= reads, out


def test_read_errors_after_a_failed_write_never_lose_an_event(tmp_path):
    out = mp_run(tmp_path, script("jread_after_write"),
                 heap="512k").stdout.split()
    assert out[0] == "WRITE" and out[-1] == "OK" and int(out[1]) > 4, out
