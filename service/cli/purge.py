"""`tact purge`: forget one installation's data at once, or what is older than TACT_RETENTION_DAYS now."""

from __future__ import annotations

from datetime import timedelta

import click
from sqlalchemy.exc import OperationalError

from service import storage
from service.cli.ops import load_config
from service.config import redact_url


@click.command("purge")
@click.option("--installation", "installation_id", type=int, metavar="ID",
              help="Delete everything stored about this installation (its repositories, comments, findings, "
                   "feedback and deliveries).")
@click.option("--expired", is_flag=True,
              help="Delete what is older than TACT_RETENTION_DAYS now (beat does this daily).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def purge_command(installation_id: int | None, expired: bool, yes: bool) -> None:
    """Delete stored data: one installation's, or everything past the retention period."""
    if (installation_id is None) == (not expired):
        raise click.UsageError("give exactly one of --installation ID or --expired")
    config = load_config()
    if installation_id is not None and not yes:
        click.confirm(f"Delete everything Tact stores about installation {installation_id}?", abort=True)
    db = storage.Database(config.database_url)
    try:
        with db.session() as session:
            if expired:
                purged = storage.purge_expired(session, older_than=timedelta(days=config.retention_days))
            else:
                purged = storage.forget_installation(session, installation_id)
    except OperationalError as exc:
        raise click.ClickException(f"cannot purge {redact_url(config.database_url)} "
                                   f"({type(exc.orig).__name__}); is the database up and migrated?") from exc
    finally:
        db.dispose()
    scope = f"older than {config.retention_days} days" if expired else f"of installation {installation_id}"
    click.echo(f"deleted {purged.describe()} {scope}")
