"""Backfill progress: one row per repository, its cursor saved after every page or pull request."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from service.storage.models import Backfill, Comment, Finding, utcnow

QUEUED, RUNNING, PAUSED, DONE_, FAILED_ = "queued", "running", "paused", "done", "failed"
# A backfill `running` without progress this long lost its worker (tasks time out at 300 s).
BACKFILL_STUCK_AFTER = timedelta(minutes=10)


def backfill_of(session: Session, repository_id: int) -> Backfill | None:
    return session.scalar(select(Backfill).where(Backfill.repository_id == repository_id))


def start_backfill(session: Session, repository_id: int, days: int) -> Backfill:
    """Begin (or begin again) reading the last ``days`` days; a fresh cursor, fresh counts."""
    row = backfill_of(session, repository_id)
    if row is None:
        row = Backfill(repository_id=repository_id)
        session.add(row)
    now = utcnow()
    row.state, row.days, row.since, row.cursor = QUEUED, days, now - timedelta(days=days), None
    row.comments_read, row.findings, row.paused_until, row.reason = 0, 0, None, None
    row.started_at, row.finished_at = now, None
    session.flush()
    return row


def _due(now: datetime):
    """Queued, paused until a moment that has passed, or running without progress (its worker died)."""
    return or_(Backfill.state == QUEUED,
               (Backfill.state == PAUSED) & (Backfill.paused_until <= now),
               (Backfill.state == RUNNING) & (Backfill.updated_at <= now - BACKFILL_STUCK_AFTER))


def due_backfills(session: Session, now: datetime | None = None) -> list[int]:
    """Repository ids whose backfill should run now."""
    return list(session.scalars(select(Backfill.repository_id).where(_due(now or utcnow()))))


def claim_backfill(session: Session, repository_id: int) -> bool:
    """A due backfill -> running, as one compare-and-set UPDATE, so two workers never share one."""
    now = utcnow()
    query = (update(Backfill).where(Backfill.repository_id == repository_id, _due(now))
             .values(state=RUNNING, paused_until=None, updated_at=now))
    return session.execute(query).rowcount == 1


def would_have_flagged(session: Session, repository_id: int, since: datetime, limit: int = 50) -> list:
    """(comment, finding) pairs on comments written since a moment, newest first: the preview's list."""
    query = (select(Comment, Finding).join(Finding, Finding.comment_id == Comment.id)
             .where(Comment.repository_id == repository_id, Comment.deleted.is_(False),
                    Comment.created_at >= since)
             .order_by(Comment.created_at.desc(), Comment.id.desc()).limit(limit))
    return list(session.execute(query))
