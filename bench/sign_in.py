"""Sign-in time for a real name and an unknown one, staff and portal.

    python bench/sign_in.py [--tries N]

Builds the demo data in a temporary folder and posts wrong passwords to
/login and /portal/login through the app, alternating a real name with an
unknown one (each name used at most LOCK_AFTER - 1 times in a row, so
nothing locks).  Prints the median and p90 of each and their ratio: close
to 1.00 means the time does not tell which names exist."""
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.app import create_app
from server.core.db import connect
from server.seed import seed_demo
from server.staff.sign_in import LOCK_AFTER

FORMS = {
    "staff": ("/login", "username", "csr", "nobody-%d"),
    "portal": ("/portal/login", "email", "priya.raman@rogers.com",
               "nobody-%d@example.com"),
}


def timed_post(client, path, field, name):
    start = time.perf_counter()
    r = client.post(path, data={field: name, "password": "wrong-password"})
    elapsed = time.perf_counter() - start
    assert r.status_code == 401, r.status_code
    return elapsed


def run(app, realm, tries):
    path, field, known, unknown = FORMS[realm]
    client = app.test_client()
    times = {"real": [], "unknown": []}
    for i in range(tries):
        if i % (LOCK_AFTER - 1) == 0:
            # A success clears the real name's count.
            client.post(path, data={field: known,
                                    "password": "pickgun-demo"})
        times["real"].append(timed_post(client, path, field, known))
        times["unknown"].append(timed_post(client, path, field, unknown % i))
    for kind, values in times.items():
        values.sort()
        print("%-6s %-7s median %6.1f ms  p90 %6.1f ms"
              % (realm, kind, statistics.median(values) * 1000,
                 values[int(len(values) * 0.9)] * 1000))
    print("%-6s unknown/real median ratio %.2f" % (
        realm, statistics.median(times["unknown"]) /
        statistics.median(times["real"])))


def main():
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--tries", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "pickgun.db")
        app = create_app({"DATABASE": path, "SECRET_KEY": "bench",
                          "TESTING": True, "CSRF_ENABLED": False})
        db = connect(path)
        seed_demo(db)
        db.conn.close()
        for realm in FORMS:
            run(app, realm, args.tries)


if __name__ == "__main__":
    main()
