"""Tone trends for the dashboard: findings per day and week, and the rules that fire most.

Week buckets are made in Python from per-day counts, because SQLite and PostgreSQL share no week
function; a day is `date(created_at)` on both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import (
    select,
)
from sqlalchemy.orm import Session

from service.storage.models import (
    Comment,
    Feedback,
    Finding,
)


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
