"""What computing every gun's hold list costs (server.fleet.holds).

    python bench/holds.py [--guns N] [--orders P] [--share S]

Deals P placed orders to N guns of share S, as the worker's ingest
process does at most once a second: the first time (every order ranked
for every gun, as after the worker starts or a gun is added or retired)
and again with the rankings kept (every later recomputation), and with
an order shipped in between.  Prints the times and how many orders are
held by how many guns."""
import argparse
import collections
import time

from server.fleet import holds


def main():
    parser = argparse.ArgumentParser(
        description="What computing every gun's hold list costs.")
    parser.add_argument("--guns", type=int, default=500)
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--share", type=int, default=holds.SHARE_DEFAULT)
    args = parser.parse_args()
    shares = {"G%04d" % i: args.share for i in range(args.guns)}
    placed = list(range(100001, 100001 + args.orders))
    dealer = holds.Dealer()
    for label, orders in (("first (ranking every order)", placed),
                          ("again (rankings kept)", placed),
                          ("one order shipped", placed[1:])):
        started = time.perf_counter()
        lists = dealer.deal(orders, shares, {})
        print("%-30s %7.1f ms" % (label,
                                  (time.perf_counter() - started) * 1000))
    copies = collections.Counter(o for mine in lists.values() for o in mine)
    spread = collections.Counter(copies.values())
    print("k = %d; orders held by n guns: %s; not held: %d" % (
        holds.deal_size(len(shares), sum(shares.values()), len(placed)),
        dict(sorted(spread.items())), len(placed) - 1 - len(copies)))


if __name__ == "__main__":
    main()
