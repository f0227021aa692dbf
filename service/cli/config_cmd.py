"""`tact config validate FILE`: check a tact.yml locally, with the messages the check run would show."""

from __future__ import annotations

from pathlib import Path

import click

from service import settings


@click.group("config")
def config_group() -> None:
    """Check per-repository settings files (.github/tact.yml)."""


@config_group.command("validate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate(file: Path) -> None:
    """Validate FILE against Tact's settings schema; exit 1 if it has errors."""
    name = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        click.echo(f"{name}: the file is not UTF-8 text (byte {exc.start})")
        raise SystemExit(1) from None
    _, errors = settings.parse_file(text, name)
    for error in errors:
        click.echo(_line(error))
    if any(e.kind == "error" for e in errors):
        raise SystemExit(1)
    click.echo(f"{name}: valid")


def _line(error: settings.SettingsError) -> str:
    """Compiler style, FILE:LINE:COLUMN: key: message, so editors can jump to the spot."""
    where = f"{error.file}:{error.line}:{error.column}" if error.line is not None else error.file
    key = f" {error.key}:" if error.key else ""
    # Messages open with the key in backticks for the check run; here the key already leads the line.
    message = error.message.removeprefix(f"`{error.key}` ") if error.key else error.message
    label = " warning:" if error.kind == "warning" else ""
    return f"{where}:{label}{key} {message}"
