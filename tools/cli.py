"""The `pickgun` command: every server, technician and demo task."""
import importlib

import click

# (module, attribute) of each subcommand, imported only when used so that
# `pickgun --help` stays fast and a tool's optional dependencies stay optional.
COMMANDS = {
    "up": ("tools.up", "up_command"),
    "web": ("tools.web", "web_command"),
    "worker": ("server.gunlink.worker", "worker_command"),
    "init-db": ("server.seed", "init_db_command"),
    "seed-demo": ("server.seed", "seed_demo_command"),
    "provision": ("tools.provision", "provision_command"),
    "flash": ("tools.flash", "flash_command"),
    "release": ("tools.release", "release_command"),
    "gun-info": ("tools.device", "gun_info_command"),
    "import-events": ("tools.unsent", "import_events_command"),
    "simulate": ("tools.simulate", "simulate_command"),
    "site": ("tools.site", "site_group"),
    "labels": ("tools.labels", "labels_command"),
    "add-staff": ("server.web.auth", "add_staff_command"),
    "recurring-run": ("server.orders.recurring_run", "recurring_run_command"),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module, attr = COMMANDS[name]
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyGroup)
def cli():
    """Pickgun: order fulfilment with offline-safe scanner guns."""


if __name__ == "__main__":
    cli()
