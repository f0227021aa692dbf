"""Queries for the dashboard: repositories a user can see, switches, and tone trends.

Week buckets are made in Python from per-day counts, because SQLite and PostgreSQL share no week
function; a day is `date(created_at)` on both.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import (
    select,
    update,
)
from sqlalchemy.orm import Session

from service.storage.models import (
    Comment,
    Feedback,
    Finding,
    Installation,
    Repository,
    utcnow,
)


def repository_by_id(session: Session, repository_id: int) -> Repository | None:
    return session.get(Repository, repository_id)


def repositories_by_ids(session: Session, repository_ids: Collection[int]) -> list[Repository]:
    """The repositories among these ids that the App is still installed on, by name."""
    if not repository_ids:
        return []
    query = (select(Repository).where(Repository.id.in_(list(repository_ids)), Repository.installed.is_(True))
             .order_by(Repository.full_name))
    return list(session.scalars(query))


def installations_by_ids(session: Session, installation_ids: Collection[int]) -> dict[int, Installation]:
    if not installation_ids:
        return {}
    query = select(Installation).where(Installation.id.in_(list(installation_ids)))
    return {inst.id: inst for inst in session.scalars(query)}


def installation_repository_ids(session: Session, installation_id: int) -> list[int]:
    """Every repository an installation currently covers: what its installation-wide default changes."""
    query = select(Repository.id).where(Repository.installation_id == installation_id,
                                        Repository.installed.is_(True))
    return list(session.scalars(query))


def save_dashboard_settings(session: Session, repository_id: int, settings: dict) -> None:
    session.execute(update(Repository).where(Repository.id == repository_id)
                    .values(dashboard_settings=settings))


def set_installation_default(session: Session, installation_id: int, enabled: bool) -> None:
    session.execute(update(Installation).where(Installation.id == installation_id)
                    .values(default_enabled=enabled, updated_at=utcnow()))


def finding_counts_by_day(session: Session, repository_id: int,
                          since: datetime) -> list[tuple[date, str, int]]:
    """(day, category, findings) for one repository's comments written since a moment, oldest first.

    Days are the comment's, not the finding's: re-analysing an edited comment replaces its findings,
    and that should not move them to another week.
    """
    from sqlalchemy import func

    day = func.date(Comment.created_at)
    query = (select(day, Finding.category, func.count(Finding.id))
             .join(Comment, Comment.id == Finding.comment_id)
             .where(Comment.repository_id == repository_id, Comment.created_at >= since)
             .group_by(day, Finding.category).order_by(day))
    # SQLite's date() gives text, PostgreSQL's a date.
    return [(d if isinstance(d, date) else date.fromisoformat(d), category, n)
            for d, category, n in session.execute(query)]


@dataclass(frozen=True)
class RuleCount:
    rule: str
    category: str
    findings: int
    looks_fine: int  # of those findings, how many a reviewer marked "Looks fine"


def rule_counts(session: Session, repository_id: int, since: datetime) -> list[RuleCount]:
    """Findings per rule on comments written since a moment, most frequent first, with their "Looks fine"s.

    Feedback is per (comment, rule), the unit a reviewer dismisses in the check run.
    """
    from sqlalchemy import and_, func

    fine = and_(Feedback.comment_id == Finding.comment_id, Feedback.rule == Finding.rule,
                Feedback.verdict == "looks_fine")
    query = (select(Finding.rule, Finding.category, func.count(Finding.id), func.count(Feedback.id))
             .join(Comment, Comment.id == Finding.comment_id)
             .outerjoin(Feedback, fine)
             .where(Comment.repository_id == repository_id, Comment.created_at >= since)
             .group_by(Finding.rule, Finding.category)
             .order_by(func.count(Finding.id).desc(), Finding.rule))
    return [RuleCount(*row) for row in session.execute(query)]
