"""The `tact` command: one click group; each area adds its commands from its own module."""

from __future__ import annotations

import importlib.metadata
import sys

import click

from service.cli import analysis, backfill, config_cmd, deliveries, demo, doctor, ops, purge


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(importlib.metadata.version("tact"), prog_name="tact")
def main() -> None:
    """Tact: gentler wording for harsh code-review comments, as a GitHub App."""


for command in (*ops.COMMANDS, analysis.analyze_command, analysis.eval_command, analysis.rules_command,
                analysis.train_command,
                config_cmd.config_group, deliveries.deliveries_command, deliveries.replay_command, demo.demo_command,
                doctor.doctor_command, purge.purge_command, backfill.backfill_command):
    main.add_command(command)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
