"""Celery task shells: each takes ids, opens a session, and calls a plain function that does the work."""

from __future__ import annotations

import random
from datetime import timedelta

from celery import shared_task
from flask import current_app

from service import github, storage
from worker import backfill
from worker import delivery as deliveries
from worker.context import Context

# Backoff for GitHub outages and rate limits: 2 s, 4 s, ... up to 10 minutes, 8 tries (~30 min).
MAX_RETRIES = 8


@shared_task(name="tact.process_delivery", bind=True, acks_late=True, max_retries=MAX_RETRIES)
def process_delivery(self, delivery_id: int) -> str | None:
    db = current_app.extensions["tact.db"]
    try:
        with db.session() as session:
            outcome = deliveries.process_delivery(session, delivery_id, current_app.config["TACT"],
                                                claimant=self.request.id)
    except github.Unavailable as exc:
        if self.request.retries >= self.max_retries:
            with db.session() as session:
                reason = f"GitHub still unavailable after {self.max_retries} retries: {exc}"
                deliveries.give_up(session, delivery_id, reason)
            return "failed"
        backoff = min(600, 2 ** (self.request.retries + 1)) * random.uniform(0.5, 1.0)  # jitter spreads a herd
        countdown = exc.retry_after if exc.retry_after is not None else backoff
        raise self.retry(exc=exc, countdown=countdown) from exc
    _send_due_backfills()
    return outcome.state if outcome else None


def _send_due_backfills() -> None:
    """An opt-in this delivery recorded reads its history now, not at the next sweep; in a session of
    its own, after the delivery's, so a problem sending cannot undo the delivery's outcome."""
    with current_app.extensions["tact.db"].session() as session:
        backfill.send_due(session, current_app.extensions["tact.queue"].send)


@shared_task(name="tact.sweep_stuck_deliveries")
def sweep_stuck_deliveries() -> int:
    """Re-send deliveries a crashed worker or a Redis outage left behind (run by beat every minute)."""
    queue = current_app.extensions["tact.queue"]
    with current_app.extensions["tact.db"].session() as session:
        backfill.send_due(session, queue.send)  # paused by a rate limit until now, or left by a dead worker
        sent = len(deliveries.sweep(session, queue.send))
    queue.mark_sweep()  # `tact doctor` reads it to tell whether beat is running
    return sent


@shared_task(name="tact.purge_expired")
def purge_expired() -> str:
    """Forget findings, comments and deliveries older than TACT_RETENTION_DAYS (run by beat once a day)."""
    days = current_app.config["TACT"].retention_days
    with current_app.extensions["tact.db"].session() as session:
        return storage.purge_expired(session, older_than=timedelta(days=days)).describe()


@shared_task(name="tact.backfill_repository", bind=True, acks_late=True, max_retries=MAX_RETRIES)
def backfill_repository(self, repository_id: int) -> str:
    """Read a repository's history from its saved cursor; a rate limit pauses it for the sweeper to resume."""
    config = current_app.config["TACT"]
    try:
        with current_app.extensions["tact.db"].session() as session:
            repo = session.get(storage.Repository, repository_id)
            ctx = Context(session=session, config=config, installation_id=repo.installation_id if repo else None,
                          delivery_guid=f"backfill-{repository_id}")
            progress = backfill.run(ctx, repository_id)
    except github.Unavailable as exc:
        raise self.retry(exc=exc, countdown=min(600, 2 ** (self.request.retries + 1))) from exc
    return progress.state


@shared_task(name="tact.ping", ignore_result=False)
def ping(token: str) -> str:
    """Round trip through the broker and a worker; used by tests and `tact doctor`."""
    return f"pong:{token}"
