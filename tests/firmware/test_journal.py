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


def _run_cuts(tmp_path, block_size):
    import subprocess
    from mp_run import micropython_binary, mp_env, write_script
    path = write_script(tmp_path, script("journal_powercut"), "powercut.py")
    return subprocess.Popen(
        [micropython_binary(), "-X", "heapsize=512k", str(path), "1", "1",
         str(block_size)], cwd=str(tmp_path), env=mp_env(),
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
