# The app's screens are built by gun/ui.py's table from the app's state;
# show() draws one of them for a real App whose fields are set as given.
import fakes
from gun.app import App
from gun.ui import SCREENS


class Waiting(fakes.Journal):  # n events waiting to sync
    n = 0

    def pending_count(self):
        return self.n


def show(screen, link="online", pending=0, why=None, **fields):
    j = Waiting()
    j.n = pending
    sync = fakes.Sync()
    sync.why = why
    a = App(fakes.Board(), j, fakes.Store(), sync)
    a.link = link
    for name in fields:
        setattr(a, name, fields[name])
    a.screen = screen
    return SCREENS[screen](a, False)


def notes(*texts):
    return [{"id": i, "text": t} for i, t in enumerate(texts)]
