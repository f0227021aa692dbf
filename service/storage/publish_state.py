"""Each pull request's publish state: the version of its findings wanted on GitHub, the one shown, the writer's lease.

One writer per pull request: a change bumps `publish_wanted`; a publisher takes the lease with a
compare-and-set UPDATE, shows the stored state, records the version it showed, and lets go. A
burst of changes inside the coalescing window therefore becomes one write, and two writers never
race on one check run. The sweeper finds versions wanted but not shown whose writer is gone.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.storage.models import PullRequest, utcnow


def want_publish(session: Session, pull_request_id: int, run_key: str | None = None) -> None:
    """Record that the pull request's check run must show its current state (a new version)."""
    values = {"publish_wanted": PullRequest.publish_wanted + 1, "publish_wanted_at": utcnow()}
    if run_key is not None:
        values["publish_run_key"] = run_key
    session.execute(update(PullRequest).where(PullRequest.id == pull_request_id).values(**values))


def claim_publish(session: Session, pull_request_id: int, claimant: str, lease_seconds: float) -> int | None:
    """Take the writer's lease if nobody live holds it and there is something to show; the wanted version."""
    now = utcnow()
    free = (PullRequest.publish_lease_until.is_(None) | (PullRequest.publish_lease_until < now)
            | (PullRequest.publish_claimed_by == claimant))
    result = session.execute(
        update(PullRequest)
        .where(PullRequest.id == pull_request_id, free, PullRequest.publish_wanted > PullRequest.publish_done)
        .values(publish_claimed_by=claimant, publish_lease_until=now + timedelta(seconds=lease_seconds)))
    if result.rowcount != 1:
        session.rollback()
        return None
    session.commit()
    return session.scalar(select(PullRequest.publish_wanted).where(PullRequest.id == pull_request_id))


def renew_publish(session: Session, pull_request_id: int, claimant: str, lease_seconds: float) -> bool:
    result = session.execute(
        update(PullRequest).where(PullRequest.id == pull_request_id, PullRequest.publish_claimed_by == claimant)
        .values(publish_lease_until=utcnow() + timedelta(seconds=lease_seconds)))
    session.commit()
    return result.rowcount == 1


def finish_publish(session: Session, pull_request_id: int, claimant: str, shown: int | None) -> bool:
    """Record the version shown (None: nothing shown) and let go; True when a newer version is wanted."""
    values = {"publish_claimed_by": None, "publish_lease_until": None}
    if shown is not None:
        values["publish_done"] = shown
    session.execute(update(PullRequest).where(PullRequest.id == pull_request_id,
                                              PullRequest.publish_claimed_by == claimant).values(**values))
    session.commit()
    row = session.get(PullRequest, pull_request_id)
    session.refresh(row)
    return row.publish_wanted > row.publish_done


def hold_publish(session: Session, pull_request_id: int, claimant: str, seconds: float) -> None:
    """A retryable failure: keep the lease for the task's own retry (same task id), `seconds` from now."""
    session.execute(update(PullRequest).where(PullRequest.id == pull_request_id,
                                              PullRequest.publish_claimed_by == claimant)
                    .values(publish_lease_until=utcnow() + timedelta(seconds=seconds)))
    session.commit()


def pending_publishes(session: Session, *, older_than: timedelta, limit: int = 500) -> list[int]:
    """Pull requests with a version wanted but not shown, whose writer is gone and whose window has passed."""
    now = utcnow()
    query = (select(PullRequest.id)
             .where(PullRequest.publish_wanted_at.is_not(None), PullRequest.publish_wanted_at < now - older_than,
                    PullRequest.publish_wanted > PullRequest.publish_done,
                    PullRequest.publish_lease_until.is_(None) | (PullRequest.publish_lease_until < now))
             .order_by(PullRequest.id).limit(limit))
    return list(session.scalars(query))
