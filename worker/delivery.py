"""process_delivery as a plain function: claim the row under a lease, dispatch, record the outcome.

An outage is a retry, not a failure: GitHub's 5xx and rate limits, Redis and the database being
unreachable all hand the delivery back (`RetryLater`), and the lease plus the sweeper make sure
someone tries again within seconds of the outage ending. Only a delivery that can never succeed
(a bug, a malformed payload, GitHub refusing for good) ends `failed`, and its reason names the
error's type and status only: exception messages may quote a comment, and comment text stays out.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.orm import Session

from service import github, logs, storage
from service.config import Config
from worker import publish, routes
from worker.context import Context, GitHubNotConfigured, Send
from worker.outcome import Outcome
from worker.transient import is_transient

log = logging.getLogger(__name__)


class RetryLater(Exception):
    """The delivery (or publish) met an outage; try again in `countdown` seconds."""

    def __init__(self, reason: str, countdown: float) -> None:
        super().__init__(reason)
        self.countdown = countdown


def retry_delay(exc: BaseException, attempt: int, config: Config) -> float:
    """GitHub's retry-after when it named one, else capped exponential backoff with jitter."""
    asked = getattr(exc, "retry_after", None)
    if asked is not None:
        return float(asked)
    ceiling = min(config.retry_max_backoff_seconds, 0.5 * 2 ** max(attempt, 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # jitter spreads a herd


def describe(exc: BaseException) -> str:
    """The error's type and status, never its message (it may quote comment text); a database error
    names its SQLSTATE, which says what went wrong without quoting the row."""
    db = logs.database_error(exc)
    if db is not None:
        state = getattr(db, "sqlstate", None) or getattr(db, "sqlite_errorname", None)
        return f"{type(exc).__name__}" + (f" (SQLSTATE {state})" if state else "")
    status = getattr(exc, "status", None)
    return f"{type(exc).__name__}" + (f" (HTTP {status})" if status else "")


def process_delivery(session: Session, delivery_id: int, config: Config, claimant: str | None = None,
                     send: Send | None = None, heartbeat_db=None) -> Outcome | None:
    """Run one delivery once. None: another live worker has it, or it is finished already.

    Raises RetryLater after handing the row back to `received`; any other exception is a bug,
    recorded as `failed` and re-raised.
    """
    lease = config.delivery_lease_seconds
    delivery = storage.claim_delivery(session, delivery_id, claimant, lease)
    if delivery is None:
        return None
    ctx = Context(session=session, config=config, installation_id=delivery.installation_id,
                  delivery_guid=delivery.guid, send=send)
    with Heartbeat(heartbeat_db, lambda s: storage.renew_lease(s, delivery_id, claimant, lease), lease / 3):
        outcome = _dispatch(ctx, delivery, delivery_id)
    storage.finish_delivery(session, session.get(storage.Delivery, delivery_id), outcome.state, outcome.reason)
    log.info("delivery %s (%s.%s): %s: %s", delivery.guid, delivery.event, delivery.action, outcome.state,
             outcome.reason)
    send_follow_ups(ctx, claimant or "inline")
    return outcome


def _dispatch(ctx: Context, delivery: storage.Delivery, delivery_id: int) -> Outcome:
    session = ctx.session
    attempt = delivery.attempts
    try:
        return routes.dispatch(delivery.event, delivery.action, delivery.payload or {}, ctx)
    except github.NotFound as exc:  # the repository was removed from the installation, or deleted
        session.rollback()
        return Outcome.skipped(f"GitHub no longer shows this to the app ({describe(exc)})")
    except (GitHubNotConfigured, github.GitHubError) as exc:
        session.rollback()
        if isinstance(exc, github.Unavailable):
            return _hand_back(ctx, delivery_id, exc, attempt)
        return Outcome(storage.FAILED, str(exc) if isinstance(exc, GitHubNotConfigured) else
                       f"GitHub refused: {describe(exc)}")
    except Exception as exc:
        session.rollback()
        if is_transient(exc):
            return _hand_back(ctx, delivery_id, exc, attempt)
        # A bug must not leave the row `processing` for the sweeper to resend forever: record it, then surface it.
        storage.finish_delivery(session, session.get(storage.Delivery, delivery_id), storage.FAILED,
                                f"internal error: {describe(exc)}")
        raise


def _hand_back(ctx: Context, delivery_id: int, exc: BaseException, attempt: int):
    countdown = retry_delay(exc, attempt, ctx.config)
    reason = f"{describe(exc)}; will retry in {countdown:.0f} s"
    try:
        storage.release_delivery(ctx.session, delivery_id, reason, not_before=countdown)
    except Exception as again:  # the database itself is down: the lease runs out and the sweep resends
        if not is_transient(again):
            raise
        ctx.session.rollback()
    raise RetryLater(reason, countdown) from exc


def send_follow_ups(ctx: Context, claimant: str) -> None:
    """Send what the work asked for after its commit; inline when there is no queue (plain-function tests).

    A broker outage loses nothing: the wanted publish is in the database and the sweeper sends it.
    """
    pending, ctx.after_commit = ctx.after_commit, []
    for name, args in pending:
        if ctx.send is None:
            run_publish(ctx.session, ctx.config, args[0], claimant, None)
            continue
        try:
            ctx.send(name, args, ctx.config.publish_window_seconds)
        except Exception as exc:
            if not is_transient(exc):
                raise
            log.warning("could not send %s%s (%s); the sweeper will", name, tuple(args), describe(exc))


def run_publish(session: Session, config: Config, pull_request_id: int, claimant: str, send: Send | None,
                heartbeat_db=None) -> str | None:
    """The publish task as a plain function: the writer, its heartbeat, its retry on outages."""
    ctx = Context(session=session, config=config, installation_id=None, send=send)
    lease = config.delivery_lease_seconds
    renew = lambda s: storage.renew_publish(s, pull_request_id, claimant, lease)  # noqa: E731
    try:
        with Heartbeat(heartbeat_db, renew, lease / 3):
            text = publish.publish_pending(ctx, pull_request_id, claimant)
    except Exception as exc:
        if not (isinstance(exc, github.Unavailable) or is_transient(exc)):
            raise
        session.rollback()
        countdown = retry_delay(exc, 1, config)
        try:
            storage.hold_publish(session, pull_request_id, claimant, countdown + lease)
        except Exception as again:
            if not is_transient(again):
                raise
        raise RetryLater(f"publish: {describe(exc)}", countdown) from exc
    send_follow_ups(ctx, claimant)
    return text


def give_up(session: Session, delivery_id: int, reason: str) -> None:
    """Retries exhausted: the delivery ends failed, and `tact deliveries --retry` can start it again."""
    delivery = session.get(storage.Delivery, delivery_id)
    if delivery is not None and delivery.state in (storage.RECEIVED, storage.PROCESSING):
        storage.finish_delivery(session, delivery, storage.FAILED, reason)


def sweep(session: Session, send: Callable[[str, list], None], config: Config | None = None) -> list[int]:
    """Re-send deliveries whose worker is gone or whose message was lost, and publishes left pending."""
    config = config or Config()
    resend_after = timedelta(seconds=config.delivery_lease_seconds)
    ids = storage.reset_stuck_deliveries(session, older_than=resend_after)
    for delivery_id in ids:
        send("tact.process_delivery", [delivery_id])
    window = timedelta(seconds=config.publish_window_seconds * 2 + config.sweep_interval_seconds)
    for pull_request_id in storage.pending_publishes(session, older_than=window):
        send(publish.PUBLISH_TASK, [pull_request_id])
    return ids


class Heartbeat:
    """Renew a lease every `every` seconds from a thread with its own session, while the work runs.

    Without a database handle (plain-function tests) it does nothing: the lease is long enough.
    """

    def __init__(self, db, renew: Callable[[Session], bool], every: float) -> None:
        self._db, self._renew, self._every = db, renew, every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Heartbeat:
        if self._db is not None:
            self._thread = threading.Thread(target=self._run, name="tact-heartbeat", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                with self._db.session() as session:
                    if not self._renew(session):
                        return
            except Exception as exc:  # the database is away; the next beat tries again
                log.warning("lease renewal failed (%s)", describe(exc))
