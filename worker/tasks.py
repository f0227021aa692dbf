"""Celery task shells: each takes ids, opens a session, and calls a plain function that does the work."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from flask import current_app

from service import github, storage
from worker import backfill
from worker import delivery as deliveries
from worker.context import Context, credentials, retry_policy
from worker.transient import is_transient


def _send(name: str, args: list, countdown: float = 0.0) -> None:
    current_app.extensions["tact.queue"].send(name, args, countdown=countdown)


def _retry(task, exc: BaseException) -> None:
    """An outage: try again later, for as long as it lasts (only a bug ends a delivery `failed`).

    In the in-process queue (eager tasks) Celery would retry at once, in a loop: there the row's
    lease and the periodic sweep bring the work back instead.
    """
    if task.request.is_eager:
        return
    config = current_app.config["TACT"]
    countdown = getattr(exc, "countdown", None)
    if countdown is None:
        countdown = deliveries.retry_delay(exc, task.request.retries + 1, config)
    raise task.retry(exc=exc, countdown=countdown, max_retries=None)


@shared_task(name="tact.process_delivery", bind=True, acks_late=True)
def process_delivery(self, delivery_id: int) -> str | None:
    db = current_app.extensions["tact.db"]
    try:
        with db.session() as session:
            outcome = deliveries.process_delivery(session, delivery_id, current_app.config["TACT"],
                                                claimant=self.request.id, send=_send, heartbeat_db=db)
    except Exception as exc:
        if isinstance(exc, deliveries.RetryLater) or is_transient(exc):
            _retry(self, exc)
            return "retry"
        raise
    _send_due_backfills()
    return outcome.state if outcome else None


def _send_due_backfills() -> None:
    """An opt-in this delivery recorded reads its history now, not at the next sweep; in a session of
    its own, after the delivery's, so a problem sending cannot undo the delivery's outcome."""
    with current_app.extensions["tact.db"].session() as session:
        backfill.send_due(session, _send)


@shared_task(name="tact.publish_pull_request", bind=True, acks_late=True)
def publish_pull_request(self, pull_request_id: int) -> str | None:
    """The one writer of a pull request's check run (worker/publish.py explains the coalescing)."""
    db = current_app.extensions["tact.db"]
    try:
        with db.session() as session:
            return deliveries.run_publish(session, current_app.config["TACT"], pull_request_id, self.request.id,
                                          _send, heartbeat_db=db)
    except Exception as exc:
        if isinstance(exc, deliveries.RetryLater) or is_transient(exc):
            _retry(self, exc)
            return "retry"
        raise


@shared_task(name="tact.sweep_stuck_deliveries")
def sweep_stuck_deliveries() -> int:
    """Re-send deliveries a crashed worker or a Redis outage left behind (beat runs it every few seconds)."""
    with current_app.extensions["tact.db"].session() as session:
        backfill.send_due(session, _send)  # paused by a rate limit until now, or left by a dead worker
        sent = len(deliveries.sweep(session, _send, current_app.config["TACT"]))
    current_app.extensions["tact.queue"].mark_sweep()  # `tact doctor` reads it to tell whether beat is running
    return sent


@shared_task(name="tact.purge_expired")
def purge_expired() -> str:
    """Forget findings, comments and deliveries older than TACT_RETENTION_DAYS (run by beat once a day)."""
    days = current_app.config["TACT"].retention_days
    with current_app.extensions["tact.db"].session() as session:
        return storage.purge_expired(session, older_than=timedelta(days=days)).describe()


@shared_task(name="tact.backfill_repository", bind=True, acks_late=True)
def backfill_repository(self, repository_id: int) -> str:
    """Read a repository's history from its saved cursor; a rate limit pauses it for the sweeper to resume."""
    config = current_app.config["TACT"]
    try:
        with current_app.extensions["tact.db"].session() as session:
            repo = session.get(storage.Repository, repository_id)
            ctx = Context(session=session, config=config, installation_id=repo.installation_id if repo else None,
                          delivery_guid=f"backfill-{repository_id}", send=_send)
            progress = backfill.run(ctx, repository_id)
            session.commit()
            deliveries.send_follow_ups(ctx, self.request.id)  # open pull requests' check runs, after the commit
    except Exception as exc:
        if is_transient(exc):
            _retry(self, exc)
            return "retry"
        raise
    return progress.state


@shared_task(name="tact.recover_deliveries")
def recover_deliveries() -> int:
    """Ask GitHub to redeliver webhooks it failed to deliver and Tact never stored (beat, with credentials)."""
    config = current_app.config["TACT"]
    if not config.github_app_configured:
        return 0
    with current_app.extensions["tact.db"].session() as session:
        found = github.recover(credentials(config), lambda guids: storage.stored_guids(session, guids),
                               since_seconds=config.recover_lookback_seconds, policy=retry_policy(config))
    return len(found.redelivered)


@shared_task(name="tact.ping", ignore_result=False)
def ping(token: str) -> str:
    """Round trip through the broker and a worker; used by tests and `tact doctor`."""
    return f"pong:{token}"
