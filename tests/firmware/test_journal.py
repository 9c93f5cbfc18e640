"""gun.journal inside the real MicroPython (110 KB heap), including a power
cut at every flash write on littlefs over a simulated NOR flash."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mp import script  # noqa: E402
from mp_run import mp_run  # noqa: E402


def test_journal_basics(tmp_path):
    out = mp_run(tmp_path, script("journal_basics"),
                 args=[str(tmp_path / "data" / "j")])
    assert out.stdout.strip().endswith("OK"), out.stdout


def test_journal_edges(tmp_path):
    out = mp_run(tmp_path, script("journal_edges"),
                 args=[str(tmp_path / "data")])
    assert out.stdout.strip().endswith("OK"), out.stdout


def _run_cuts(tmp_path, block_size, *extra):
    import subprocess
    from mp_run import micropython_binary, mp_env, write_script
    path = write_script(tmp_path, script("journal_powercut"), "powercut.py")
    return subprocess.Popen(
        [micropython_binary(), "-X", "heapsize=512k", str(path), "1", "1",
         str(block_size), *extra], cwd=str(tmp_path), env=mp_env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_journal_power_cut_at_every_write(tmp_path):
    # Two 64 KiB flash images (pristine + working) plus littlefs buffers:
    # this test runs with a 512k heap; the journal itself runs in 110k in
    # the other tests.  Two flash geometries (4 KiB sectors as on an ESP32,
    # and 512-byte blocks for more block boundaries), one process each.
    # Each cut leaves half of the interrupted program on flash.
    procs = [_run_cuts(tmp_path, bs) for bs in (4096, 512)]
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0 and "OK" in out, out[-3000:] + err[-3000:]
        total = int(out.split("WRITES")[1].split()[0])
        cuts = int(out.split("CUTS")[1].split()[0])
        assert cuts == total and total > 100, (cuts, total)


def test_journal_power_cut_between_a_fat_rename_s_two_steps(tmp_path):
    """FAT renames over a file by removing it first: a power cut between
    the two leaves journal.st or journal.log only as its .tmp, which the
    journal takes back (main.py refuses FAT anyway; a gun that ran on it
    keeps its beeped picks).  The power-cut run with FAT's rename, every
    write cut."""
    p = _run_cuts(tmp_path, 4096, "fat")
    out, err = p.communicate(timeout=600)
    assert p.returncode == 0 and "OK" in out, out[-3000:] + err[-3000:]
    total = int(out.split("WRITES")[1].split()[0])
    assert int(out.split("CUTS")[1].split()[0]) == total > 100, out


def test_a_log_left_only_as_its_tmp_is_taken_back(tmp_path):
    """journal.log gone, journal.log.tmp whole (the power cut came after
    FAT removed the log, before the rename): the events are back; a .tmp
    beside its file is an unfinished rewrite and goes."""
    data = tmp_path / "data"
    out = mp_run(tmp_path, """
import os, sys
from gun.journal import Journal
root = sys.argv[1]
j = Journal(root)
for i in range(3):
    j.append("pick", 1042, 0, code="PGB:B%d:CBD-OIL-30:L1:Q" % i)
ep = j.ep
os.rename(root + "/journal.log", root + "/journal.log.tmp")
j = Journal(root)
assert (j.ep, j.next_seq, j.pending_count()) == (ep, 4, 3), j.pending()
assert "journal.log.tmp" not in os.listdir(root)
with open(root + "/journal.log.tmp", "wb") as f:
    f.write(b"PGJ1")                    # a rewrite cut short
j = Journal(root)
assert (j.ep, j.pending_count()) == (ep, 3)
assert "journal.log.tmp" not in os.listdir(root)
print("OK")
""", args=[str(data)])
    assert out.stdout.strip() == "OK", out.stdout
