"""Operating commands: serve the web process, run the worker and beat, migrate the database."""

from __future__ import annotations

import os
import sys

import click

from service.config import Config, ConfigError, redact_url


def load_config() -> Config:
    """The validated config, or a readable error instead of a traceback."""
    try:
        return Config.from_env().validate()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=None, type=int,
              help="gunicorn worker processes (default: 1 with in-process tasks, 2 with Redis).")
def serve_command(host: str, port: int, workers: int | None) -> None:
    """Run the web process (webhooks, dashboard, /healthz) under gunicorn.

    Without REDIS_URL, tasks run in a thread of this process, so nothing else needs to run.
    """
    config = load_config()
    from service.cli.server import run

    if config.uses_in_process_tasks and workers not in (None, 1):
        raise click.ClickException("in-process tasks need a single worker; set REDIS_URL to run more")
    click.echo(f"Tact on http://{host}:{port}  database={redact_url(config.database_url)}  "
               f"tasks={'in-process' if config.uses_in_process_tasks else 'redis'}", err=True)
    for line in _dashboard_notes(config.with_overrides({"bind_host": host}), f"http://{host}:{port}"):
        click.echo(line, err=True)
    if not config.github_app_configured:
        click.echo(f"no GitHub App yet: open {config.public_url.rstrip('/')}/setup to register one", err=True)
    run(host=host, port=port, workers=workers or (1 if config.uses_in_process_tasks else 2))


def _dashboard_notes(config: Config, url: str) -> list[str]:
    """What the dashboard will be for this address, and a first step when the database is empty."""
    if config.oauth_configured:
        return []
    if not config.local_mode:
        return [f"The dashboard stays closed: local mode (no sign-in) needs 127.0.0.1, and {config.bind_host} "
                "is reachable from elsewhere. Set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET for sign-in."]
    notes = [f"Local mode: open {url} (no sign-in; only this machine can reach it)."]
    if _database_is_empty(config.database_url):
        notes.append("The database holds no repositories yet: run `tact demo` for a sample history, or "
                     "`tact replay examples/installation.created.json --event installation`.")
    return notes


def _database_is_empty(url: str) -> bool:
    from sqlalchemy.exc import SQLAlchemyError

    from service import storage

    db = storage.Database(url)
    try:
        with db.session() as session:
            return not storage.installed_repository_ids(session)
    except SQLAlchemyError:  # not migrated yet: `tact db upgrade` says so itself
        return True
    finally:
        db.dispose()


@click.command("worker", context_settings={"ignore_unknown_options": True})
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def worker_command(celery_args: tuple[str, ...]) -> None:
    """Run a Celery worker (needs REDIS_URL); extra arguments go to `celery worker`."""
    _exec_celery("worker", ["--loglevel", "INFO", *celery_args])


@click.command("beat", context_settings={"ignore_unknown_options": True})
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def beat_command(celery_args: tuple[str, ...]) -> None:
    """Run Celery beat, which re-sends deliveries stuck after a crash (needs REDIS_URL)."""
    _exec_celery("beat", ["--loglevel", "INFO", *celery_args])


def _exec_celery(kind: str, args: list[str]) -> None:
    config = load_config()
    if config.uses_in_process_tasks:
        raise click.ClickException(f"REDIS_URL is not set, so tasks run inside `tact serve`; "
                                   f"set REDIS_URL to run a separate {kind}")
    argv = [sys.executable, "-m", "celery", "-A", "worker.celery_app", kind, *args]
    os.execv(sys.executable, argv)


@click.group("db")
def db_group() -> None:
    """Database schema migrations."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Create or migrate the tables (safe to run at every release)."""
    from service.storage import migrate

    config = load_config()
    migrate.upgrade(config.database_url, revision)
    click.echo(f"database at revision {migrate.current(config.database_url)} ({redact_url(config.database_url)})")


@db_group.command("current")
def db_current() -> None:
    """Print the schema revision of the configured database."""
    from service.storage import migrate

    click.echo(migrate.current(load_config().database_url) or "empty (run `tact db upgrade`)")
