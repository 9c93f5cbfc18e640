# Offline-only stand-in for gun/sync.py, used by the simulated-gun test
# while the real sync session is not in the tree.
import asyncio


class Sync:
    def __init__(self, board, cfg, journal, store, listener):
        self.listener = listener
        self.kicks = 0

    async def run(self):
        self.listener.on_link("offline")
        while True:
            await asyncio.sleep(3600)

    def kick(self):
        self.kicks += 1
