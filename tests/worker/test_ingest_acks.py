"""What the acks say: every rejection reaches the gun, across gaps,
resends and lost acks (server.gunlink.ingest against a gun following the
ack rule of docs/protocol.md)."""
from server.gunlink.gun_payloads import ACK_BYTES_MAX, ACK_REJ_MAX
from server.gunlink.ingest import ingest_batch
from shared import wire
from ingest_support import GunModel, pick, verdicts
from worker_support import code


def deliver(db, gun, messages, lose=False):
    """Record messages; hand the gun its ack unless it is lost."""
    acks = ingest_batch(db, messages)
    ack = acks.get(gun.device)
    if ack is not None and not lose:
        gun.on_ack(wire.decode(wire.encode(ack)))
    return ack


def rej(ack):
    return [(r["seq"], r["why"]) for r in ack["rej"]]


def test_rejection_after_a_gap_comes_with_the_ack_that_covers_it(demo):
    gun = GunModel()
    one = gun.write(wire.PICK, 1001, code("B0001"))
    two = gun.write(wire.PICK, 1001, code("B0002"))
    three = gun.write(wire.PICK, 1001, code("B9999"))    # unknown bottle
    gun.send()
    msgs = {s: gun.journal[s] for s in (one, two, three)}
    ack = deliver(demo, gun, [msgs[one]])
    assert (ack["upto"], rej(ack)) == (1, [])
    ack = deliver(demo, gun, [msgs[three]])               # 2 is late
    assert (ack["upto"], rej(ack)) == (1, [])
    ack = deliver(demo, gun, [msgs[two]])
    assert ack["upto"] == 3
    assert rej(ack) == [(3, "unknown_bottle")]
    assert ack["rej"][0] == {"seq": 3, "why": "unknown_bottle", "o": 1001,
                             "c": code("B9999")}
    assert gun.learnt == {3: "unknown_bottle"} and not gun.journal


def test_resent_rejected_event_is_reported_again(demo):
    gun = GunModel()
    gun.write(wire.PICK, 1001, code("B9999"))
    deliver(demo, gun, gun.send(), lose=True)             # ack lost
    ack = deliver(demo, gun, gun.send())                  # resent
    assert (ack["since"], ack["upto"], rej(ack)) == \
        (0, 1, [(1, "unknown_bottle")])
    assert gun.learnt == {1: "unknown_bottle"} and not gun.journal
    assert demo.execute("SELECT count(*) FROM picks").fetchone()[0] == 1


def test_lost_ack_then_newer_event_does_not_hide_the_rejection(demo):
    gun = GunModel()
    gun.write(wire.PICK, 1001, code("B0001"))
    gun.write(wire.PICK, 1001, code("B9999"))
    deliver(demo, gun, gun.send(), lose=True)     # the ack listing 2: lost
    gun.write(wire.PICK, 1001, code("B0002"))
    ack = deliver(demo, gun, [gun.journal[3]])    # only the new one
    # This ack says nothing about 1 and 2: the gun must not drop them.
    assert (ack["since"], ack["upto"], ack["rej"]) == (2, 3, [])
    assert gun.upto == 0 and sorted(gun.journal) == [1, 2, 3]
    ack = deliver(demo, gun, gun.send())          # the gun resends
    assert (ack["since"], ack["upto"], rej(ack)) == \
        (0, 3, [(2, "unknown_bottle")])
    assert gun.learnt == {2: "unknown_bottle"} and not gun.journal


def test_duplicate_ack_and_stale_ack_change_nothing_for_the_gun(demo):
    gun = GunModel()
    gun.write(wire.PICK, 1001, code("B9999"))
    first = deliver(demo, gun, gun.send())
    assert gun.learnt == {1: "unknown_bottle"}
    assert not gun.on_ack(first)                  # delivered twice
    assert gun.told_twice == 0 and gun.upto == 1


def test_many_rejections_are_spread_over_several_acks(demo):
    gun = GunModel()
    for i in range(ACK_REJ_MAX + 8):
        gun.write(wire.PICK, 1001, code("X%04d" % i))     # unknown bottles
    first = deliver(demo, gun, gun.send())
    assert len(first["rej"]) == ACK_REJ_MAX
    assert first["upto"] == ACK_REJ_MAX              # lowered
    assert len(wire.encode(first)) <= ACK_BYTES_MAX
    assert gun.upto == ACK_REJ_MAX
    for _ in range(3):
        deliver(demo, gun, gun.send())
    assert not gun.journal
    assert sorted(gun.learnt) == list(range(1, ACK_REJ_MAX + 9))
    assert set(gun.learnt.values()) == {"unknown_bottle"}


def test_long_codes_keep_the_ack_within_its_size(demo):
    gun = GunModel()
    for i in range(ACK_REJ_MAX):
        # Foreign codes of 80 characters that JSON must escape.
        gun.write(wire.PICK, 1001, ("\u00e9%02d" % i) * 20)
    first = deliver(demo, gun, gun.send())
    assert len(wire.encode(first)) <= ACK_BYTES_MAX
    assert 0 < len(first["rej"]) < ACK_REJ_MAX
    for _ in range(5):
        deliver(demo, gun, gun.send())
    assert not gun.journal and len(gun.learnt) == ACK_REJ_MAX


def test_every_rejection_learnt_after_crashes_and_restarts(demo):
    """Batches lost before their commit, acks lost after it, late events
    and a gun reboot: in the end the gun holds nothing and has learnt
    exactly the server's rejections."""
    gun = GunModel()
    serials = ["B0001", "B9998", "B0002", "B0001", "B9999", "C0001"]
    for s in serials:
        gun.write(wire.PICK, 1001, code(s) if s[0] == "B" else
                  code(s, sku="CAPS-10", lot="L2313C"))
    sent = gun.send()
    deliver(demo, gun, sent[3:5], lose=True)      # 4, 5 (rejected), lost ack
    # a batch that never committed: nothing to do
    deliver(demo, gun, sent[1:2])                 # 2: gap at 1
    gun.reboot()
    deliver(demo, gun, sent[0:1], lose=True)      # 1: covers 1, 2; lost
    deliver(demo, gun, sent[5:6])                 # 6, since 5: ignored
    assert gun.upto == 0
    for _ in range(3):
        deliver(demo, gun, gun.send())
    assert not gun.journal
    assert gun.learnt == {s: v[1] for s, v in verdicts(demo).items()
                          if v[0] == "rejected"}
    # Judged in the order they arrived: 4 took B0001 before 1 did.
    assert gun.learnt == {1: "duplicate", 2: "unknown_bottle",
                          5: "unknown_bottle", 6: "wrong_product"}


def test_ack_tells_the_gun_only_about_its_latest_epoch(demo):
    ingest_batch(demo, [pick(1, "B9999")])
    acks = ingest_batch(demo, [pick(1, "B0001", ep=8), pick(2, "B9998",
                                                            ep=8)])
    assert acks["G01"] == wire.ack(8, 2, [
        {"seq": 2, "why": "unknown_bottle", "o": 1001,
         "c": code("B9998")}], since=0)
