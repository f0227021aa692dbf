"""The `tact` command: one click group; each area adds its commands from its own module."""

from __future__ import annotations

import importlib.metadata
import sys

import click

from service.cli import ops


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(importlib.metadata.version("tact"), prog_name="tact")
def main() -> None:
    """Tact: gentler wording for harsh code-review comments, as a GitHub App."""


for command in ops.COMMANDS:
    main.add_command(command)


def _add_optional(module: str, *names: str) -> None:
    """Commands of areas that are still landing; the CLI works without them."""
    try:
        mod = importlib.import_module(f"service.cli.{module}")
    except ModuleNotFoundError as exc:
        if exc.name != f"service.cli.{module}":
            raise
        return
    for name in names:
        main.add_command(getattr(mod, name))


_add_optional("analysis", "analyze_command", "eval_command", "rules_command")
_add_optional("config_cmd", "config_group")
_add_optional("deliveries", "deliveries_command", "replay_command")

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
