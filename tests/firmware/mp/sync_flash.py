# littlefs over a simulated flash, mounted at /fl: import this before
# sync_rig, whose journal opens its data folder (/fl) at once.
import vfs

from sim_flash import Flash, blank

BS = 512

dev = Flash(blank(64 * BS), BS)
vfs.VfsLfs2.mkfs(dev)
vfs.mount(vfs.VfsLfs2(dev), "/fl")
