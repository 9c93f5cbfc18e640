"""`pickgun web`: the web pages, served by waitress.

Waitress is a production WSGI server in pure Python: a fixed pool of
threads behind one event loop, no fork model, so it runs the same on any
machine and stops cleanly on SIGINT or SIGTERM.  Threads suit this
single-machine product, whose requests are short and share one SQLite
file (one writer at a time).

X-Forwarded-* headers are not trusted (waitress removes them) unless
--trusted-proxy names the reverse proxy in front of Pickgun."""
import errno
import logging
import os
import signal
import sys

import click
from waitress.server import create_server

from server.app import create_app
from tools.ports import holder

THREADS = 8
PROXY_HEADERS = ("x-forwarded-for", "x-forwarded-proto", "x-forwarded-host",
                 "x-forwarded-port")

log = logging.getLogger("pickgun.web")


def make_server(app, host="127.0.0.1", port=5000, threads=THREADS,
                trusted_proxy=None):
    """A waitress server for `app`, listening (port 0: any free port; see
    .effective_port); .run() serves until SIGINT/SIGTERM."""
    options = {"host": host, "port": port, "threads": threads,
               "clear_untrusted_proxy_headers": True}
    if trusted_proxy:
        options.update(trusted_proxy=trusted_proxy, trusted_proxy_count=1,
                       trusted_proxy_headers=" ".join(PROXY_HEADERS))
    return create_server(app, **options)


def _stop(signum, frame):
    raise KeyboardInterrupt


def serve(server):
    """Serve until SIGINT or SIGTERM (from the main thread), then finish the
    requests in hand and close the listening socket."""
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    server.print_listen("Serving on http://{}:{}")
    try:
        server.run()        # returns after KeyboardInterrupt, tasks shut down
    finally:
        # Ctrl-C reaches `pickgun up` and its children together, and `up`
        # then sends SIGTERM: the second signal must not cut the first's
        # clean stop short.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        server.close()
        log.info("Stopped.")


@click.command("web")
@click.option("--db", "db_path", required=True, type=click.Path())
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True,
              type=click.IntRange(0, 65535), help="0: any free port.")
@click.option("--gun-screens", type=click.Path(file_okay=False),
              help="Folder of simulated guns, whose screens the fleet page "
                   "then shows.")
@click.option("--threads", default=THREADS, show_default=True,
              type=click.IntRange(1, 256), help="Requests served at once.")
@click.option("--trusted-proxy", metavar="ADDRESS",
              help="The reverse proxy in front of Pickgun (e.g. 127.0.0.1): "
                   "its X-Forwarded-For/-Proto/-Host/-Port are believed. "
                   "Default: no proxy, those headers are dropped.")
def web_command(db_path, host, port, gun_screens, threads, trusted_proxy):
    """Serve the web pages (used by `pickgun up`)."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(message)s")
    db_path = os.path.abspath(db_path)
    # The database's folder is the instance folder: its config.py and
    # secret_key beside it, PICKGUN_* variables over them.
    app = create_app(instance_path=os.path.dirname(db_path), settings={
        "DATABASE": db_path,
        "GUN_SCREENS": gun_screens and os.path.abspath(gun_screens)})
    try:
        server = make_server(app, host, port, threads, trusted_proxy)
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            raise click.ClickException("Web port %d is held by %s."
                                       % (port, holder(port))) from e
        raise click.ClickException("Cannot listen on %s:%d: %s"
                                   % (host, port, e.strerror)) from e
    serve(server)
