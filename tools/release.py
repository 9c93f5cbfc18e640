"""`pickgun release`: publish a firmware release for the guns to install
over the air, and pause or resume its roll-out.

It builds the ROMFS image `pickgun flash` would install (tools/romfs.py:
the modules precompiled by mpy-cross), signs its version, size and
SHA-256 with the server's release key (server/fleet/releases.py: made on
first use, never leaving the instance folder) and makes it the roll-out's
target; the worker tells every gun (a retained message) and the guns
download it from the web server, install it when their journal is empty,
and go back by themselves if it fails them (docs/firmware.md,
Over-the-air updates).  The fleet page shows how far each gun has got."""
from pathlib import Path

import click

from server.core import db as dbm
from server.fleet import releases

PROJECT = Path(__file__).resolve().parent.parent


def build(source, simulated=False):
    """(version, image bytes) of the firmware under source."""
    from tools.flash import firmware_version, romfs_files
    from tools.romfs import PARTITION_BYTES
    version = firmware_version(source)
    if version is None:
        raise click.ClickException(
            "firmware/gun/__init__.py under %s sets no VERSION" % source)
    image, _ = romfs_files(source, [], host=simulated)
    data = image.read_bytes()
    if len(data) > PARTITION_BYTES:
        raise click.ClickException(
            "The ROMFS image (%d bytes) does not fit a gun's romfs "
            "partition (%d bytes)." % (len(data), PARTITION_BYTES))
    return version, data


@click.command("release")
@click.option("--db", "db_path", type=click.Path(dir_okay=False),
              default=None, help="SQLite file (default: the web app's); "
              "the release key and images live beside it, in releases/.")
@click.option("--source", type=click.Path(file_okay=False, exists=True),
              default=str(PROJECT), help="Project folder holding firmware/ "
              "and shared/ (default: this one).")
@click.option("--simulated", is_flag=True,
              help="The image simulated guns run (with the host board): "
              "for `pickgun simulate --romfs` guns, never for real ones.")
@click.option("--paused", is_flag=True,
              help="Publish with the roll-out paused (resume it later).")
@click.option("--pause", "pause", flag_value="pause", default=None,
              help="Pause the roll-out: no gun starts or goes on with a "
              "download or an install.")
@click.option("--resume", "pause", flag_value="resume",
              help="Resume the roll-out.")
def release_command(db_path, source, simulated, paused, pause):
    """Build, sign and publish the firmware as a release the guns install
    over the air (or --pause / --resume its roll-out)."""
    path = db_path or dbm.default_database()
    dbm.prepare_database(path)
    db = dbm.connect(path)
    try:
        if pause:
            try:
                r = releases.set_paused(db, pause == "pause", "pickgun")
            except releases.ReleaseError as e:
                raise click.ClickException(str(e)) from e
            click.echo("Roll-out of %s %s." % (
                r["version"], "paused" if r["paused"] else "resumed"))
            return
        version, image = build(source, simulated)
        try:
            row = releases.publish(db, releases.folder(path), image, version,
                                   "pickgun", paused)
        except releases.ReleaseError as e:
            raise click.ClickException(str(e)) from e
    finally:
        db.conn.close()
    click.echo("Release %s: %d bytes, SHA-256 %s, signed with %s." % (
        version, row["size"], row["sha256"],
        releases.folder(path) / releases.KEY))
    click.echo("Roll-out of %s %s: guns provisioned with this server's "
               "key (ota_key) take it from their fw_url." % (
                   version, "paused (pickgun release --resume)" if paused
                   else "started"))
