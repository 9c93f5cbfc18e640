"""What computing every gun's hold list costs (server.fleet.holds).

    python bench/holds.py [--guns N] [--orders P] [--share S]

Deals P placed orders to N guns of share S, as the worker's ingest
process does at most once a second: the first time (the hash ring
built, as after the worker starts or a gun is added or retired), again
with the ring kept (every later recomputation), with an order shipped
in between, and with one more gun (the ring built again).  Prints the
times and how many orders are held by how many guns."""
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
    more = dict(shares, GNEW=args.share)
    for label, orders, guns in (("first (ring built)", placed, shares),
                                ("again (ring kept)", placed, shares),
                                ("one order shipped", placed[1:], shares),
                                ("one gun added", placed[1:], more)):
        started = time.perf_counter()
        lists = dealer.deal(orders, guns, {})
        print("%-30s %7.1f ms" % (label,
                                  (time.perf_counter() - started) * 1000))
    copies = collections.Counter(o for mine in lists.values() for o in mine)
    spread = collections.Counter(copies.values())
    print("k = %d; orders held by n guns: %s; not held: %d" % (
        holds.deal_size(len(more), sum(more.values()), len(placed)),
        dict(sorted(spread.items())), len(placed) - 1 - len(copies)))


if __name__ == "__main__":
    main()
