"""`tact backfill OWNER/REPO [--days N]`: read a repository's recent history again, as the dashboard's button does."""

from __future__ import annotations

import click
from sqlalchemy import select

from service import storage
from service.queue import BrokerUnavailable
from service.settings import store

TASK = "tact.backfill_repository"
MAX_DAYS = 90
# Embedded mode (no Redis): the backfill runs in this process; give it this long before we stop waiting.
IN_PROCESS_WAIT_SECONDS = 600


@click.command("backfill")
@click.argument("repository", metavar="OWNER/REPO")
@click.option("--days", type=click.IntRange(1, MAX_DAYS), default=None,
              help="How many days back to read (default: the repository's backfill_days, at most 90).")
def backfill_command(repository: str, days: int | None) -> None:
    """Analyze a repository's review comments of the last days again; nothing is published for closed PRs."""
    from service.app import close_app, create_app

    app = create_app()
    db, queue = app.extensions["tact.db"], app.extensions["tact.queue"]
    try:
        with db.session() as session:
            repo = session.scalar(select(storage.Repository).where(storage.Repository.full_name == repository))
            if repo is None or not repo.installed:
                raise click.ClickException(f"Tact has not seen {repository}; is the app installed there?")
            days = days or store.stored_settings(session, repo).settings.backfill_days
            storage.start_backfill(session, repo.id, days)
            repo_id = repo.id
        _send(db, queue, repo_id, repository, days)
    finally:
        close_app(app)


def _send(db, queue, repo_id: int, repository: str, days: int) -> None:
    try:
        queue.send(TASK, [repo_id])
    except BrokerUnavailable as exc:
        click.echo(f"{repository}: backfill queued, but the broker is unavailable ({type(exc).__name__}); "
                   "`tact beat` sends it once Redis is back", err=True)
        raise SystemExit(1) from exc
    if queue.describe == "in-process":
        queue.join(IN_PROCESS_WAIT_SECONDS)
        with db.session() as session:
            row = storage.backfill_of(session, repo_id)
            click.echo(f"{repository}: {row.state}; {row.comments_read} comment(s) read, {row.findings} finding(s)")
        return
    click.echo(f"{repository}: reading the last {days} days; the repository's rollout page shows the progress")
