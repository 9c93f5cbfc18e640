"""gun.store inside the real MicroPython (110 KB heap)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mp import script  # noqa: E402
from mp_run import mp_run  # noqa: E402


def test_order_store(tmp_path):
    out = mp_run(tmp_path, script("store_basics"),
                 args=[str(tmp_path / "data")])
    assert out.stdout.strip().endswith("OK"), out.stdout


def test_power_cut_while_storing_never_loses_the_open_order(tmp_path):
    # A snapshot arriving for a new order in a full store, then the next
    # revision of the open order, with power cut at every flash write:
    # after start-up the open order is there, readable and at most one
    # revision behind; no more files than slots; a non-pickable order
    # never outlasts a pickable one.  Two flash geometries, 512k heap for
    # the flash images (the store itself runs in 110k above).
    import subprocess
    from mp_run import micropython_binary, mp_env, write_script
    path = write_script(tmp_path, script("store_powercut"), "powercut.py")
    procs = [subprocess.Popen(
        [micropython_binary(), "-X", "heapsize=512k", str(path), str(bs)],
        cwd=str(tmp_path), env=mp_env(), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True) for bs in (4096, 512)]
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0 and "OK" in out, out[-3000:] + err[-3000:]
        cuts = int(out.split("CUTS")[1].split()[0])
        assert cuts > 20, out
