"""process_delivery as a plain function: claim the row, dispatch, record the outcome."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.orm import Session

from service import github, logs, storage
from service.config import Config
from worker import routes
from worker.context import Context, GitHubNotConfigured
from worker.outcome import Outcome

log = logging.getLogger(__name__)

# A delivery still `processing` after this long belongs to a worker that died (tasks time out at 300 s).
STUCK_AFTER = timedelta(minutes=10)


def process_delivery(session: Session, delivery_id: int, config: Config,
                     claimant: str | None = None) -> Outcome | None:
    """Run one delivery once. None: another worker has it, or it is finished already.

    A retryable GitHub failure (``github.Unavailable``) hands the row back to ``received`` and
    propagates, so the task's retry policy decides when to try again; anything else ends the
    delivery as ``failed`` with the reason, visible in ``tact deliveries``.
    """
    delivery = storage.claim_delivery(session, delivery_id, claimant)
    if delivery is None:
        return None
    ctx = Context(session=session, config=config, installation_id=delivery.installation_id,
                  delivery_guid=delivery.guid)
    try:
        outcome = routes.dispatch(delivery.event, delivery.action, delivery.payload or {}, ctx)
    except github.Unavailable as exc:
        session.rollback()
        storage.release_delivery(session, delivery_id, f"GitHub unavailable, will retry: {exc}")
        raise
    except (GitHubNotConfigured, github.GitHubError) as exc:
        session.rollback()
        outcome = Outcome(storage.FAILED, str(exc))
    except Exception as exc:
        # A bug must not leave the row `processing` for the sweeper to resend forever: record it, then surface it.
        session.rollback()
        storage.finish_delivery(session, session.get(storage.Delivery, delivery_id), storage.FAILED,
                                f"internal error: {logs.describe(exc)}")
        raise
    storage.finish_delivery(session, session.get(storage.Delivery, delivery_id), outcome.state, outcome.reason)
    log.info("delivery %s (%s.%s): %s: %s", delivery.guid, delivery.event, delivery.action, outcome.state,
             outcome.reason)
    return outcome


def give_up(session: Session, delivery_id: int, reason: str) -> None:
    """Retries exhausted: the delivery ends failed, and `tact deliveries --retry` can start it again."""
    delivery = session.get(storage.Delivery, delivery_id)
    if delivery is not None and delivery.state in (storage.RECEIVED, storage.PROCESSING):
        storage.finish_delivery(session, delivery, storage.FAILED, reason)


def sweep(session: Session, send: Callable[[str, list], None]) -> list[int]:
    ids = storage.reset_stuck_deliveries(session, older_than=STUCK_AFTER)
    for delivery_id in ids:
        send("tact.process_delivery", [delivery_id])
    return ids
