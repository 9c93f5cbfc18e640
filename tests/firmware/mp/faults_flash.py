import vfs
from gun.journal import Journal
from shared import wire

from sim_flash import Flash, blank

BS = 512
dev = Flash(blank(64 * BS), BS)
vfs.VfsLfs2.mkfs(dev)
vfs.mount(vfs.VfsLfs2(dev), "/fl")


def on_flash(j):
    # what a reboot would find: (ep, upto, next_seq, [(seq, event)])
    r = Journal("/fl", capacity=40)
    return (
        r.ep,
        r.upto,
        r.next_seq,
        [(q, wire.decode(p)) for q, p in r.pending()],
    )
