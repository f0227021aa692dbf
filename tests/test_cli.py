"""The `tact` command: every command documents itself, and the operating commands refuse what cannot work."""

import importlib.metadata

import click
import pytest

from service.cli import main
from service.storage import migrate


def _all_commands(group: click.Group, prefix=()):
    """Through click's own lookup, so the lazily imported commands of `tact` are walked too."""
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _all_commands(command, (*prefix, name))


def test_every_listed_command_is_found():
    """The lazy table names every command, so `tact --help` and the commands themselves agree."""
    paths = list(_all_commands(main))
    assert {"analyze", "eval", "serve", "worker", "doctor", "backfill"} <= {p[0] for p in paths}
    assert ("db", "upgrade") in paths


def test_version_is_the_installed_one(runner):
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0 and importlib.metadata.version("tact") in result.output


@pytest.mark.parametrize("path", list(_all_commands(main)), ids=" ".join)
def test_every_command_has_help(runner, path):
    result = runner.invoke(main, [*path, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_db_upgrade_migrates_the_configured_database(runner, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    result = runner.invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0 and f"revision {migrate.head()}" in result.output
    assert runner.invoke(main, ["db", "current"]).output.strip() == migrate.head()


def test_a_bad_configuration_is_a_readable_error_not_a_traceback(runner, monkeypatch):
    monkeypatch.setenv("GITHUB_APP_ID", "not-a-number")
    result = runner.invoke(main, ["db", "upgrade"])
    assert result.exit_code == 1 and "GITHUB_APP_ID must be a number" in result.output
    assert "Traceback" not in result.output


def test_a_worker_needs_redis(runner, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    result = runner.invoke(main, ["worker"])
    assert result.exit_code == 1 and "REDIS_URL is not set" in result.output


def test_in_process_tasks_need_a_single_web_worker(runner, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    result = runner.invoke(main, ["serve", "--workers", "3"])
    assert result.exit_code == 1 and "single worker" in result.output
