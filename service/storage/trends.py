"""Tone trends for the dashboard: comments, findings and "Looks fine"s per day, the rules that fire most,
recent findings, and one author's own figures.

Every query takes a set of repository ids (one repository's page, or the repositories of an
installation that the person may see) and a half-open range of comment times [since, until). Week
buckets are made in Python from per-day counts, because SQLite and PostgreSQL share no week
function; a day is `date(created_at)` on both. Days are the comment's, not the finding's:
re-analysing an edited comment replaces its findings, and that should not move them to another week.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, distinct, func, select
from sqlalchemy.orm import Session

from service.storage.models import Comment, Feedback, Finding

_DAY = func.date(Comment.created_at)


def _ids(repository_ids: int | Collection[int]) -> list[int]:
    return [repository_ids] if isinstance(repository_ids, int) else list(repository_ids)


def _window(repository_ids, since: datetime, until: datetime | None):
    """Live, analyzed comments of these repositories written in [since, until)."""
    conditions = [Comment.repository_id.in_(_ids(repository_ids)), Comment.created_at >= since,
                  Comment.deleted.is_(False), Comment.analyzed_at.is_not(None)]
    if until is not None:
        conditions.append(Comment.created_at < until)
    return and_(*conditions)


def _day(value) -> date:
    # SQLite's date() gives text, PostgreSQL's a date.
    return value if isinstance(value, date) else date.fromisoformat(value)


def finding_counts_by_day(session: Session, repository_ids: int | Collection[int], since: datetime,
                          until: datetime | None = None) -> list[tuple[date, str, int]]:
    """(day, category, findings) on comments written in the range, oldest first."""
    query = (select(_DAY, Finding.category, func.count(Finding.id))
             .join(Comment, Comment.id == Finding.comment_id)
             .where(_window(repository_ids, since, until))
             .group_by(_DAY, Finding.category).order_by(_DAY))
    return [(_day(d), category, n) for d, category, n in session.execute(query)]


@dataclass(frozen=True)
class DayActivity:
    day: date
    repository_id: int
    comments: int  # analyzed
    flagged: int  # of those, with at least one finding
    looks_fine: int  # "Looks fine" verdicts on findings of those comments


def activity_by_day(session: Session, repository_ids: int | Collection[int], since: datetime,
                    until: datetime | None = None, *, author: str | None = None) -> list[DayActivity]:
    """Comments analyzed, comments flagged and "Looks fine"s per day and repository, oldest first.

    ``author`` narrows it to one person's comments (the per-author figures, when an installation allows them).
    """
    window = _window(repository_ids, since, until)
    if author is not None:
        window = and_(window, Comment.author == author)
    flagged = select(Finding.comment_id).where(Finding.comment_id == Comment.id).exists()
    comments = (select(_DAY, Comment.repository_id, func.count(Comment.id),
                       func.count(Comment.id).filter(flagged))
                .where(window).group_by(_DAY, Comment.repository_id))
    fine = (select(_DAY, Comment.repository_id, func.count(distinct(Feedback.id)))
            .join(Comment, Comment.id == Feedback.comment_id)
            .where(window, Feedback.verdict == "looks_fine").group_by(_DAY, Comment.repository_id))
    looks_fine = {(_day(d), r): n for d, r, n in session.execute(fine)}
    rows = [DayActivity(_day(d), r, n, f, looks_fine.get((_day(d), r), 0)) for d, r, n, f in session.execute(comments)]
    return sorted(rows, key=lambda a: (a.day, a.repository_id))


@dataclass(frozen=True)
class RuleCount:
    rule: str
    category: str
    findings: int
    looks_fine: int  # of those findings, how many a reviewer marked "Looks fine"


def rule_counts(session: Session, repository_ids: int | Collection[int], since: datetime,
                until: datetime | None = None) -> list[RuleCount]:
    """Findings per rule on comments written in the range, most frequent first, with their "Looks fine"s.

    Feedback is per (comment, rule), the unit a reviewer dismisses in the check run.
    """
    fine = and_(Feedback.comment_id == Finding.comment_id, Feedback.rule == Finding.rule,
                Feedback.verdict == "looks_fine")
    query = (select(Finding.rule, Finding.category, func.count(Finding.id), func.count(Feedback.id))
             .join(Comment, Comment.id == Finding.comment_id)
             .outerjoin(Feedback, fine)
             .where(_window(repository_ids, since, until))
             .group_by(Finding.rule, Finding.category)
             .order_by(func.count(Finding.id).desc(), Finding.rule))
    return [RuleCount(*row) for row in session.execute(query)]


def recent_findings(session: Session, repository_id: int, since: datetime, until: datetime | None = None,
                    limit: int = 20) -> list[tuple[Comment, Finding]]:
    """The newest findings in the range with their comments (for the link; the excerpt only if it was kept)."""
    query = (select(Comment, Finding).join(Finding, Finding.comment_id == Comment.id)
             .where(_window(repository_id, since, until))
             .order_by(Comment.created_at.desc(), Finding.start).limit(limit))
    return [(comment, finding) for comment, finding in session.execute(query)]
