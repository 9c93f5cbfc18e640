"""`pickgun labels`: bottle labels as a PDF file, for a label printer.

Select the bottles of an order's picks, of a lot, or by serial.  The
print is recorded in each order's history only once the file is in
place; a failed write leaves neither a file nor a record."""
import getpass
import os
import tempfile

import click

from server.documents import labels
from server.documents import prints
from server.core.db import default_database
from server.core.db import prepare_database
from server.core.db import connect


def _actor():
    try:
        return "cli:" + getpass.getuser()
    except (KeyError, OSError):     # no user name in a bare container
        return "cli"


@click.command("labels")
@click.option("--db", "db_path", type=click.Path(dir_okay=False),
              default=None,
              help="SQLite file (default: $PICKGUN_DATABASE or "
                   "instance/pickgun.db).")
@click.option("--order", "order_id", type=click.IntRange(min=1),
              help="Label the bottles picked for this order.")
@click.option("--lot", "lot_id", help="Label every bottle of this lot.")
@click.option("--serial", "serials", multiple=True,
              help="Label this bottle (repeat for more).")
@click.option("--sheet", is_flag=True,
              help="Letter sheets of 4 x 10 labels instead of one 50 x 25 mm "
                   "label per page.")
@click.option("--out", "out_path", required=True,
              type=click.Path(dir_okay=False),
              help="PDF file to write.")
def labels_command(db_path, order_id, lot_id, serials, sheet, out_path):
    """Write bottle labels (QR code, lot, packaging date, expiry) to a PDF."""
    chosen = [name for name, value in (("--order", order_id),
                                       ("--lot", lot_id),
                                       ("--serial", serials)) if value]
    if len(chosen) != 1:
        raise click.UsageError("Choose exactly one of --order, --lot or "
                               "--serial" + (" (got %s)" % ", ".join(chosen)
                                             if chosen else ""))
    path = db_path or default_database()
    if not os.path.isfile(path):
        raise click.BadParameter("no database at %s" % path,
                                 param_hint="--db")
    prepare_database(path)
    db = connect(path)
    try:
        if order_id is not None:
            wanted = labels.order_serials(db, order_id)
        elif lot_id:
            wanted = labels.lot_serials(db, lot_id)
        else:
            wanted = list(dict.fromkeys(serials))
        layout = labels.SHEET if sheet else labels.ROLL
        prints.issue_bottle_labels(db, wanted, _actor(), layout,
                                   deliver=lambda pdf: _write(out_path, pdf))
    except labels.LabelError as e:
        raise click.ClickException(str(e)) from e
    except OSError as e:
        raise click.ClickException("Cannot write %s: %s"
                                   % (out_path, e.strerror or e)) from e
    finally:
        db.conn.close()
    shown = ", ".join(wanted[:10]) + (" ..." if len(wanted) > 10 else "")
    click.echo("Wrote %d bottle label%s to %s: %s" % (
        len(wanted), "" if len(wanted) == 1 else "s", out_path, shown))


def _write(out_path, pdf):
    # A temporary file renamed into place: never a half-written PDF under
    # the name the printer spool watches.
    folder = os.path.dirname(os.path.abspath(out_path))
    fd, tmp = tempfile.mkstemp(prefix=".labels-", suffix=".pdf", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(pdf)
        os.replace(tmp, out_path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
