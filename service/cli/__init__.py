"""The `tact` command: one click group; each area adds its commands from its own module.

The modules are imported only when their command runs (or when `--help` lists them all): `tact analyze` is run
by hand and by editors on every save, and importing the queue, the GitHub client and the web app for it cost
about half a second of its cold start.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import sys

import click

# command name -> (module, attribute); the order is the order `tact --help` lists them in
COMMANDS = {
    "serve": ("service.cli.ops", "serve_command"),
    "worker": ("service.cli.ops", "worker_command"),
    "beat": ("service.cli.ops", "beat_command"),
    "db": ("service.cli.ops", "db_group"),
    "analyze": ("service.cli.analysis", "analyze_command"),
    "eval": ("service.cli.analysis", "eval_command"),
    "rules": ("service.cli.analysis", "rules_command"),
    "train": ("service.cli.analysis", "train_command"),
    "config": ("service.cli.config_cmd", "config_group"),
    "deliveries": ("service.cli.deliveries", "deliveries_command"),
    "replay": ("service.cli.deliveries", "replay_command"),
    "demo": ("service.cli.demo", "demo_command"),
    "doctor": ("service.cli.doctor", "doctor_command"),
    "purge": ("service.cli.purge", "purge_command"),
    "backfill": ("service.cli.backfill", "backfill_command"),
}


class LazyGroup(click.Group):
    """A group whose commands are imported from COMMANDS when first asked for (click's documented pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*COMMANDS, *(name for name in super().list_commands(ctx) if name not in COMMANDS)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        module, attribute = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module), attribute)
        if command.name != cmd_name:  # pragma: no cover - a wrong table entry is a programming error
            raise RuntimeError(f"{module}.{attribute} is the command {command.name!r}, not {cmd_name!r}")
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(importlib.metadata.version("tact"), prog_name="tact")
def main() -> None:
    """Tact: gentler wording for harsh code-review comments, as a GitHub App."""


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
