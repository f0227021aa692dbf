"""Forgetting: what is older than the retention period (run daily by beat), and everything about one installation.

Rows go child-first (findings and feedback, then comments, then the rest), so the same statements
work on SQLite and PostgreSQL whether or not the database cascades deletes itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from service.storage.models import (
    PROCESSING,
    Comment,
    Delivery,
    Feedback,
    Finding,
    Installation,
    PullRequest,
    Repository,
    utcnow,
)


@dataclass(frozen=True)
class Purged:
    """How many rows of each kind were deleted."""

    findings: int = 0
    feedback: int = 0
    comments: int = 0
    deliveries: int = 0
    pull_requests: int = 0
    repositories: int = 0
    installations: int = 0

    def describe(self) -> str:
        counts = [f"{value} {name.replace('_', ' ')}" for name, value in self.__dict__.items() if value]
        return ", ".join(counts) or "nothing"


def _count(session: Session, statement) -> int:
    # No session objects to keep in step: these rows are not loaded, and the caller commits at once.
    return session.execute(statement.execution_options(synchronize_session=False)).rowcount or 0


def purge_expired(session: Session, *, older_than: timedelta, now: datetime | None = None) -> Purged:
    """Delete findings, feedback, comments and deliveries older than the cutoff; a delivery being worked on stays.

    A comment counts from its last analysis (an edit renews it), a delivery from its arrival.
    """
    cutoff = (now or utcnow()) - older_than
    old_comments = select(Comment.id).where(func.coalesce(Comment.analyzed_at, Comment.created_at) < cutoff)
    findings = _count(session, delete(Finding).where(
        or_(Finding.created_at < cutoff, Finding.comment_id.in_(old_comments))))
    feedback = _count(session, delete(Feedback).where(
        or_(Feedback.created_at < cutoff, Feedback.comment_id.in_(old_comments))))
    comments = _count(session, delete(Comment).where(
        func.coalesce(Comment.analyzed_at, Comment.created_at) < cutoff))
    deliveries = _count(session, delete(Delivery).where(Delivery.received_at < cutoff, Delivery.state != PROCESSING))
    session.commit()
    return Purged(findings=findings, feedback=feedback, comments=comments, deliveries=deliveries)


def forget_installation(session: Session, installation_id: int) -> Purged:
    """Delete every row Tact holds about one installation, the installation's own row included.

    An operator's `tact purge --installation`: unlike ``removals.purge_installation`` (GitHub said the
    App was uninstalled, and the row stays, marked deleted, so late deliveries are refused), nothing is
    left, and a later install starts afresh."""
    repos = select(Repository.id).where(Repository.installation_id == installation_id)
    comments = select(Comment.id).where(Comment.repository_id.in_(repos))
    purged = Purged(
        findings=_count(session, delete(Finding).where(Finding.comment_id.in_(comments))),
        feedback=_count(session, delete(Feedback).where(Feedback.repository_id.in_(repos))),
        comments=_count(session, delete(Comment).where(Comment.repository_id.in_(repos))),
        deliveries=_count(session, delete(Delivery).where(
            or_(Delivery.installation_id == installation_id, Delivery.repository_id.in_(repos)))),
        pull_requests=_count(session, delete(PullRequest).where(PullRequest.repository_id.in_(repos))),
        repositories=_count(session, delete(Repository).where(Repository.installation_id == installation_id)),
        installations=_count(session, delete(Installation).where(Installation.id == installation_id)),
    )
    session.commit()
    return purged
